"""Funds are never pooled: a merchant's payments go only to its own direct accounts and its
bindings; every attempt remembers its binding, and everything later (callback, query, close,
refund, reconciliation) uses that binding and no other merchant's.

Provider mode is exercised through `partner_channel` (the provider's platform, its key signing
for every sub-merchant: CHANNELS), and the callback guarantee also through the real WeChat Pay
partner and Alipay third-party-application channels, whose sandboxes sign the messages
(`partner_world`'s fixtures)."""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from paymux.channels.base import ChannelAccount, CreateRequest
from paymux.services import bindings
from paymux.services.reconciliation import default_day, reconcile_day
from paymux.services.routes import route_channel
from paymux.services.routing import Route
from paymux.store.dynamo import from_item
from paymux.store.merchants import MerchantApp
from paymux.store.payments import Outcome
from tests.integration.conftest import World, callback_event
from tests.integration.partner_channel import PartnerPlatform, install
from tests.integration.partner_world import AlipayIsv, WeChatPartner, ali_isv, wx_partner
from tests.integration.test_refunds import wait_until
from tests.support import invoke
from tests.wechat_partner import SP_MCHID, SUB_A, SUB_B

__all__ = ["ali_isv", "wx_partner"]  # the real provider-mode fixtures

ACTOR = "arn:aws:iam::123456789012:user/ops"


@dataclass
class Provider:
    """A provider-mode account with two merchants bound to it as sub-merchants A and B."""

    world: World
    platform: PartnerPlatform
    account: ChannelAccount
    a_app: str
    b_app: str
    b_secret: str
    bindings: dict[str, dict[str, Any]]

    def create_as_b(self, amount: int = 2500) -> dict[str, Any]:
        body = {
            "amount": amount,
            "currency": "CNY",
            "method": "wechat.native",
            "subject": "tea",
            "merchant_order_no": "ORD-" + secrets.token_hex(6),
            "notify_url": self.world.notify_url,
        }
        status, created = self.world.call(
            "create_payment.json", body=body, app_id=self.b_app, secret=self.b_secret
        )
        assert status == 201, created
        return created

    def post_callback(self, body: bytes) -> int:
        event = callback_event(self.account.account_id, self.platform.sign(body), body)
        return int(invoke("channel_callback", event)["statusCode"])


def partner_platform(world: World, account: ChannelAccount) -> PartnerPlatform:
    platform = PartnerPlatform()
    install(world.d, account.account_id, platform)
    return platform


CHANNELS: list[Callable[[World, ChannelAccount], PartnerPlatform]] = [partner_platform]


@pytest.fixture(params=CHANNELS, ids=lambda f: f.__name__)
def provider(world: World, request: pytest.FixtureRequest) -> Provider:
    d = world.d
    account = ChannelAccount(
        f"sp-{secrets.token_hex(3)}",
        "wechat",
        ("wechat.native",),
        "1900009999",
        "wxsp0000000000001",
        "https://api.mch.weixin.qq.com",
        priority=1,
        fee_rate="0",
        mode="provider",
    )
    d.channel_config.put_account(account, {})
    platform = request.param(world, account)
    apps = {}
    for name in ("a", "b"):
        app_id, secret = f"app_{name}_{secrets.token_hex(3)}", "sk_" + secrets.token_hex(16)
        d.merchants.put_app(MerchantApp(app_id=app_id, merchant_id=f"mch_{name}_{app_id[-6:]}"), secret)
        apps[name] = (app_id, secret)
    made = {}
    for name, sub in (("a", "SUBA001"), ("b", "SUBB002")):
        merchant = d.merchants.app(apps[name][0]).merchant_id
        doc = {
            "merchant_id": merchant,
            "account_id": account.account_id,
            "sub_mchid": sub,
            "sub_appid": f"wx{sub}",
        }
        made[name] = bindings.create_binding(d, doc, actor=ACTOR)
    return Provider(world, platform, account, apps["a"][0], apps["b"][0], apps["b"][1], made)


