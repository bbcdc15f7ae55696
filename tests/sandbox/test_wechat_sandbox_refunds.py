"""Refunds: limits, idempotency, PROCESSING → SUCCESS and the REFUND.SUCCESS callback."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import pytest
from wechat_sandbox_helpers import (
    MCHID,
    CallbackReceiver,
    RawSigner,
    client,
    native_order,
    verifies,
)
from wechatpayv3.utils import aes_decrypt

from sandbox.wechat import GeneratedMerchant, SandboxStateError, WeChatSandbox

REFUNDS = "/v3/refund/domestic/refunds"


def paid_order(sb: WeChatSandbox, signer: RawSigner, out_trade_no: str, total: int = 1000) -> str:
    assert signer.send("POST", "/v3/pay/transactions/native", native_order(out_trade_no, total))
    return str(sb.pay(MCHID, out_trade_no)["transaction_id"])


def refund_body(out_refund_no: str, refund: int, total: int = 1000, **extra: Any) -> dict:
    return {
        "out_trade_no": "ORDER_RF_0001",
        "out_refund_no": out_refund_no,
        "reason": "商品已售完",
        "amount": {"refund": refund, "total": total, "currency": "CNY"},
    } | extra


def test_refund_is_processing_then_success_and_queryable(
    sb: WeChatSandbox, identity: GeneratedMerchant
) -> None:
    # Given a paid order of 10.00 CNY
    transaction_id = paid_order(sb, RawSigner(identity, sb.base_url), "ORDER_RF_0001")
    pay = client(sb, identity)
    # When the merchant refunds 3.00 through wechatpayv3 (which verifies the answer)
    code, message = pay.refund(
        out_refund_no="REFUND_0001",
        amount={"refund": 300, "total": 1000, "currency": "CNY"},
        out_trade_no="ORDER_RF_0001",
    )
    # Then the answer is the Refund object, PROCESSING, for that transaction
    assert code == 200
    refund = json.loads(message)
    assert refund["status"] == "PROCESSING"
    assert re.fullmatch(r"503\d{26}", refund["refund_id"])
    assert refund["transaction_id"] == transaction_id
    assert refund["channel"] == "ORIGINAL"
    assert refund["amount"]["refund"] == 300
    assert refund["amount"]["total"] == 1000
    assert refund["amount"]["payer_refund"] == 300
    assert refund["amount"]["currency"] == "CNY"
    # And a query shows it completed
    code, message = pay.query_refund(out_refund_no="REFUND_0001")
    queried = json.loads(message)
    assert code == 200
    assert queried["status"] == "SUCCESS"
    assert queried["refund_id"] == refund["refund_id"]
    assert queried["success_time"].endswith("+08:00")
    assert sb.orders["ORDER_RF_0001"]["trade_state"] == "REFUND"
    assert sb.orders["ORDER_RF_0001"]["trade_state_desc"] == "订单发生过退款"
    assert sb.orders["ORDER_RF_0001"]["refunded_amount"] == 300


def test_refunds_beyond_the_order_total_are_rejected(sb: WeChatSandbox, raw: RawSigner) -> None:
    paid_order(sb, raw, "ORDER_RF_0001")
    assert raw.send("POST", REFUNDS, refund_body("REFUND_A", 600)).status_code == 200
    over = raw.send("POST", REFUNDS, refund_body("REFUND_B", 401))
    assert over.status_code == 400
    assert over.json() == {"code": "INVALID_REQUEST", "message": "申请退款金额超过订单可退金额"}
    assert verifies(sb, over.headers, over.text)  # authenticated errors are signed
    assert raw.send("POST", REFUNDS, refund_body("REFUND_C", 400)).status_code == 200
    assert sb.orders["ORDER_RF_0001"]["refunded_amount"] == 1000


def test_same_out_refund_no_returns_the_same_refund(sb: WeChatSandbox, raw: RawSigner) -> None:
    paid_order(sb, raw, "ORDER_RF_0001")
    first = raw.send("POST", REFUNDS, refund_body("REFUND_IDEM", 500)).json()
    again = raw.send("POST", REFUNDS, refund_body("REFUND_IDEM", 500)).json()
    assert again["refund_id"] == first["refund_id"]
    assert again["status"] == "SUCCESS"  # the stored refund, as it is now
    assert sb.orders["ORDER_RF_0001"]["refunded_amount"] == 500  # counted once
    changed = raw.send("POST", REFUNDS, refund_body("REFUND_IDEM", 501))
    assert (changed.status_code, changed.json()["code"]) == (400, "INVALID_REQUEST")


def test_refund_by_transaction_id(sb: WeChatSandbox, raw: RawSigner) -> None:
    transaction_id = paid_order(sb, raw, "ORDER_RF_0002")
    body = refund_body("REFUND_TXN", 1000)
    del body["out_trade_no"]
    response = raw.send("POST", REFUNDS, body | {"transaction_id": transaction_id})
    assert response.status_code == 200
    assert response.json()["out_trade_no"] == "ORDER_RF_0002"


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        (refund_body("REFUND_X", 1, out_trade_no="ORDER_NONE_1"), 404, "RESOURCE_NOT_EXISTS"),
        (refund_body("REFUND_X", 1, total=999), 400, "INVALID_REQUEST"),
        ({"out_refund_no": "REFUND_X", "amount": {"refund": 1, "total": 1000}}, 400, "PARAM_ERROR"),
        (refund_body("REFUND#X", 1), 400, "PARAM_ERROR"),
        (refund_body("REFUND_X", 1, amount={"refund": 1, "total": 1000, "currency": "CNY"})
         | {"out_trade_no": None}, 400, "PARAM_ERROR"),
    ],
)  # fmt: skip
def test_refund_request_errors(sb: WeChatSandbox, raw: RawSigner, body: dict, status: int, code: str) -> None:
    paid_order(sb, raw, "ORDER_RF_0001")
    body = {key: value for key, value in body.items() if value is not None}
    response = raw.send("POST", REFUNDS, body)
    assert (response.status_code, response.json()["code"]) == (status, code)


def test_refund_of_an_unpaid_order_is_invalid(raw: RawSigner) -> None:
    raw.send("POST", "/v3/pay/transactions/native", native_order("ORDER_RF_0001", 1000))
    response = raw.send("POST", REFUNDS, refund_body("REFUND_UNPAID", 1))
    assert response.status_code == 400
    assert response.json() == {"code": "INVALID_REQUEST", "message": "订单未支付，不能发起退款"}


def test_unknown_refund_query(raw: RawSigner) -> None:
    response = raw.send("GET", f"{REFUNDS}/REFUND_NONE")
    assert response.status_code == 404
    assert response.json() == {"code": "RESOURCE_NOT_EXISTS", "message": "退款单不存在"}


def test_refunds_wait_for_complete_refunds_and_then_call_back(
    make_sandbox: Callable[..., WeChatSandbox],
    identity: GeneratedMerchant,
    make_receiver: Callable[..., CallbackReceiver],
) -> None:
    sb = make_sandbox(key_mode="public_key", auto_complete_refunds=False)
    signer = RawSigner(identity, sb.base_url)
    receiver = make_receiver()
    paid_order(sb, signer, "ORDER_RF_0001")  # its payment callback goes elsewhere
    body = refund_body("REFUND_LATER", 250, notify_url=receiver.url)
    assert signer.send("POST", REFUNDS, body).json()["status"] == "PROCESSING"
    assert signer.send("GET", f"{REFUNDS}/REFUND_LATER").json()["status"] == "PROCESSING"
    assert receiver.received == []
    assert sb.complete_refunds() == ["REFUND_LATER"]
    assert signer.send("GET", f"{REFUNDS}/REFUND_LATER").json()["status"] == "SUCCESS"
    (callback,) = receiver.wait_for(1)
    assert verifies(sb, callback.headers, callback.body)
    event = json.loads(callback.body)
    assert (event["event_type"], event["summary"]) == ("REFUND.SUCCESS", "退款成功")
    resource = event["resource"]
    assert (resource["original_type"], resource["associated_data"]) == ("refund", "refund")
    plaintext = aes_decrypt(
        resource["nonce"],
        resource["ciphertext"],
        resource["associated_data"],
        identity.merchant.apiv3_key.decode(),
    )
    notice = json.loads(plaintext)
    assert notice["refund_status"] == "SUCCESS"
    assert notice["out_refund_no"] == "REFUND_LATER"
    assert notice["amount"] == {"total": 1000, "refund": 250, "payer_total": 1000, "payer_refund": 250}
    with pytest.raises(SandboxStateError):
        sb.abnormal_refund(MCHID, "REFUND_LATER")  # already final


def abnormal(sb: WeChatSandbox, signer: RawSigner, out_refund_no: str) -> dict[str, Any]:
    paid_order(sb, signer, "ORDER_RF_0001")
    assert signer.send("POST", REFUNDS, refund_body(out_refund_no, 400)).status_code == 200
    return sb.abnormal_refund(MCHID, out_refund_no)


def test_apply_abnormal_refund_to_another_card_then_success(
    identity: GeneratedMerchant, make_sandbox: Callable[..., WeChatSandbox]
) -> None:
    """发起异常退款: card number and name encrypted (RSA-OAEP, as the independent wechatpayv3
    library does it) with WeChat Pay's public key named in Wechatpay-Serial."""
    from wechatpayv3.utils import load_public_key, rsa_encrypt

    sb = make_sandbox(key_mode="public_key", auto_complete_refunds=False)
    signer = RawSigner(identity, sb.base_url)
    refund = abnormal(sb, signer, "REFUND_ABN_1")
    assert refund["status"] == "ABNORMAL"
    key = load_public_key(sb.public_key_pem.decode())
    body = {
        "out_refund_no": "REFUND_ABN_1",
        "type": "USER_BANK_CARD",
        "bank_type": "ICBC_DEBIT",
        "bank_account": rsa_encrypt("6222020200009876543", key),
        "real_name": rsa_encrypt("张三", key),
    }
    path = f"{REFUNDS}/{refund['refund_id']}/apply-abnormal-refund"
    answer = signer.send("POST", path, body, headers={"Wechatpay-Serial": sb.public_key_id})
    assert answer.status_code == 200, answer.text
    assert (answer.json()["status"], answer.json()["channel"]) == ("PROCESSING", "OTHER_BANKCARD")
    assert answer.json()["user_received_account"].endswith("6543")
    assert sb.complete_refunds() == ["REFUND_ABN_1"]
    assert signer.send("GET", f"{REFUNDS}/REFUND_ABN_1").json()["status"] == "SUCCESS"


