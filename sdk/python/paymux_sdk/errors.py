"""The SDK's typed errors: one hierarchy mirroring paymux's `error.code` (docs/errors.md).

try:
    client.payments.create({...})
except paymux_sdk.IdempotencyError: ...   # 409 idempotency_key_reused / _in_use
except paymux_sdk.InvalidRequestError as exc: print(exc.code, exc.details)
except paymux_sdk.PaymuxError as exc: print(exc.status, exc.code, exc.request_id)"""

from __future__ import annotations

from typing import Any

IDEMPOTENCY_CODES = frozenset({"idempotency_key_reused", "idempotency_key_in_use"})


class PaymuxError(Exception):
    """Base of every error the SDK raises. API errors carry what paymux answered."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: str = "",
        request_id: str = "",
        details: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code
        self.request_id = request_id
        self.details = details or []
        self.headers = headers or {}

    def __str__(self) -> str:
        head = f"{self.status} {self.code}: " if self.status else ""
        tail = f" (request_id {self.request_id})" if self.request_id else ""
        return f"{head}{self.message}{tail}"


PaymuxSdkError = PaymuxError  # the name of the base before 0.2


class ApiError(PaymuxError):
    """paymux answered 5xx (or something that is not a paymux answer)."""


class ChannelError(ApiError):
    """The payment channel refused (502 channel_rejected) or could not be reached (503)."""


class InvalidRequestError(PaymuxError):
    """400, 422 and the other 4xx the request itself causes (405, 406, 410, 413, 415)."""


class AuthenticationError(PaymuxError):
    """401 (or 403): the signature, the app id or the secret is wrong, or the clock is off."""


class NotFoundError(InvalidRequestError):
    """404: no such object, or another merchant's."""


class ConflictError(PaymuxError):
    """409: the object's state or your own numbers forbid it (e.g. payment_not_closable)."""


class IdempotencyError(ConflictError):
    """409 idempotency_key_reused (the key was used with another request) or _in_use."""


class RateLimitError(PaymuxError):
    """429: throttled by API Gateway. Not retried: slow down."""


class ApiConnectionError(PaymuxError):
    """No answer: the connection failed, broke off or timed out. The request may have been
    done; send it again with the same Idempotency-Key (the SDK does, within its retries)."""


class SignatureVerificationError(PaymuxError):
    """A webhook or return whose signature is missing, malformed, wrong or too old."""

    def __init__(self, message: str, header: str = "") -> None:
        super().__init__(message)
        self.header = header


def error_for(status: int, body: Any, headers: dict[str, str]) -> PaymuxError:
    """The typed error of an error answer (`{"error": {"code", "message", …}}` or anything)."""
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        message = body.get("message") if isinstance(body, dict) else None
        error = {"code": "", "message": str(message or f"HTTP {status}")}
    kind = _kind(status, str(error.get("code", "")))
    details = error.get("details")
    return kind(
        str(error.get("message", "")),
        status=status,
        code=str(error.get("code", "")),
        request_id=str(error.get("request_id", "")),
        details=details if isinstance(details, list) else [],
        headers=headers,
    )


def _kind(status: int, code: str) -> type[PaymuxError]:
    if status == 409:
        return IdempotencyError if code in IDEMPOTENCY_CODES else ConflictError
    fixed: dict[int, type[PaymuxError]] = {
        401: AuthenticationError,
        403: AuthenticationError,
        404: NotFoundError,
        429: RateLimitError,
    }
    if status in fixed:
        return fixed[status]
    if status >= 500:
        return ChannelError if code.startswith("channel_") else ApiError
    return InvalidRequestError if status >= 400 else ApiError
