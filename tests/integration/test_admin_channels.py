"""The operators' channel-account endpoints (/v1/admin/channel-accounts, IAM-authorized), through
the real handlers against the local stack's moto resources and a WeChat Pay sandbox.

Two containers are modelled: the admin functions' (their own Deps) and the payment functions'
(the world's, its configuration cache warm). A write reaches the payment container when its
60 s cache expires, which the tests show by moving the injected clock."""

from __future__ import annotations

import copy
import json
import logging
import secrets
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from paymux.deps import Deps, set_deps
from paymux.errors import Conflict
from paymux.services.channel_admin import public
from paymux.store.channels import CACHE_SECONDS
from tests.integration.conftest import World
from tests.support import authorization, invoke, load_event, response_json

OPERATOR = "arn:aws:sts::123456789012:assumed-role/paymux-operators/ops-alice"
ADMIN = {
    "list": ("admin_list_channel_accounts", None),
    "create": ("admin_create_channel_account", None),
    "get": ("admin_get_channel_account", "{account_id}"),
    "update": ("admin_update_channel_account", "{account_id}"),
}


def admin_event(
    operation: str, account_id: str = "", body: Any = None, caller: str | None = OPERATOR
) -> dict[str, Any]:
    """events/admin_*.json with this path, body and IAM caller (None: no IAM context, as on a
    route without the IAM authorizer). No merchant signature: the SigV4 header is API
    Gateway's business and is not even looked at."""
    function, param = ADMIN[operation]
    event = copy.deepcopy(load_event(f"{function}.json"))
    path = "/v1/admin/channel-accounts" + (f"/{account_id}" if param else "")
    event["rawPath"] = event["requestContext"]["http"]["path"] = path
    event["pathParameters"] = {"account_id": account_id} if param else None
    raw = body if isinstance(body, str) else json.dumps(body) if body is not None else ""
    event["body"] = raw
    if caller is None:
        del event["requestContext"]["authorizer"]
    else:
        event["requestContext"]["authorizer"]["iam"]["userArn"] = caller
    return event


class Admin:
    """Calls the admin handlers as their own container: a Deps of their own, put in place for
    each call, then the world's (the payment functions') restored."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.d = Deps(settings=world.d.settings, clock=world.clock)
        self.bodies: list[str] = []

    @contextmanager
    def container(self) -> Iterator[None]:
        set_deps(self.d)
        try:
            yield
        finally:
            set_deps(self.world.d)

    def raw(self, event: dict[str, Any], operation: str) -> dict[str, Any]:
        with self.container():
            response = invoke(ADMIN[operation][0], event)
        self.bodies.append(response["body"])
        return response

    def call(self, operation: str, account_id: str = "", body: Any = None, **kw: Any) -> tuple[int, Any]:
        return response_json(self.raw(admin_event(operation, account_id, body, **kw), operation))


@pytest.fixture
def admin(world: World) -> Admin:
    return Admin(world)


def account_doc(world: World, account_id: str = "wx-admin", **fields: Any) -> dict[str, Any]:
    """A second account at the world's sandbox merchant, with its credentials."""
    current = world.d.channel_config.account(world.account_id)
    assert current is not None
    return {
        "account_id": account_id,
        "provider": "wechat",
        "products": ["wechat.native"],
        "mchid": current.mchid,
        "appid": current.appid,
        "base_url": world.sandbox.base_url,
        "owner": current.owner,
        "credentials": dict(world.d.channel_config.credentials(world.account_id)),
        **fields,
    }


def routed(world: World, n: int = 1) -> list[str]:
    """The accounts the payment container routes `n` new payments to."""
    accounts = []
    for _ in range(n):
        status, created = world.create()
        assert status == 201, created
        accounts.append(world.d.payments.get(created["id"]).account_id)
    return accounts


def secret_values(credentials: dict[str, Any]) -> list[str]:
    values: list[str] = []
    for value in credentials.values():
        if isinstance(value, dict):
            values += secret_values(value)
        elif isinstance(value, list):
            for item in value:
                values += secret_values(item) if isinstance(item, dict) else [str(item)]
        else:
            values.append(str(value))
    return values


def assert_no_secret(texts: list[str], credentials: dict[str, Any]) -> None:
    """Neither a whole value nor a recognisable piece (a PEM line, the APIv3 key) appears."""
    pieces = [v for v in secret_values(credentials) if len(v) >= 16]
    pieces += [line for v in pieces for line in v.splitlines() if len(line) >= 32]
    assert pieces
    for text in texts:
        for piece in pieces:
            assert piece not in text


