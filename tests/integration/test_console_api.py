"""The console's API (paymux.console.api) on moto, with the claims API Gateway's JWT authorizer
passes: a merchant user is kept to its merchant (another merchant's payment is the same 404 as
a missing one), operators' actions are refused to merchants and audited with the user's
identity, bad input is a typed 4xx with nothing written."""

from __future__ import annotations

import base64
import json
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl

import pytest

from local.seed import seed_wechat_partner
from paymux.clock import CHINA
from paymux.console.api import handle_console
from paymux.console.audit import actions_on
from paymux.console.identity import ConsoleUser, console_user
from paymux.services.exceptions import list_exceptions
from paymux.store.exceptions import record_exception
from sandbox.wechat import generate_merchant
from tests.console_browser.world import seed_payment

OPERATOR = {"sub": "sub-op", "cognito:username": "op", "cognito:groups": "[operators]", "token_use": "id"}
ALICE = {
    "sub": "sub-alice",
    "cognito:username": "alice",
    "cognito:groups": "[merchants]",
    "custom:merchant_id": "mch_a",
    "token_use": "id",
}


def event(
    method: str, path: str, claims: dict[str, str] | None, query: str = "", body: Any = None
) -> dict[str, Any]:
    context: dict[str, Any] = {"http": {"method": method, "path": path}, "requestId": "req-1"}
    if claims is not None:
        context["authorizer"] = {"jwt": {"claims": claims, "scopes": None}}
    return {
        "rawPath": path,
        "rawQueryString": query,
        "queryStringParameters": dict(parse_qsl(query)) or None,
        "headers": {"content-type": "application/json"} if body is not None else {},
        "body": json.dumps(body) if body is not None else None,
        "requestContext": context,
    }


def call(world, method: str, path: str, claims: dict[str, str] | None, query: str = "", body: Any = None):
    answer = handle_console(world.d, event(method, path, claims, query, body))
    return answer["statusCode"], json.loads(answer["body"])


@pytest.fixture
def shop(world):
    now = world.clock()
    return {
        "a": seed_payment(world.d, "mch_a", "A-1", 1999, now),
        "b": seed_payment(world.d, "mch_b", "B-1", 500, now + 1),
    }


def test_without_claims_every_route_is_401(world) -> None:
    for path in ("/console/api/me", "/console/api/payments", "/console/api/nowhere"):
        status, body = call(world, "GET", path, None)
        assert (status, body["error"]["code"]) == (401, "missing_token")


def test_another_merchants_payment_is_the_same_404_as_a_missing_one(world, shop) -> None:
    theirs = handle_console(world.d, event("GET", f"/console/api/payments/{shop['b'].payment_id}", ALICE))
    missing = handle_console(
        world.d, event("GET", "/console/api/payments/pay_01ARZ3NDEKTSV4RRFFQ69G5FAV", ALICE)
    )
    assert theirs["statusCode"] == missing["statusCode"] == 404
    assert theirs["body"] == missing["body"]
    status, own = call(world, "GET", f"/console/api/payments/{shop['a'].payment_id}", ALICE)
    assert status == 200
    assert own["payment"]["merchant_order_no"] == "A-1"
    assert [e["type"] for e in own["events"]] == ["payment.created"]


def test_a_merchant_search_never_finds_another_merchants_payment(world, shop) -> None:
    by_id = call(world, "GET", "/console/api/payments", ALICE, f"id={shop['b'].payment_id}")
    by_order = call(world, "GET", "/console/api/payments", ALICE, "merchant_order_no=B-1&merchant_id=mch_b")
    assert by_id == (200, {"data": [], "next": None}) and by_order == (200, {"data": [], "next": None})
    today = datetime.fromtimestamp(world.clock(), CHINA).date().isoformat()
    status, mine = call(world, "GET", "/console/api/payments", ALICE, f"day={today}")
    assert status == 200 and [p["merchant_order_no"] for p in mine["data"]] == ["A-1"]
    status, everyone = call(world, "GET", "/console/api/payments", OPERATOR, f"day={today}")
    assert sorted(p["merchant_order_no"] for p in everyone["data"]) == ["A-1", "B-1"]
    assert call(world, "GET", "/console/api/payments", ALICE, "status=PAID&day=" + today)[0] == 422


