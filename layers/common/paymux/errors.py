"""One hierarchy of typed errors. Each carries its HTTP status and a stable machine-readable code;
`paymux.api.http` maps them to responses in one place.

`should_retry` says whether the same request, sent again (with the same Idempotency-Key), can
succeed and is safe: the answer's `Paymux-Should-Retry` header (docs/errors.md). It is False by
default. paymux.api.idempotency stores every other 4xx under its Idempotency-Key and replays it,
so a retry with that key can only get it again; a 5xx or a `should_retry` error is not stored,
so the retry runs. `retry_after` (seconds) is the `Retry-After` header, where a wait is known."""

from __future__ import annotations

from typing import Any


class PaymuxError(Exception):
    status = 500
    code = "internal_error"
    # an unexpected error: its outcome is unknown, so nothing says that sending it again is safe
    should_retry = False
    retry_after: int | None = None

    def __init__(self, message: str, *, details: list[dict[str, Any]] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or []


class ConfigurationError(PaymuxError):
    code = "configuration_error"


class BadRequest(PaymuxError):
    status = 400
    code = "bad_request"


class ValidationFailed(PaymuxError):
    status = 422
    code = "validation_failed"


class OwnershipRefused(ValidationFailed):
    """A configuration that would let one merchant's money reach an account that is not its
    own (funds are never pooled): e.g. `account_owner_required`, `binding_account_not_provider`."""

    def __init__(self, code: str, message: str, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.code = code


class PayerLimitExceeded(PaymuxError):
    """A per-payer daily limit of the merchant app's risk setting refused a create; nothing was
    written. 422, not 429: retrying does not help before the Asia/Shanghai day ends, and
    clients retry 429s by themselves."""

    status = 422

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class AuthenticationFailed(PaymuxError):
    status = 401
    code = "authentication_failed"

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class NotFound(PaymuxError):
    status = 404
    code = "not_found"


class MethodNotAllowed(PaymuxError):
    """A known path asked with a method it does not route; `allow` lists those it does."""

    status = 405
    code = "method_not_allowed"

    def __init__(self, message: str, *, allow: tuple[str, ...]) -> None:
        super().__init__(message)
        self.allow = allow


class NotAcceptable(PaymuxError):
    """The Accept header allows none of the media types the API answers in (JSON, XML)."""

    status = 406
    code = "not_acceptable"


class PayloadTooLarge(PaymuxError):
    status = 413
    code = "payload_too_large"


class UnsupportedMediaType(PaymuxError):
    status = 415
    code = "unsupported_media_type"


class RateLimited(PaymuxError):
    """Too many requests of one kind in a short window (the static payment code's sessions per
    minute): retrying later helps."""

    status = 429
    code = "rate_limited"


class Conflict(PaymuxError):
    status = 409
    code = "conflict"

    def __init__(self, code: str, message: str, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.code = code


class InProgress(Conflict):
    """Another request is still doing what this one asks (`idempotency_key_in_use`: the first
    request with this Idempotency-Key is running). This one did nothing and was not stored, so
    the same request, sent again shortly, gets the first one's answer."""

    should_retry = True
    retry_after = 1


class OutcomeNotKnown(Conflict):
    """The channel cannot say yet whether the payment is paid (a payer's code still being
    charged; a front order its payer may still pay until its payTimeout, which UnionPay cannot
    close): closing it now could lose a charge, so nothing changes. Query it and try later.
    Not `should_retry`: the answer is stored under the Idempotency-Key, so a retry with the same
    key replays it; close later with a new key."""

    def __init__(self, message: str, **kwargs: Any) -> None:
        super().__init__("payment_outcome_unknown", message, **kwargs)


class IllegalTransition(Conflict):
    """A state change the state machine forbids, or one that lost a race (condition failed)."""

    def __init__(self, message: str) -> None:
        super().__init__("illegal_state_transition", message)


class ChannelError(PaymuxError):
    """The channel answered with a business error: the request was understood and refused.

    `retryable_elsewhere` is True only when the channel certainly created nothing, so another
    account or channel may be tried before the payer is charged."""

    status = 502
    code = "channel_rejected"

    def __init__(
        self,
        message: str,
        *,
        channel_code: str = "",
        retryable_elsewhere: bool = False,
        details: list[dict[str, Any]] | None = None,
    ) -> None:
        super().__init__(message, details=details)
        self.channel_code = channel_code
        self.retryable_elsewhere = retryable_elsewhere


class ChannelUnavailable(ChannelError):
    """No usable answer (timeout, connection error, 5xx, unverifiable response): the outcome is
    unknown, so the order stays open and is resolved by active query."""

    status = 503
    code = "channel_unavailable"
    # Nothing was decided: a create stays PENDING and, sent again, is sent again with the same
    # out_trade_no (services.payments._repeated); a close or a query changed nothing.
    should_retry = True


class ChannelAuthorizationInvalid(ChannelError):
    """A provider-mode call refused because the sub-merchant's authorization of paymux is not
    valid (Alipay: its app_auth_token is wrong, revoked or expired). Nothing was done for the
    merchant, so another account may be tried; `refreshable` says a token refresh may cure it,
    otherwise the merchant must authorize again. Its API answer is the parent's
    (502 channel_rejected): the merchant's request was refused by the channel."""

    def __init__(self, message: str, *, channel_code: str = "", refreshable: bool = False) -> None:
        super().__init__(message, channel_code=channel_code, retryable_elsewhere=True)
        self.refreshable = refreshable


class Busy(PaymuxError):
    """DynamoDB cancelled a write that met another transaction on one of its items (a
    TransactionConflict), again after a few quick retries: nothing was written, and sending the
    same request again is safe."""

    status = 503
    code = "busy"
    should_retry = True
    retry_after = 1


class CallbackRejected(PaymuxError):
    """A channel callback that cannot be trusted (signature, freshness, key, decryption).
    `reason` is one of paymux.observability.CALLBACK_REASONS (the CallbackRejected metric)."""

    status = 401
    code = "callback_rejected"

    def __init__(self, message: str, *, reason: str = "malformed") -> None:
        super().__init__(message)
        self.reason = reason


class Gone(PaymuxError):
    """Something that existed and can no longer be used: a checkout session that expired or
    was completed (`checkout_session_expired`, `checkout_session_completed`)."""

    status = 410
    code = "gone"

    def __init__(self, code: str, message: str, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.code = code


class PayerCodeUnrecognized(ValidationFailed):
    """`payer.auth_code` of a `barcode` payment matches no wallet's published code rule (or
    the wallet's product is not offered): nothing is written, nothing is sent."""

    code = "payer_code_unrecognized"
