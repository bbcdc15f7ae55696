"""paymux Python SDK: a signed client with safe retries and typed errors, webhook verification
(docs/authentication.md) and the checkout's signed return (docs/checkout.md). Standard library only."""

from paymux_sdk.client import Client
from paymux_sdk.errors import (
    ApiConnectionError,
    ApiError,
    AuthenticationError,
    ChannelError,
    ConflictError,
    IdempotencyError,
    InvalidRequestError,
    NotFoundError,
    PaymuxError,
    PaymuxSdkError,
    RateLimitError,
    SignatureVerificationError,
)
from paymux_sdk.models import CheckoutSession, Event, Notification, Payment, PaymentEvent, Refund
from paymux_sdk.returns import verify_return
from paymux_sdk.version import VERSION
from paymux_sdk.webhooks import construct_event, generate_test_header

__version__ = VERSION
__all__ = [
    "VERSION",
    "ApiConnectionError",
    "ApiError",
    "AuthenticationError",
    "ChannelError",
    "CheckoutSession",
    "Client",
    "ConflictError",
    "Event",
    "IdempotencyError",
    "InvalidRequestError",
    "NotFoundError",
    "Notification",
    "Payment",
    "PaymentEvent",
    "PaymuxError",
    "PaymuxSdkError",
    "RateLimitError",
    "Refund",
    "SignatureVerificationError",
    "construct_event",
    "generate_test_header",
    "verify_return",
]
