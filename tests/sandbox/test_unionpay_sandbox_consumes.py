"""Consumes: a QR code applied for and paid (notified, verifiable), payer codes with each
outcome, and the query codes UnionPay answers for each state."""

from __future__ import annotations

from collections.abc import Callable

import requests
from unionpay_sandbox_client import MER_ID, AcpClient, FakeClock, NotifyReceiver, Trust, beijing

from sandbox.unionpay import GeneratedMerchant, UnionPaySandbox

NOTIFY_FIELDS = {
    "accessType", "bizType", "currencyCode", "encoding", "issInsCode", "merId", "orderId", "queryId",
    "respCode", "respMsg", "settleAmt", "settleCurrencyCode", "settleDate", "signMethod", "signPubKeyCert",
    "traceNo", "traceTime", "txnAmt", "txnSubType", "txnTime", "txnType", "version", "signature",
}  # fmt: skip


def test_a_qr_code_is_applied_for_paid_and_notified(
    make_unionpay: Callable[..., UnionPaySandbox],
    unionpay_identity: GeneratedMerchant,
    make_notify_receiver: Callable[..., NotifyReceiver],
) -> None:
    sb = make_unionpay(unionpay_identity)
    receiver = make_notify_receiver()
    client = AcpClient(sb, unionpay_identity)
    # Given a QR code applied for
    answer = client.apply_qr("QRORDER0001", 2500, receiver.url)
    assert (answer["respCode"], answer["respMsg"]) == ("00", "成功[0000000]")
    assert answer["qrCode"].startswith("https://qr.95516.com/00010000/")
    assert (answer["txnType"], answer["txnSubType"], answer["orderId"]) == ("01", "07", "QRORDER0001")
    txn_time = sb.transaction("QRORDER0001")["txnTime"]
    # Then nobody has paid yet: the consume does not exist for a query
    assert client.query("QRORDER0001", txn_time)["respCode"] == "34"
    assert receiver.received == []
    # When the payer scans and pays on the sandbox page
    page = requests.get(sb.base_url + sb.transaction("QRORDER0001")["sandbox_pay_path"], timeout=10)
    assert page.status_code == 200 and "<svg" in page.text and answer["qrCode"] in page.text
    code = sb.transaction("QRORDER0001")["sandbox_pay_path"].split("code=")[1]
    paid = requests.post(sb.base_url + "/sandbox/pay", data={"code": code, "action": "pay"}, timeout=10)
    assert paid.status_code == 200 and "Paid" in paid.text
    # Then one back notify arrives, verifiable with the sandbox's root and middle
    (notify,) = receiver.wait_for(1)
    form = notify.form
    assert set(form) == NOTIFY_FIELDS
    assert Trust.of(sb).verifies(form)
    assert "\r\n" in form["signPubKeyCert"]
    assert (form["respCode"], form["respMsg"], form["txnSubType"]) == ("00", "成功[0000000]", "07")
    assert (form["orderId"], form["txnAmt"], form["settleAmt"], form["merId"]) == (
        "QRORDER0001",
        "2500",
        "2500",
        MER_ID,
    )
    assert len(form["queryId"]) == 21 and len(form["traceNo"]) == 6 and len(form["traceTime"]) == 10
    assert form["txnTime"] == txn_time
    settled = sb.transaction("QRORDER0001")["settleDate"]  # ISO: the clearing day of the payment
    assert form["settleDate"] == settled[5:7] + settled[8:10]
    assert sb.wait_for_notifies(5) and [a.delivered for a in sb.notify_log] == [True]
    # And a query now finds it paid, with the same queryId
    query = client.query("QRORDER0001", txn_time)
    assert (query["respCode"], query["origRespCode"]) == ("00", "00")
    assert query["queryId"] == form["queryId"] and query["settleDate"] == form["settleDate"]
    assert query["txnType"] == "00"  # the query's own fields are echoed


def test_a_query_needs_the_original_txn_time(
    make_unionpay: Callable[..., UnionPaySandbox], unionpay_identity: GeneratedMerchant
) -> None:
    sb = make_unionpay(unionpay_identity)
    client = AcpClient(sb, unionpay_identity)
    client.apply_qr("QRORDER0002", 100, "http://127.0.0.1:9/notify")
    sb.pay("QRORDER0002")
    assert client.query("QRORDER0002", "20200101000000")["respCode"] == "34"
    assert client.query("NOSUCHORDER1", sb.transaction("QRORDER0002")["txnTime"])["respCode"] == "34"
    assert client.query("QRORDER0002", sb.transaction("QRORDER0002")["txnTime"])["origRespCode"] == "00"


