"""The OpenAPI 3.1 description of the merchant API, built from the code: request schemas from the
request models, response schemas from `paymux.api.resources`, the routes from the table below
(a unit test checks it against template.yaml's HttpApi events, both ways), the prose and the
table's building blocks from `paymux.api.openapi_text`.

Only the standard library is imported at module level; `build_spec()` imports the models, so a
handler that serves a cached document pays for pydantic once, on first use.

Regenerate the committed copy (tests/unit/test_openapi.py fails while it differs):
    PYTHONPATH=layers/common .venv/bin/python -m paymux.api.openapi > docs/openapi.json"""

from __future__ import annotations

import json
import re
from http import HTTPStatus
from typing import Any

from paymux.api.http import RETRY_HEADER
from paymux.api.openapi_examples import EXAMPLES, error_example, xml_content
from paymux.api.openapi_text import (
    AUTH,
    BAD_JSON,
    BAD_KEY,
    BUSY,
    IDEMPOTENCY,
    IDEMPOTENCY_KEY,
    INFO_DESCRIPTION,
    INTERNAL,
    JSON,
    NOT_ACCEPTABLE,
    NOT_ALLOWED,
    NOT_FOUND,
    REJECTED,
    SECURITY_DESCRIPTION,
    TAGS,
    TOO_LARGE,
    UNAVAILABLE,
    UNREADABLE,
    UNSUPPORTED,
    XML,
    XML_BODY,
    Codes,
    Param,
    Route,
    Success,
    webhooks,
)
from paymux.console.api import OPERATIONS as CONSOLE_OPERATIONS
from paymux.console.api import UNROUTED_FUNCTION as CONSOLE_UNROUTED
from paymux.console.api import UNROUTED_PATH as CONSOLE_UNROUTED_PATH
from paymux.domain.ids import EVENT_ID, MERCHANT_ORDER_NO, PAYMENT_ID, REFUND_ID, ULID_PATTERN

REF = "#/components/schemas/{model}"
SECURITY = "PaymuxHmac"
# Each path parameter's grammar: anything else is answered 404 without a lookup.
PATH_PARAMS = {
    "payment_id": ("the payment's id (pay_…)", PAYMENT_ID),
    "refund_id": ("the refund's id (re_…)", REFUND_ID),
    "notification_id": ("the notification's id (evt_…)", EVENT_ID),
    "session_id": ("the checkout session's id (cs_…)", re.compile(f"cs_{ULID_PATTERN}")),
}


def _pattern(grammar: re.Pattern[str]) -> dict[str, str]:
    return {"type": "string", "pattern": f"^{grammar.pattern}$"}


_AGAIN = "was sent before with the same parameters: the existing one."
_NOT_MODIFIED = Success(304, "Not modified: If-None-Match matched the ETag.", media=None)

# fmt: off
# An ISO 8601 date or date-time with an offset, years 2000-2100 (services/stats.parse_instant
# also refuses a day the calendar lacks, e.g. 2026-02-30).
INSTANT = {
    "type": "string",
    "pattern": (
        r"^(20[0-9]{2}|2100)-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
        r"(T([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]{1,6})?)?(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9]))?$"
    ),
}

