"""The retry marker: every error answer says whether the same request may be sent again
(`Paymux-Should-Retry`, `Retry-After`), in JSON and XML alike, from the error class itself; and
docs/errors.md's table is complete and true (paymux.api.error_codes)."""

from __future__ import annotations

import ast
import copy
import json
from pathlib import Path
from typing import Any

import pytest

from paymux.api import error_codes
from paymux.api.http import handle
from paymux.api.openapi import build_spec
from paymux.api.routes import unrouted
from paymux.api.xml_codec import decode_xml
from paymux.errors import ChannelUnavailable, PaymuxError
from paymux.services.routing import NoChannelAccount
from tests.support import load_event

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "layers" / "common" / "paymux"


def event(accept: str | None = None, **changes: Any) -> dict[str, Any]:
    raw = copy.deepcopy(load_event("get_payment.json"))
    if accept is not None:
        raw["headers"]["accept"] = accept
    return {**raw, **changes}


def raising(error: Exception) -> Any:
    def operation(_request: Any) -> Any:
        raise error

    return operation


EXPECTED = {  # code → (status, Paymux-Should-Retry, Retry-After): decided in paymux.errors
    "idempotency_key_in_use": (409, "true", "1"),
    "busy": (503, "true", "1"),
    "payment_outcome_unknown": (409, "false", None),
    "idempotency_key_reused": (409, "false", None),
    "validation_failed": (422, "false", None),
    "invalid_signature": (401, "false", None),
    "channel_rejected": (502, "false", None),
    "route_refused": (503, "false", None),
    "internal_error": (500, "false", None),
}


@pytest.mark.parametrize("accept", [None, "application/xml"])
@pytest.mark.parametrize(("error", "when"), error_codes.CATALOG, ids=lambda e: getattr(e, "code", ""))
def test_every_error_answer_carries_the_marker_of_its_class(
    error: PaymuxError, when: str, accept: str
) -> None:
    response = handle(raising(error), event(accept))
    headers = response["headers"]
    assert response["statusCode"] == error.status
    assert headers["Paymux-Should-Retry"] == ("true" if error.should_retry else "false")
    assert headers.get("Retry-After") == (
        str(error.retry_after) if error.should_retry and error.retry_after else None
    )
    body = decode_xml(response["body"].encode(), "response") if accept else json.loads(response["body"])
    assert body["error"]["code"] == error.code
    if error.code in EXPECTED and type(error).__name__ != "NoChannelAccount":
        assert (
            response["statusCode"],
            headers["Paymux-Should-Retry"],
            headers.get("Retry-After"),
        ) == EXPECTED[error.code]


def test_a_temporarily_unreachable_channel_is_retried_a_configuration_is_not() -> None:
    assert handle(raising(ChannelUnavailable("timeout")), event())["headers"]["Paymux-Should-Retry"] == "true"
    answer = handle(raising(NoChannelAccount("no enabled channel account offers x")), event())
    assert (answer["statusCode"], answer["headers"]["Paymux-Should-Retry"]) == (503, "false")
    assert json.loads(answer["body"])["error"]["code"] == "channel_unavailable"


def test_an_unexpected_exception_and_an_unrouted_request_say_false() -> None:
    crash = handle(raising(RuntimeError("boom")), event("application/xml"))
    assert (crash["statusCode"], crash["headers"]["Paymux-Should-Retry"]) == (500, "false")
    for path in ("/v1/nothing", "/v1/payments"):  # 404, and 405 (DELETE is not routed)
        answer = unrouted(event(rawPath=path, requestContext={"http": {"method": "DELETE"}}))
        assert answer["headers"]["Paymux-Should-Retry"] == "false"


def test_an_error_replayed_for_its_idempotency_key_says_false() -> None:
    stored = {"error": {"code": "validation_failed", "message": "amount too large"}}
    replay = handle(lambda _r: (422, stored, {"Idempotent-Replayed": "true"}), event())
    assert replay["headers"]["Paymux-Should-Retry"] == "false"
    assert replay["headers"]["Idempotent-Replayed"] == "true"
    ok = handle(lambda _r: (200, {"object": "payment"}), event())
    assert "Paymux-Should-Retry" not in ok["headers"]  # not an error


def test_the_committed_table_is_the_generated_one() -> None:
    assert (ROOT / "docs" / "errors.md").read_text() == error_codes.render_table()


def test_every_code_the_openapi_lists_is_in_the_table_and_its_headers_agree() -> None:
    markers = error_codes.retry_markers()
    for path, operations in build_spec()["paths"].items():
        for method, operation in operations.items():
            for status, response in operation["responses"].items():
                for code in response.get("x-paymux-error-codes", []):
                    assert code in markers, f"{method} {path} {status}: {code} is not in error_codes"
                    described = response["headers"]["Paymux-Should-Retry"]["description"]
                    assert (f"`{code}`" in described.split(";")[0]) == ("true" in markers[code])


def _literal_codes() -> list[tuple[str, str, str]]:
    """(class name, literal code, file) of every `SomeError("code", …)` in the package."""
    found = []
    for source in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(source.read_text())):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
                and node.args[0].value.replace("_", "").isalpha()
                and node.args[0].value.islower()
                and len(node.args) > 1
            ):
                found.append((node.func.id, node.args[0].value, source.name))
    return found


def test_a_code_in_the_table_is_raised_only_by_the_class_the_table_names() -> None:
    """So a new `Conflict("idempotency_key_in_use", …)` could not answer `false`, nor a code the
    table names be raised by a class whose marker differs."""
    classes = {error.code: type(error).__name__ for error, _ in error_codes.CATALOG}
    raised = [(name, code, where) for name, code, where in _literal_codes() if code in classes]
    assert ("InProgress", "idempotency_key_in_use", "idempotency.py") in raised
    wrong = [(name, code, where) for name, code, where in raised if name != classes[code]]
    assert wrong == []
