"""The console's API, /console/api/*, one routed function behind the JWT authorizer: the user
comes from the verified claims (console.identity), every answer is JSON, every error typed.

  GET   /console/api/me                                   who is logged in
  GET   /console/api/dashboard?day=&granularity=          console.dashboard
  GET   /console/api/payments?id=|merchant_order_no=&merchant_id=|day=&status=
  GET   /console/api/payments/{payment_id}                with events and notifications
  GET   /console/api/exceptions                           operators
  POST  /console/api/exceptions/{id}/resolve  {"note"}    operators, audited
  GET   /console/api/reconciliation?from=&to=             operators
  GET   /console/api/reconciliation/{day}/exports/{fmt}   operators: a presigned URL
  GET   /console/api/accounts                             operators: accounts and bindings
  PATCH /console/api/accounts/{account_id}  {enabled|weight[, version]}  operators, audited
  PATCH /console/api/bindings/{binding_id}  {enabled|weight[, version]}  operators, audited"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from paymux.api.admin import json_object
from paymux.api.http import Outcome, Request, handle
from paymux.api.media import JSON, media_type
from paymux.console import accounts, exceptions_queue, payments, reconciliation
from paymux.console.dashboard import dashboard
from paymux.console.identity import ConsoleUser, console_user
from paymux.console.stats_port import stats_source
from paymux.deps import Deps
from paymux.errors import MethodNotAllowed, NotFound, UnsupportedMediaType

Operation = Callable[[Deps, ConsoleUser, Request, list[str]], Any]
PREFIX = "/console/api/"
_ID = r"([A-Za-z0-9_.=-]{1,400})"


def _me(d: Deps, user: ConsoleUser, request: Request, args: list[str]) -> Any:
    return {
        "sub": user.sub,
        "username": user.username,
        "role": user.role,
        "merchant_id": user.merchant_id or None,
    }


def _body(request: Request) -> dict[str, Any]:
    if media_type(request.header("content-type")) != JSON:
        raise UnsupportedMediaType(f"the console sends {JSON} bodies")
    return json_object(request.body)


ROUTES: list[tuple[str, re.Pattern[str], Operation]] = [
    ("GET", re.compile("me"), _me),
    ("GET", re.compile("dashboard"), lambda d, u, r, a: dashboard(stats_source(d), u, r.query)),
    ("GET", re.compile("payments"), lambda d, u, r, a: payments.search(d, u, r.query)),
    ("GET", re.compile(f"payments/{_ID}"), lambda d, u, r, a: payments.detail(d, u, a[0])),
    ("GET", re.compile("exceptions"), lambda d, u, r, a: {"data": exceptions_queue.open_exceptions(d, u)}),
    (
        "POST",
        re.compile(f"exceptions/{_ID}/resolve"),
        lambda d, u, r, a: exceptions_queue.resolve(d, u, a[0], _body(r)),
    ),
    ("GET", re.compile("reconciliation"), lambda d, u, r, a: {"data": reconciliation.days(d, u, r.query)}),
    (
        "GET",
        re.compile(f"reconciliation/{_ID}/exports/{_ID}"),
        lambda d, u, r, a: reconciliation.export(d, u, a[0], a[1]),
    ),
    ("GET", re.compile("accounts"), lambda d, u, r, a: accounts.overview(d, u)),
    (
        "PATCH",
        re.compile(f"accounts/{_ID}"),
        lambda d, u, r, a: accounts.change_account(d, u, a[0], _body(r)),
    ),
    (
        "PATCH",
        re.compile(f"bindings/{_ID}"),
        lambda d, u, r, a: accounts.change_binding(d, u, a[0], _body(r)),
    ),
]


def route(method: str, path: str) -> tuple[Operation, list[str]]:
    """The operation of `method path`: NotFound for no path, MethodNotAllowed for another method."""
    rest = path.removeprefix(PREFIX) if path.startswith(PREFIX) else None
    allowed: list[str] = []
    for verb, pattern, operation in ROUTES:
        found = pattern.fullmatch(rest) if rest is not None else None
        if found is None:
            continue
        if verb == method:
            return operation, list(found.groups())
        allowed.append(verb)
    if allowed:
        raise MethodNotAllowed(f"{method} is not routed here", allow=tuple(allowed))
    raise NotFound("no such console route")


def handle_console(d: Deps, event: dict[str, Any]) -> dict[str, Any]:
    def run(request: Request) -> Outcome:
        user = console_user(event)  # before routing: without a token nothing is told
        operation, args = route(request.method, request.path)
        return 200, operation(d, user, request, args)

    return handle(run, event)