ROUTES: tuple[Route, ...] = (
    Route(
        "POST", "/v1/payments", "createPayment", "CreatePaymentFunction", "payments", "Create a payment",
        "Creates the order at a channel that offers `method`. Idempotent on `merchant_order_no`.",
        (Success(201, "Created and submitted: `action` tells the payer how to pay.", "PaymentResource"),
         Success(200, f"This merchant_order_no {_AGAIN}", "PaymentResource")),
        errors={
            400: (("bad_request", "the method needs payer.openid (jsapi, mini program) or "
                   "payer.client_ip (h5)"),),
            409: (("duplicate_merchant_order_no", "merchant_order_no was used with other parameters"),),
            422: (("validation_failed", "invalid body, method not enabled, amount above the app's limit, "
                   "a URL not allowed, or no payer identifier the app's payer limits count by; details "
                   "name the fields"),
                  ("payer_daily_count_exceeded", "this payer has made as many payments with the merchant "
                   "today (Asia/Shanghai) as the app's payer limits allow; nothing was written"),
                  ("payer_daily_amount_exceeded", "this payment would take the payer over today's amount "
                   "limit (Asia/Shanghai); nothing was written")),
            502: (("channel_rejected", "the channel refused the order: the payment is now FAILED"),),
            503: (("channel_unavailable", "no channel account offers the method, or the channel could not be "
                   "reached: the payment stays PENDING and is resolved by active query"), *BUSY),
        },
        request="CreatePaymentRequest",
    ),
    Route(
        "GET", "/v1/payments", "getPaymentByMerchantOrderNo", "GetPaymentFunction", "payments",
        "Find a payment by merchant_order_no", "Your own order number instead of paymux's id.",
        (Success(200, "The payment.", "PaymentResource"),),
        errors={404: NOT_FOUND, 422: (("validation_failed", "merchant_order_no is missing or malformed"),)},
        query=(Param("merchant_order_no", "your order number", _pattern(MERCHANT_ORDER_NO), True),),
    ),
    Route(
        "GET", "/v1/payments/{payment_id}", "getPayment", "GetPaymentFunction", "payments", "Get a payment",
        "With `sync=true` an open payment is first queried at the channel.",
        (Success(200, "The payment.", "PaymentResource"),),
        errors={404: NOT_FOUND, 422: (("validation_failed", "sync is neither true nor false"),),
                502: REJECTED, 503: UNAVAILABLE + BUSY},
        query=(Param("sync", "ask the channel before answering (open payments only)",
                     {"type": "boolean", "default": False}),),
    ),
    Route(
        "POST", "/v1/payments/{payment_id}/close", "closePayment", "ClosePaymentFunction", "payments",
        "Close an unpaid payment", "Closes the order at the channel first, then here. A CLOSED payment is "
        "answered unchanged; one the channel reports paid becomes SUCCESS instead (409).",
        (Success(200, "The closed payment.", "PaymentResource"),),
        errors={
            404: NOT_FOUND,
            409: (("payment_not_closable", "the payment is SUCCESS, FAILED or REFUNDED"),
                  ("payment_already_paid", "the payer paid before the close: the payment is now SUCCESS"),
                  ("payment_under_review", "the channel's answer disagrees with the payment, or a payer "
                   "code's accepted reversal still reads paid: it stays open while operators look"),
                  ("payment_outcome_unknown", "the channel does not know yet whether the payer paid (a "
                   "payer's code still being charged, an order its payer may still pay): nothing changed; "
                   "query it and close it later")),
            502: REJECTED,
            503: (*UNAVAILABLE, ("route_refused", "the payment's channel account is no longer configured"),
                  *BUSY),
        },
    ),
    Route(
        "POST", "/v1/payments/{payment_id}/refunds", "createRefund", "RefundPaymentFunction", "refunds",
        "Refund a payment", "Partial and repeated refunds up to the amount paid. A refund is PROCESSING "
        "until the channel settles it (refund.succeeded or refund.failed notification). Idempotent on "
        "`merchant_refund_no`.",
        (Success(201, "Created and submitted to the channel.", "RefundResource"),
         Success(200, f"This merchant_refund_no {_AGAIN}", "RefundResource")),
        errors={
            404: NOT_FOUND,
            409: (("duplicate_merchant_refund_no", "merchant_refund_no was used with other parameters"),
                  ("payment_not_refundable", "the payment is not SUCCESS")),
            422: (("validation_failed", "invalid body, or the amount exceeds what is refundable"),),
            503: (("route_refused", "the payment's channel account is no longer configured"), *BUSY),
        },
        request="CreateRefundRequest",
    ),
    Route(
        "GET", "/v1/refunds/{refund_id}", "getRefund", "GetRefundFunction", "refunds", "Get a refund", "",
        (Success(200, "The refund.", "RefundResource"),),
        errors={404: NOT_FOUND},
    ),
    Route(
        "GET", "/v1/stats", "getStats", "GetStatsFunction", "stats", "Payment stats",
        "Counts, amounts, success rates with and without fallback rescues, average transaction value and "
        "the method mix of your payments, per period and group, from exact aggregates (docs/analytics.md). "
        "A range spans at most 7 days at 15m, 31 days at 1h (or 1d grouped by hour), 92 days at 1d; "
        "`from` and `to` start periods of the granularity (Asia/Shanghai).",
        (Success(200, "The stats.", "StatsResource"),),
        errors={422: (("validation_failed", "from or to missing, malformed or not on a period's start, "
                       "to not after from, the range too long, or an unknown granularity, group_by or "
                       "currency; details name the field"),)},
        query=(Param("from", "the range's start (inclusive): ISO 8601 date-time with an offset, or a date "
                     "(its Asia/Shanghai midnight), years 2000-2100", INSTANT, True),
               Param("to", "the range's end (exclusive), as from", INSTANT, True),
               Param("granularity", "the series' period", {"type": "string", "enum": ["15m", "1h", "1d"],
                                                           "default": "1h"}),
               Param("group_by", "also per method, provider or hour of day",
                     {"type": "string", "enum": ["method", "provider", "hour"]}),
               Param("currency", "the payments' currency", {"type": "string", "default": "CNY",
                                                            "pattern": "^[A-Z]{3}$"})),
    ),
    Route(
        "GET", "/v1/payments/{payment_id}/events", "listPaymentEvents", "ListPaymentEventsFunction",
        "payments", "List a payment's events", "Every change of the payment and its refunds, oldest first.",
        (Success(200, "The audit trail.", "EventList"),),
        errors={404: NOT_FOUND},
    ),
    Route(
        "GET", "/v1/payments/{payment_id}/notifications", "listPaymentNotifications",
        "ListNotificationsFunction", "notifications", "List a payment's notifications",
        "Every notification sent about the payment and its refunds, oldest first, with every delivery "
        "attempt (time, status code, latency, error, next retry).",
        (Success(200, "The notifications.", "NotificationList"),),
        errors={404: NOT_FOUND},
    ),
    Route(
        "POST", "/v1/notifications/{notification_id}/resend", "resendNotification",
        "ResendNotificationFunction", "notifications", "Resend a failed notification",
        "One more delivery, now, of a notification that failed after its last retry. It is pending "
        "again; its earlier attempts are kept.",
        (Success(202, "Accepted: the delivery is queued.", "NotificationResource"),),
        errors={
            404: (("not_found", "no such notification, or another merchant's"),),
            409: (("notification_not_failed", "the notification is pending or delivered"),),
        },
    ),
    Route(
        "POST", "/v1/checkout/sessions", "createCheckoutSession", "CheckoutSessionsFunction", "checkout",
        "Create a checkout session", "A hosted page on paymux's domain where the payer chooses one of "
        "`methods` and pays; `checkout.session.completed` or `checkout.session.expired` follows. Idempotent "
        "on `merchant_order_no`. See docs/checkout.md.",
        (Success(201, "Created: send the payer to `url`.", "CheckoutSessionResource"),
         Success(200, f"This merchant_order_no {_AGAIN}", "CheckoutSessionResource")),
        errors={
            409: (("duplicate_merchant_order_no",
                   "merchant_order_no already has a session with other parameters"),),
            422: (("validation_failed", "invalid body, a method not enabled for the app, amount above "
                   "the app's limit, expires_in outside 30 min-24 h, or a URL not allowed; details name "
                   "the fields"),),
            503: BUSY,
        },
        request="CreateCheckoutSessionRequest",
    ),
    Route(
        "GET", "/v1/checkout/sessions/{session_id}", "getCheckoutSession", "CheckoutSessionsFunction",
        "checkout", "Get a checkout session", "Its status: open, completed (paid) or expired.",
        (Success(200, "The session.", "CheckoutSessionResource"),),
        errors={404: NOT_FOUND},
    ),
    Route(
        "GET", "/v1/openapi.json", "getOpenApiDocument", "ApiDocsFunction", "documentation",
        "This document", "The OpenAPI 3.1 description of this API.",
        (Success(200, "The OpenAPI document (with an ETag; cacheable)."), _NOT_MODIFIED),
        signed=False,
    ),
    Route(
        "GET", "/v1/docs", "getApiDocsPage", "ApiDocsFunction", "documentation", "This reference as HTML",
        "This document as one self-contained page: no scripts, no external resources.",
        (Success(200, "The HTML page (with an ETag; cacheable).", media="text/html"), _NOT_MODIFIED),
        signed=False,
    ),
)
# fmt: on

