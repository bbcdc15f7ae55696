"""The operations dashboard: its body is valid JSON once CloudFormation has substituted it (the
local stack's resolver stands in), and every metric it shows is an AWS metric or one of the
agreed paymux metrics, including those a SEARCH expression names."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from local.intrinsics import Intrinsics, pseudo_parameters
from local.template import load_template
from tests.unit.template_metrics import AWS_METRICS, CONTRACT_METRICS

ROOT = Path(__file__).resolve().parents[2]
SEARCH = re.compile(r"SEARCH\('\{([^}]+)\} MetricName=\"([A-Za-z0-9]+)\"'")
SHOWN = {  # what the issue asks the dashboard to show
    "PaymentCreated",
    "PaymentSucceeded",
    "CallbackAccepted",
    "CallbackRejected",
    "NotificationAttempts",
    "NotificationLatency",
    "SweeperLagSeconds",
    "OutboxOldestAgeSeconds",
    "ApproximateAgeOfOldestMessage",
    "5xx",
    "Latency",
    "Errors",
    "Duration",
    "ConsumedWriteCapacityUnits",
    "WriteThrottleEvents",
    "ReconciliationDiscrepancies",
}


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    document: dict[str, Any] = load_template(ROOT / "template.yaml")
    return document


@pytest.fixture(scope="module")
def body(template: dict[str, Any]) -> dict[str, Any]:
    (dashboard,) = [r for r in template["Resources"].values() if r["Type"] == "AWS::CloudWatch::Dashboard"]
    sub = dashboard["Properties"]["DashboardBody"]
    assert set(sub) == {"Fn::Sub"}, "DashboardBody is built with !Sub"

    def lookup(logical_id: str, attribute: str | None) -> str:
        assert logical_id in template["Resources"], f"the dashboard names no resource {logical_id}"
        return f"{logical_id}-physical" if attribute is None else f"{logical_id}-{attribute}"

    resolver = Intrinsics(pseudo_parameters("us-east-1", "paymux-dev") | {"Stage": "dev"}, lookup)
    parsed: dict[str, Any] = json.loads(resolver.resolve(sub))
    return parsed


def shown_metrics(body: dict[str, Any]) -> list[tuple[str, str]]:
    """(namespace, metric name) of every metric row and SEARCH expression."""
    shown = []
    for widget in body["widgets"]:
        for row in widget["properties"]["metrics"]:
            first = row[0]
            if isinstance(first, dict):
                (match,) = SEARCH.findall(first["expression"])
                shown.append((match[0].split(",")[0], match[1]))
            else:
                shown.append((row[0], row[1]))
    return shown


def test_the_body_is_json_after_substitution_and_lays_out_metric_widgets(body) -> None:
    assert body["widgets"]
    for widget in body["widgets"]:
        assert widget["type"] == "metric"
        assert widget["properties"]["region"] == "us-east-1"
        assert {"x", "y", "width", "height"} <= set(widget)


def test_every_metric_shown_is_an_aws_metric_or_an_agreed_one(body) -> None:
    for namespace, name in shown_metrics(body):
        if namespace == "paymux":
            assert name in CONTRACT_METRICS | {"CallbackExceptions"}, name
        else:
            assert name in AWS_METRICS.get(namespace, set()), (namespace, name)


def test_it_shows_what_operations_asked_for(body, template) -> None:
    names = {name for _, name in shown_metrics(body)}
    assert names >= SHOWN, SHOWN - names
    functions = {n for n, r in template["Resources"].items() if r["Type"] == "AWS::Serverless::Function"}
    errors = {
        row[3]
        for widget in body["widgets"]
        for row in widget["properties"]["metrics"]
        if isinstance(row[0], str) and row[:3] == ["AWS/Lambda", "Errors", "FunctionName"]
    }
    assert errors == {f"{f}-physical" for f in functions}, "every function's errors are on the dashboard"
