"""The daily reconciliation in template.yaml: a Step Functions state machine started by the
daily schedule, a Map over the day's routes (one unit each, its own time limit and retries,
StatementNotReady asked again later with backoff), an aggregate step, and an alarm on any unit
or execution that failed. The local stack cannot run Step Functions: the integration tests
drive the same function's steps in order (tests/integration/test_reconcile_scale.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from local.template import load_template

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def resources() -> dict[str, Any]:
    found: dict[str, Any] = load_template(ROOT / "template.yaml")["Resources"]
    return found


def _task_function(state: dict[str, Any]) -> str:
    return str(state["Parameters"]["FunctionName"])


def test_the_daily_schedule_starts_the_state_machine_not_one_long_run(resources) -> None:
    machine = resources["ReconcileStateMachine"]
    assert machine["Type"] == "AWS::Serverless::StateMachine"
    daily = machine["Properties"]["Events"]["Daily"]
    assert daily["Type"] == "ScheduleV2"
    assert daily["Properties"]["ScheduleExpressionTimezone"] == "Asia/Shanghai"
    assert "Events" not in resources["ReconcileFunction"]["Properties"]  # no second trigger
    substitutions = machine["Properties"]["DefinitionSubstitutions"]
    assert substitutions == {"ReconcileFunctionArn": {"Fn::GetAtt": ["ReconcileFunction", "Arn"]}}


def test_a_map_over_the_routes_with_a_unit_each_then_the_aggregate(resources) -> None:
    states = resources["ReconcileStateMachine"]["Properties"]["Definition"]["States"]
    plan, routes, aggregate = states["Plan"], states["Routes"], states["Aggregate"]
    assert plan["Parameters"]["Payload"]["step"] == "plan" and plan["Next"] == "Routes"
    assert routes["Type"] == "Map" and routes["ItemsPath"] == "$.routes" and routes["Next"] == "Aggregate"
    unit = routes["ItemProcessor"]["States"]["Route"]
    assert unit["Parameters"]["Payload"]["step"] == "route"
    assert unit["TimeoutSeconds"] <= 900  # the unit's own limit: one Lambda invocation
    assert aggregate["Parameters"]["Payload"] == {
        "step": "aggregate",
        "date.$": "$.date",
        "results.$": "$.results",
    }
    assert {_task_function(s) for s in (plan, unit, aggregate)} == {"${ReconcileFunctionArn}"}


def test_a_statement_not_ready_is_asked_again_later_with_backoff(resources) -> None:
    unit = resources["ReconcileStateMachine"]["Properties"]["Definition"]["States"]["Routes"][
        "ItemProcessor"
    ]["States"]["Route"]
    (not_ready,) = [r for r in unit["Retry"] if r["ErrorEquals"] == ["StatementNotReady"]]
    assert not_ready["IntervalSeconds"] >= 600 and not_ready["BackoffRate"] > 1
    total = sum(
        min(not_ready["IntervalSeconds"] * not_ready["BackoffRate"] ** n, not_ready["MaxDelaySeconds"])
        for n in range(not_ready["MaxAttempts"])
    )
    assert 6 * 3600 <= total <= 36 * 3600  # asked again for most of a day, not forever
    (caught,) = unit["Catch"]
    assert caught["ErrorEquals"] == ["States.ALL"] and caught["Next"] == "RouteFailed"


def test_a_failed_unit_fails_the_execution_and_alarms(resources) -> None:
    states = resources["ReconcileStateMachine"]["Properties"]["Definition"]["States"]
    (choice,) = states["AllUnitsDone"]["Choices"]
    assert choice["Variable"] == "$.failed_accounts[0]" and states[choice["Next"]]["Type"] == "Fail"
    alarm = resources["ReconciliationFailedAlarm"]["Properties"]
    metrics = {
        m["MetricStat"]["Metric"]["MetricName"]: m["MetricStat"]["Metric"]
        for m in alarm["Metrics"]
        if "MetricStat" in m
    }
    assert set(metrics) == {"ReconciliationUnitFailed", "ExecutionsFailed"}
    (machine,) = metrics["ExecutionsFailed"]["Dimensions"]
    assert machine == {"Name": "StateMachineArn", "Value": {"Ref": "ReconcileStateMachine"}}
    assert (alarm["Threshold"], alarm["ComparisonOperator"]) == (1, "GreaterThanOrEqualToThreshold")


def test_the_state_machine_may_invoke_the_reconcile_function_only(resources) -> None:
    policies = resources["ReconcileStateMachine"]["Properties"]["Policies"]
    assert policies == [{"LambdaInvokePolicy": {"FunctionName": {"Ref": "ReconcileFunction"}}}]


def test_the_function_is_sized_for_a_million_rows(resources) -> None:
    # bench/reconcile.py measured the unit's peak at 1,000,000 rows (docs/reconciliation-engine.md)
    assert resources["ReconcileFunction"]["Properties"]["MemorySize"] >= 2048
