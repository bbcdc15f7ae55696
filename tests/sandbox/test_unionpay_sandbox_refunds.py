"""Refunds (04: partial, repeated, never more than paid, 11 months) and undos (31: the full
amount, the same clearing day only), each with its notify and its query answer."""

from __future__ import annotations

from collections.abc import Callable

from unionpay_sandbox_client import AcpClient, FakeClock, NotifyReceiver, Trust, at_beijing

from sandbox.unionpay import GeneratedMerchant, UnionPaySandbox


def paid_qr(sb: UnionPaySandbox, client: AcpClient, order_id: str, amount: int, url: str) -> str:
    """A paid QR consume; returns its queryId."""
    assert client.apply_qr(order_id, amount, url)["respCode"] == "00"
    return str(sb.pay(order_id)["queryId"])


def test_partial_and_repeated_refunds_up_to_the_amount_paid(
    make_unionpay: Callable[..., UnionPaySandbox],
    unionpay_identity: GeneratedMerchant,
    make_notify_receiver: Callable[..., NotifyReceiver],
) -> None:
    sb = make_unionpay(unionpay_identity)
    receiver = make_notify_receiver()
    client = AcpClient(sb, unionpay_identity)
    query_id = paid_qr(sb, client, "PAIDORDER01", 1000, receiver.url)
    first = client.refund("REFUNDNO001", query_id, 300, receiver.url)
    assert (first["respCode"], first["origQryId"], first["txnAmt"]) == ("00", query_id, "300")
    assert len(first["queryId"]) == 21 and first["queryId"] != query_id
    second = client.refund("REFUNDNO002", query_id, 700, receiver.url)
    assert second["respCode"] == "00"
    over = client.refund("REFUNDNO003", query_id, 1, receiver.url)
    assert over["respCode"] == "36"
    assert sb.transaction("PAIDORDER01")["refunded"] == 1000
    assert "REFUNDNO003" not in {order for _, order in sb.transactions}
    # Each accepted refund is notified (txnType 04, origQryId), verifiable
    notifies = receiver.wait_for(3)
    refunds = {r.form["orderId"]: r.form for r in notifies if r.form["txnType"] == "04"}
    assert set(refunds) == {"REFUNDNO001", "REFUNDNO002"}
    for form in refunds.values():
        assert Trust.of(sb).verifies(form)
        assert form["origQryId"] == query_id and form["respCode"] == "00" and form["txnSubType"] == "00"
    # And each refund queries as its own transaction
    query = client.query("REFUNDNO001", sb.transaction("REFUNDNO001")["txnTime"])
    assert (query["origRespCode"], query["origQryId"], query["txnAmt"]) == ("00", query_id, "300")
    # Fees come back in proportion, and exactly in full once everything is refunded
    fees = [sb.transaction(order)["fee"] for order in ("PAIDORDER01", "REFUNDNO001", "REFUNDNO002")]
    assert fees == [6, 1, 5]


def test_a_refund_in_progress_queries_05_until_it_completes(
    make_unionpay: Callable[..., UnionPaySandbox],
    unionpay_identity: GeneratedMerchant,
    make_notify_receiver: Callable[..., NotifyReceiver],
) -> None:
    sb = make_unionpay(unionpay_identity, auto_complete_refunds=False)
    receiver = make_notify_receiver()
    client = AcpClient(sb, unionpay_identity)
    query_id = paid_qr(sb, client, "PAIDORDER02", 1000, receiver.url)
    assert client.refund("REFUNDNO021", query_id, 400, receiver.url)["respCode"] == "00"
    txn_time = sb.transaction("REFUNDNO021")["txnTime"]
    assert client.query("REFUNDNO021", txn_time)["origRespCode"] == "05"
    assert len(receiver.wait_for(1)) == 1  # only the payment
    assert sb.complete_refunds() == ["REFUNDNO021"]
    assert client.query("REFUNDNO021", txn_time)["origRespCode"] == "00"
    assert [r.form["orderId"] for r in receiver.wait_for(2)] == ["PAIDORDER02", "REFUNDNO021"]
    # A refund that fails instead is not notified and gives its amount back
    assert client.refund("REFUNDNO022", query_id, 600, receiver.url)["respCode"] == "00"
    assert client.refund("REFUNDNO023", query_id, 1, receiver.url)["respCode"] == "36"
    sb.fail("REFUNDNO022", code="35")
    assert client.query("REFUNDNO022", sb.transaction("REFUNDNO022")["txnTime"])["origRespCode"] == "35"
    assert sb.transaction("PAIDORDER02")["refunded"] == 400
    assert client.refund("REFUNDNO024", query_id, 600, receiver.url)["respCode"] == "00"
    assert sb.complete_refunds() == ["REFUNDNO024"]
    assert sb.wait_for_notifies(5)
    assert [r.form["orderId"] for r in receiver.received] == ["PAIDORDER02", "REFUNDNO021", "REFUNDNO024"]