def test_apply_abnormal_refund_refusals(
    identity: GeneratedMerchant, make_sandbox: Callable[..., WeChatSandbox]
) -> None:
    sb = make_sandbox(key_mode="public_key", auto_complete_refunds=False)
    signer = RawSigner(identity, sb.base_url)
    refund = abnormal(sb, signer, "REFUND_ABN_2")
    path = f"{REFUNDS}/{refund['refund_id']}/apply-abnormal-refund"
    serial = {"Wechatpay-Serial": sb.public_key_id}
    merchant = {"out_refund_no": "REFUND_ABN_2", "type": "MERCHANT_BANK_CARD"}
    unreadable = merchant | {"type": "USER_BANK_CARD", "bank_type": "ICBC_DEBIT"}
    unreadable |= {"bank_account": "bm90IGVuY3J5cHRlZA==", "real_name": "bm90IGVuY3J5cHRlZA=="}
    cases = [
        (f"{REFUNDS}/503000/apply-abnormal-refund", merchant, 404, "RESOURCE_NOT_EXISTS"),
        (path, merchant | {"sub_mchid": "1900000109"}, 400, "PARAM_ERROR"),  # a partner's field
        (path, merchant | {"type": "BALANCE"}, 400, "PARAM_ERROR"),
        (path, unreadable, 400, "PARAM_ERROR"),
    ]
    for url, body, status, code in cases:
        answer = signer.send("POST", url, body, headers=serial)
        assert (answer.status_code, answer.json()["code"]) == (status, code), body
    assert signer.send("POST", path, merchant).json()["status"] == "PROCESSING"
    again = signer.send("POST", path, merchant)  # no longer ABNORMAL
    assert (again.status_code, again.json()["code"]) == (400, "INVALID_REQUEST")


def test_injected_refund_refusals_come_first_and_create_nothing(
    identity: GeneratedMerchant, make_sandbox: Callable[..., WeChatSandbox]
) -> None:
    sb = make_sandbox(key_mode="public_key")
    signer = RawSigner(identity, sb.base_url)
    paid_order(sb, signer, "ORDER_RF_0001")
    sb.fail_next_refunds(429, "FREQUENCY_LIMITED", "频率限制")
    refused = signer.send("POST", REFUNDS, refund_body("REFUND_RL_1", 100))
    assert (refused.status_code, refused.json()["code"]) == (429, "FREQUENCY_LIMITED")
    assert sb.refunds == {}
    assert signer.send("POST", REFUNDS, refund_body("REFUND_RL_1", 100)).status_code == 200