def test_create_reaches_payments_when_their_config_cache_expires(world: World, admin: Admin):
    assert routed(world) == [world.account_id]  # the payment container's cache is now warm
    status, created = admin.call("create", body=account_doc(world, priority=1, weight=5))
    assert status == 201 and created["object"] == "channel_account"
    assert (created["account_id"], created["priority"], created["weight"], created["enabled"]) == (
        "wx-admin",
        1,
        5,
        True,
    )
    assert created["updated_by"] == OPERATOR and created["updated_at"].endswith("Z")
    assert "credentials" not in created

    assert routed(world) == [world.account_id]  # within the cache's 60 s: not yet
    world.clock.advance(CACHE_SECONDS + 1)
    assert routed(world, 2) == ["wx-admin", "wx-admin"]  # priority 1 now preferred

    status, listed = admin.call("list")
    assert status == 200 and listed["object"] == "list"
    assert [a["account_id"] for a in listed["data"]] == ["wx-admin", world.account_id]  # routing order
    assert admin.call("get", "wx-admin") == (200, created)


def test_weight_and_disable_by_patch_take_effect_within_a_minute(world: World, admin: Admin):
    # Same priority as the world's account; weight 0 takes no new payments.
    assert admin.call("create", body=account_doc(world, weight=0))[0] == 201
    world.clock.advance(CACHE_SECONDS + 1)
    assert set(routed(world, 3)) == {world.account_id}

    assert admin.call("update", world.account_id, {"weight": 0})[1]["weight"] == 0
    status, patched = admin.call("update", "wx-admin", {"weight": 3})
    assert status == 200 and (patched["weight"], patched["updated_by"]) == (3, OPERATOR)
    assert routed(world) == [world.account_id]  # cached: the old weights still apply
    world.clock.advance(CACHE_SECONDS + 1)
    assert set(routed(world, 3)) == {"wx-admin"}  # the new weights

    status, disabled = admin.call("update", "wx-admin", {"enabled": False})
    assert status == 200 and disabled["enabled"] is False and disabled["weight"] == 3
    assert admin.call("update", world.account_id, {"weight": 1})[0] == 200
    world.clock.advance(CACHE_SECONDS + 1)
    assert set(routed(world, 4)) == {world.account_id}  # no new payment goes to a disabled account
    assert admin.call("get", "wx-admin")[1]["enabled"] is False


def test_credentials_are_written_but_never_returned_or_logged(
    world: World, admin: Admin, caplog: pytest.LogCaptureFixture
):
    caplog.set_level(logging.INFO, logger="paymux")
    doc = account_doc(world, priority=1)
    credentials = doc["credentials"]
    assert admin.call("create", body=doc)[0] == 201
    stored = world.d.secretsmanager.get_secret_value(SecretId=world.d.channel_config.secret_name("wx-admin"))
    assert json.loads(stored["SecretString"]) == credentials

    # Replaced by PATCH: the WeChat Pay public key alone now verifies the channel's answers
    # (verification keys are replaced only when named, here by an explicit empty list).
    replacement = {**credentials, "platform_certificates": []}
    status, patched = admin.call("update", "wx-admin", {"credentials": replacement, "priority": 2})
    assert status == 200 and patched["priority"] == 2 and "credentials" not in patched
    stored = world.d.secretsmanager.get_secret_value(SecretId=world.d.channel_config.secret_name("wx-admin"))
    assert json.loads(stored["SecretString"]) == replacement
    world.clock.advance(CACHE_SECONDS + 1)
    assert routed(world) == ["wx-admin"]  # payments work with the replaced credentials

    # A new merchant key alone keeps the stored keys that verify WeChat (none dropped silently).
    merchant_key_only = {
        k: v for k, v in credentials.items() if k not in ("platform_certificates", "wechatpay_public_key")
    }
    assert admin.call("update", "wx-admin", {"credentials": merchant_key_only})[0] == 200
    stored = world.d.secretsmanager.get_secret_value(SecretId=world.d.channel_config.secret_name("wx-admin"))
    assert json.loads(stored["SecretString"]) == replacement

    admin.call("get", "wx-admin")
    admin.call("list")
    admin.call("update", "wx-admin", {"credentials": {"apiv3_key": credentials["apiv3_key"]}})  # 422
    assert len(admin.bodies) == 6
    assert_no_secret(admin.bodies, credentials)
    audit = [json.loads(r.getMessage()) for r in caplog.records if r.getMessage().startswith('{"account_id"')]
    assert [(a["audit"], a["actor"], a["credentials_replaced"]) for a in audit] == [
        ("channel_account.created", OPERATOR, True),
        ("channel_account.updated", OPERATOR, True),
        ("channel_account.updated", OPERATOR, True),
    ]
    assert audit[1]["changes"] == {"priority": [1, 2]}
    assert_no_secret([r.getMessage() for r in caplog.records], credentials)