def test_refunds_of_what_cannot_be_refunded_are_refused(
    make_unionpay: Callable[..., UnionPaySandbox], unionpay_identity: GeneratedMerchant
) -> None:
    sb = make_unionpay(unionpay_identity)
    client = AcpClient(sb, unionpay_identity)
    url = "http://127.0.0.1:9/n"
    assert client.refund("REFUNDNO031", "782612010000000000001", 100, url)["respCode"] == "35"
    client.apply_qr("UNPAIDORD01", 100, url)
    unpaid_query_id = sb.transaction("UNPAIDORD01")["queryId"]
    assert client.refund("REFUNDNO032", unpaid_query_id, 100, url)["respCode"] == "35"
    query_id = paid_qr(sb, client, "PAIDORDER03", 100, url)
    assert client.refund("PAIDORDER03", query_id, 50, url)["respCode"] == "12"  # orderId reused
    assert client.refund("REFUNDNO033", query_id, 101, url)["respCode"] == "36"
    assert sb.transaction("PAIDORDER03")["refunded"] == 0


def test_refunds_are_accepted_for_eleven_months(
    make_unionpay: Callable[..., UnionPaySandbox], unionpay_identity: GeneratedMerchant
) -> None:
    clock = FakeClock(at_beijing(2026, 1, 31, 12))
    sb = make_unionpay(unionpay_identity, clock=clock)
    client = AcpClient(sb, unionpay_identity, clock)
    url = "http://127.0.0.1:9/n"
    query_id = paid_qr(sb, client, "PAIDORDER04", 1000, url)
    clock.now = at_beijing(2026, 12, 31, 12)  # 11 months after the clearing day 2026-01-31
    assert client.refund("REFUNDNO041", query_id, 100, url)["respCode"] == "00"
    clock.now = at_beijing(2027, 1, 1, 12)
    late = client.refund("REFUNDNO042", query_id, 100, url)
    assert (late["respCode"], late["respMsg"]) == ("35", "原交易超过退货期限")


def test_an_undo_takes_the_full_amount_on_the_same_clearing_day(
    make_unionpay: Callable[..., UnionPaySandbox],
    unionpay_identity: GeneratedMerchant,
    make_notify_receiver: Callable[..., NotifyReceiver],
) -> None:
    clock = FakeClock(at_beijing(2026, 3, 5, 10))
    sb = make_unionpay(unionpay_identity, clock=clock)
    receiver = make_notify_receiver()
    client = AcpClient(sb, unionpay_identity, clock)
    query_id = paid_qr(sb, client, "PAIDORDER05", 1000, receiver.url)
    assert client.refund("UNDONUMBER1", query_id, 999, receiver.url, txn_type="31")["respCode"] == "36"
    clock.now = at_beijing(2026, 3, 5, 22, 59)  # still the clearing day 0305
    undo = client.refund("UNDONUMBER2", query_id, 1000, receiver.url, txn_type="31")
    assert (undo["respCode"], undo["origQryId"]) == ("00", query_id)
    assert sb.transaction("PAIDORDER05")["undone"] is True
    forms = [r.form for r in receiver.wait_for(2)]
    assert [(f["orderId"], f["txnType"]) for f in forms] == [("PAIDORDER05", "01"), ("UNDONUMBER2", "31")]
    assert forms[1]["settleDate"] == "0305" and Trust.of(sb).verifies(forms[1], at=clock.now)
    # An undone consume cannot be refunded nor undone again
    assert client.refund("REFUNDNO051", query_id, 1, receiver.url)["respCode"] == "35"
    assert client.refund("UNDONUMBER3", query_id, 1000, receiver.url, txn_type="31")["respCode"] == "35"


def test_an_undo_on_a_later_clearing_day_is_refused(
    make_unionpay: Callable[..., UnionPaySandbox], unionpay_identity: GeneratedMerchant
) -> None:
    clock = FakeClock(at_beijing(2026, 3, 5, 10))
    sb = make_unionpay(unionpay_identity, clock=clock)
    client = AcpClient(sb, unionpay_identity, clock)
    url = "http://127.0.0.1:9/n"
    query_id = paid_qr(sb, client, "PAIDORDER06", 1000, url)
    clock.now = at_beijing(2026, 3, 5, 23, 1)  # 23:00 passed: the clearing day is 0306
    late = client.refund("UNDONUMBER4", query_id, 1000, url, txn_type="31")
    assert late["respCode"] == "35"
    assert sb.transaction("PAIDORDER06")["undone"] is False
    # A refund is the way then, and after a refund no undo either
    assert client.refund("REFUNDNO061", query_id, 1000, url)["respCode"] == "00"
    clock.now = at_beijing(2026, 3, 5, 10)
    assert client.refund("UNDONUMBER5", query_id, 1000, url, txn_type="31")["respCode"] == "35"
