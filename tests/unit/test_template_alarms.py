"""The alarms in template.yaml: each one links to its runbook entry in docs/operations.md (and
every entry to an alarm), every function and every dead-letter queue is watched, missing data
is treated as each alarm needs, and every paymux metric an alarm reads is one that is emitted."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from local.template import load_template
from tests.unit.template_metrics import AWS_METRICS, CONTRACT_METRICS

ROOT = Path(__file__).resolve().parents[2]
RUNBOOK_LINK = re.compile(r"Runbook: docs/operations\.md#(runbook-[a-z0-9-]+)")
RUNBOOK_ANCHOR = re.compile(r'<a id="(runbook-[a-z0-9-]+)"></a>')
ENTRY_PARTS = ("**Means:**", "**Look:**", "**Do:**", "**Fixed when:**")
# paymux metrics older than the issue-10 contract, emitted by the code on the base commit.
EXISTING_METRICS = {"CallbackExceptions"}


@pytest.fixture(scope="module")
def resources() -> dict[str, Any]:
    resources: dict[str, Any] = load_template(ROOT / "template.yaml")["Resources"]
    return resources


@pytest.fixture(scope="module")
def alarms(resources: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {name: r["Properties"] for name, r in resources.items() if r["Type"] == "AWS::CloudWatch::Alarm"}


def runbook_entries() -> dict[str, str]:
    """anchor -> the entry's text (up to the next heading)."""
    text = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
    entries = {}
    for match in RUNBOOK_ANCHOR.finditer(text):
        rest = text[match.end() :]
        following = re.search(r"^#{1,3} ", rest, re.M)
        entries[match.group(1)] = rest[: following.start() if following else len(rest)]
    return entries


def metric_stats(alarm: dict[str, Any]) -> list[dict[str, Any]]:
    """(Namespace, MetricName, Dimensions) of a single-metric or a metric-math alarm."""
    if "MetricName" in alarm:
        return [{k: alarm.get(k) for k in ("Namespace", "MetricName", "Dimensions")}]
    return [m["MetricStat"]["Metric"] for m in alarm["Metrics"] if "MetricStat" in m]


def dimension(metric: dict[str, Any], name: str) -> Any:
    return next((d["Value"] for d in metric.get("Dimensions") or [] if d["Name"] == name), None)


def test_every_alarm_links_to_a_runbook_entry_and_every_entry_has_an_alarm(alarms) -> None:
    entries = runbook_entries()
    linked = {}
    for name, alarm in alarms.items():
        found = RUNBOOK_LINK.findall(str(alarm.get("AlarmDescription", "")))
        assert len(found) == 1, f"{name}: AlarmDescription must end with one runbook link"
        assert found[0] in entries, f"{name} links to #{found[0]}, which docs/operations.md lacks"
        linked[name] = found[0]
    assert set(entries) == set(linked.values()), "runbook entries without an alarm"
    for anchor, text in entries.items():
        for part in ENTRY_PARTS:
            assert part in text, f"runbook entry {anchor} lacks {part}"


def test_every_alarm_notifies_the_ops_topic_both_ways(alarms) -> None:
    for name, alarm in alarms.items():
        assert alarm["AlarmActions"] == [{"Ref": "OpsAlarmTopic"}], name
        assert alarm["OKActions"] == [{"Ref": "OpsAlarmTopic"}], name
        assert alarm["TreatMissingData"] in {"breaching", "notBreaching"}, name


def test_every_function_has_an_errors_and_throttles_alarm(resources, alarms) -> None:
    functions = {n for n, r in resources.items() if r["Type"] == "AWS::Serverless::Function"}
    watched: dict[str, set[str]] = {}
    for alarm in alarms.values():
        for metric in metric_stats(alarm):
            target = dimension(metric, "FunctionName")
            if metric["Namespace"] == "AWS/Lambda" and isinstance(target, dict):
                watched.setdefault(target["Ref"], set()).add(metric["MetricName"])
    for function in sorted(functions):
        assert watched.get(function, set()) >= {"Errors", "Throttles"}, f"{function} is not watched"


