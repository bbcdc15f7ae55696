"""What paymux.api.openapi's route table is written with (routes, responses, error codes) and the
prose of the document: the introduction, the signing scheme and the merchant notifications (the
`webhooks` of OpenAPI 3.1). Standard library only."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

JSON = "application/json"
XML = "application/xml"
Codes = tuple[tuple[str, str], ...]  # (error.code, when it is answered)


@dataclass(frozen=True, slots=True)
class Success:
    status: int
    description: str
    schema: str | None = None  # a components/schemas name; None: free-form (see media)
    media: str | None = JSON  # None: no body


@dataclass(frozen=True, slots=True)
class Param:
    name: str
    description: str
    schema: dict[str, Any]
    required: bool = False


@dataclass(frozen=True, slots=True)
class Route:
    """One HttpApi route. 401 (signed routes), the Idempotency-Key answers (POST) and 500 are
    added to `errors` by paymux.api.openapi."""

    method: str
    path: str
    operation_id: str
    function: str  # the template's logical id
    tag: str
    summary: str
    description: str
    ok: tuple[Success, ...]
    errors: dict[int, Codes] = field(default_factory=dict)
    request: str | None = None  # a components/schemas name
    query: tuple[Param, ...] = ()
    signed: bool = True


NOT_FOUND: Codes = (("not_found", "no such object, or another merchant's"),)
UNAVAILABLE: Codes = (("channel_unavailable", "the channel could not be reached: the outcome is unknown"),)
BUSY: Codes = (
    (
        "busy",
        "another write kept touching the same record (DynamoDB TransactionConflict): nothing was written; "
        "send the same request again",
    ),
)
REJECTED: Codes = (("channel_rejected", "the channel refused the request (details: payment_id, status)"),)
AUTH: Codes = (
    ("missing_signature", "no Authorization header, or another scheme"),
    (
        "malformed_signature",
        "a pair is missing, repeated or unknown, a value has the wrong form, or the header is over 1 KB",
    ),
    ("stale_request", "timestamp is more than 300 s from paymux's clock"),
    ("invalid_signature", "unknown or suspended app, or the signature does not verify"),
    ("replayed_request", "this nonce was already used by this app"),
)
IDEMPOTENCY: Codes = (
    ("idempotency_key_reused", "this Idempotency-Key was used with a different request"),
    ("idempotency_key_in_use", "the first request with this Idempotency-Key is still running; retry shortly"),
)
BAD_KEY = ("validation_failed", "the Idempotency-Key header is not 1-255 printable ASCII characters")
IDEMPOTENCY_KEY = """\
Optional; any unique string, e.g. a UUID. Retrying with the same key and the same request replays \
the first response (with `Idempotent-Replayed: true`); the same key with a different request is \
refused with 409 `idempotency_key_reused`; while the first request runs, 409 \
`idempotency_key_in_use`. Keys are kept {hours} h per app; 5xx answers are not kept, so a retry \
runs again."""
UNREADABLE: Codes = (("bad_request", "the body is not valid UTF-8 (or, base64-encoded, not valid base64)"),)
NOT_ALLOWED: Codes = (("method_not_allowed", "this path is served with other methods: see `Allow`"),)
TOO_LARGE: Codes = (("payload_too_large", "the body is larger than 64 KiB"),)
UNSUPPORTED: Codes = (
    (
        "unsupported_media_type",
        "a body whose Content-Type is not application/json, application/xml or text/xml (charset utf-8)",
    ),
)
NOT_ACCEPTABLE: Codes = (("not_acceptable", "Accept allows neither application/json nor application/xml"),)
BAD_JSON = (
    "validation_failed",
    "the body is not JSON or not paymux XML (docs/xml.md: no DOCTYPE, no mixed content, no undefined "
    "attribute), names a key twice, nests deeper than 16 levels or holds a lone surrogate",
)
XML_BODY = """application/json, or application/xml as docs/xml.md maps JSON values to elements (root \
`<request>`; non-strings carry `type`). Either way the signature covers the exact bytes sent."""
INTERNAL: Codes = (("internal_error", "an unexpected error; nothing about it is revealed"),)

TAGS = {
    "payments": "Payments (orders) and their audit trail",
    "refunds": "Partial and full refunds of paid payments",
    "notifications": "The notifications sent to your notify_url: their deliveries, and resending them",
    "stats": "Exact aggregates of your payments: counts, amounts, success rates, the method mix",
    "checkout": "The hosted checkout: a session the payer pays on paymux's own page (docs/checkout.md)",
    "documentation": "This description; no signature needed",
}
INFO_DESCRIPTION = """\
One signed REST API in front of the payment channels (WeChat Pay today), in JSON or XML.

