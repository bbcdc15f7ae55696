"""Text over a channel's limits is refused before anything is written: WeChat Pay counts UTF-8
bytes (127 for the description, 80 for a refund reason), so 127 Chinese characters are a 422
naming the field, never a 502 and a FAILED payment."""

from __future__ import annotations

import pytest

from paymux.api.models import CreatePaymentRequest, CreateRefundRequest
from paymux.errors import ValidationFailed
from paymux.services.channel_limits import check_create_limits, check_refund_limits
from tests.integration.conftest import World
from tests.integration.test_hostile_inputs import paid_payment, table_items

CJK = "咖"  # 3 UTF-8 bytes


def test_127_chinese_characters_are_a_422_with_nothing_written(world: World) -> None:
    before = table_items(world)
    status, error = world.create(subject=CJK * 127)
    assert status == 422
    assert error["error"]["code"] == "validation_failed"
    assert [d["field"] for d in error["error"]["details"]] == ["subject"]
    assert "127 bytes" in error["error"]["details"][0]["message"]
    assert table_items(world) == before
    assert world.sandbox.orders == {}
    assert world.queued_messages() == []


def test_a_fallback_method_s_limits_count_too(world: World) -> None:
    status, error = world.create(method="alipay.qr", fallback_methods=["wechat.native"], subject=CJK * 43)
    assert status == 422
    assert "wechat.native" in error["error"]["details"][0]["message"]


def test_what_fits_in_127_bytes_is_created(world: World) -> None:
    status, created = world.create(subject=CJK * 42 + "a")  # 127 bytes
    assert status == 201
    assert world.sandbox.orders[next(iter(world.sandbox.orders))]["description"] == CJK * 42 + "a"
    assert world.d.payments.get(created["id"]).status == "PROCESSING"


def test_a_refund_reason_over_80_bytes_is_a_422_with_nothing_written(world: World) -> None:
    payment_id = paid_payment(world)
    before = table_items(world)
    body = {"amount": 100, "merchant_refund_no": "R-LONG", "reason": CJK * 27}  # 81 bytes
    path = {"path": f"/v1/payments/{payment_id}/refunds", "path_params": {"payment_id": payment_id}}
    status, error = world.call("refund_payment.json", body=body, **path)
    assert status == 422
    assert [d["field"] for d in error["error"]["details"]] == ["reason"]
    assert table_items(world) == before
    assert world.sandbox.refunds == {}
    status, refund = world.call("refund_payment.json", body={**body, "reason": CJK * 26}, **path)
    assert status == 201, refund


def _create(**changes: object) -> CreatePaymentRequest:
    body = {
        "amount": 1,
        "currency": "CNY",
        "method": "alipay.qr",
        "subject": "x",
        "merchant_order_no": "A",
        "notify_url": "https://merchant.example.com/n",
        **changes,
    }
    return CreatePaymentRequest.model_validate(body)


def test_alipay_counts_characters() -> None:
    check_create_limits(_create(subject=CJK * 127), ["alipay.qr"])
    check_refund_limits(CreateRefundRequest(amount=1, merchant_refund_no="R", reason=CJK * 80), "alipay")
    with pytest.raises(ValidationFailed) as err:
        check_refund_limits(CreateRefundRequest(amount=1, merchant_refund_no="R", reason=CJK * 80), "wechat")
    assert err.value.details[0]["field"] == "reason"