def test_bad_input_is_422_with_field_details_and_nothing_is_written(world: World, admin: Admin):
    new_id = "wx-" + secrets.token_hex(4)  # moto's secrets outlive a test; this name is new
    bad = account_doc(
        world, new_id, weight=-1, fee_rate="six per mille", base_url="http://pay.example.com", colour=1
    )
    status, body = admin.call("create", body=bad)
    assert status == 422 and body["error"]["code"] == "validation_failed"
    fields = {d["field"]: d["message"] for d in body["error"]["details"]}
    assert set(fields) == {"weight", "fee_rate", "base_url", "colour"}
    assert fields["colour"] == "unknown field"
    for broken, field in (
        ({"provider": "paypal"}, "provider"),
        ({"products": ["wechat.native", "wechat.teleport"]}, "products"),
        ({"credentials": {}}, "credentials"),
        ({"credentials": {"apiv3_key": "k"}}, "credentials"),  # the client cannot be built from them
    ):
        status, body = admin.call("create", body={**account_doc(world, new_id), **broken})
        assert status == 422 and [d["field"] for d in body["error"]["details"]] == [field], broken
    assert admin.call("create", body="{not json")[0] == 422
    assert admin.call("create", body=["a", "list"])[0] == 422
    assert world.d.channel_config.record(new_id) is None
    with pytest.raises(world.d.secretsmanager.exceptions.ResourceNotFoundException):
        world.d.secretsmanager.describe_secret(SecretId=world.d.channel_config.secret_name(new_id))

    before = world.d.channel_config.record(world.account_id)
    for changes, field in (
        ({"weight": -2}, "weight"),
        ({"weight": None}, "weight"),
        ({"account_id": "wx-renamed"}, "account_id"),
        ({"provider": "alipay"}, "provider"),
        ({"fee_rate": "1.5"}, "fee_rate"),
        ({"enabled": "no"}, "enabled"),
        ({"nickname": "x"}, "nickname"),
        ({"credentials": None}, "credentials"),
    ):
        status, body = admin.call("update", world.account_id, changes)
        assert status == 422 and [d["field"] for d in body["error"]["details"]] == [field], changes
    assert world.d.channel_config.record(world.account_id) == before


def test_unknown_account_is_404_and_an_existing_id_409(world: World, admin: Admin):
    for operation, body in (("get", None), ("update", {"enabled": False})):
        status, answer = admin.call(operation, "wx-nope", body)
        assert status == 404 and answer["error"]["code"] == "not_found"
    assert world.d.channel_config.record("wx-nope") is None

    secret = world.d.channel_config.secret_name(world.account_id)
    before = world.d.secretsmanager.get_secret_value(SecretId=secret)["SecretString"]
    status, answer = admin.call("create", body=account_doc(world, world.account_id, weight=9))
    assert status == 409 and answer["error"]["code"] == "channel_account_exists"
    assert world.d.secretsmanager.get_secret_value(SecretId=secret)["SecretString"] == before
    assert world.d.channel_config.record(world.account_id).account.weight == 1
    # The store refuses too (a create racing another one).
    account = world.d.channel_config.record(world.account_id).account
    with pytest.raises(Conflict):
        world.d.channel_config.put_account(account, None, create=True)


def test_iam_is_the_only_authorization(world: World, admin: Admin):
    """No merchant signature is asked for; without the IAM authorizer's identity the handlers
    refuse, even with a valid merchant signature, and write nothing."""
    event = admin_event("list")
    del event["headers"]["authorization"]
    assert response_json(admin.raw(event, "list"))[0] == 200

    signed = admin_event("create", body=account_doc(world), caller=None)
    signed["headers"]["authorization"] = authorization(
        world.app_id, world.secret, "POST", signed["rawPath"], signed["body"].encode(), world.clock()
    )
    status, answer = response_json(admin.raw(signed, "create"))
    assert status == 403 and answer["error"]["code"] == "forbidden"
    for operation, account_id, body in (("list", "", None), ("get", world.account_id, None)):
        assert admin.call(operation, account_id, body, caller=None)[0] == 403
    assert admin.call("update", world.account_id, {"enabled": False}, caller=None)[0] == 403
    assert world.d.channel_config.record("wx-admin") is None
    assert world.d.channel_config.record(world.account_id).account.enabled is True


def test_the_local_stack_serves_the_routes_as_an_iam_operator(world: World):
    """Locally SigV4 is not checked: IAM routes carry a fixed local operator identity."""
    doc = account_doc(world, priority=7)
    request = urllib.request.Request(
        world.stack.api_url + "/v1/admin/channel-accounts",
        data=json.dumps(doc).encode(),
        method="POST",
        headers={"content-type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        created = json.loads(response.read())
    assert response.status == 201 and created["updated_by"].endswith(":user/local-operator")
    patch = urllib.request.Request(
        world.stack.api_url + "/v1/admin/channel-accounts/wx-admin",
        data=b'{"enabled": false}',
        method="PATCH",
        headers={"content-type": "application/json"},
    )
    with urllib.request.urlopen(patch, timeout=10) as response:
        assert json.loads(response.read())["enabled"] is False
    assert public(world.d.channel_config.record("wx-admin"))["enabled"] is False
