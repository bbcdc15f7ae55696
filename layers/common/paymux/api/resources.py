"""What the API answers, as pydantic models: they document the responses (the OpenAPI document
is built from them) and the unit tests validate real `to_public()` output against them, so a
renamed, added or missing field fails a test instead of silently changing the contract.

Nothing here is used to serialize responses: the domain objects' `to_public()` stay the one
source of the shapes, and these models only describe them."""

from __future__ import annotations

from typing import Annotated, Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field

from paymux.domain.states import PaymentStatus, RefundStatus

ISO_UTC = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$"
NotificationType = Literal[
    "payment.succeeded",
    "payment.failed",
    "payment.closed",
    "payment.refunded",
    "refund.succeeded",
    "refund.failed",
    "refund.abnormal",
]
NOTIFICATION_TYPES: tuple[str, ...] = get_args(NotificationType)


# ISO 8601 UTC with a Z, second precision (paymux.clock.iso).
IsoTime = Annotated[str, Field(pattern=ISO_UTC, json_schema_extra={"format": "date-time"})]


class _Resource(BaseModel):
    # strict: an amount that became a string or a float fails validation, as a changed field does.
    model_config = ConfigDict(extra="forbid", strict=True)


class ChannelInfo(_Resource):
    provider: str | None = Field(description="the channel that handles the payment, e.g. wechat")
    trade_no: str | None = Field(description="the channel's own transaction number, once paid")


class Failure(_Resource):
    code: str = Field(description="the channel's (or paymux's) reason code")
    message: str


class QrCodeAction(_Resource):
    type: Literal["qr_code"]
    code_url: str = Field(description="render as a QR code for the payer to scan (wechat.native, alipay.qr)")


class RedirectAction(_Resource):
    type: Literal["redirect"]
    url: str = Field(description="send the payer's browser here (wechat.h5, alipay.page, alipay.wap)")


class WechatJsapiAction(_Resource):
    """wechat.jsapi and wechat.mini_program: pass appId … paySign as they are to
    `WeixinJSBridge.invoke("getBrandWCPayRequest", …)` or `wx.requestPayment`."""

    type: Literal["wechat_jsapi"]
    prepay_id: str
    appId: str  # WeChat front-end field names, passed through unchanged
    timeStamp: str
    nonceStr: str
    package: str = Field(description="prepay_id=…")
    signType: Literal["RSA"]
    paySign: str


class WechatAppAction(_Resource):
    """wechat.app: the fields of the WeChat OpenSDK PayReq, signed."""

    type: Literal["wechat_app"]
    prepay_id: str
    appid: str
    partnerid: str
    prepayid: str
    package: Literal["Sign=WXPay"]
    noncestr: str
    timestamp: str
    sign: str


class FormPostAction(_Resource):
    """unionpay.gateway, unionpay.wap and unionpay.b2b: the payer's browser POSTs `fields` as they are
    (application/x-www-form-urlencoded, UTF-8) to `url`, usually with a form that submits itself."""

    type: Literal["form_post"]
    url: str = Field(description="UnionPay's frontTransReq.do")
    fields: dict[str, str] = Field(description="the signed request, each a hidden input")


class PayerCodeAction(_Resource):
    """unionpay.barcode, wechat.barcode, alipay.barcode, ecny.barcode (and `barcode`): the payer's
    code was sent; the payment's status tells the outcome (often already in the create answer)."""

    type: Literal["payer_code"]


class AlipayAppAction(_Resource):
    type: Literal["alipay_app"]
    order_string: str = Field(description="hand to the Alipay app SDK's payOrder (alipay.app), signed")


class UnionpayAppAction(_Resource):
    type: Literal["unionpay_app"]
    tn: str = Field(description="hand to UnionPay's app SDK (startPay / 手机控件) as it is (unionpay.app)")


class AlipayJsapiAction(_Resource):
    """alipay.jsapi: the page, open in the Alipay app, calls
    `AlipayJSBridge.call("tradePay", {tradeNO: trade_no})`."""

    type: Literal["alipay_jsapi"]
    trade_no: str = Field(description="Alipay's trade number, made by alipay.trade.create (JSAPI_PAY)")
    out_trade_no: str = Field(description="the channel order number (paymux's, sent to Alipay)")


class AlipayMiniProgramAction(_Resource):
    """alipay.mini_program: the mini program calls `my.tradePay({tradeNO: trade_no})`."""

    type: Literal["alipay_mini_program"]
    trade_no: str = Field(description="Alipay's trade number, made by alipay.trade.create (JSAPI_PAY)")
    out_trade_no: str = Field(description="the channel order number (paymux's, sent to Alipay)")


