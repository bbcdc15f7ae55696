"""The operators' static-code endpoint (PATCH /v1/admin/apps/{app_id}/static-code, IAM) through
the real handler, and the code's page applying what it set: its limits per app (a session
offered again for `reuse_seconds`, `sessions_per_minute` before a 429), defaults kept when not
given, and every bad field a 422 that writes nothing."""

from __future__ import annotations

import copy
import json
import logging
from typing import Any

import pytest

from paymux.deps import Deps, set_deps
from paymux.store.static_code_limits import REUSE_SECONDS, SESSIONS_PER_MINUTE
from tests.integration.conftest import World
from tests.integration.test_checkout_static_code import code_event, session_of, sessions_stored
from tests.support import invoke, load_event, response_json

OPERATOR = "arn:aws:sts::123456789012:assumed-role/paymux-operators/ops-bob"
CODE = {
    "notify_url": "https://merchant.example.com/paymux/notify",
    "return_url": "https://merchant.example.com/thanks",
    "methods": ["wechat.native", "alipay.qr"],
    "max_amount": 5000,
}


def patch(world: World, body: Any, app_id: str = "") -> tuple[int, Any]:
    """One call as the admin function's own container (a Deps of its own, cold cache)."""
    event = copy.deepcopy(load_event("admin_update_static_code.json"))
    event["pathParameters"] = {"app_id": app_id or world.app_id}
    event["body"] = json.dumps(body)
    event["requestContext"]["authorizer"]["iam"]["userArn"] = OPERATOR
    set_deps(Deps(settings=world.d.settings, clock=world.clock))
    try:
        return response_json(invoke("admin_update_static_code", event))
    finally:
        set_deps(world.d)
        world.d.merchants._apps.clear()  # the page's container, past its 60 s cache


def test_a_new_code_keeps_the_default_limits_and_is_audited(world: World, caplog) -> None:
    caplog.set_level(logging.INFO, logger="paymux")
    status, body = patch(world, CODE)
    assert status == 200, body
    assert body["enabled"] is True and body["settings"] == {
        **CODE,
        "subject": "",
        "reuse_seconds": REUSE_SECONDS,
        "sessions_per_minute": SESSIONS_PER_MINUTE,
    }
    stored = world.d.merchants.app(world.app_id).static_code
    assert stored is not None and stored.to_config() == body["settings"]
    (line,) = [
        json.loads(r.getMessage()) for r in caplog.records if '"static_code.updated"' in r.getMessage()
    ]
    assert (line["actor"], line["before"], line["after"]) == (OPERATOR, None, body["settings"])
    assert invoke("checkout_page", code_event(world.app_id))["statusCode"] == 200


def test_the_limits_set_per_app_are_what_the_page_applies(world: World) -> None:
    assert patch(world, {**CODE, "sessions_per_minute": 2, "reuse_seconds": 0})[0] == 200
    first = session_of(
        invoke("checkout_page", code_event(world.app_id, "POST", "amount=12", ip="198.51.100.7"))
    )
    again = session_of(
        invoke("checkout_page", code_event(world.app_id, "POST", "amount=12", ip="198.51.100.7"))
    )
    assert first != again  # reuse_seconds 0: a new session each time
    refused = invoke("checkout_page", code_event(world.app_id, "POST", "amount=13"))
    assert refused["statusCode"] == 429 and sessions_stored(world) == 2
    # merged over the current code: only the limit changes, and a reload gets its session again
    status, body = patch(world, {"sessions_per_minute": 5, "reuse_seconds": 120})
    assert status == 200 and body["settings"]["methods"] == CODE["methods"], body
    world.clock.advance(60)
    made = session_of(
        invoke("checkout_page", code_event(world.app_id, "POST", "amount=14", ip="198.51.100.8"))
    )
    world.clock.advance(100)
    assert (
        session_of(invoke("checkout_page", code_event(world.app_id, "POST", "amount=14", ip="198.51.100.8")))
        == made
    )
    world.clock.advance(30)  # past its 120 s
    assert (
        session_of(invoke("checkout_page", code_event(world.app_id, "POST", "amount=14", ip="198.51.100.8")))
        != made
    )


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"notify_url": "https://m.example.com/n"}, {"return_url", "methods", "max_amount"}),  # new: required
        ({**CODE, "notify_url": "ftp://merchant.example.com/n"}, {"notify_url"}),
        ({**CODE, "return_url": 7}, {"return_url"}),
        ({**CODE, "methods": ["wechat.barcode"]}, {"methods"}),
        ({**CODE, "methods": []}, {"methods"}),
        ({**CODE, "max_amount": 0}, {"max_amount"}),
        ({**CODE, "max_amount": 10**12}, {"max_amount"}),  # above the app's own
        ({**CODE, "sessions_per_minute": 0}, {"sessions_per_minute"}),
        ({**CODE, "sessions_per_minute": "30"}, {"sessions_per_minute"}),
        ({**CODE, "reuse_seconds": -1}, {"reuse_seconds"}),
        ({**CODE, "reuse_seconds": 1201}, {"reuse_seconds"}),
        ({**CODE, "reuse_seconds": True}, {"reuse_seconds"}),
        ({**CODE, "subject": "x" * 128}, {"subject"}),
        ({**CODE, "colour": "red"}, {"colour"}),
        ({"enabled": "no"}, {"enabled"}),
        ([1, 2], {"body"}),
    ],
)
def test_a_bad_field_is_a_422_and_writes_nothing(world: World, body: Any, fields: set[str]) -> None:
    status, answer = patch(world, body)
    assert status == 422 and answer["error"]["code"] == "validation_failed", answer
    assert {d["field"] for d in answer["error"]["details"]} == fields
    assert world.d.merchants.app(world.app_id).static_code is None


def test_disabling_removes_the_code_and_an_unknown_app_is_a_404(world: World) -> None:
    assert patch(world, CODE)[0] == 200
    status, body = patch(world, {"enabled": False})
    assert (status, body["enabled"], body["settings"]) == (200, False, None)
    assert world.d.merchants.app(world.app_id).static_code is None
    assert invoke("checkout_page", code_event(world.app_id))["statusCode"] == 404
    assert patch(world, CODE, app_id="app_nobody")[0] == 404
    assert patch(world, CODE, app_id="not-an-app")[0] == 404
