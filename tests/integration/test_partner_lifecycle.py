"""Issue 11's "must show", per product in provider mode through the real handlers and the real
sandboxes: a merchant bound to paymux's WeChat Pay 服务商 account (all five products) or
Alipay third-party application (all four) creates through the signed API → the payer pays at
the sandbox → the sandbox's signed callback/notify reaches channel_callback → a refund through
the API → its callback → the day's bill of that provider account and binding reconciles with
no discrepancy. The attempt remembers its binding, the sandbox saw the sub-merchant, the
merchant is notified once per event."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from tests.integration.conftest import World, notification_bodies
from tests.integration.partner_world import (
    AlipayIsv,
    Shop,
    WeChatPartner,
    ali_isv,
    binding_run,
    reconcile_paid_day,
    wx_partner,
)
from tests.integration.test_refunds import wait_until
from tests.wechat_partner import SP_APPID, SP_MCHID, SUB_A, SUB_A_APPID

__all__ = ["ali_isv", "wx_partner"]  # fixtures

OPENID = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"
WECHAT: dict[str, dict[str, Any]] = {
    "wechat.native": {},
    "wechat.jsapi": {"payer": {"openid": OPENID}},
    "wechat.mini_program": {"payer": {"openid": OPENID}},
    "wechat.h5": {"payer": {"client_ip": "203.0.113.7", "h5_type": "iOS"}},
    "wechat.app": {},
}
ALIPAY: dict[str, dict[str, Any]] = {
    "alipay.qr": {},
    "alipay.page": {"return_url": "https://shop.example.com/paid"},
    "alipay.wap": {"return_url": "https://shop.example.com/paid"},
    "alipay.app": {},
}


def _attempt_is_the_bindings(world: World, shop: Shop, payment_id: str, sub_mchid: str) -> Any:
    payment = world.d.payments.get(payment_id)
    assert (payment.binding_id, payment.sub_mchid) == (shop.binding["binding_id"], sub_mchid)
    attempt = world.d.payments.get_attempt(payment.out_trade_no)
    assert (attempt["binding_id"], attempt["sub_mchid"]) == (shop.binding["binding_id"], sub_mchid)
    return payment


def _refund_and_notifications(world: World, shop: Shop, payment_id: str) -> str:
    refund = shop.refund(payment_id, 500)
    wait_until(lambda: shop.refund_status(refund["id"]) == "SUCCESS")
    return str(refund["id"])


def _notified_once(world: World, payment_id: str, refund_id: str) -> None:
    world.run_notifier()
    sent = [(b["type"], b["data"]["object"]["id"]) for b in notification_bodies(world.merchant_endpoint)]
    assert sent.count(("payment.succeeded", payment_id)) == 1, sent
    assert sent.count(("refund.succeeded", refund_id)) == 1, sent
    assert {t for t, _ in sent} <= {"payment.succeeded", "refund.succeeded"}, sent


def _bill_reconciles(world: World, account_id: str, shop: Shop, paid_at: float) -> dict[str, Any]:
    _, summary = reconcile_paid_day(world, paid_at)
    run = binding_run(summary, account_id, shop.binding["binding_id"])
    assert run["merchant_id"] == shop.merchant_id
    assert run["error"] is None, run
    for kind in ("payment", "refund"):  # matched, and nothing else
        assert {c: n for c, n in run["counts"][kind].items() if n} == {"matched": 1}, run
    assert (summary["discrepancies"], summary["failed_accounts"]) == (0, []), summary
    return run


@pytest.mark.parametrize("method", sorted(WECHAT))
def test_wechat_partner_lifecycle_per_product(wx_partner: WeChatPartner, method: str):
    world, shop = wx_partner.world, wx_partner.a
    created = shop.create(method, **WECHAT[method])
    assert created["status"] == "PROCESSING", created
    payment = _attempt_is_the_bindings(world, shop, created["id"], SUB_A)
    assert payment.account_id == wx_partner.account.account_id
    order = world.sandbox.orders[payment.out_trade_no]  # placed on the partner API for SUB_A
    assert (order["sp_mchid"], order["sp_appid"], order["sub_mchid"], order["sub_appid"]) == (
        SP_MCHID,
        SP_APPID,
        SUB_A,
        SUB_A_APPID,
    )

    world.sandbox.pay(SP_MCHID, payment.out_trade_no, openid=OPENID)
    shop.wait_paid(created["id"])  # the sandbox's signed partner callback was accepted
    paid = world.d.payments.get(created["id"])
    assert paid.channel_trade_no == world.sandbox.orders[payment.out_trade_no]["transaction_id"]

    refund_id = _refund_and_notifications(world, shop, created["id"])
    sandbox_refund = world.sandbox.refunds[world.d.refunds.get(refund_id).out_refund_no]
    assert sandbox_refund["status"] == "SUCCESS" and sandbox_refund["amount"]["refund"] == 500
    assert world.sandbox.orders[payment.out_trade_no]["refunded_amount"] == 500  # SUB_A's order
    _notified_once(world, created["id"], refund_id)
    run = _bill_reconciles(world, wx_partner.account.account_id, shop, paid.paid_at)
    assert run["statement"]["key"].startswith(
        f"statements/wechat/{wx_partner.account.account_id}/{shop.binding['binding_id']}/"
    )


def _alipay_pay(isv: AlipayIsv, method: str, action: dict[str, Any], out_trade_no: str) -> None:
    merchant_app = isv.identities["a"].app.app_id
    if method == "alipay.app":
        assert isv.sandbox.pay_app_order(action["order_string"])["resultStatus"] == "9000"
        return
    if action["type"] == "redirect":  # the payer's browser opens Alipay's cashier first
        assert requests.get(action["url"], timeout=5).status_code == 200
    isv.sandbox.pay(merchant_app, out_trade_no)


@pytest.mark.parametrize("method", sorted(ALIPAY))
def test_alipay_third_party_application_lifecycle_per_product(ali_isv: AlipayIsv, method: str):
    world, shop = ali_isv.world, ali_isv.a
    identity = ali_isv.identities["a"]
    assert (shop.binding["sub_mchid"], shop.binding["sub_appid"]) == (identity.app.pid, identity.app.app_id)
    created = shop.create(method, **ALIPAY[method])
    assert created["status"] == "PROCESSING", created
    payment = _attempt_is_the_bindings(world, shop, created["id"], identity.app.pid)
    _alipay_pay(ali_isv, method, created["action"], payment.out_trade_no)
    shop.wait_paid(created["id"])  # the sandbox's signed notify, auth_app_id checked, accepted
    # the sandbox resolved the merchant's app_auth_token: the trade is in the merchant's account
    trade = ali_isv.sandbox.trades[payment.out_trade_no]
    assert trade["app_id"] == identity.app.app_id and trade["trade_status"] == "TRADE_SUCCESS"
    paid = world.d.payments.get(created["id"])

    refund_id = _refund_and_notifications(world, shop, created["id"])
    assert ali_isv.sandbox.trades[payment.out_trade_no]["refunded_amount"] == "5.00"
    _notified_once(world, created["id"], refund_id)
    run = _bill_reconciles(world, ali_isv.account.account_id, shop, paid.paid_at)
    assert run["statement"]["key"].startswith(
        f"statements/alipay/{ali_isv.account.account_id}/{shop.binding['binding_id']}/"
    )
