"""The console's API, /console/api/*: one Lambda function per operation behind the HTTP API's
JWT authorizer (ConsoleJwt). OPERATIONS is the one catalogue the template, the local stack, the
tests and the $default answers agree on: each operation's method and path, its function
(functions/console_<name>/, Console<Name>Function) and the AWS actions it makes, from which
its IAM policy is written and checked (tests/unit/test_console_catalogue.py).

Each operation's code is imported on its function's first call only (`_run` imports it), so
a function loads its own operation and nothing of the others. The user comes from the verified
claims (console.identity), every answer is JSON, every error typed. What no operation takes,
`ANY /console/api/{proxy+}` (the authorizer first: without a token nothing is told), is a
typed 405 with Allow for a catalogued path, else 404 (ConsoleUnroutedFunction)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import cache
from typing import TYPE_CHECKING, Any

from paymux.api.http import Outcome, Request, handle
from paymux.console.identity import ConsoleUser, console_user
from paymux.errors import MethodNotAllowed, NotFound

if TYPE_CHECKING:  # the catalogue is read by paymux.api.openapi and the $default route: no deps
    from paymux.deps import Deps

Operation = Callable[["Deps", ConsoleUser, Request], Any]
PREFIX = "/console/api/"
UNROUTED_PATH = "/console/api/{proxy+}"
UNROUTED_FUNCTION = "ConsoleUnroutedFunction"
_ID = re.compile(r"[A-Za-z0-9_.=-]{1,400}")  # what a path parameter may be; anything else is a 404
_PARAM = re.compile(r"\{(\w+)\}")
# The table's actions (on the table and its indexes) and the reports bucket's.
READ = ("dynamodb:GetItem", "dynamodb:Query")
AUDITED = ("dynamodb:PutItem",)  # console.audit.record_action
REPORTS = ("s3:GetObject", "s3:ListBucket")  # a missing key is NoSuchKey, not AccessDenied


@dataclass(frozen=True, slots=True)
class ConsoleOperation:
    name: str  # functions/console_<name>/
    method: str
    path: str  # as the HTTP API routes it
    run: str  # the `_<run>` adapter below
    actions: tuple[str, ...] = ()  # every AWS action it may make; its policy grants these only
    summary: str = ""

    @property
    def function(self) -> str:
        return "Console" + "".join(p.capitalize() for p in self.name.split("_")) + "Function"

    @property
    def directory(self) -> str:
        return f"console_{self.name}"

    @property
    def pattern(self) -> re.Pattern[str]:
        return _compile(self.path)


OPERATIONS: tuple[ConsoleOperation, ...] = (
    ConsoleOperation("me", "GET", "/console/api/me", "me", (), "who is logged in"),
    ConsoleOperation("dashboard", "GET", "/console/api/dashboard", "dashboard", READ, "the day's figures"),
    ConsoleOperation(
        "payments",
        "GET",
        "/console/api/payments",
        "payments",
        (*READ, "dynamodb:BatchGetItem"),  # a day's payments: keys from the KEYS_ONLY indexes, then items
        "payment search",
    ),
    ConsoleOperation(
        "payment", "GET", "/console/api/payments/{payment_id}", "payment", READ, "a payment, events, notices"
    ),
    ConsoleOperation(
        "exceptions", "GET", "/console/api/exceptions", "exceptions", READ, "the open exceptions"
    ),
    ConsoleOperation(
        "resolve_exception",
        "POST",
        "/console/api/exceptions/{exception_id}/resolve",
        "resolve",
        # a reversal_unconfirmed one moves its payment (services.reversal_review): the transition's
        # transaction and the merchant's notification
        (*READ, "dynamodb:UpdateItem", "dynamodb:TransactWriteItems", *AUDITED, "sqs:SendMessage"),
        "resolve an exception (audited)",
    ),
    ConsoleOperation(
        "reconciliation", "GET", "/console/api/reconciliation", "reconciliation", REPORTS, "reconciled days"
    ),
    ConsoleOperation(
        "export",
        "GET",
        "/console/api/reconciliation/{day}/exports/{format}",
        "export",
        REPORTS,
        "a day's report as a presigned URL",
    ),
    ConsoleOperation("accounts", "GET", "/console/api/accounts", "accounts", READ, "accounts and bindings"),
    ConsoleOperation(
        "change_account",
        "PATCH",
        "/console/api/accounts/{account_id}",
        "change_account",
        (*READ, "dynamodb:PutItem"),  # the versioned put of services.channel_admin; the audit
        "enable, disable, weigh an account (audited)",
    ),
    ConsoleOperation(
        "change_binding",
        "PATCH",
        "/console/api/bindings/{binding_id}",
        "change_binding",
        (*READ, "dynamodb:PutItem"),  # the versioned put of services.bindings; the audit
        "enable, disable, weigh a binding (audited)",
    ),
    ConsoleOperation(
        "audit",
        "GET",
        "/console/api/audit",
        "audit",
        (*READ, "dynamodb:BatchGetItem"),
        "the operators' actions",
    ),
)
BY_NAME = {op.name: op for op in OPERATIONS}


@cache
def _compile(path: str) -> re.Pattern[str]:
    segments = [
        f"(?P<{found.group(1)}>[^/]+)" if (found := _PARAM.fullmatch(s)) else re.escape(s)
        for s in path.split("/")
    ]
    return re.compile("/".join(segments))


# The adapters: each imports its operation's modules on first use (a function loads its own only).
# ruff: noqa: PLC0415


def _body(request: Request) -> dict[str, Any]:
    from paymux.api.admin import json_object
    from paymux.api.media import JSON, media_type
    from paymux.errors import UnsupportedMediaType

    if media_type(request.header("content-type")) != JSON:
        raise UnsupportedMediaType(f"the console sends {JSON} bodies")
    return json_object(request.body)


def _me(d: Deps, user: ConsoleUser, request: Request) -> Any:
    return {
        "sub": user.sub,
        "username": user.username,
        "role": user.role,
        "merchant_id": user.merchant_id or None,
    }


def _dashboard(d: Deps, user: ConsoleUser, request: Request) -> Any:
    from paymux.console.dashboard import dashboard
    from paymux.console.stats_port import stats_source

    return dashboard(stats_source(d), user, request.query)


def _payments(d: Deps, user: ConsoleUser, request: Request) -> Any:
    from paymux.console import payments

    return payments.search(d, user, request.query)  # {data, next}


def _payment(d: Deps, user: ConsoleUser, request: Request) -> Any:
    from paymux.console import payments

    return payments.detail(d, user, request.path_params["payment_id"])


def _exceptions(d: Deps, user: ConsoleUser, request: Request) -> Any:
    from paymux.console import exceptions_queue

    return {"data": exceptions_queue.open_exceptions(d, user)}


def _resolve(d: Deps, user: ConsoleUser, request: Request) -> Any:
    from paymux.console import exceptions_queue

    return exceptions_queue.resolve(d, user, request.path_params["exception_id"], _body(request))


def _reconciliation(d: Deps, user: ConsoleUser, request: Request) -> Any:
    from paymux.console import reconciliation

    return {"data": reconciliation.days(d, user, request.query)}


def _export(d: Deps, user: ConsoleUser, request: Request) -> Any:
    from paymux.console import reconciliation

    return reconciliation.export(d, user, request.path_params["day"], request.path_params["format"])


def _accounts(d: Deps, user: ConsoleUser, request: Request) -> Any:
    from paymux.console import accounts

    return accounts.overview(d, user)


def _change_account(d: Deps, user: ConsoleUser, request: Request) -> Any:
    from paymux.console import accounts

    return accounts.change_account(d, user, request.path_params["account_id"], _body(request))


def _change_binding(d: Deps, user: ConsoleUser, request: Request) -> Any:
    from paymux.console import accounts

    return accounts.change_binding(d, user, request.path_params["binding_id"], _body(request))


def _audit(d: Deps, user: ConsoleUser, request: Request) -> Any:
    from paymux.console import audit

    return audit.listing(d, user, request.query)


ADAPTERS: dict[str, Operation] = {op.run: globals()[f"_{op.run}"] for op in OPERATIONS}


def allowed(path: str) -> tuple[str, ...]:
    """The methods the catalogue serves `path` with (empty: no such console path)."""
    return tuple(sorted({op.method for op in OPERATIONS if op.pattern.fullmatch(path)}))


def route(method: str, path: str) -> tuple[ConsoleOperation, dict[str, str]]:
    """The operation of `method path`: NotFound for no path, MethodNotAllowed for another method."""
    for op in OPERATIONS:
        found = op.pattern.fullmatch(path)
        if found is not None and op.method == method:
            return op, found.groupdict()
    methods = allowed(path)
    if methods:
        raise MethodNotAllowed(f"{method} is not routed here", allow=methods)
    raise NotFound("no such console route")


def _call(d: Deps, op: ConsoleOperation, event: dict[str, Any], request: Request) -> Outcome:
    user = console_user(event)  # before anything else: without a token nothing is told
    if not all(_ID.fullmatch(v) for v in request.path_params.values()):
        raise NotFound("no such console route")  # an id no grammar allows names nothing
    return 200, ADAPTERS[op.run](d, user, request)


def operation_handler(name: str) -> Callable[[Deps, dict[str, Any]], dict[str, Any]]:
    """What functions/console_<name>/app.py runs: the one operation API Gateway routed to it."""
    op = BY_NAME[name]
    return lambda d, event: handle(lambda request: _call(d, op, event, request), event)


def handle_console(d: Deps, event: dict[str, Any]) -> dict[str, Any]:
    """Routes by the catalogue: ConsoleUnroutedFunction (only what no operation's route takes
    reaches it, so it answers 401, 403, 404 or 405) and tests calling any operation by path."""

    def run(request: Request) -> Outcome:
        console_user(event)
        op, params = route(request.method, request.path)
        return _call(d, op, event, replace(request, path_params=params))

    return handle(run, event)