def test_a_bound_merchants_payment_routes_through_its_own_binding(provider: Provider):
    created = provider.create_as_b()
    payment = provider.world.d.payments.get(created["id"])
    b = provider.bindings["b"]
    assert (payment.account_id, payment.binding_id, payment.sub_mchid) == (
        provider.account.account_id,
        b["binding_id"],
        "SUBB002",
    )
    attempt = provider.world.d.payments.get_attempt(payment.out_trade_no)
    assert (attempt["binding_id"], attempt["sub_mchid"], attempt["sub_appid"]) == (
        b["binding_id"],
        "SUBB002",
        "wxSUBB002",
    )
    assert provider.platform.calls == [("create", "SUBB002", payment.out_trade_no)]
    # paid, the callback moves it; the refund goes to the same sub-merchant
    assert provider.post_callback(provider.platform.pay("SUBB002", payment.out_trade_no)) == 200
    assert provider.world.d.payments.get(created["id"]).status.value == "SUCCESS"
    status, refund = provider.world.call(
        "refund_payment.json",
        path=f"/v1/payments/{created['id']}/refunds",
        path_params={"payment_id": created["id"]},
        body={"amount": 100, "merchant_refund_no": "R-1"},
        app_id=provider.b_app,
        secret=provider.b_secret,
    )
    assert status == 201 and refund["status"] == "SUCCESS", refund
    assert provider.platform.calls[-1][:2] == ("refund", "SUBB002")


def test_a_callback_genuinely_signed_for_sub_merchant_a_never_moves_merchant_bs_order(provider: Provider):
    created = provider.create_as_b(amount=2500)
    payment = provider.world.d.payments.get(created["id"])
    # A's sub-merchant really was paid for an order with B's number (same amount): the provider
    # signs it, so it verifies; it is A's money, not B's payment.
    forged = provider.platform.paid_callback("SUBA001", payment.out_trade_no, 2500, "wxSUBA001")
    assert provider.post_callback(forged) != 200  # not acknowledged: operators look first
    after = provider.world.d.payments.get(created["id"])
    assert (after.status.value, after.version) == ("PROCESSING", payment.version)
    exceptions = exception_items(provider.world)
    assert [(e["kind"], e["subject"]) for e in exceptions] == [("trade_mismatch", payment.out_trade_no)]
    detail = json.loads(exceptions[0]["detail"])
    assert "sub-merchant id SUBA001 != SUBB002" in detail["reason"]
    assert (detail["merchant_id"], detail["binding_id"]) == (
        payment.merchant_id,
        provider.bindings["b"]["binding_id"],
    )
    # a paid notice that names no sub-merchant is not believed either
    unnamed = provider.platform.paid_callback("", payment.out_trade_no, 2500)
    assert provider.post_callback(unnamed) != 200
    assert provider.world.d.payments.get(created["id"]).status.value == "PROCESSING"
    # B's own callback does move it
    assert provider.post_callback(provider.platform.pay("SUBB002", payment.out_trade_no)) == 200
    assert provider.world.d.payments.get(created["id"]).status.value == "SUCCESS"


def test_an_attempt_whose_binding_is_not_its_merchants_is_never_queried_or_applied(provider: Provider):
    """A payment item naming another merchant's binding (a bug, a bad migration): refused in
    one place, so no query, close or callback goes through A's sub-merchant for B's order."""
    created = provider.create_as_b()
    d = provider.world.d
    payment = d.payments.get(created["id"])
    d.payments.transition(
        payment, payment.status, {"binding_id": provider.bindings["a"]["binding_id"]}, _no_event()
    )
    calls = len(provider.platform.calls)
    status, body = provider.world.call(
        "close_payment.json",
        path=f"/v1/payments/{created['id']}/close",
        path_params={"payment_id": created["id"]},
        app_id=provider.b_app,
        secret=provider.b_secret,
    )
    assert (status, body["error"]["code"]) == (503, "route_refused")
    assert len(provider.platform.calls) == calls  # nothing was sent to the channel
    assert d.payments.get(created["id"]).status.value == "PROCESSING"