def dead_letter_queues(resources: dict[str, Any]) -> set[str]:
    """Queues named as a redrive target, an OnFailure destination or a schedule's DLQ."""
    found: set[str] = set()

    def walk(node: Any, key: str = "") -> None:
        if isinstance(node, dict):
            if key in {"deadLetterTargetArn", "Destination", "Arn"} and "Fn::GetAtt" in node:
                name, attribute = node["Fn::GetAtt"]
                if attribute == "Arn" and resources.get(name, {}).get("Type") == "AWS::SQS::Queue":
                    found.add(name)
            for k, v in node.items():
                walk(v, k)
        elif isinstance(node, list):
            for item in node:
                walk(item, key)

    walk(resources)
    return found


def test_every_dead_letter_queue_alarms_on_its_first_message(resources, alarms) -> None:
    dlqs = dead_letter_queues(resources)
    assert {"NotifyDeadLetterQueue", "ScheduleDeadLetterQueue"} <= dlqs
    depth = {
        dimension(m, "QueueName")["Fn::GetAtt"][0]: alarm
        for alarm in alarms.values()
        for m in metric_stats(alarm)
        if m["MetricName"] == "ApproximateNumberOfMessagesVisible"
    }
    for queue in sorted(dlqs):
        alarm = depth.get(queue)
        assert alarm is not None, f"dead-letter queue {queue} has no alarm"
        assert (alarm["Threshold"], alarm["ComparisonOperator"]) == (1, "GreaterThanOrEqualToThreshold")


def alarm_on(alarms: dict[str, dict[str, Any]], metric_name: str) -> dict[str, Any]:
    (alarm,) = [a for a in alarms.values() if any(m["MetricName"] == metric_name for m in metric_stats(a))]
    return alarm


def test_a_sweeper_that_stops_reporting_lag_alarms(alarms) -> None:
    assert alarm_on(alarms, "SweeperLagSeconds")["TreatMissingData"] == "breaching"
    for quiet_when_idle in ("OutboxOldestAgeSeconds", "ReconciliationDiscrepancies", "5xx"):
        assert alarm_on(alarms, quiet_when_idle)["TreatMissingData"] == "notBreaching"


def test_the_asked_for_alarms_exist(alarms) -> None:
    notify_age = alarm_on(alarms, "ApproximateAgeOfOldestMessage")
    assert dimension(metric_stats(notify_age)[0], "QueueName") == {"Fn::GetAtt": ["NotifyQueue", "QueueName"]}
    api = alarm_on(alarms, "5xx")
    assert {m["MetricName"] for m in metric_stats(api)} == {"5xx", "Count"}
    assert all(dimension(m, "ApiId") == {"Ref": "HttpApi"} for m in metric_stats(api))
    rejection = alarm_on(alarms, "CallbackRejected")
    assert {m["MetricName"] for m in metric_stats(rejection)} == {"CallbackRejected", "CallbackAccepted"}
    discrepancies = alarm_on(alarms, "ReconciliationDiscrepancies")
    assert (discrepancies["Threshold"], discrepancies["ComparisonOperator"]) == (0, "GreaterThanThreshold")
    throttles = alarm_on(alarms, "WriteThrottleEvents")
    indexes = {dimension(m, "GlobalSecondaryIndexName") for m in metric_stats(throttles)}
    assert indexes == {None, "GSI1", "GSI2", "GSI3"}


def test_every_alarm_reads_a_metric_that_exists(alarms) -> None:
    for name, alarm in alarms.items():
        for metric in metric_stats(alarm):
            namespace, metric_name = metric["Namespace"], metric["MetricName"]
            if namespace == "paymux":
                assert metric_name in CONTRACT_METRICS | EXISTING_METRICS, (name, metric_name)
                assert dimension(metric, "service") == "paymux", name
            else:
                assert metric_name in AWS_METRICS.get(namespace, set()), (name, namespace, metric_name)