# template.yaml's HttpApi routes that are not part of the merchant API, and why.
UNDOCUMENTED = {
    ("POST", "/v1/callbacks/{provider}/{account_id}", "ChannelCallbackFunction"): (
        "the channels' asynchronous results, authenticated by each channel's own protocol"
    ),
    ("GET", "/v1/admin/exceptions", "ListExceptionsFunction"): (
        "an operators' endpoint behind IAM (SigV4) authorization, not part of the merchant API"
    ),
    # Channel accounts, administered by operators (IAM): described in docs/operations.md.
    ("GET", "/v1/admin/channel-accounts", "AdminListChannelAccountsFunction"): "operators, IAM",
    ("POST", "/v1/admin/channel-accounts", "AdminCreateChannelAccountFunction"): "operators, IAM",
    ("GET", "/v1/admin/channel-accounts/{account_id}", "AdminGetChannelAccountFunction"): "operators, IAM",
    ("PATCH", "/v1/admin/channel-accounts/{account_id}", "AdminUpdateChannelAccountFunction"): (
        "operators, IAM"
    ),
    ("POST", "/v1/callbacks/{provider}/{account_id}/authorization", "ChannelAuthorizationNoticeFunction"): (
        "Alipay's authorization-change notices, authenticated by the channel's own signature"
    ),
    # Bindings (provider mode), administered by operators (IAM): described in docs/operations.md.
    ("GET", "/v1/admin/bindings", "AdminListBindingsFunction"): "operators, IAM",
    ("POST", "/v1/admin/bindings", "AdminCreateBindingFunction"): "operators, IAM",
    ("GET", "/v1/admin/bindings/{binding_id}", "AdminGetBindingFunction"): "operators, IAM",
    ("PATCH", "/v1/admin/bindings/{binding_id}", "AdminUpdateBindingFunction"): "operators, IAM",
    # A merchant app's static code and its limits (operators, IAM): docs/operations.md.
    ("PATCH", "/v1/admin/apps/{app_id}/static-code", "AdminUpdateStaticCodeFunction"): "operators, IAM",
    # A reconciled day's report as a presigned URL (operators, IAM): docs/reconciliation.md.
    ("GET", "/v1/admin/reconciliation/{date}/reports/{format}", "AdminGetReconciliationReportFunction"): (
        "operators, IAM"
    ),
    # The hosted checkout's payer-facing pages (HTML, no merchant signature): docs/checkout.md.
    ("GET", "/checkout/{session_id}", "CheckoutPageFunction"): "the hosted checkout page (HTML)",
    ("GET", "/checkout/{session_id}/wechat", "CheckoutPageFunction"): "back from WeChat's OAuth (HTML)",
    ("GET", "/checkout/{session_id}/alipay", "CheckoutPageFunction"): "back from Alipay's OAuth (HTML)",
    ("GET", "/pay/{app_id}", "CheckoutPageFunction"): "the merchant's static code: type the amount (HTML)",
    ("POST", "/pay/{app_id}", "CheckoutPageFunction"): "the static code's amount: a new session (HTML)",
    ("GET", "/checkout/{session_id}/return", "CheckoutPageFunction"): "to the merchant's return_url, signed",
    # The operator and merchant console (Cognito users, not merchant apps): docs/console.md.
    ("GET", "/console", "ConsolePageFunction"): "the console's page (HTML)",
    ("POST", "/console/api/login", "ConsoleLoginFunction"): "the console's sign-in (Cognito)",
    ("POST", "/console/api/login/new-password", "ConsoleLoginFunction"): "a temporary password replaced",
    ("ANY", CONSOLE_UNROUTED_PATH, CONSOLE_UNROUTED): "what no console operation takes: 404, or 405 (JWT)",
    ("POST", "/checkout/{session_id}/pay", "CheckoutChooseFunction"): "the payer's choice of method (a form)",
    ("GET", "/checkout/{session_id}/status", "CheckoutStatusFunction"): "the page's status poll",
    # Every path also answers other methods: 405 with Allow (each operation lists it), or 404.
    ("ANY", "$default", "UnroutedFunction"): "what no other route takes: 405 with Allow, or 404",
    # The console's API, one function per operation (Cognito JWT): paymux.console.api.OPERATIONS.
    **{(op.method, op.path, op.function): f"the console: {op.summary}" for op in CONSOLE_OPERATIONS},
}