PaymentAction = Annotated[
    QrCodeAction
    | RedirectAction
    | WechatJsapiAction
    | WechatAppAction
    | AlipayAppAction
    | FormPostAction
    | PayerCodeAction
    | UnionpayAppAction
    | AlipayJsapiAction
    | AlipayMiniProgramAction,
    Field(discriminator="type"),
]


class AutomaticRefundResource(_Resource):
    """A charge the payment did not keep (a second paid attempt, or a charge after close),
    refunded automatically. It is not part of amount_refunded: the money was never the payment's."""

    id: str = Field(pattern=r"^re_DUP[0-9A-Z]{28}$")
    out_trade_no: str = Field(description="the attempt (channel order number) that was charged")
    amount: int = Field(description="integer number of fen")
    currency: str
    reason: str
    status: RefundStatus = Field(strict=False, description="PROCESSING → SUCCESS | FAILED | ABNORMAL")
    created_at: IsoTime = Field(description="ISO 8601 UTC")


class PaymentResource(_Resource):
    """A payment (an order) as the merchant sees it."""

    id: str = Field(pattern=r"^pay_[0-9A-Z]{26}$")
    object: Literal["payment"]
    merchant_order_no: str
    amount: int = Field(description="integer number of fen")
    currency: str = Field(description="ISO 4217; CNY")
    method: str = Field(description="channel product, e.g. wechat.native")
    status: PaymentStatus = Field(
        strict=False,
        description="PENDING → PROCESSING → SUCCESS | FAILED | CLOSED; SUCCESS → REFUNDED (all refunded)",
    )
    subject: str
    description: str
    amount_refunded: int = Field(description="fen refunded by refunds that succeeded")
    amount_refundable: int = Field(description="fen that may still be refunded (0 unless SUCCESS)")
    created_at: IsoTime = Field(description="ISO 8601 UTC")
    expires_at: IsoTime = Field(description="unpaid orders are closed after this time")
    paid_at: IsoTime | None = Field(description="when the payer paid")
    closed_at: IsoTime | None = Field(description="when the order was closed")
    channel: ChannelInfo
    action: PaymentAction | None = Field(description="what the payer needs to pay, once submitted")
    failure: Failure | None = Field(description="why the payment FAILED")
    metadata: dict[str, str]
    automatic_refunds: list[AutomaticRefundResource] = Field(
        description="charges this payment did not keep, each refunded automatically (oldest first)"
    )
    version: int = Field(description="increases by one with every change")


class RefundResource(_Resource):
    """A refund of (part of) a paid payment."""

    id: str = Field(pattern=r"^re_([0-9A-Z]{26}|DUP[0-9A-Z]{28})$")
    object: Literal["refund"]
    payment_id: str
    merchant_refund_no: str
    amount: int = Field(description="integer number of fen")
    currency: str
    reason: str
    status: RefundStatus = Field(
        strict=False,
        description="PROCESSING → SUCCESS | FAILED | ABNORMAL; ABNORMAL (the money did not reach "
        "the payer's account; paymux's operators re-issue it, the amount stays reserved) → "
        "SUCCESS | PROCESSING",
    )
    channel_refund_no: str | None = Field(description="the channel's refund number, once known")
    created_at: IsoTime = Field(description="ISO 8601 UTC")
    succeeded_at: IsoTime | None = Field(description="when the money went back to the payer")
    reissued_to: Literal["merchant_bank_card", "user_bank_card"] | None = Field(
        description="an ABNORMAL refund re-issued by paymux's operators: to the merchant's own bank "
        "account (merchant_bank_card: the money did not reach the payer, the merchant pays them back "
        "itself) or to another debit card of the payer (user_bank_card); null otherwise"
    )
    failure: Failure | None = Field(description="why the refund FAILED (or is ABNORMAL)")


class EventResource(_Resource):
    """One change of a payment or of one of its refunds (the audit trail)."""

    type: str = Field(description="what happened, e.g. payment.created, payment.submitted, refund.succeeded")
    actor: str = Field(description="who caused it: merchant, channel, paymux, sweeper …")
    from_status: str | None = Field(description="the status before (null for creations and refunds)")
    to_status: str = Field(description="the payment's (or, with refund_id, the refund's) status after")
    refund_id: str | None = Field(description="set for a refund's changes")
    at: IsoTime = Field(description="when it happened")
    detail: dict[str, Any] = Field(description="what else is known about the change")


class EventList(_Resource):
    object: Literal["list"]
    data: list[EventResource] = Field(description="oldest first")


class ErrorBody(_Resource):
    code: str = Field(description="stable, machine-readable; the operation lists the possible codes")
    message: str = Field(description="for people; may change")
    details: list[dict[str, Any]] = Field(
        default_factory=list,
        description=(
            "omitted when empty. validation_failed: one {field, message} per problem; conflicts and "
            "channel errors: the payment concerned, e.g. {payment_id, status}"
        ),
    )
    request_id: str = Field("", description="API Gateway's request id; quote it to support")


