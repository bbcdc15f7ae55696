"""Logs are JSON with the service and a per-invocation correlation id, masked everywhere;
metrics are EMF with dimension values from closed sets, flushed when an invocation ends."""

import json
import logging
from types import SimpleNamespace
from typing import Any

import pytest

from paymux import observability
from paymux.observability import emit_metric, lambda_handler, mask, setup_logging

CARD = "6222021234567890123"
OPENID = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"


def records(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{") and '"_aws"' not in line]


def metrics(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{") and '"_aws"' in line]


def test_mask_hides_cards_openids_and_secrets() -> None:
    masked = mask(f"card {CARD} payer {OPENID} secret=abc123 'apiv3_key': 'k' password: hunter2")
    assert CARD not in masked and "622202******0123" in masked
    assert OPENID not in masked and "oUpF****" in masked
    assert "abc123" not in masked and "hunter2" not in masked and "'k'" not in masked


def test_every_part_of_a_json_record_is_masked(capsys: pytest.CaptureFixture[str]) -> None:
    log = setup_logging()
    capsys.readouterr()
    log.warning("paid by %s with %s", OPENID, CARD, extra={"payer": OPENID, "detail": {"secret": "s3cr3t"}})
    observability.correlate("req-1")  # outside an invocation: ignored below, cleared by the next one
    (record,) = records(capsys.readouterr().out)
    text = json.dumps(record)
    assert CARD not in text and OPENID not in text and "s3cr3t" not in text
    assert record["service"] == "paymux" and record["level"] == "WARNING"
    assert record["message"] == "paid by oUpF**** with 622202******0123"
    assert record["payer"] == "oUpF****"


def test_caplog_sees_masked_messages_on_the_paymux_logger(caplog: pytest.LogCaptureFixture) -> None:
    setup_logging()
    with caplog.at_level(logging.INFO, logger="paymux"):
        logging.getLogger("paymux").info("card %s", CARD)
    assert [r.getMessage() for r in caplog.records] == ["card 622202******0123"]


def test_an_api_invocation_logs_under_its_request_id_then_forgets_it(
    capsys: pytest.CaptureFixture[str],
) -> None:
    log = setup_logging()

    @lambda_handler()
    def handler(event: dict[str, Any], context: Any) -> str:
        log.info("inside")
        return "done"

    context = SimpleNamespace(function_name="create_payment", aws_request_id="lambda-req-9")
    capsys.readouterr()
    assert handler({"requestContext": {"requestId": "JKJaXmPLvHcESHA="}}, context) == "done"
    log.info("after")
    inside, after = records(capsys.readouterr().out)
    assert inside["correlation_id"] == "JKJaXmPLvHcESHA="
    assert (inside["function_name"], inside["function_request_id"]) == ("create_payment", "lambda-req-9")
    assert "correlation_id" not in after and "function_request_id" not in after


def test_metrics_of_an_invocation_are_flushed_at_its_end_even_when_it_raises(
    capsys: pytest.CaptureFixture[str],
) -> None:
    @lambda_handler(correlation=observability.no_correlation)
    def handler(event: Any, context: Any) -> None:
        emit_metric("PaymentCreated", method="wechat.native", provider="wechat")
        emit_metric("PaymentCreated", method="alipay.qr", provider="alipay")
        emit_metric("PaymentCreated", method="wechat.native", provider="wechat")
        assert metrics(capsys.readouterr().out) == []  # buffered until the end
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        handler({}, None)
    documents = metrics(capsys.readouterr().out)
    by_method = {d["method"]: d["PaymentCreated"] for d in documents}
    assert by_method == {"wechat.native": [1.0, 1.0], "alipay.qr": [1.0]}
    for document in documents:
        (directive,) = document["_aws"]["CloudWatchMetrics"]
        assert directive["Namespace"] == "paymux"
        assert directive["Dimensions"] == [["service"], ["service", "method", "provider"]]
        assert directive["Metrics"] == [{"Name": "PaymentCreated", "Unit": "Count"}]


def test_a_metric_outside_an_invocation_is_written_at_once(capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    emit_metric("NotificationLatency", 12.5, "Milliseconds")
    (document,) = metrics(capsys.readouterr().out)
    assert document["NotificationLatency"] == [12.5] and document["service"] == "paymux"
    assert document["_aws"]["CloudWatchMetrics"][0]["Dimensions"] == [["service"]]


def test_dimension_values_outside_their_closed_set_are_other(capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    emit_metric("CallbackRejected", provider="paypal' OR 1=1", reason="signature")
    emit_metric("CallbackRejected", provider="wechat", reason="a brand new reason")
    first, second = metrics(capsys.readouterr().out)
    assert (first["provider"], first["reason"]) == ("other", "signature")
    assert (second["provider"], second["reason"]) == ("wechat", "other")


def test_an_unknown_dimension_is_refused() -> None:
    with pytest.raises(ValueError, match="merchant_id"):
        emit_metric("PaymentCreated", merchant_id="m_123")


def test_a_command_line_tool_keeps_its_stdout_for_its_answer(capsys: pytest.CaptureFixture[str]) -> None:
    log = setup_logging()
    capsys.readouterr()
    with observability.logs_to_stderr():
        log.warning("audit line of a command")
    inside = capsys.readouterr()
    assert inside.out == ""
    assert [r["message"] for r in records(inside.err)] == ["audit line of a command"]
    log.warning("a function's line")
    after = capsys.readouterr()
    assert [r["message"] for r in records(after.out)] == ["a function's line"] and after.err == ""