# The errors an operation answers after the Idempotency-Key is claimed: stored and replayed.
_REPLAYED = (400, 404, 409, 422)


def _ref(name: str) -> dict[str, str]:
    return {"$ref": REF.format(model=name)}


def _errors(route: Route) -> dict[int, Codes]:
    errors = dict(route.errors)
    errors[405] = NOT_ALLOWED
    if route.signed:  # read by paymux.api.http.handle: Accept and a body it cannot read, first
        errors.update({400: UNREADABLE, 401: AUTH, 406: NOT_ACCEPTABLE, 413: TOO_LARGE, 415: UNSUPPORTED})
    if route.request:
        errors[422] = (*errors.get(422, ()), BAD_JSON)
    if route.method == "POST":
        errors[409] = errors.get(409, ()) + IDEMPOTENCY
        errors[422] = (*errors.get(422, ()), BAD_KEY)
    errors[500] = INTERNAL
    return dict(sorted(errors.items()))


def _retry_headers(codes: Codes) -> dict[str, Any]:
    """`Paymux-Should-Retry` of an error answer, and `Retry-After` where one of its codes waits
    (paymux.api.error_codes: what the error classes answer; docs/errors.md)."""
    from paymux.api.error_codes import retry_markers  # noqa: PLC0415 - imports the services

    markers = retry_markers()
    named = list(dict.fromkeys(code for code, _ in codes))
    retried = [code for code in named if "true" in markers.get(code, {})]
    named_true = [
        f"`{c}`" + (" (not every time: see docs/errors.md)" if len(markers[c]) > 1 else "") for c in retried
    ]
    text = f"`true` for {', '.join(named_true)}; " if retried else ""
    headers: dict[str, Any] = {
        RETRY_HEADER: {
            "description": f"{text}`false` otherwise: whether sending the same request again (same "
            "Idempotency-Key) is safe and can succeed (docs/errors.md)",
            "schema": {"type": "string", "enum": ["true", "false"]},
        }
    }
    waits = sorted({after for code in retried for after in markers[code]["true"] if after})
    if waits:
        headers["Retry-After"] = {
            "description": f"seconds to wait at least before sending it again ({', '.join(waits)})",
            "schema": {"type": "integer", "minimum": 0},
        }
    return headers