- Amounts are integers in fen (1/100 CNY). Times are ISO 8601 UTC with a `Z`, to the second.
- Every request is signed (see Authentication); only the documentation routes are not.
- Bodies may be `application/json` or `application/xml` (`text/xml` is read and answered as the same \
XML); answers are in the format `Accept` asks for (JSON without one, for `*/*` and on a tie; 406 \
`not_acceptable` if it allows neither). The XML is the same values (root `<request>` sent, \
`<response>` answered; see docs/xml.md). \
Notifications stay JSON.
- Errors are `{"error": {"code", "message", "details", "request_id"}}` with the error's HTTP \
status; each operation lists its codes. Every error answer carries `Paymux-Should-Retry: true` \
when the same request sent again (same `Idempotency-Key`) is safe and can succeed, with \
`Retry-After` (seconds) where a wait is known, and `false` when it cannot; the table of every \
code: docs/errors.md.
- Every POST takes an optional `Idempotency-Key` header; creating payments and refunds is also \
idempotent on your own order and refund numbers.
- Outcomes are pushed to your `notify_url` as signed notifications (see Webhooks).
- Bursts are throttled by API Gateway with 429 `{"message": "Too Many Requests"}`: retry later."""
SECURITY_DESCRIPTION = """\
`Authorization: PAYMUX-HMAC-SHA256 app_id="<app id>",timestamp="<unix seconds>",nonce="<nonce>",\
signature="<hex>"`, the pairs in any order, each once, nothing else, at most 1024 characters. \
`nonce`: 16-64 characters of `[A-Za-z0-9_-]`, new for every request. `timestamp`: within 300 s \
of paymux's clock.

`signature` = lower-case hex HMAC-SHA256(key = the app's secret, message = the string to sign): \
six lines, each ending in `\\n`: `PAYMUX-HMAC-SHA256`; the method in upper case; the path, with \
`?` and the query string exactly as sent if there is one; the timestamp; the nonce; the lower-case \
hex SHA-256 of the exact body bytes (of the empty string without a body).

The normative specification, with a test vector and how to verify notifications: \
docs/authentication.md."""
WEBHOOKS = {
    "payment.succeeded": "The payer paid: `data.object` is the payment, now SUCCESS.",
    "payment.failed": "The payment failed: `data.object` is the payment, now FAILED; `failure` says why.",
    "payment.closed": "The order was closed unpaid (by you, or on expiry): the payment, now CLOSED.",
    "payment.refunded": "Refunds reached the amount paid: the payment, now REFUNDED.",
    "refund.succeeded": "A refund succeeded: `data.object` is the refund, now SUCCESS.",
    "refund.failed": "A refund failed and its amount is refundable again: the refund, now FAILED.",
    "refund.abnormal": "The channel took the money from your balance but could not pay it back to the "
    "payer's account (WeChat Pay ABNORMAL): the refund, now ABNORMAL. It is not failed and not "
    "refundable again; paymux's operators re-issue it, and refund.succeeded follows.",
}
DELIVERY = """\
POSTed to the payment's `notify_url` with `Content-Type: application/json`. Verify \
`Paymux-Signature` over the raw body before trusting it (docs/authentication.md §2), and process \
each `id` once: retries carry the same id."""


def webhooks(body: dict[str, Any]) -> dict[str, Any]:
    """One webhook per notification type, each with `body` as its request body schema."""
    signature = (
        "`t=<unix seconds>,v1=<hex>[,v1=<hex>]`, v1 = hex HMAC-SHA256(app secret, `<t>.<raw body>`), "
        "one v1 per valid secret during a rotation; reject a t more than 300 s from your clock"
    )
    headers = [
        {"name": "Paymux-Signature", "in": "header", "required": True, "schema": {"type": "string"},
         "description": signature},
        {"name": "Paymux-Event-Id", "in": "header", "required": True, "schema": {"type": "string"},
         "description": "the notification's id (evt_…), as in the body"},
    ]  # fmt: skip
    responses = {
        "2XX": {"description": "Received. Answer within 5 s."},
        "default": {"description": "Anything else, or no answer in 5 s: retried after 1, 2, 4 … 512 s."},
    }
    return {
        event: {
            "post": {
                "operationId": "on" + "".join(part.title() for part in event.split(".")),
                "summary": event,
                "description": f"{summary}\n\n{DELIVERY}",
                "security": [],
                "parameters": headers,
                "requestBody": {"required": True, "content": {JSON: {"schema": body}}},
                "responses": responses,
            }
        }
        for event, summary in WEBHOOKS.items()
    }
