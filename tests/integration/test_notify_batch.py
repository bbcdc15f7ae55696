"""notify_merchant on powertools' BatchProcessor: one record whose processing raises is the only
one reported back to SQS (ReportBatchItemFailures); the others are done and deleted. Each
record is logged under its own SQS message id."""

import json

import pytest

from tests.integration.conftest import World
from tests.integration.test_refunds import paid_payment
from tests.support import invoke


def test_one_failing_record_is_the_only_batch_item_failure(world: World, capsys: pytest.CaptureFixture[str]):
    paid_payment(world, 500)
    assert world.sandbox.wait_for_callbacks(timeout=10)
    (genuine,) = world.queued_messages()
    poison = {**genuine, "messageId": "poison-0001", "body": "{not json"}
    stray_body = {"payment_id": "pay_nothing", "notification_id": "evt_nothing", "attempt": 0}
    stray = {**genuine, "messageId": "stray-0001", "body": json.dumps(stray_body)}
    capsys.readouterr()

    result = invoke("notify_merchant", {"Records": [stray, poison, genuine]})

    assert result == {"batchItemFailures": [{"itemIdentifier": "poison-0001"}]}
    assert len(world.merchant_endpoint.received) == 1  # the genuine record was delivered
    (notification,) = world.d.notifications.for_payment(json.loads(genuine["body"])["payment_id"])
    assert notification["status"] == "delivered"
    logged = [
        json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith('{"level"')
    ]
    outcomes = {r["correlation_id"]: r["message"] for r in logged if r["message"].startswith("message ")}
    assert outcomes == {
        "stray-0001": "message stray-0001: missing",
        genuine["messageId"]: f"message {genuine['messageId']}: delivered",
    }
    (failure,) = [r for r in logged if r["level"] == "WARNING"]
    assert failure["correlation_id"] == "poison-0001" and "JSONDecodeError" in failure["exception"]


def test_a_batch_that_fails_entirely_is_reported_record_by_record(world: World):
    records = [
        {
            "messageId": f"bad-{n}",
            "receiptHandle": "r",
            "body": "[]",
            "attributes": {},
            "eventSource": "aws:sqs",
        }
        for n in range(3)
    ]
    result = invoke("notify_merchant", {"Records": records})
    assert result == {"batchItemFailures": [{"itemIdentifier": f"bad-{n}"} for n in range(3)]}