def _success(route: Route, ok: Success, replayed: dict[str, Any]) -> dict[str, Any]:
    response: dict[str, Any] = {"description": ok.description}
    if ok.media is not None:
        schema = _ref(ok.schema) if ok.schema else {"type": "object" if ok.media == JSON else "string"}
        response["content"] = {ok.media: {"schema": schema}}
        if route.signed and ok.schema:  # answered through paymux.api.http: XML when asked
            response["content"][XML] = _xml(ok.schema, "response")
    if route.method == "POST":
        response["headers"] = {"Idempotent-Replayed": replayed}
    elif not route.signed:
        response["headers"] = {
            "ETag": {"description": "the document's version", "schema": {"type": "string"}},
            "Cache-Control": {"schema": {"type": "string"}},
        }
    return response


def _xml(schema: str, root: str, example: Any = None) -> dict[str, Any]:
    return xml_content(_ref(schema), EXAMPLES.get(schema) if example is None else example, root)


def _param(name: str, where: str, required: bool, description: str, schema: Any) -> dict[str, Any]:
    return {"name": name, "in": where, "required": required, "description": description, "schema": schema}


def _parameters(route: Route, idempotency_key: dict[str, Any]) -> list[dict[str, Any]]:
    params = [
        _param(
            n,
            "path",
            True,
            PATH_PARAMS[n][0],
            {"type": "string", "pattern": f"^{PATH_PARAMS[n][1].pattern}$"},
        )
        for n in re.findall(r"{(\w+)}", route.path)
    ]
    params += [_param(q.name, "query", q.required, q.description, q.schema) for q in route.query]
    return [*params, idempotency_key] if route.method == "POST" else params


def _operation(route: Route, idempotency_key: dict[str, Any], replayed: dict[str, Any]) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "operationId": route.operation_id,
        "summary": route.summary,
        "tags": [route.tag],
    }
    if route.description:
        operation["description"] = route.description
    if params := _parameters(route, idempotency_key):
        operation["parameters"] = params
    if not route.signed:
        operation["security"] = []
    if route.request:
        operation["requestBody"] = {
            "description": XML_BODY,
            "required": True,
            "content": {JSON: {"schema": _ref(route.request)}, XML: _xml(route.request, "request")},
        }
    responses = {str(ok.status): _success(route, ok, replayed) for ok in route.ok}
    for status, codes in _errors(route).items():
        lines = [HTTPStatus(status).phrase, "", *(f"- `{code}`: {when}" for code, when in codes)]
        content = {JSON: {"schema": _ref("ErrorResponse")}}
        if route.signed and status != 406:  # a 406 is JSON: Accept allowed no XML
            content[XML] = _xml("ErrorResponse", "response", error_example(*codes[0]))
        responses[str(status)] = {
            "description": "\n".join(lines),
            "content": content,
            "x-paymux-error-codes": list(dict.fromkeys(code for code, _ in codes)),
        }
        headers = _retry_headers(codes)
        if route.method == "POST" and status in _REPLAYED:  # kept and replayed too
            headers["Idempotent-Replayed"] = replayed
        if status == 405:
            headers["Allow"] = {
                "description": "the methods this path is served with",
                "schema": {"type": "string"},
            }
        responses[str(status)]["headers"] = headers
    operation["responses"] = responses
    return operation


