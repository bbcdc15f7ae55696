"""UnionPay request fields and times (paymux.channels.unionpay.transform): pure."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

import pytest

from paymux.channels.base import CreateRequest, RefundRequest
from paymux.channels.unionpay import transform
from paymux.channels.unionpay.transform import Access
from paymux.clock import CHINA
from paymux.domain.ids import attempt_out_trade_no, new_payment_id, new_refund_id
from paymux.domain.refund import automatic_refund_id, out_refund_no
from paymux.errors import BadRequest

NOW = datetime(2026, 12, 1, 10, 30, 5, 250000, tzinfo=CHINA).timestamp()
DIRECT = Access("777290058167151")
ACQUIRER = Access("898110000000001", acq_ins_code="48021000")


def _request(product: str, **overrides: object) -> CreateRequest:
    values: dict[str, object] = {
        "out_trade_no": attempt_out_trade_no(new_payment_id(NOW), 1),
        "product": product,
        "amount": 1999,
        "currency": "CNY",
        "subject": "Coffee",
        "notify_url": "https://api.example.com/v1/callbacks/unionpay/up-1",
        "expires_at": NOW + 7200,
        "return_url": "https://shop.example.com/paid",
    }
    return CreateRequest(**{**values, **overrides})  # type: ignore[arg-type]


def test_order_numbers_are_order_ids_and_name_their_issue_time() -> None:
    number = attempt_out_trade_no(new_payment_id(NOW), 3)
    refund = out_refund_no(new_refund_id(NOW + 60))
    automatic = out_refund_no(automatic_refund_id(number))

    assert transform.order_id(number) == number and len(number) == 28
    assert transform.order_id(refund) == refund and transform.order_id(automatic) == automatic
    assert transform.issued_at(number) == pytest.approx(NOW, abs=0.001)
    assert transform.issued_at(refund) == pytest.approx(NOW + 60, abs=0.001)
    assert transform.issued_at(automatic) == pytest.approx(NOW, abs=0.001)  # its attempt's
    assert transform.txn_time(transform.issued_at(number)) == "20261201103005"


@pytest.mark.parametrize("bad", ["short", "A" * 41, "ABC_DEFGHIJ", "ABC-DEFGHIJ", "订单号订单号订单号"])
def test_an_order_id_unionpay_refuses_is_a_bad_request(bad: str) -> None:
    with pytest.raises(BadRequest):
        transform.order_id(bad)


@pytest.mark.parametrize(
    ("product", "sub", "biz", "channel"),
    [
        ("unionpay.qr", "07", "000000", "08"),
        ("unionpay.barcode", "06", "000000", "08"),
        ("unionpay.gateway", "01", "000201", "07"),
        ("unionpay.wap", "01", "000201", "08"),
    ],
)
def test_consume_fields_per_product(product: str, sub: str, biz: str, channel: str) -> None:
    request = _request(product, payer={"auth_code": "134567890123456789"})

    fields = transform.create_fields(request, DIRECT)

    assert (fields["txnType"], fields["txnSubType"], fields["bizType"], fields["channelType"]) == (
        "01",
        sub,
        biz,
        channel,
    )
    assert fields["version"] == "5.1.0" and fields["signMethod"] == "01" and fields["encoding"] == "UTF-8"
    assert (fields["accessType"], fields["merId"], fields["currencyCode"]) == ("0", DIRECT.mer_id, "156")
    assert fields["txnAmt"] == "1999" and fields["orderId"] == request.out_trade_no
    assert fields["txnTime"] == "20261201103005" and fields["backUrl"] == request.notify_url
    assert ("qrNo" in fields) == (product == "unionpay.barcode")
    front = product in ("unionpay.gateway", "unionpay.wap")
    # a QR code apply (07) is payable until payTimeout like a front order; a payer's code is not
    assert ("frontUrl" in fields, "payTimeout" in fields) == (front, product != "unionpay.barcode")
    if front:
        assert fields["payTimeout"] == "20261201123005"  # the order's expiry, Beijing


def test_an_acquirer_sends_its_code_and_the_sub_merchants_mer_id() -> None:
    fields = transform.create_fields(_request("unionpay.qr"), ACQUIRER)

    assert (fields["accessType"], fields["acqInsCode"], fields["merId"]) == (
        "1",
        "48021000",
        "898110000000001",
    )


def test_what_a_product_needs_is_a_bad_request_when_missing() -> None:
    with pytest.raises(BadRequest, match="auth_code"):
        transform.create_fields(_request("unionpay.barcode"), DIRECT)
    with pytest.raises(BadRequest, match="return_url"):
        transform.create_fields(_request("unionpay.gateway", return_url=""), DIRECT)


def test_the_query_names_the_original_order_and_time() -> None:
    number = attempt_out_trade_no(new_payment_id(NOW), 1)

    fields = transform.query_fields(number, DIRECT)

    assert (fields["txnType"], fields["txnSubType"], fields["orderId"], fields["txnTime"]) == (
        "00",
        "00",
        number,
        "20261201103005",
    )


@pytest.mark.parametrize(
    ("moment", "day"),
    [
        ((2026, 12, 1, 0, 0, 0), "2026-12-01"),
        ((2026, 12, 1, 22, 59, 59), "2026-12-01"),
        ((2026, 12, 1, 23, 0, 0), "2026-12-02"),
        ((2026, 12, 31, 23, 30, 0), "2027-01-01"),
    ],
)
def test_the_clearing_day_turns_at_23_beijing(moment: tuple[int, ...], day: str) -> None:
    assert transform.clearing_day(datetime(*moment, tzinfo=CHINA).timestamp()).isoformat() == day


@pytest.mark.parametrize(
    ("mmdd", "near", "day"),
    [
        ("1201", (2026, 12, 1), "2026-12-01"),
        ("0101", (2026, 12, 31), "2027-01-01"),  # a late December payment cleared in January
        ("1231", (2027, 1, 1), "2026-12-31"),
        ("0229", (2028, 2, 28), "2028-02-29"),
        ("1301", (2026, 12, 1), ""),
        ("12", (2026, 12, 1), ""),
    ],
)
def test_settle_date_takes_the_year_nearest_the_transaction(
    mmdd: str, near: tuple[int, ...], day: str
) -> None:
    assert transform.settle_day(mmdd, datetime(*near, tzinfo=CHINA).timestamp()) == day


def _refund(amount: int, settle_date: str) -> RefundRequest:
    return RefundRequest(
        out_trade_no=attempt_out_trade_no(new_payment_id(NOW), 1),
        out_refund_no=out_refund_no(new_refund_id(NOW)),
        amount=amount,
        total=1000,
        currency="CNY",
        reason="",
        notify_url="https://api.example.com/cb",
        product="unionpay.gateway",
        channel_trade_no="782212011030050000001",
        settle_date=settle_date,
    )


@pytest.mark.parametrize(
    ("amount", "settle_date", "txn_type"),
    [
        (1000, "2026-12-01", "31"),  # full, same clearing day: undo
        (999, "2026-12-01", "04"),  # partial: refund
        (1000, "2026-11-30", "04"),  # a later clearing day: refund
        (1000, "", "04"),  # no known clearing day: refund
    ],
)
def test_undo_or_refund(amount: int, settle_date: str, txn_type: str) -> None:
    assert transform.refund_type(_refund(amount, settle_date), NOW) == txn_type


def test_a_refund_sent_again_after_the_cut_off_is_the_same_message() -> None:
    """Asked for at 22:59:50 on the payment's clearing day, it is an undo however late it is
    (re)sent: the same out_refund_no never goes out as two different transactions (review)."""
    asked = datetime(2026, 12, 1, 22, 59, 50, tzinfo=CHINA).timestamp()
    request = replace(_refund(1000, "2026-12-01"), requested_at=asked)
    for sent in (asked, asked + 40, asked + 86400):
        assert transform.refund_type(request, sent) == "31"


def test_refund_fields_name_the_payment_by_its_query_id() -> None:
    request = _refund(300, "2026-12-01")

    fields = transform.refund_fields(request, DIRECT, "04", "000201")

    assert fields["origQryId"] == "782212011030050000001" and fields["orderId"] == request.out_refund_no
    assert (fields["txnType"], fields["txnAmt"], fields["bizType"]) == ("04", "300", "000201")
    with pytest.raises(BadRequest):
        transform.refund_fields(replace(request, channel_trade_no=""), DIRECT, "04", "000201")


def test_an_app_consume_is_01_01_on_000201_08_payable_until_its_expiry_without_a_front_url() -> None:
    fields = transform.create_fields(_request("unionpay.app"), DIRECT)

    assert (fields["txnType"], fields["txnSubType"], fields["bizType"], fields["channelType"]) == (
        "01", "01", "000201", "08",
    )  # fmt: skip
    assert fields["payTimeout"] == "20261201123005" and "frontUrl" not in fields
    assert "bizScene" not in fields and transform.PRODUCTS["unionpay.app"].endpoint == "app"
    # its result comes later (notify or query): queried on the front ladder, as is the B2B form
    assert transform.QUERY_LADDERS["unionpay.app"] == transform.QUERY_LADDERS["unionpay.b2b"]
    assert transform.QUERY_LADDERS["unionpay.app"] == transform.FRONT_LADDER


def test_a_b2b_consume_is_the_gateway_form_on_000202_07_with_its_business_scene() -> None:
    fields = transform.create_fields(_request("unionpay.b2b"), DIRECT)

    assert (fields["txnType"], fields["txnSubType"], fields["bizType"], fields["channelType"]) == (
        "01", "01", "000202", "07",
    )  # fmt: skip
    assert fields["bizScene"] == "110001" and fields["frontUrl"] == "https://shop.example.com/paid"
    assert fields["payTimeout"] == "20261201123005"
    with pytest.raises(BadRequest, match="return_url"):
        transform.create_fields(_request("unionpay.b2b", return_url=""), DIRECT)


@pytest.mark.parametrize(("product", "txn_type"), [("unionpay.b2b", "04"), ("unionpay.app", "31")])
def test_a_full_refund_on_the_clearing_day_of_a_b2b_payment_is_never_an_undo(
    product: str, txn_type: str
) -> None:
    request = replace(_refund(1000, "2026-12-01"), product=product)

    assert transform.refund_type(request, NOW) == txn_type
    fields = transform.refund_fields(request, DIRECT, txn_type, transform.PRODUCTS[product].biz_type)
    assert (fields["txnType"], fields["bizType"]) == (txn_type, transform.PRODUCTS[product].biz_type)