def test_operators_routes_refuse_merchant_users(world) -> None:
    for method, path, query in (
        ("GET", "/console/api/exceptions", ""),
        ("GET", "/console/api/accounts", ""),
        ("GET", "/console/api/reconciliation", "from=2026-11-01&to=2026-11-02"),
        ("PATCH", f"/console/api/accounts/{world.account_id}", ""),
    ):
        status, body = call(world, method, path, ALICE, query, {"weight": 5} if method == "PATCH" else None)
        assert (status, body["error"]["code"]) == (403, "forbidden"), path
    assert world.d.channel_config.record(world.account_id).account.weight != 5


def test_resolving_an_exception_takes_it_off_the_queue_and_is_audited(world) -> None:
    record_exception(world.d, "unknown_order", "wx-1/T-1", {"amount": 100}, key="cause-1", metric=None)
    status, queue = call(world, "GET", "/console/api/exceptions", OPERATOR)
    (item,) = queue["data"]
    path = f"/console/api/exceptions/{item['id']}/resolve"
    assert call(world, "POST", path, OPERATOR, body={"note": " "})[0] == 422
    status, resolved = call(world, "POST", path, OPERATOR, body={"note": "refunded by hand"})
    assert status == 200 and resolved["resolved_by"] == "console:op#sub-op"
    stored = world.d.dynamodb.get_item(
        TableName=world.d.settings.table, Key={"PK": {"S": "EXC#cause-1"}, "SK": {"S": "EXC"}}
    )["Item"]
    assert stored["resolution"] == {"S": "refunded by hand"} and "GSI2PK" not in stored
    assert call(world, "GET", "/console/api/exceptions", OPERATOR)[1] == {"data": []}
    assert list_exceptions(world.d) == []
    again = call(world, "POST", path, OPERATOR, body={"note": "twice"})
    assert (again[0], again[1]["error"]["code"]) == (409, "exception_resolved")
    assert (
        call(world, "POST", "/console/api/exceptions/RVhDI25vbmU/resolve", OPERATOR, body={"note": "x"})[0]
        == 404
    )
    (audit,) = [a for a in actions_on(world.d, world.clock()) if a["action"] == "exception.resolved"]
    assert (audit["sub"], audit["username"], audit["target"]) == ("sub-op", "op", "cause-1")