def _schemas() -> dict[str, Any]:
    """components/schemas: every request and response model and the models they use."""
    from paymux.api import resources  # noqa: PLC0415 - lazy: keeps this module's import cheap
    from paymux.api.models import (  # noqa: PLC0415
        METADATA_KEY,
        CreatePaymentRequest,
        CreateRefundRequest,
    )
    from paymux.checkout.models import (  # noqa: PLC0415
        PAGE_METHODS,
        CheckoutSessionResource,
        CreateCheckoutSessionRequest,
    )
    from paymux.domain.methods import METHODS, REQUESTABLE_METHODS  # noqa: PLC0415

    models = (
        CreatePaymentRequest,
        CreateRefundRequest,
        resources.PaymentResource,
        resources.RefundResource,
        resources.EventList,
        resources.NotificationList,
        resources.NotificationResource,
        resources.ErrorResponse,
        resources.NotificationEvent,
        resources.StatsResource,
        CreateCheckoutSessionRequest,
        CheckoutSessionResource,
    )
    schemas: dict[str, Any] = {}
    for model in models:
        schema = model.model_json_schema(ref_template=REF)
        for name, definition in [*schema.pop("$defs", {}).items(), (model.__name__, schema)]:
            if schemas.setdefault(name, definition) != definition:
                raise ValueError(f"two different schemas are named {name}")
    # What CreatePaymentRequest's validators enforce but its JSON schema cannot show.
    properties = schemas["CreatePaymentRequest"]["properties"]
    properties["currency"]["enum"] = ["CNY"]
    properties["method"]["enum"] = list(REQUESTABLE_METHODS)
    properties["fallback_methods"]["items"]["enum"] = list(METHODS)
    properties["fallback_methods"]["uniqueItems"] = True
    properties["metadata"].update(
        maxProperties=20,
        propertyNames={"minLength": 1, "maxLength": 40, "pattern": METADATA_KEY},
        additionalProperties={"type": "string", "maxLength": 500},
    )
    checkout = schemas["CreateCheckoutSessionRequest"]["properties"]
    checkout["currency"]["enum"] = ["CNY"]
    checkout["methods"]["items"] = {"type": "string", "enum": list(PAGE_METHODS)}
    checkout["methods"]["uniqueItems"] = True
    return dict(sorted(schemas.items()))


def build_spec() -> dict[str, Any]:
    """The OpenAPI 3.1.0 document (a new dict on every call; callers cache it)."""
    from paymux.api.idempotency import KEY_TTL_SECONDS  # noqa: PLC0415

    idempotency_key = _param(
        "Idempotency-Key",
        "header",
        False,
        IDEMPOTENCY_KEY.format(hours=KEY_TTL_SECONDS // 3600),
        {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[\\x21-\\x7e]+$"},
    )
    replayed = {
        "description": "present on a replayed response",
        "schema": {"type": "string", "const": "true"},
    }
    paths: dict[str, dict[str, Any]] = {}
    for route in ROUTES:
        paths.setdefault(route.path, {})[route.method.lower()] = _operation(route, idempotency_key, replayed)
    return {
        "openapi": "3.1.0",
        "info": {"title": "paymux API", "version": "v1", "description": INFO_DESCRIPTION},
        "tags": [{"name": name, "description": text} for name, text in TAGS.items()],
        "security": [{SECURITY: []}],
        "paths": paths,
        "webhooks": webhooks(_ref("NotificationEvent")),
        "components": {
            "schemas": _schemas(),
            "securitySchemes": {
                SECURITY: {
                    "type": "apiKey",
                    "in": "header",
                    "name": "Authorization",
                    "description": SECURITY_DESCRIPTION,
                }
            },
        },
    }


def dumps(spec: dict[str, Any]) -> str:
    """The committed form, docs/openapi.json."""
    return json.dumps(spec, indent=2, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    import sys

    sys.stdout.write(dumps(build_spec()))
