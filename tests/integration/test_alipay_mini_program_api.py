"""alipay.mini_program through the API against the Alipay sandbox: the payer's open_id from the
mini program's my.getAuthCode (exchanged by the account's channel), the create answers the
my.tradePay action, the mini program pays and the notify settles the payment; without
payer.openid, or with a fallback of another family, nothing is written."""

from __future__ import annotations

import requests

from tests.integration.conftest import Alipay, World
from tests.support import wait_until


def test_a_mini_program_payment_through_the_api(world: World, alipay: Alipay) -> None:
    code = alipay.sandbox.mini_programs.get_auth_code(alipay.app_id)
    channel = world.d.channel(world.d.channel_config.account(alipay.account_id))
    open_id = channel.payer_identity(code)  # what the merchant's server gets from the auth_code

    status, created = world.create(method="alipay.mini_program", payer={"openid": open_id})
    assert status == 201 and created["status"] == "PROCESSING", created
    payment = world.d.payments.get(created["id"])
    trade = alipay.sandbox.trades[payment.out_trade_no]
    assert (trade["product_code"], trade["app_id"]) == ("JSAPI_PAY", alipay.app_id)
    assert created["action"] == {
        "type": "alipay_mini_program",
        "trade_no": trade["trade_no"],
        "out_trade_no": payment.out_trade_no,
    }

    url = f"{alipay.sandbox.base_url}/sandbox/mini-program/trade-pay"
    paid = requests.post(url, json={"app_id": alipay.app_id, "trade_no": trade["trade_no"]}, timeout=5)
    assert paid.json()["resultCode"] == "9000"
    wait_until(lambda: world.d.payments.get(created["id"]).status == "SUCCESS")
    assert world.get(created["id"])[1]["status"] == "SUCCESS"


def test_without_the_payer_or_with_another_familys_fallback_nothing_is_written(
    world: World, alipay: Alipay
) -> None:
    status, answer = world.create(method="alipay.mini_program", merchant_order_no="ORD-MINI-NONE")
    assert status == 422 and answer["error"]["details"][0]["field"] == "payer.openid", answer
    status, answer = world.create(
        method="alipay.mini_program",
        merchant_order_no="ORD-MINI-NONE",
        payer={"openid": "074a1CcTG1LelxKe4xQC0zgNdId0nxi95b5lsNpazWYoCo5"},
        fallback_methods=["alipay.jsapi"],  # a page in the Alipay app is not a mini program
    )
    assert status == 422 and answer["error"]["details"][0]["field"] == "fallback_methods", answer
    status, _ = world.call("get_payment_by_merchant_order_no.json", query="merchant_order_no=ORD-MINI-NONE")
    assert status == 404
    assert alipay.sandbox.trades == {}
