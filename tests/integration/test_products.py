"""Every product of the registry, through the real handlers against its provider's sandbox:
create (with what the payer needs), the payer pays, the callback is accepted, a synchronous
query agrees, a partial refund succeeds, and another order of the product closes."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from paymux.api.resources import PaymentResource
from paymux.channels.base import TradeState
from paymux.channels.registry import catalog
from tests.integration.conftest import Alipay, World
from tests.integration.huifu_world import HuifuWorld, huifu_beside
from tests.integration.test_refunds import get_refund, refund, wait_until
from tests.integration.unionpay_world import UnionPayWorld, unionpay_beside

OPENID = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"
PAYER: dict[str, dict[str, Any]] = {
    "wechat.jsapi": {"payer": {"openid": OPENID}},
    "wechat.mini_program": {"payer": {"openid": OPENID}},
    "wechat.h5": {"payer": {"client_ip": "203.0.113.7", "h5_type": "iOS"}},
    "alipay.page": {"return_url": "https://shop.example.com/paid"},
    "alipay.wap": {"return_url": "https://shop.example.com/paid"},
    "unionpay.gateway": {"return_url": "https://shop.example.com/paid"},
    "unionpay.wap": {"return_url": "https://shop.example.com/paid"},
    "alipay.jsapi": {"payer": {"openid": "2088102177846880"}},  # a user_id (apps before open_id)
    "unionpay.b2b": {"return_url": "https://shop.example.com/paid"},
    "alipay.mini_program": {"payer": {"openid": "074a1CcTG1LelxKe4xQC0zgNdId0nxi95b5lsNpazWYoCo5"}},
}
PAYER_CODES = iter(range(134567890000000000, 134567890099999999))
ACTION = {
    "wechat.native": "qr_code",
    "wechat.jsapi": "wechat_jsapi",
    "wechat.mini_program": "wechat_jsapi",
    "wechat.h5": "redirect",
    "wechat.app": "wechat_app",
    "alipay.qr": "qr_code",
    "alipay.page": "redirect",
    "alipay.wap": "redirect",
    "alipay.app": "alipay_app",
    "unionpay.qr": "qr_code",
    "unionpay.barcode": "payer_code",
    "wechat.barcode": "payer_code",
    "alipay.barcode": "payer_code",
    "unionpay.gateway": "form_post",
    "unionpay.wap": "form_post",
    "ecny.qr": "qr_code",
    "ecny.barcode": "payer_code",
    "alipay.jsapi": "alipay_jsapi",
    "unionpay.app": "unionpay_app",
    "unionpay.b2b": "form_post",
    "alipay.mini_program": "alipay_mini_program",
}
PROVIDER = {"ecny": "huifu"}  # a product family reached through an acquirer
PRODUCTS = sorted(row["product"] for row in catalog())


def test_every_registered_product_is_covered_here():
    assert sorted(ACTION) == PRODUCTS


def _merchant_public_key(world: World) -> rsa.RSAPublicKey:
    pem = world.d.channel_config.credentials(world.account_id)["merchant_private_key_pem"]
    key = serialization.load_pem_private_key(pem.encode(), password=None)
    assert isinstance(key, rsa.RSAPrivateKey)
    return key.public_key()


def _check_front_end_signature(world: World, action: dict[str, Any]) -> None:
    """WeChat checks paySign/sign against the merchant's certificate: appid, timestamp, nonce
    and package (JSAPI: "prepay_id=…"; APP: the bare prepay id), one per line."""
    if action["type"] == "wechat_jsapi":
        lines = [action["appId"], action["timeStamp"], action["nonceStr"], action["package"]]
        signature = action["paySign"]
        assert action["package"] == f"prepay_id={action['prepay_id']}" and action["signType"] == "RSA"
    else:
        lines = [action["appid"], action["timestamp"], action["noncestr"], action["prepayid"]]
        signature = action["sign"]
        assert (action["partnerid"], action["package"]) == (world.mchid, "Sign=WXPay")
    assert lines[0] == world.appid
    message = ("\n".join(lines) + "\n").encode()
    _merchant_public_key(world).verify(
        base64.b64decode(signature), message, padding.PKCS1v15(), hashes.SHA256()
    )


@pytest.fixture
def unionpay(world: World) -> Iterator[UnionPayWorld]:
    yield from unionpay_beside(world)


@pytest.fixture
def huifu(world: World) -> Iterator[HuifuWorld]:
    yield from huifu_beside(world)


def _inputs(method: str, unionpay: UnionPayWorld, huifu: HuifuWorld) -> dict[str, Any]:
    """What the create needs; a payer code whose outcome its wallet leaves unknown until paid
    (WeChat Pay USERPAYING, Alipay 10003: the codes' last digits, see the sandboxes)."""
    if method == "wechat.barcode":
        return {"payer": {"auth_code": f"13{next(PAYER_CODES) % 10**14:014d}02"}}
    if method == "alipay.barcode":
        return {"payer": {"auth_code": f"28{next(PAYER_CODES) % 10**14:014d}02"}}
    if method not in ("unionpay.barcode", "ecny.barcode"):
        return PAYER.get(method, {})
    code = str(next(PAYER_CODES))
    if method == "ecny.barcode":
        huifu.sandbox.script_payer_code(code, "P")  # the payer confirms in the wallet
    else:
        unionpay.sandbox.script_payer_code(code, "04")
    return {"payer": {"auth_code": code}}


def _pay(
    world: World,
    alipay: Alipay,
    unionpay: UnionPayWorld,
    huifu: HuifuWorld,
    method: str,
    action: dict[str, Any],
    out_trade_no: str,
) -> None:
    if method.startswith("ecny."):
        huifu.sandbox.pay(out_trade_no)
    elif method.startswith("unionpay."):
        if action["type"] == "form_post":  # the payer's browser posts the form to UnionPay
            assert requests.post(action["url"], data=action["fields"], timeout=5).status_code == 200
        unionpay.sandbox.pay(out_trade_no)
    elif method == "wechat.barcode":  # the payer confirms; no notification: a query tells
        world.sandbox.confirm_payer_code(world.mchid, out_trade_no)
    elif method.startswith("wechat."):
        world.sandbox.pay(world.mchid, out_trade_no, openid=OPENID)
    elif method == "alipay.app":
        assert alipay.sandbox.pay_app_order(action["order_string"])["resultStatus"] == "9000"
    else:
        if action["type"] == "redirect":  # the payer's browser opens Alipay's cashier first
            assert requests.get(action["url"], timeout=5).status_code == 200
        alipay.sandbox.pay(alipay.app_id, out_trade_no)


@pytest.mark.parametrize("method", PRODUCTS)
def test_product_lifecycle_against_its_sandbox(
    world: World, alipay: Alipay, unionpay: UnionPayWorld, huifu: HuifuWorld, method: str
):
    status, created = world.create(method=method, amount=2000, **_inputs(method, unionpay, huifu))
    assert status == 201 and created["status"] == "PROCESSING", created
    assert PaymentResource.model_validate(created).action is not None  # the documented shape
    action = created["action"]
    assert action["type"] == ACTION[method]
    if action["type"] in ("wechat_jsapi", "wechat_app"):
        _check_front_end_signature(world, action)
    payment = world.d.payments.get(created["id"])
    family = method.split(".", maxsplit=1)[0]
    assert payment.provider == PROVIDER.get(family, family)

    _pay(world, alipay, unionpay, huifu, method, action, payment.out_trade_no)
    if method == "wechat.barcode":  # no notification for a payer code: the ladder's query tells
        world.get(created["id"], query="sync=true")
    wait_until(lambda: world.d.payments.get(created["id"]).status == "SUCCESS")  # callback accepted
    assert world.get(created["id"], query="sync=true")[1]["status"] == "SUCCESS"
    channel = world.d.channel(world.d.channel_config.account(payment.account_id))
    trade = channel.query(payment.out_trade_no)
    assert (trade.state, trade.amount) == (TradeState.PAID, 2000)

    status, partial = refund(world, created["id"], 500)
    assert status == 201
    wait_until(lambda: get_refund(world, partial["id"])[1]["status"] == "SUCCESS")
    assert world.get(created["id"])[1]["amount_refunded"] == 500

    status, other = world.create(method=method, **_inputs(method, unionpay, huifu))
    assert status == 201
    status, closed = world.close(other["id"])
    if (
        method.startswith("ecny.") or method == "unionpay.barcode"
    ):  # Huifu closes no e-CNY order: payable until its expiry
        assert status == 409 and closed["error"]["code"] == "payment_outcome_unknown", closed
        assert world.get(other["id"])[1]["status"] == "PROCESSING"
    elif method in ("unionpay.gateway", "unionpay.wap", "unionpay.b2b"):  # forms: taken until payTimeout
        assert status == 409 and closed["error"]["code"] == "payment_outcome_unknown", closed
        assert world.get(other["id"])[1]["status"] in ("PENDING", "PROCESSING")
    elif method in ("wechat.barcode", "alipay.barcode"):  # no reversal within 30 s of the pay call
        assert status == 409 and closed["error"]["code"] == "payment_outcome_unknown", closed
        world.clock.advance(31)
        status, closed = world.close(other["id"])
        assert status == 200 and closed["status"] == "CLOSED"
    else:
        assert status == 200 and closed["status"] == "CLOSED"