class ErrorResponse(_Resource):
    """Every error, whatever the status."""

    error: ErrorBody


class NotificationData(_Resource):
    object: PaymentResource | RefundResource = Field(
        discriminator="object",
        description="the payment (payment.*) or the refund (refund.*) after the change",
    )


class NotificationEvent(_Resource):
    """The body paymux POSTs to the merchant's notify_url."""

    id: str = Field(
        pattern=r"^evt_[0-9A-Z]{26}$", description="the same on every retry: process each id once"
    )
    type: NotificationType
    created: int = Field(description="unix seconds")
    data: NotificationData


class NotificationAttempt(_Resource):
    attempt: int = Field(description="1 for the first delivery")
    at: IsoTime = Field(description="when it was made")
    status_code: int | None = Field(description="your endpoint's HTTP status; null if none came")
    latency_ms: float | None = Field(description="how long the delivery took")
    error: str | None = Field(description="why it did not count as delivered; null if it did")
    retry_in: int | None = Field(description="seconds until the next attempt; null if none follows")


class NotificationResource(_Resource):
    """A notification paymux sent (or is sending) to your notify_url, with every attempt."""

    id: str = Field(pattern=r"^evt_[0-9A-Z]{26}$", description="the event id, as in the body sent")
    object: Literal["notification"]
    type: NotificationType
    payment_id: str
    notify_url: str
    status: Literal["pending", "delivered", "failed"] = Field(
        description="failed after the last retry; only a failed notification can be resent"
    )
    created_at: IsoTime
    attempts: list[NotificationAttempt] = Field(description="oldest first")
    event: NotificationEvent = Field(description="the body that is POSTed")


class NotificationList(_Resource):
    object: Literal["list"]
    data: list[NotificationResource] = Field(description="oldest first")


class StatsFigures(_Resource):
    """The figures of one period, group or range (docs/analytics.md defines each)."""

    created: int = Field(description="payments created in the period (attempted), by creation time")
    succeeded: int = Field(description="payments paid in the period, by paid_at")
    failed: int = Field(description="payments that failed in the period")
    closed: int = Field(description="payments closed unpaid in the period")
    ended: int = Field(description="succeeded + failed + closed")
    amount_succeeded: int = Field(description="the paid payments' amount, in the minor unit (fen)")
    rescued: int = Field(description="paid payments paid on a fallback attempt (not their first)")
    amount_rescued: int
    refunds: int = Field(description="merchant refunds that succeeded in the period, by their success time")
    amount_refunded: int
    checkout_completed: int = Field(
        description="checkout sessions completed in the period (completed_at), under the chosen method"
    )
    success_rate: float | None = Field(description="succeeded / ended; null when nothing ended")
    success_rate_without_fallback: float | None = Field(
        description="(succeeded − rescued) / ended: the rate without the fallback attempts' rescues"
    )
    average_transaction_value: int | None = Field(
        description="amount_succeeded / succeeded, rounded half up (fen); null when nothing succeeded"
    )


class StatsPeriod(StatsFigures):
    period: str = Field(description="the period's start, ISO 8601 with the +08:00 offset (Asia/Shanghai)")


class StatsGroup(_Resource):
    group: str = Field(description="the method, the provider, or the hour of day (00–23, Asia/Shanghai)")
    totals: StatsFigures
    series: list[StatsPeriod]


class MethodShare(_Resource):
    method: str
    count: int = Field(description="paid payments of the method in the range")
    amount: int
    count_share: float | None = Field(description="count / all paid payments' count (0–1)")
    amount_share: float | None = Field(description="amount / all paid payments' amount (0–1)")
    checkout_completed: int = Field(
        description="completed hosted checkout sessions whose payer chose the method"
    )
    checkout_share: float | None = Field(
        description="checkout_completed / all completed checkout sessions (0–1); null when none completed"
    )


class StatsResource(_Resource):
    """GET /v1/stats: figures from the stats buckets (exact: docs/analytics.md)."""

    object: Literal["stats"]
    from_: str = Field(alias="from", description="the range's start (inclusive), Asia/Shanghai")
    to: str = Field(description="the range's end (exclusive), Asia/Shanghai")
    granularity: Literal["15m", "1h", "1d"]
    group_by: Literal["method", "provider", "hour"] | None
    currency: str
    timezone: Literal["Asia/Shanghai"]
    totals: StatsFigures
    series: list[StatsPeriod] = Field(description="every period of the range, oldest first, zeros included")
    groups: list[StatsGroup] = Field(description="per group_by value (empty without group_by)")
    method_mix: list[MethodShare]
