"""The Alipay authorization lifecycle through the real AlipayChannel and the Alipay sandbox (the
fake-channel version is test_alipay_authorization.py): a merchant authorizes paymux's
application and the code is exchanged (admin endpoint and `python -m ops merchants bind`),
the daily refresh replaces the token before it expires and payments then use the new one,
and the merchant's cancellation (Alipay's signed notice, to the authorization route) disables
the binding."""

from __future__ import annotations

import json
from typing import Any

import pytest

from ops.__main__ import main
from paymux.services.alipay_auth import NOTICE_ACTOR
from paymux.store.bindings import CACHE_SECONDS
from tests.alipay_isv_support import ISV_APP_ID, merchant
from tests.integration.partner_world import AlipayIsv, admin, ali_isv, new_shop
from tests.integration.test_refunds import wait_until
from tests.support import invoke

__all__ = ["ali_isv"]  # fixture


def test_the_bound_token_is_the_one_alipay_issued_for_that_merchant(ali_isv: AlipayIsv):
    world, shop = ali_isv.world, ali_isv.a
    identity = ali_isv.identities["a"]
    secret = world.d.bindings.read_secret(shop.binding["binding_id"])
    assert ali_isv.sandbox.app_auth.resolve(ISV_APP_ID, secret["app_auth_token"]) == identity.app.app_id
    assert secret["expires_at"] == pytest.approx(world.clock() + 31536000, abs=5)
    assert "app_auth_token" not in json.dumps(shop.binding) and shop.binding["has_secret"] is True
    # a code is single use: binding it again is refused and writes nothing
    records = len(world.d.bindings.records())
    code = ali_isv.authorize(merchant(3))
    _, _, merchant_id = new_shop(world, "c")
    doc = {"merchant_id": merchant_id, "account_id": ali_isv.account.account_id, "alipay_auth_code": code}
    assert admin("admin_create_binding", doc)[0] == 201
    status, body = admin("admin_create_binding", {**doc, "merchant_id": shop.merchant_id})
    assert (status, body["error"]["code"]) == (502, "channel_rejected")
    assert len(world.d.bindings.records()) == records + 1


def test_the_scheduled_refresh_replaces_the_token_before_it_expires(ali_isv: AlipayIsv):
    world, shop = ali_isv.world, ali_isv.a
    binding_id = shop.binding["binding_id"]
    old = world.d.bindings.read_secret(binding_id)
    report = {r["binding_id"]: r["status"] for r in invoke("refresh_authorizations", {})["bindings"]}
    assert report[binding_id] == "fresh"
    world.clock.advance(340 * 86400)  # within 30 days of the token's 365-day life
    report = {r["binding_id"]: r["status"] for r in invoke("refresh_authorizations", {})["bindings"]}
    assert report == {binding_id: "refreshed", ali_isv.b.binding["binding_id"]: "refreshed"}
    new = world.d.bindings.read_secret(binding_id)
    assert new["app_auth_token"] != old["app_auth_token"] and new["expires_at"] > old["expires_at"]
    assert (
        ali_isv.sandbox.app_auth.resolve(ISV_APP_ID, new["app_auth_token"])
        == ali_isv.identities["a"].app.app_id
    )
    # past the old token's grace (Alipay invalidates a superseded token): payments still work,
    # so they use the refreshed token, re-read within a minute
    world.clock.advance(max(CACHE_SECONDS, ali_isv.sandbox.app_auth.superseded_grace) + 1)
    created = shop.create("alipay.qr")
    out_trade_no = world.d.payments.get(created["id"]).out_trade_no
    ali_isv.sandbox.pay(ali_isv.identities["a"].app.app_id, out_trade_no)
    shop.wait_paid(created["id"])


def test_a_cancelled_authorization_disables_the_binding_through_the_notice_route(ali_isv: AlipayIsv):
    world, shop = ali_isv.world, ali_isv.a
    gateway = f"{world.catcher.base_url}/v1/callbacks/alipay/{ali_isv.account.account_id}/authorization"
    ali_isv.sandbox.app_auth.set_gateway(ISV_APP_ID, gateway)
    ali_isv.sandbox.app_auth.revoke(ISV_APP_ID, ali_isv.identities["a"].app.app_id)
    wait_until(lambda: any(a.status for a in ali_isv.sandbox.notify_log))
    (attempt,) = [a for a in ali_isv.sandbox.notify_log if a.status]
    assert (attempt.status, (attempt.body or "").strip()) == (200, "success")  # acknowledged
    stored = world.d.bindings.record(shop.binding["binding_id"])
    assert (stored.enabled, stored.updated_by) == (False, NOTICE_ACTOR)
    assert world.d.bindings.record(ali_isv.b.binding["binding_id"]).enabled  # B's is untouched
    world.clock.advance(CACHE_SECONDS + 1)
    status, body = shop.call(
        "create_payment.json",
        body={
            "amount": 100,
            "currency": "CNY",
            "method": "alipay.qr",
            "subject": "x",
            "merchant_order_no": "ORD-revoked",
            "notify_url": world.notify_url,
        },
    )
    assert (status, body["error"]["code"]) == (503, "channel_unavailable")
    # the refresh schedule skips the disabled binding
    report = [r["binding_id"] for r in invoke("refresh_authorizations", {})["bindings"]]
    assert shop.binding["binding_id"] not in report


def test_ops_merchants_bind_with_a_code_from_the_sandbox(
    ali_isv: AlipayIsv, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
):
    world = ali_isv.world
    for name, value in world.stack.env.items():
        monkeypatch.setenv(name, value)
    _, _, merchant_id = new_shop(world, "ops")
    code = ali_isv.authorize(merchant(4))
    argv = ["merchants", "bind", merchant_id, "--account", ali_isv.account.account_id]
    assert main([*argv, "--alipay-auth-code", code]) == 0
    captured = capsys.readouterr()  # stdout: the binding alone; the audit line goes to stderr
    printed: dict[str, Any] = json.loads(captured.out)
    assert '"audit":"binding.created"' in captured.err
    assert (printed["sub_mchid"], printed["sub_appid"]) == (merchant(4).app.pid, merchant(4).app.app_id)
    assert "app_auth_token" not in json.dumps(printed)
    token = world.d.bindings.read_secret(printed["binding_id"])["app_auth_token"]
    assert ali_isv.sandbox.app_auth.resolve(ISV_APP_ID, token) == merchant(4).app.app_id
