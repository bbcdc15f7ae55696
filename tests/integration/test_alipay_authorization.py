"""Alipay third-party-application authorizations as bindings, through the real handlers: bind
from an authorization code (admin endpoint and `python -m ops merchants bind`), the token kept
in Secrets Manager only, refreshed by the daily schedule before it expires, and a cancellation
notice disabling the binding (audited). The channel side is `partner_channel.IsvChannel`,
which follows the agreed AlipayChannel contract until the real one is merged."""

from __future__ import annotations

import copy
import json
import logging
import secrets
from dataclasses import dataclass
from typing import Any

import pytest

from ops.__main__ import main
from paymux.channels.base import ChannelAccount
from paymux.services.alipay_auth import NOTICE_ACTOR
from paymux.services.routes import route_channel
from paymux.services.routing import Route
from paymux.store.bindings import CACHE_SECONDS
from paymux.store.merchants import MerchantApp
from tests.integration.conftest import World
from tests.integration.partner_channel import IsvPlatform, install_isv
from tests.support import invoke, load_event, response_json

OPERATOR = "arn:aws:sts::123456789012:assumed-role/paymux-operators/ops-alice"


@dataclass
class Isv:
    world: World
    platform: IsvPlatform
    account: ChannelAccount
    merchant_id: str

    def admin(self, function: str, body: Any = None, binding_id: str = "") -> tuple[int, Any]:
        event = copy.deepcopy(load_event(f"{function}.json"))
        if binding_id:
            event["pathParameters"] = {"binding_id": binding_id}
        event["body"] = json.dumps(body) if body is not None else ""
        event["requestContext"]["authorizer"]["iam"]["userArn"] = OPERATOR
        return response_json(invoke(function, event))

    def notice(self, body: bytes, signed: bool = True) -> dict[str, Any]:
        event = copy.deepcopy(load_event("channel_authorization_notice.json"))
        event["headers"] = self.platform.sign(body) if signed else {}
        event["body"] = body.decode()
        event["pathParameters"] = {"provider": "alipay", "account_id": self.account.account_id}
        return invoke("channel_authorization_notice", event)

    def bind(self, code: str) -> tuple[int, Any]:
        self.platform.codes[code] = ("2088000000000777", "2021000000000777")
        body = {
            "merchant_id": self.merchant_id,
            "account_id": self.account.account_id,
            "alipay_auth_code": code,
        }
        return self.admin("admin_create_binding", body)


@pytest.fixture
def isv(world: World) -> Isv:
    d = world.d
    account = ChannelAccount(
        f"ali-isv-{secrets.token_hex(3)}",
        "alipay",
        ("alipay.qr",),
        "2088000000000001",
        "2021000000000001",
        "https://openapi.alipay.com/gateway.do",
        mode="provider",
    )
    d.channel_config.put_account(account, {})
    platform = IsvPlatform(clock=world.clock)
    install_isv(d, account.account_id, platform)
    merchant_id = f"mch_ali_{secrets.token_hex(3)}"
    d.merchants.put_app(
        MerchantApp(app_id=f"app_{merchant_id}", merchant_id=merchant_id), "sk_" + secrets.token_hex(8)
    )
    return Isv(world, platform, account, merchant_id)


def test_an_authorization_code_becomes_a_binding_with_its_token_in_secrets_manager_only(
    isv: Isv, caplog: pytest.LogCaptureFixture
):
    caplog.set_level(logging.INFO, logger="paymux")
    status, binding = isv.bind("code-1")
    assert status == 201, binding
    assert (binding["merchant_id"], binding["sub_mchid"], binding["sub_appid"]) == (
        isv.merchant_id,
        "2088000000000777",
        "2021000000000777",
    )
    assert binding["has_secret"] is True and binding["created_by"] == OPERATOR
    secret = isv.world.d.bindings.read_secret(binding["binding_id"])
    assert (secret["app_auth_token"], secret["app_refresh_token"]) == ("tok1", "ref1")
    texts = json.dumps(binding) + caplog.text + json.dumps(isv.world.d.bindings.records()[0].__repr__())
    assert "tok1" not in texts and "ref1" not in texts
    assert '"audit": "binding.created"' in caplog.text
    # the token is what the channel acts with for that sub-merchant
    stored = isv.world.d.bindings.binding(binding["binding_id"])
    assert route_channel(isv.world.d, Route(isv.account, stored)).sub.app_auth_token == "tok1"


