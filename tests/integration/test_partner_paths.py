"""Provider mode's other paths through the real handlers and sandboxes, beyond the lifecycle:
a lost callback recovered by the sweeper's active query, a synchronous query, a close through
the API and an expired order closed by the sweeper, each acting for the payment's own binding
(the sub-merchant without an app of its own included: payer sp_openid)."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from paymux.services.refund_outcomes import ABNORMAL_CHECK_EVERY, LATER_CHECK_EVERY
from tests.integration.conftest import World
from tests.integration.partner_world import AlipayIsv, Shop, WeChatPartner, ali_isv, wx_partner
from tests.integration.test_refunds import wait_until
from tests.support import run_sweeper
from tests.wechat_partner import SP_MCHID, SUB_B

__all__ = ["ali_isv", "wx_partner"]  # fixtures

OPENID = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"


def _get(shop: Shop, payment_id: str, query: str = "") -> dict[str, Any]:
    status, body = shop.call(
        "get_payment.json",
        path=f"/v1/payments/{payment_id}",
        path_params={"payment_id": payment_id},
        query=query,
    )
    assert status == 200, body
    return body


def _close(shop: Shop, payment_id: str) -> dict[str, Any]:
    status, body = shop.call(
        "close_payment.json", path=f"/v1/payments/{payment_id}/close", path_params={"payment_id": payment_id}
    )
    assert status == 200, body
    return body


def _lost_callback_recovered(world: World, shop: Shop, payment_id: str, pay: Any) -> None:
    world.catcher.forward = False  # the channel's callbacks are lost
    pay()
    world.clock.advance(61)
    assert run_sweeper()["queried"] == 1
    assert world.d.payments.get(payment_id).status == "SUCCESS"
    actors = [e["actor"] for e in world.d.payments.events(payment_id) if e["type"] == "payment.succeeded"]
    assert actors == ["active_query"]
    world.catcher.forward = True


def test_wechat_partner_query_close_and_sweeps_act_for_the_payments_sub_merchant(wx_partner: WeChatPartner):
    world, shop = wx_partner.world, wx_partner.b  # SUB_B: no app of its own, payer sp_openid
    created = shop.create("wechat.jsapi", payer={"openid": OPENID})
    out_trade_no = world.d.payments.get(created["id"]).out_trade_no
    assert world.sandbox.orders[out_trade_no]["sub_mchid"] == SUB_B
    assert _get(shop, created["id"], "sync=true")["status"] == "PROCESSING"  # queried: NOTPAY
    _lost_callback_recovered(
        world, shop, created["id"], lambda: world.sandbox.pay(SP_MCHID, out_trade_no, openid=OPENID)
    )

    other = shop.create("wechat.native")
    assert _close(shop, other["id"])["status"] == "CLOSED"
    assert world.sandbox.orders[world.d.payments.get(other["id"]).out_trade_no]["trade_state"] == "CLOSED"

    expiring = shop.create("wechat.native", expires_in=60)
    world.clock.advance(61)
    assert run_sweeper()["expired_closed"] == 1
    closed_no = world.d.payments.get(expiring["id"]).out_trade_no
    assert world.sandbox.orders[closed_no]["trade_state"] == "CLOSED"
    assert world.d.payments.get(expiring["id"]).status == "CLOSED"


def _payer_opens(isv: AlipayIsv, app_id: str, created: dict[str, Any], out_trade_no: str) -> None:
    """The payer scans the QR code or opens the cashier: the trade exists at Alipay."""
    if created["action"]["type"] == "redirect":
        assert requests.get(created["action"]["url"], timeout=5).status_code == 200
    else:
        isv.sandbox.scan(app_id, out_trade_no)


@pytest.mark.parametrize("method", ["alipay.qr", "alipay.wap"])
def test_alipay_isv_query_close_and_sweeps_act_for_the_payments_merchant(ali_isv: AlipayIsv, method: str):
    world, shop = ali_isv.world, ali_isv.b
    app_id = ali_isv.identities["b"].app.app_id
    extra = {"return_url": "https://shop.example.com/paid"} if method == "alipay.wap" else {}
    created = shop.create(method, **extra)
    out_trade_no = world.d.payments.get(created["id"]).out_trade_no
    _payer_opens(ali_isv, app_id, created, out_trade_no)
    assert _get(shop, created["id"], "sync=true")["status"] == "PROCESSING"
    _lost_callback_recovered(world, shop, created["id"], lambda: ali_isv.sandbox.pay(app_id, out_trade_no))
    assert ali_isv.sandbox.trades[out_trade_no]["app_id"] == app_id

    other = shop.create(method, **extra)
    other_no = world.d.payments.get(other["id"]).out_trade_no
    _payer_opens(ali_isv, app_id, other, other_no)
    assert _close(shop, other["id"])["status"] == "CLOSED"

    expiring = shop.create(method, expires_in=60, **extra)
    world.clock.advance(61)
    assert run_sweeper()["expired_closed"] == 1
    assert world.d.payments.get(expiring["id"]).status == "CLOSED"


def test_wechat_partner_abnormal_refund_and_a_lost_refund_callback_settle_by_query(wx_partner: WeChatPartner):
    """A partner refund whose callback is lost is settled by the sweeper's refund query (for
    the sub-merchant); an ABNORMAL one (its REFUND.ABNORMAL callback received) is re-issued in
    the portal and settled by the hourly query."""
    world, shop = wx_partner.world, wx_partner.a
    world.sandbox.auto_complete_refunds = False
    created = shop.create("wechat.native", amount=1000)
    out_trade_no = world.d.payments.get(created["id"]).out_trade_no
    world.sandbox.pay(SP_MCHID, out_trade_no)
    shop.wait_paid(created["id"])
    lost = shop.refund(created["id"], 300)
    abnormal = shop.refund(created["id"], 700)
    assert {lost["status"], abnormal["status"]} == {"PROCESSING"}
    lost_no, abnormal_no = (world.d.refunds.get(r["id"]).out_refund_no for r in (lost, abnormal))
    world.sandbox.abnormal_refund(SP_MCHID, abnormal_no)
    wait_until(lambda: world.d.refunds.get(abnormal["id"]).status == "ABNORMAL")  # its callback
    world.catcher.forward = False
    world.sandbox.complete_refunds(SP_MCHID)  # the lost one succeeds; its callback is lost
    world.clock.advance(LATER_CHECK_EVERY + 1)  # an accepted refund is next checked 10 min on
    report = run_sweeper()
    assert report["refunds_queried"] == 1, report
    assert world.d.refunds.get(lost["id"]).status == world.sandbox.refunds[lost_no]["status"] == "SUCCESS"
    world.sandbox.reissue_from_portal(SP_MCHID, abnormal_no)
    world.sandbox.complete_refunds(SP_MCHID)
    world.clock.advance(ABNORMAL_CHECK_EVERY + 1)
    assert run_sweeper()["refunds_queried"] == 1
    assert world.d.refunds.get(abnormal["id"]).status == "SUCCESS"
    payment = world.d.payments.get(created["id"])
    assert (payment.status, payment.amount_refunded) == ("REFUNDED", 1000)
