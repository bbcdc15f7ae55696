"""paymux Python SDK: request signing, webhook verification (docs/authentication.md) and the
checkout's signed return (docs/checkout.md)."""

from paymux_sdk.errors import SignatureVerificationError
from paymux_sdk.returns import verify_return
from paymux_sdk.webhooks import construct_event

__all__ = ["SignatureVerificationError", "construct_event", "verify_return"]