def test_a_refused_code_writes_nothing(isv: Isv):
    status, body = isv.admin(
        "admin_create_binding",
        {"merchant_id": isv.merchant_id, "account_id": isv.account.account_id, "alipay_auth_code": "stale"},
    )
    assert status == 502 and body["error"]["code"] == "channel_rejected"
    assert isv.world.d.bindings.records() == []
    # and a bad field is refused before a code is spent
    isv.platform.codes["fresh"] = ("2088000000000778", "2021000000000778")
    status, body = isv.admin(
        "admin_create_binding",
        {
            "merchant_id": isv.merchant_id,
            "account_id": isv.account.account_id,
            "alipay_auth_code": "fresh",
            "weight": -1,
        },
    )
    assert status == 422 and "fresh" in isv.platform.codes


def test_the_daily_refresh_replaces_a_token_before_it_expires(isv: Isv):
    _, binding = isv.bind("code-2")
    assert invoke("refresh_authorizations", {})["bindings"][0]["status"] == "fresh"
    isv.world.clock.advance(340 * 86400)  # within 30 days of its 365-day life
    report = invoke("refresh_authorizations", {})["bindings"]
    assert [(r["binding_id"], r["status"]) for r in report] == [(binding["binding_id"], "refreshed")]
    assert isv.world.d.bindings.read_secret(binding["binding_id"])["app_auth_token"] == "tok2"
    isv.world.clock.advance(CACHE_SECONDS + 1)  # other containers see it within a minute
    stored = isv.world.d.bindings.binding(binding["binding_id"])
    assert route_channel(isv.world.d, Route(isv.account, stored)).sub.app_auth_token == "tok2"


def test_a_cancellation_notice_disables_the_binding_and_is_audited(isv: Isv):
    _, binding = isv.bind("code-3")
    body = isv.platform.auth_notice("2088000000000777", "2021000000000777")
    forged = isv.notice(body, signed=False)
    assert forged["statusCode"] != 200 and isv.world.d.bindings.record(binding["binding_id"]).enabled
    assert isv.notice(body)["statusCode"] == 200
    stored = isv.world.d.bindings.record(binding["binding_id"])
    assert (stored.enabled, stored.updated_by, stored.version) == (False, NOTICE_ACTOR, 2)


def test_ops_merchants_bind_with_an_alipay_auth_code(
    isv: Isv, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
):
    for name, value in isv.world.stack.env.items():
        monkeypatch.setenv(name, value)
    isv.platform.codes["ops-code"] = ("2088000000000779", "2021000000000779")
    import ops.__main__ as cli

    class OpsDeps(cli.Deps):  # type: ignore[misc,name-defined]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            install_isv(self, isv.account.account_id, isv.platform)

    monkeypatch.setattr(cli, "Deps", OpsDeps)
    argv = ["merchants", "bind", isv.merchant_id, "--account", isv.account.account_id]
    assert main([*argv, "--alipay-auth-code", "ops-code"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["sub_mchid"] == "2088000000000779" and "app_auth_token" not in json.dumps(printed)
    assert main(["merchants", "bindings", isv.merchant_id]) == 0
    assert [b["binding_id"] for b in json.loads(capsys.readouterr().out)] == [printed["binding_id"]]
    assert main(["merchants", "unbind", printed["binding_id"]]) == 0
    assert json.loads(capsys.readouterr().out)["enabled"] is False
    # binding a direct account is refused with a typed error, exit code 2
    assert (
        main(["merchants", "bind", isv.merchant_id, "--account", isv.world.account_id, "--sub-mchid", "X1"])
        == 2
    )
    assert "binding_account_not_provider" in capsys.readouterr().err
