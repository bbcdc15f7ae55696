"""The sweep's fan-out in the local stack built from template.yaml: the planner's schedule,
the sweep queue, and its SQS poller invoking the sweep worker."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest

from local.stack import LocalStack
from paymux.deps import set_deps
from paymux.store.due import due_pk
from paymux.store.dynamo import from_item, to_item
from paymux.store.notifications import notification_item


@pytest.fixture(scope="module")
def paymux() -> Iterator[LocalStack]:
    set_deps(None)  # the functions build their own container from the stack's environment
    stack = LocalStack(api_port=0, moto_port=0, schedules=False, sqs_poll=True).start()
    try:
        yield stack
    finally:
        stack.stop()
        set_deps(None)


def test_the_template_wires_the_planner_s_schedule_and_the_worker_s_queue(paymux: LocalStack) -> None:
    (schedule,) = [s for s in paymux.schedules if s.function == "SweeperFunction"]
    assert schedule.expression == "rate(1 minute)"
    (subscription,) = [s for s in paymux.subscriptions if s.function == "SweepWorkerFunction"]
    assert subscription.queue == "SweepQueue"
    assert (subscription.batch_size, subscription.report_failures) == (100, True)
    attributes = boto3.client("sqs").get_queue_attributes(
        QueueUrl=paymux.queue_urls["SweepQueue"], AttributeNames=["RedrivePolicy"]
    )["Attributes"]
    assert (
        "SweepDeadLetterQueue" in attributes["RedrivePolicy"]
        or "deadLetterTargetArn" in attributes["RedrivePolicy"]
    )


def test_a_due_outbox_entry_goes_planner_then_queue_then_worker(
    paymux: LocalStack, wait_for: Callable[..., Any]
) -> None:
    table = paymux.env["PAYMUX_TABLE"]
    ddb = boto3.client("dynamodb")
    created = time.time() - 120  # written two minutes ago, never handed to SQS
    item = notification_item(
        payment_id="pay_local_sweep",
        notification_id="evt_local_sweep",
        merchant_id="mch_local",
        app_id="app_local",
        event_type="payment.succeeded",
        notify_url="https://merchant.example.com/notify",
        payload="{}",
        created_at=created,
    )
    ddb.put_item(TableName=table, Item=to_item(item))
    key = {"PK": {"S": "PAY#pay_local_sweep"}, "SK": {"S": "NTF#evt_local_sweep"}}

    plan = paymux.run_schedule("SweeperFunction")

    assert plan["leased"] is True and plan["claimed"]["outbox"] == 1

    def handed_to_sqs() -> dict[str, Any] | None:  # and the notifier made its attempt
        stored = from_item(ddb.get_item(TableName=table, Key=key, ConsistentRead=True)["Item"])
        return stored if stored["attempts"] >= 1 else None

    stored = wait_for(handed_to_sqs, timeout=30)  # the pollers ran SweepWorkerFunction, then the notifier
    # still waiting in its shard, or already settled by the notifier (this merchant app is unknown)
    assert stored.get("GSI1PK", due_pk("outbox", "evt_local_sweep")) == due_pk("outbox", "evt_local_sweep")