def test_a_disabled_binding_takes_no_new_payments_within_60_seconds_but_settles_its_own(provider: Provider):
    created = provider.create_as_b()
    d = provider.world.d
    bindings.disable_binding(d, provider.bindings["b"]["binding_id"], actor=ACTOR)
    status, refused = provider.world.call(
        "create_payment.json",
        body={
            "amount": 1,
            "currency": "CNY",
            "method": "wechat.native",
            "subject": "x",
            "merchant_order_no": "ORD-off",
            "notify_url": provider.world.notify_url,
        },
        app_id=provider.b_app,
        secret=provider.b_secret,
    )
    assert status == 503 and refused["error"]["code"] == "channel_unavailable"
    payment = d.payments.get(created["id"])
    assert provider.post_callback(provider.platform.pay("SUBB002", payment.out_trade_no)) == 200
    assert d.payments.get(created["id"]).status.value == "SUCCESS"


def test_reconciliation_is_per_sub_merchant(provider: Provider):
    created = provider.create_as_b()
    d = provider.world.d
    payment = d.payments.get(created["id"])
    provider.post_callback(provider.platform.pay("SUBB002", payment.out_trade_no))
    paid = d.payments.get(created["id"])
    day = default_day(paid.paid_at + 86400)
    summary = reconcile_day(d, day).to_dict()
    mine = [a for a in summary["accounts"] if a["account_id"] == provider.account.account_id]
    by_binding = {a["binding_id"]: a for a in mine}
    a_id, b_id = provider.bindings["a"]["binding_id"], provider.bindings["b"]["binding_id"]
    assert set(by_binding) == {a_id, b_id}
    assert by_binding[b_id]["merchant_id"] == paid.merchant_id
    assert by_binding[b_id]["counts"]["payment"]["matched"] == 1
    assert (
        by_binding[a_id]["counts"]["payment"]["matched"] == 0
        and by_binding[a_id]["totals"]["local_paid"] == 0
    )
    assert by_binding[b_id]["statement"]["key"].startswith(
        f"statements/wechat/{provider.account.account_id}/{b_id}/"
    )
    fetched = [c for c in provider.platform.calls if c[0] == "fetch_statement"]
    assert sorted(c[1] for c in fetched) == ["SUBA001", "SUBB002"]


def exception_items(world: World) -> list[dict[str, Any]]:
    page = world.d.dynamodb.scan(TableName=world.d.settings.table)
    items = [from_item(i) for i in page["Items"]]
    return [i for i in items if str(i["PK"]).startswith("EXC#")]


def _no_event() -> Any:
    return Outcome("payment.corrupted_for_test", "test", {})


# The same guarantee with the real provider-mode channels, each against its sandbox: the
# sandbox itself signs a paid message for sub-merchant A that names merchant B's order.


def _refused_once_recorded(world: World, payment: Any, reason: str) -> list[dict[str, Any]]:
    after = world.d.payments.get(payment.payment_id)
    assert (after.status.value, after.version) == ("PROCESSING", payment.version)
    exceptions = exception_items(world)
    assert {(e["kind"], e["subject"]) for e in exceptions} == {("trade_mismatch", payment.out_trade_no)}
    detail = json.loads(exceptions[0]["detail"])
    assert reason in detail["reason"], detail
    assert (detail["merchant_id"], detail["binding_id"]) == (payment.merchant_id, payment.binding_id)
    return exceptions


def test_wechat_partner_a_callback_signed_by_the_sandbox_for_sub_merchant_a_never_moves_bs_order(
    wx_partner: WeChatPartner,
):
    world = wx_partner.world
    created = wx_partner.b.create("wechat.native", amount=2500)
    payment = world.d.payments.get(created["id"])
    assert payment.sub_mchid == SUB_B
    # WeChat signs (and encrypts with the provider's APIv3 key) a paid Transaction whose
    # sub-merchant is A: it verifies, and it is A's money, not B's payment.
    world.sandbox.misreport(SP_MCHID, payment.out_trade_no, lambda t: {**t, "sub_mchid": SUB_A})
    world.sandbox.pay(SP_MCHID, payment.out_trade_no)
    answers = wait_until(lambda: [a.status for a in world.sandbox.callback_log if a.status and not a.probe])
    assert answers and 200 not in answers  # never acknowledged: the sandbox keeps retrying
    _refused_once_recorded(world, payment, f"sub-merchant id {SUB_A} != {SUB_B}")
    # once WeChat reports the truth, B's own callback moves it
    world.sandbox.misreport(SP_MCHID, payment.out_trade_no, None)
    status, queried = wx_partner.b.call(
        "get_payment.json",
        path=f"/v1/payments/{created['id']}",
        path_params={"payment_id": created["id"]},
        query="sync=true",
    )
    assert (status, queried["status"]) == (200, "SUCCESS")


