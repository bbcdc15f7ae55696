"""Callback URLs with the template's default parameters (PublicBaseUrl empty): every URL handed to
a channel is absolute and reaches paymux, on the sweeper's resubmission of a refund whose first
submission was lost too (it has no request whose domain it could borrow).

The deployed case builds the functions' environment from template.yaml exactly as CloudFormation
would with the default parameters (an API id stands in for the one API Gateway assigns), and
creates the SSM parameter the template declares; the local case uses the local stack's own
environment, whose API serves the callbacks for real."""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import boto3
import pytest

from local.intrinsics import Intrinsics, pseudo_parameters
from local.seed import seed_wechat_account
from local.stack import REGION, LocalStack
from local.template import choose_parameters, load_template, transform_template
from paymux.channels.http import READ_TIMEOUT, HttpResponse, RequestsHttpClient
from paymux.config import Settings
from paymux.deps import Deps, set_deps
from paymux.errors import ChannelUnavailable
from sandbox.wechat import WeChatSandbox, generate_merchant
from tests.integration.conftest import World
from tests.integration.test_refunds import wait_until
from tests.support import api_event, invoke, response_json, run_sweeper

TEMPLATE = Path(__file__).resolve().parents[2] / "template.yaml"
REFUNDS = "/v3/refund/domestic/refunds"
API_ID = "a1b2c3d4e5"  # what API Gateway would assign to HttpApi
DEPLOYED_STACK = "paymux-dev"


def deployed_environment(stack: LocalStack) -> dict[str, str]:
    """The sweeper's environment as CloudFormation resolves it with the template's default
    parameters in a stack named DEPLOYED_STACK (data resources: the test stack's moto ones).
    Creates the template's SSM parameters as CloudFormation would."""
    assert stack.resources is not None
    sam = load_template(TEMPLATE)
    parameters = choose_parameters(sam, {})  # every parameter at its default
    cfn = transform_template(sam, parameters, REGION)
    refs = {**stack.resources.refs, "HttpApi": API_ID}

    def lookup(logical_id: str, attribute: str | None) -> str:
        return refs[logical_id] if attribute is None else stack.resources.attributes[(logical_id, attribute)]

    resolver = Intrinsics(
        pseudo_parameters(REGION, DEPLOYED_STACK) | parameters, lookup, cfn.get("Conditions") or {}
    )
    for resource in cfn["Resources"].values():
        if resource["Type"] == "AWS::SSM::Parameter":
            props = resolver.resolve(resource["Properties"])
            boto3.client("ssm").put_parameter(
                Name=props["Name"], Value=props["Value"], Type=props["Type"], Overwrite=True
            )
    variables = cfn["Resources"]["SweeperFunction"]["Properties"]["Environment"]["Variables"]
    return {name: str(value) for name, value in resolver.resolve(variables).items()}


@dataclass
class ChannelWire:
    """The channel HTTP port over a real client, recording what reaches the channel; the first
    refund request can be lost before it leaves (the outcome is unknown to paymux)."""

    lose_first_refund: bool = True
    sent: list[tuple[str, str, bytes]] = field(default_factory=list)
    inner: RequestsHttpClient = field(default_factory=RequestsHttpClient)

    def request(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str],
        body: bytes = b"",
        timeout: float = READ_TIMEOUT,
    ) -> HttpResponse:
        if method == "POST" and url.endswith(REFUNDS) and self.lose_first_refund:
            self.lose_first_refund = False
            raise ChannelUnavailable(f"{method} {url} failed: ReadTimeout")
        self.sent.append((method, url, body))
        return self.inner.request(method, url, headers=headers, body=body, timeout=timeout)

    def refund_notify_urls(self) -> list[str]:
        return [json.loads(body)["notify_url"] for m, url, body in self.sent if url.endswith(REFUNDS)]


@dataclass
class Shop:
    """The world's merchant at a sandbox that leaves refunds PROCESSING until told, with one
    paid payment made under the world's own settings."""

    sandbox: WeChatSandbox
    account_id: str
    mchid: str
    payment_id: str
    credentials: dict[str, Any]


@pytest.fixture
def shop(world: World) -> Iterator[Shop]:
    sandbox = WeChatSandbox(
        key_mode="both", clock=world.clock, callback_time_scale=0.001, auto_complete_refunds=False
    )
    sandbox.start()
    try:
        suffix = secrets.token_hex(4)
        identity = generate_merchant(
            mchid=str(1_910_000_000 + int(suffix, 16) % 99_999), appids=(f"wx{suffix}{suffix}",)
        )
        app = world.d.merchants.app(world.app_id)
        assert app is not None
        account = seed_wechat_account(world.d, sandbox, identity, f"wx-tpl-{suffix}", owner=app.merchant_id)
        old = world.d.channel_config.account(world.account_id)
        world.d.channel_config.put_account(replace(old, enabled=False), None)
        status, created = world.create(amount=800)
        assert status == 201
        sandbox.pay(account.mchid, world.out_trade_no(created["id"]))
        wait_until(lambda: world.d.payments.get(created["id"]).status == "SUCCESS")
        credentials = dict(world.d.channel_config.credentials(account.account_id))
        yield Shop(sandbox, account.account_id, account.mchid, created["id"], credentials)
    finally:
        sandbox.stop()


