"""Example bodies of the OpenAPI document's application/xml content, as plain values: the document
shows each encoded by paymux.api.xml_codec (so an example is exactly what the API sends or
reads), and tests/unit/test_openapi.py validates each against its model. Standard library only."""

from __future__ import annotations

from typing import Any

PAYMENT_ID = "pay_01KBZ7Q3V5W8X9Y0Z1A2B3C4D5"
_CREATED = "2026-12-01T08:00:00Z"

CREATE_PAYMENT = {
    "amount": 1999,
    "currency": "CNY",
    "method": "wechat.native",
    "fallback_methods": ["alipay.qr"],
    "subject": "Coffee beans",
    "merchant_order_no": "20261201-0001",
    "notify_url": "https://merchant.example.com/paymux/notify",
    "expires_in": 1800,
    "payer": {"client_ip": "203.0.113.7"},
    "metadata": {"order_ref": "A-1", "门店 编号": "SH-01"},
}
CREATE_REFUND = {"amount": 500, "merchant_refund_no": "20261201-0001-R1", "reason": "one bag returned"}
PAYMENT = {
    "id": PAYMENT_ID,
    "object": "payment",
    "merchant_order_no": "20261201-0001",
    "amount": 1999,
    "currency": "CNY",
    "method": "wechat.native",
    "status": "PROCESSING",
    "subject": "Coffee beans",
    "description": "",
    "amount_refunded": 0,
    "amount_refundable": 0,
    "created_at": _CREATED,
    "expires_at": "2026-12-01T08:30:00Z",
    "paid_at": None,
    "closed_at": None,
    "channel": {"provider": "wechat", "trade_no": None},
    "action": {"type": "qr_code", "code_url": "weixin://wxpay/bizpayurl?pr=8X1a2B3"},
    "failure": None,
    "metadata": {"order_ref": "A-1", "门店 编号": "SH-01"},
    "automatic_refunds": [],
    "version": 2,
}
REFUND = {
    "id": "re_01KBZ7R0A1B2C3D4E5F6G7H8J9",
    "object": "refund",
    "payment_id": PAYMENT_ID,
    "merchant_refund_no": "20261201-0001-R1",
    "amount": 500,
    "currency": "CNY",
    "reason": "one bag returned",
    "status": "PROCESSING",
    "channel_refund_no": None,
    "created_at": "2026-12-01T09:00:00Z",
    "succeeded_at": None,
    "reissued_to": None,
    "failure": None,
}
_PAID = PAYMENT | {
    "status": "SUCCESS",
    "paid_at": "2026-12-01T08:01:10Z",
    "amount_refundable": 1999,
    "channel": {"provider": "wechat", "trade_no": "4200002026120100001"},
    "version": 3,
}
EVENTS = {
    "object": "list",
    "data": [
        {"type": "payment.created", "actor": "merchant", "from_status": None, "to_status": "PENDING",
         "refund_id": None, "at": _CREATED, "detail": {}},
        {"type": "payment.succeeded", "actor": "channel", "from_status": "PROCESSING", "to_status": "SUCCESS",
         "refund_id": None, "at": "2026-12-01T08:01:10Z", "detail": {"trade_no": "4200002026120100001"}},
    ],
}  # fmt: skip
_EVENT = {"id": "evt_01KBZ7Q9M1N2P3Q4R5S6T7V8W9", "type": "payment.succeeded", "created": 1764576070}
NOTIFICATION = {
    "id": _EVENT["id"],
    "object": "notification",
    "type": "payment.succeeded",
    "payment_id": PAYMENT_ID,
    "notify_url": "https://merchant.example.com/paymux/notify",
    "status": "delivered",
    "created_at": "2026-12-01T08:01:10Z",
    "attempts": [
        {"attempt": 1, "at": "2026-12-01T08:01:11Z", "status_code": 200, "latency_ms": 84.5, "error": None,
         "retry_in": None},
    ],
    "event": _EVENT | {"data": {"object": _PAID}},
}  # fmt: skip

# components/schemas name → its example value.
EXAMPLES: dict[str, Any] = {
    "CreatePaymentRequest": CREATE_PAYMENT,
    "CreateRefundRequest": CREATE_REFUND,
    "PaymentResource": PAYMENT,
    "RefundResource": REFUND,
    "EventList": EVENTS,
    "NotificationResource": NOTIFICATION,
    "NotificationList": {"object": "list", "data": [NOTIFICATION]},
}


def error_example(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "request_id": "Jx2bVhkTyQ0EJhA="}}


def xml_content(schema: dict[str, Any], example: Any, root: str) -> dict[str, Any]:
    """An application/xml media type object: the same schema's values (docs/xml.md), with the
    example encoded by the codec itself, so it is exactly what the API sends or reads."""
    from paymux.api.xml_codec import encode_xml  # noqa: PLC0415 - lazy: the docs handler's cold start

    content: dict[str, Any] = {"schema": schema}
    if example is not None:
        content["example"] = encode_xml(example, root)
    return content