def test_alipay_isv_a_notify_for_merchant_as_own_trade_never_moves_bs_order(ali_isv: AlipayIsv):
    """Merchant A's Alipay account really has a trade numbered like B's order (through A's
    app_auth_token); Alipay's notify of it, genuinely signed, reaches B's order's callback path."""
    world = ali_isv.world
    created = ali_isv.b.create("alipay.qr", amount=2500)
    payment = world.d.payments.get(created["id"])
    a_binding = world.d.bindings.binding(ali_isv.a.binding["binding_id"])
    as_a = route_channel(world.d, Route(ali_isv.account, a_binding))
    notify_url = f"{world.catcher.base_url}/v1/callbacks/alipay/{ali_isv.account.account_id}"
    as_a.create(
        CreateRequest(payment.out_trade_no, "alipay.qr", 2500, "CNY", "tea", notify_url, world.clock() + 900)
    )
    ali_isv.sandbox.pay(ali_isv.identities["a"].app.app_id, payment.out_trade_no)
    answers = wait_until(lambda: [a.status for a in ali_isv.sandbox.notify_log if a.status])
    assert answers and all(a.body != "success" for a in ali_isv.sandbox.notify_log), answers
    a_sub = ali_isv.a.binding["sub_mchid"]
    _refused_once_recorded(world, payment, f"{a_sub} != {ali_isv.b.binding['sub_mchid']}")
    # B's own payment still goes through
    ali_isv.sandbox.pay(ali_isv.identities["b"].app.app_id, payment.out_trade_no)
    ali_isv.b.wait_paid(created["id"])


@pytest.mark.parametrize(
    ("field", "value", "kind"),
    [("sub_mchid", None, "incomplete_trade"), ("sub_appid", "wxSOMEONEELSE00001", "trade_mismatch")],
    ids=["no-sub-merchant", "another-sub-appid"],
)
def test_wechat_partner_a_signed_callback_naming_no_or_another_sub_app_is_not_believed(
    wx_partner: WeChatPartner, field: str, value: str | None, kind: str
):
    world = wx_partner.world
    created = wx_partner.a.create("wechat.native", amount=2500)
    payment = world.d.payments.get(created["id"])

    def change(transaction: dict[str, Any]) -> dict[str, Any]:
        changed = {k: v for k, v in transaction.items() if k != field}
        return changed if value is None else {**changed, field: value}

    world.sandbox.misreport(SP_MCHID, payment.out_trade_no, change)
    world.sandbox.pay(SP_MCHID, payment.out_trade_no)
    answers = wait_until(lambda: [a.status for a in world.sandbox.callback_log if a.status and not a.probe])
    assert 200 not in answers
    after = world.d.payments.get(created["id"])
    assert (after.status.value, after.version) == ("PROCESSING", payment.version)
    assert {(e["kind"], e["subject"]) for e in exception_items(world)} == {(kind, payment.out_trade_no)}


def test_alipay_isv_a_notify_naming_another_authorizing_app_never_moves_the_order(ali_isv: AlipayIsv):
    world = ali_isv.world
    created = ali_isv.b.create("alipay.qr", amount=2500)
    payment = world.d.payments.get(created["id"])
    b_app, a_app = ali_isv.identities["b"].app.app_id, ali_isv.identities["a"].app.app_id
    ali_isv.sandbox.misreport(b_app, payment.out_trade_no, lambda f: {**f, "auth_app_id": a_app})
    ali_isv.sandbox.pay(b_app, payment.out_trade_no)
    wait_until(lambda: [a for a in ali_isv.sandbox.notify_log if a.status])
    assert all(a.body != "success" for a in ali_isv.sandbox.notify_log)
    after = world.d.payments.get(created["id"])
    assert (after.status.value, after.version) == ("PROCESSING", payment.version)
    assert {(e["kind"], e["subject"]) for e in exception_items(world)} == {
        ("trade_mismatch", payment.out_trade_no)
    }