def serve_under(world: World, shop: Shop, d: Deps) -> None:
    """The handlers run under `d`, which knows the world's app and the shop's account."""
    app = world.d.merchants.app(world.app_id)
    assert app is not None
    account = world.d.channel_config.account(shop.account_id)
    assert account is not None
    d.merchants.put_app(app, world.secret)  # the same app, readable under d's secrets prefix
    d.channel_config.put_account(account, shop.credentials)
    set_deps(d)


def refund_lost_then_resubmitted(world: World, shop: Shop, d: Deps, wire: ChannelWire) -> dict[str, Any]:
    """Under `d`: a refund whose first submission is lost, then the sweeper's pass, which finds
    nothing at the channel (NOT_FOUND) and submits it again."""
    serve_under(world, shop, d)
    status, refund = world.call(
        "refund_payment.json",
        path=f"/v1/payments/{shop.payment_id}/refunds",
        path_params={"payment_id": shop.payment_id},
        body={"amount": 300, "merchant_refund_no": "RF-" + secrets.token_hex(5)},
    )
    assert (status, refund["status"]) == (201, "PROCESSING")
    assert wire.refund_notify_urls() == []  # the first submission never reached the channel
    world.clock.advance(61)
    assert run_sweeper()["refunds_queried"] == 1
    return refund


def test_the_sweeper_resubmits_a_lost_refund_with_the_deployed_api_domain(world: World, shop: Shop):
    env = deployed_environment(world.stack)
    assert env["PAYMUX_PUBLIC_BASE_URL"] == ""  # PublicBaseUrl's default
    settings = Settings.from_env(env)
    assert (settings.stage, settings.allow_http_urls) == ("dev", False)
    wire = ChannelWire()
    d = Deps(settings=settings, clock=world.clock, http=wire, merchant_http=world.merchant_endpoint)

    refund = refund_lost_then_resubmitted(world, shop, d, wire)

    expected = f"https://{API_ID}.execute-api.{REGION}.amazonaws.com/v1/callbacks/wechat/{shop.account_id}"
    assert wire.refund_notify_urls() == [expected]
    stored = d.refunds.get(refund["id"])
    assert stored is not None and stored.status == "PROCESSING"  # accepted, not FAILED
    at_channel = shop.sandbox.refunds[stored.out_refund_no]
    assert (at_channel["status"], at_channel["amount"]["refund"]) == ("PROCESSING", 300)


def test_an_api_refund_takes_the_base_from_its_request_domain_and_reads_no_ssm(world: World, shop: Shop):
    env = deployed_environment(world.stack)
    boto3.client("ssm").delete_parameter(Name=env["PAYMUX_API_DOMAIN_PARAMETER"])  # a read would fail
    wire = ChannelWire(lose_first_refund=False)
    d = Deps(
        settings=Settings.from_env(env), clock=world.clock, http=wire, merchant_http=world.merchant_endpoint
    )
    serve_under(world, shop, d)
    domain = f"{API_ID}.execute-api.{REGION}.amazonaws.com"  # the deployed API's, as the sweeper's
    path = f"/v1/payments/{shop.payment_id}/refunds"
    body = {"amount": 300, "merchant_refund_no": "RF-" + secrets.token_hex(5)}
    event = api_event(
        "refund_payment.json", app_id=world.app_id, secret=world.secret, now=world.clock(), path=path,
        path_params={"payment_id": shop.payment_id}, body=body,
    )  # fmt: skip
    event["requestContext"]["domainName"] = domain  # API Gateway's: where the request came in

    status, refund = response_json(invoke("refund_payment", event))

    assert (status, refund["status"]) == (201, "PROCESSING")
    # the URL the sweeper's resubmission gives (the test above), and no SSM client was built
    assert wire.refund_notify_urls() == [f"https://{domain}/v1/callbacks/wechat/{shop.account_id}"]
    assert "ssm" not in vars(d)


def test_with_the_local_stack_defaults_the_resubmitted_refund_is_settled_by_its_callback(
    world: World, shop: Shop
):
    settings = Settings.from_env(world.stack.env)  # no override: what `make dev` runs with
    assert settings.public_base_url == world.stack.api_url
    wire = ChannelWire()
    d = Deps(settings=settings, clock=world.clock, http=wire, merchant_http=world.merchant_endpoint)

    refund = refund_lost_then_resubmitted(world, shop, d, wire)

    assert wire.refund_notify_urls() == [f"{world.stack.api_url}/v1/callbacks/wechat/{shop.account_id}"]
    stored = d.refunds.get(refund["id"])
    assert stored is not None
    shop.sandbox.complete_refunds(shop.mchid)  # REFUND.SUCCESS goes to the local API's route
    assert shop.sandbox.wait_for_callbacks(timeout=10)
    assert [a.delivered for a in shop.sandbox.callback_log if a.event_type == "REFUND.SUCCESS"] == [True]
    assert wait_until(lambda: d.refunds.get(refund["id"]).status == "SUCCESS")
