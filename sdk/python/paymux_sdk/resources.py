"""The API's resources as calls: `client.payments`, `client.refunds`, `client.notifications`,
`client.checkout_sessions` (docs/openapi.json)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode

from paymux_sdk.models import CheckoutSession, Notification, Payment, PaymentEvent, Refund

if TYPE_CHECKING:
    from paymux_sdk.client import Client


def _id(value: str) -> str:
    return quote(str(value), safe="")


class _Resource:
    def __init__(self, client: Client) -> None:
        self._client = client


class Payments(_Resource):
    def create(self, params: dict[str, Any], idempotency_key: str | None = None) -> Payment:
        """POST /v1/payments: idempotent on merchant_order_no (and on the Idempotency-Key)."""
        return Payment.from_dict(self._client.request("POST", "/v1/payments", params, idempotency_key))

    def get(self, payment_id: str, sync: bool = False) -> Payment:
        query = "?sync=true" if sync else ""
        return Payment.from_dict(self._client.request("GET", f"/v1/payments/{_id(payment_id)}{query}"))

    def find(self, merchant_order_no: str) -> Payment:
        """GET /v1/payments?merchant_order_no=…: your own order number instead of paymux's id."""
        query = urlencode({"merchant_order_no": merchant_order_no})
        return Payment.from_dict(self._client.request("GET", f"/v1/payments?{query}"))

    def close(self, payment_id: str, idempotency_key: str | None = None) -> Payment:
        path = f"/v1/payments/{_id(payment_id)}/close"
        return Payment.from_dict(self._client.request("POST", path, None, idempotency_key))

    def events(self, payment_id: str) -> list[PaymentEvent]:
        answer = self._client.request("GET", f"/v1/payments/{_id(payment_id)}/events")
        return [PaymentEvent.from_dict(item) for item in answer["data"]]

    def notifications(self, payment_id: str) -> list[Notification]:
        answer = self._client.request("GET", f"/v1/payments/{_id(payment_id)}/notifications")
        return [Notification.from_dict(item) for item in answer["data"]]


class Refunds(_Resource):
    def create(self, payment_id: str, params: dict[str, Any], idempotency_key: str | None = None) -> Refund:
        """POST /v1/payments/{id}/refunds: idempotent on merchant_refund_no."""
        path = f"/v1/payments/{_id(payment_id)}/refunds"
        return Refund.from_dict(self._client.request("POST", path, params, idempotency_key))

    def get(self, refund_id: str) -> Refund:
        return Refund.from_dict(self._client.request("GET", f"/v1/refunds/{_id(refund_id)}"))


class Notifications(_Resource):
    def resend(self, notification_id: str, idempotency_key: str | None = None) -> Notification:
        """One more delivery of a notification that failed after its last retry."""
        path = f"/v1/notifications/{_id(notification_id)}/resend"
        return Notification.from_dict(self._client.request("POST", path, None, idempotency_key))


class CheckoutSessions(_Resource):
    def create(self, params: dict[str, Any], idempotency_key: str | None = None) -> CheckoutSession:
        answer = self._client.request("POST", "/v1/checkout/sessions", params, idempotency_key)
        return CheckoutSession.from_dict(answer)

    def get(self, session_id: str) -> CheckoutSession:
        return CheckoutSession.from_dict(
            self._client.request("GET", f"/v1/checkout/sessions/{_id(session_id)}")
        )
