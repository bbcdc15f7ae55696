"""paymux Python SDK: request signing and webhook verification (docs/authentication.md)."""

from paymux_sdk.errors import SignatureVerificationError
from paymux_sdk.webhooks import construct_event

__all__ = ["SignatureVerificationError", "construct_event"]