def test_a_failed_audit_write_resolves_nothing_and_a_retry_resolves_it_once(world, monkeypatch) -> None:
    record_exception(world.d, "unknown_order", "wx-1/T-2", {"amount": 100}, key="cause-2", metric=None)
    (item,) = call(world, "GET", "/console/api/exceptions", OPERATOR)[1]["data"]
    path = f"/console/api/exceptions/{item['id']}/resolve"
    ddb, failed = world.d.dynamodb, []

    def refuse_the_audit(real: Any) -> Any:
        def write(**kwargs: Any) -> Any:  # the one write that carries the audit record, once
            if not failed and "exception.resolved" in json.dumps(kwargs):
                failed.append(real.__name__)
                raise ddb.exceptions.ProvisionedThroughputExceededException(
                    {"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "injected"}},
                    "Write",
                )
            return real(**kwargs)

        return write

    for name in ("put_item", "transact_write_items"):
        monkeypatch.setattr(ddb, name, refuse_the_audit(getattr(ddb, name)))
    assert call(world, "POST", path, OPERATOR, body={"note": "by hand"})[0] >= 500
    assert failed and [
        e["id"] for e in call(world, "GET", "/console/api/exceptions", OPERATOR)[1]["data"]
    ] == [item["id"]]  # still open: the resolution went with its audit record, or not at all
    status, resolved = call(world, "POST", path, OPERATOR, body={"note": "by hand"})
    assert status == 200 and resolved["resolution"] == "by hand"
    audits = [a for a in actions_on(world.d, world.clock()) if a["target"] == "cause-2"]
    assert [a["action"] for a in audits] == ["exception.resolved"]


def test_an_account_weight_change_is_attributed_and_audited(world) -> None:
    path = f"/console/api/accounts/{world.account_id}"
    assert call(world, "PATCH", path, OPERATOR, body={"products": []})[0] == 422
    status, account = call(world, "PATCH", path, OPERATOR, body={"weight": 7})
    assert status == 200 and account["weight"] == 7
    record = world.d.channel_config.record(world.account_id)
    assert (record.account.weight, record.updated_by) == (7, "console:op#sub-op")
    status, account = call(world, "PATCH", path, OPERATOR, body={"enabled": False})
    assert status == 200 and world.d.channel_config.record(world.account_id).account.enabled is False
    actions = [(a["action"], a["target"], a["username"]) for a in actions_on(world.d, world.clock())]
    assert actions == [("channel_account.updated", world.account_id, "op")] * 2


def test_exports_and_routes_answer_typed_errors(world) -> None:
    missing = call(world, "GET", "/console/api/reconciliation/2020-01-01/exports/csv", OPERATOR)
    assert missing[0] == 404
    for bad in ("html", "summary", "pdf"):
        assert call(world, "GET", f"/console/api/reconciliation/2020-01-01/exports/{bad}", OPERATOR)[0] == 422
    assert call(world, "GET", "/console/api/reconciliation/2020-13-01/exports/csv", OPERATOR)[0] == 422
    assert (
        call(world, "GET", "/console/api/reconciliation", OPERATOR, "from=2026-01-01&to=2026-03-01")[0] == 422
    )
    assert call(world, "GET", "/console/api/nowhere", OPERATOR)[0] == 404
    assert call(world, "DELETE", "/console/api/payments", OPERATOR)[0] == 405
    assert call(world, "GET", "/console/api/me", OPERATOR) == (
        200,
        {"sub": "sub-op", "username": "op", "role": "operator", "merchant_id": None},
    )


def test_the_user_is_the_claims_api_gateway_passed() -> None:
    user = console_user(event("GET", "/console/api/me", ALICE))
    assert user == ConsoleUser("sub-alice", "alice", "merchant", "mch_a")
    for claims in (
        {**ALICE, "custom:merchant_id": ""},
        {**ALICE, "cognito:groups": "[]"},
        {**ALICE, "custom:merchant_id": "a b"},
    ):
        with pytest.raises(Exception, match="neither") as refused:
            console_user(event("GET", "/", claims))
        assert refused.value.status == 403  # type: ignore[attr-defined]
    with pytest.raises(Exception, match="ID token"):
        console_user(event("GET", "/", {**OPERATOR, "token_use": "access"}))


def test_a_binding_change_is_attributed_and_audited(world) -> None:
    provider = generate_merchant(mchid="1230000109", appids=("wx7777777777777777",), service_provider=True)
    binding = seed_wechat_partner(world.d, world.sandbox, provider, "wx-sp-console", "mch_a", "1900000201")
    path = f"/console/api/bindings/{binding['binding_id']}"
    assert call(world, "PATCH", path, ALICE, body={"weight": 3})[0] == 403
    assert call(world, "PATCH", path, OPERATOR, body={"weight": -1})[0] == 422
    assert call(world, "PATCH", path, OPERATOR, body={"weight": 3, "version": 99})[0] == 409
    status, changed = call(world, "PATCH", path, OPERATOR, body={"weight": 3, "version": binding["version"]})
    assert status == 200 and (changed["weight"], changed["updated_by"]) == (3, "console:op#sub-op")
    status, overview = call(world, "GET", "/console/api/accounts", OPERATOR)
    assert [b["weight"] for b in overview["bindings"]] == [3]
    actions = [(a["action"], a["target"], a["sub"]) for a in actions_on(world.d, world.clock())]
    assert actions == [("binding.updated", binding["binding_id"], "sub-op")]


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01", "1999-12-31", "2101-01-01"])
def test_a_day_at_the_edge_of_the_calendar_is_a_typed_422(world, day: str) -> None:
    """datetime's own edges (years 1 and 9999) overflow a day's arithmetic: a 422, never a 5xx."""
    queries = [
        ("/console/api/dashboard", f"day={day}"),
        ("/console/api/payments", f"day={day}"),
        ("/console/api/reconciliation", f"from={day}&to={day}"),
    ]
    for path, query in queries:
        status, body = call(world, "GET", path, OPERATOR, query)
        assert (status, body["error"]["code"]) == (422, "validation_failed"), (path, body)
    status, body = call(world, "GET", f"/console/api/reconciliation/{day}/exports/csv", OPERATOR)
    assert (status, body["error"]["code"]) == (422, "validation_failed"), body


def test_the_audit_page_lists_operators_actions_newest_first_by_cursor_and_key(world) -> None:
    bob = {**OPERATOR, "sub": "sub-bob", "cognito:username": "bob"}
    path = f"/console/api/accounts/{world.account_id}"
    for claims, weight in ((OPERATOR, 3), (bob, 4), (OPERATOR, 5)):
        assert call(world, "PATCH", path, claims, body={"weight": weight})[0] == 200
        world.clock.advance(1)
    assert call(world, "GET", "/console/api/audit", ALICE)[0] == 403
    status, page = call(world, "GET", "/console/api/audit", OPERATOR, "limit=2")
    assert status == 200
    assert [(a["username"], a["detail"]) for a in page["data"]] == [
        ("op", {"weight": 5}),
        ("bob", {"weight": 4}),
    ]
    status, rest = call(world, "GET", "/console/api/audit", OPERATOR, f"limit=2&next={page['next']}")
    assert [a["detail"] for a in rest["data"]] == [{"weight": 3}] and rest["next"] is None
    by_op = call(world, "GET", "/console/api/audit", OPERATOR, "actor=op")[1]["data"]
    assert [(a["username"], a["sub"], a["detail"]["weight"]) for a in by_op] == [
        ("op", "sub-op", 5),
        ("op", "sub-op", 3),
    ]
    on_account = call(world, "GET", "/console/api/audit", OPERATOR, f"target={world.account_id}&limit=1")[1]
    assert [a["detail"]["weight"] for a in on_account["data"]] == [5]
    following = call(
        world,
        "GET",
        "/console/api/audit",
        OPERATOR,
        f"target={world.account_id}&next={on_account['next']}",
    )[1]
    assert [a["detail"]["weight"] for a in following["data"]] == [4, 3]
    today = page["day"]
    assert (
        call(world, "GET", "/console/api/audit", OPERATOR, f"actor=bob&day={today}")[1]["data"][0]["username"]
        == "bob"
    )
    assert call(world, "GET", "/console/api/audit", OPERATOR, "actor=bob&day=2020-01-01")[1]["data"] == []
    assert call(world, "GET", "/console/api/audit", OPERATOR, "day=2020-01-01")[1]["data"] == []


@pytest.mark.parametrize(
    "query",
    ["limit=0", "limit=101", "limit=x", "next=%%%", "next=e30", "actor=op&target=t", "day=2020-02-30"],
)
def test_a_bad_audit_query_is_a_typed_422(world, query: str) -> None:
    status, body = call(world, "GET", "/console/api/audit", OPERATOR, query)
    assert (status, body["error"]["code"]) == (422, "validation_failed")


def test_a_cursor_of_another_listing_is_refused(world) -> None:
    path = f"/console/api/accounts/{world.account_id}"
    for weight in (3, 4):
        call(world, "PATCH", path, OPERATOR, body={"weight": weight})
    cursor = call(world, "GET", "/console/api/audit", OPERATOR, "limit=1")[1]["next"]
    assert cursor
    assert call(world, "GET", "/console/api/audit", OPERATOR, f"actor=op&next={cursor}")[0] == 422
    day = json.loads(base64.urlsafe_b64decode(cursor + "=="))["partition"]
    for sort_key in ("x" * 2000, 7, ""):
        forged = base64.urlsafe_b64encode(json.dumps({"partition": day, "sk": sort_key}).encode()).decode()
        assert call(world, "GET", "/console/api/audit", OPERATOR, f"limit=1&next={forged}")[0] == 422