def test_an_order_id_is_used_once(
    make_unionpay: Callable[..., UnionPaySandbox], unionpay_identity: GeneratedMerchant
) -> None:
    sb = make_unionpay(unionpay_identity)
    client = AcpClient(sb, unionpay_identity)
    assert client.apply_qr("QRORDER0003", 100, "http://127.0.0.1:9/n")["respCode"] == "00"
    again = client.apply_qr("QRORDER0003", 200, "http://127.0.0.1:9/n")
    assert again["respCode"] == "12" and "qrCode" not in again
    assert sb.transaction("QRORDER0003")["txnAmt"] == 100


def test_a_payer_code_is_paid_at_once(
    make_unionpay: Callable[..., UnionPaySandbox],
    unionpay_identity: GeneratedMerchant,
    make_notify_receiver: Callable[..., NotifyReceiver],
) -> None:
    sb = make_unionpay(unionpay_identity)
    receiver = make_notify_receiver()
    client = AcpClient(sb, unionpay_identity)
    answer = client.payer_code("CODEORDER01", 880, "6225881234567890123", receiver.url)
    assert (answer["respCode"], answer["txnAmt"], answer["settleAmt"]) == ("00", "880", "880")
    assert len(answer["queryId"]) == 21 and answer["settleDate"] and answer["traceNo"]
    (notify,) = receiver.wait_for(1)
    assert notify.form["txnSubType"] == "06" and notify.form["queryId"] == answer["queryId"]
    assert Trust.of(sb).verifies(notify.form)


def test_an_unknown_payer_code_result_settles_later(
    make_unionpay: Callable[..., UnionPaySandbox],
    unionpay_identity: GeneratedMerchant,
    make_notify_receiver: Callable[..., NotifyReceiver],
) -> None:
    sb = make_unionpay(unionpay_identity)
    receiver = make_notify_receiver()
    client = AcpClient(sb, unionpay_identity)
    for number, code in enumerate(("03", "04", "05")):
        qr_no = f"62258800000000000{number}"
        sb.script_payer_code(qr_no, code)
        order_id = f"CODEUNKNOWN{number}"
        answer = client.payer_code(order_id, 500, qr_no, receiver.url)
        assert answer["respCode"] == code and "settleDate" not in answer
        txn_time = sb.transaction(order_id)["txnTime"]
        query = client.query(order_id, txn_time)
        assert (query["respCode"], query["origRespCode"]) == ("00", code)
    assert sb.wait_for_notifies(1) and receiver.received == []
    # When one of them is paid after all, it is notified and queries as paid
    sb.pay("CODEUNKNOWN1")
    (notify,) = receiver.wait_for(1)
    assert notify.form["orderId"] == "CODEUNKNOWN1"
    assert client.query("CODEUNKNOWN1", sb.transaction("CODEUNKNOWN1")["txnTime"])["origRespCode"] == "00"
    # And one that fails is never notified
    sb.fail("CODEUNKNOWN2", code="60")
    assert client.query("CODEUNKNOWN2", sb.transaction("CODEUNKNOWN2")["txnTime"])["origRespCode"] == "60"
    assert sb.wait_for_notifies(2) and [r.form["orderId"] for r in receiver.received] == ["CODEUNKNOWN1"]


def test_a_failed_payer_code_gets_no_notify(
    make_unionpay: Callable[..., UnionPaySandbox],
    unionpay_identity: GeneratedMerchant,
    make_notify_receiver: Callable[..., NotifyReceiver],
) -> None:
    sb = make_unionpay(unionpay_identity)
    receiver = make_notify_receiver()
    client = AcpClient(sb, unionpay_identity)
    sb.script_payer_code("6225880000000000099", "64")
    answer = client.payer_code("CODEFAILED1", 500, "6225880000000000099", receiver.url)
    assert (answer["respCode"], answer["respMsg"]) == ("64", "卡上的余额不足")
    assert "queryId" not in answer
    query = client.query("CODEFAILED1", sb.transaction("CODEFAILED1")["txnTime"])
    assert (query["respCode"], query["origRespCode"]) == ("00", "64")
    assert sb.wait_for_notifies(1) and sb.notify_log == [] and receiver.received == []


def test_a_qr_code_past_its_pay_timeout_cannot_be_paid(
    make_unionpay: Callable[..., UnionPaySandbox], unionpay_identity: GeneratedMerchant
) -> None:
    clock = FakeClock()
    sb = make_unionpay(unionpay_identity, clock=clock)
    client = AcpClient(sb, unionpay_identity, clock)
    answer = client.apply_qr("QRTIMEOUT01", 100, "http://127.0.0.1:9/n", payTimeout=beijing(clock.now + 300))
    assert answer["respCode"] == "00"
    clock.advance(301)
    paid = requests.post(
        sb.base_url + "/sandbox/pay",
        json={"code": sb.transaction("QRTIMEOUT01")["sandbox_pay_path"].split("code=")[1]},
        timeout=10,
    )
    assert paid.status_code == 409 and paid.json()["origRespCode"] is None
    assert client.query("QRTIMEOUT01", sb.transaction("QRTIMEOUT01")["txnTime"])["respCode"] == "34"
