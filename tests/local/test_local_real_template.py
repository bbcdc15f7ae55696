"""`LocalStack()` on paymux's own template.yaml: the resources, routes, queues and schedules
that docs/architecture.md names. Handlers are not invoked here (that is tests/e2e)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
import requests

from local.stack import LocalStack

TEMPLATE = Path(__file__).resolve().parents[2] / "template.yaml"
pytestmark = pytest.mark.skipif(not TEMPLATE.exists(), reason="template.yaml not written yet")


@pytest.fixture(scope="module")
def paymux() -> Iterator[LocalStack]:
    stack = LocalStack(api_port=0, moto_port=0, schedules=False, sqs_poll=False).start()
    try:
        yield stack
    finally:
        stack.stop()


def test_paymux_table_has_the_keys_indexes_and_ttl(paymux: LocalStack) -> None:
    dynamodb = boto3.client("dynamodb")
    table = dynamodb.describe_table(TableName=paymux.env["PAYMUX_TABLE"])["Table"]
    assert table["KeySchema"] == [
        {"AttributeName": "PK", "KeyType": "HASH"},
        {"AttributeName": "SK", "KeyType": "RANGE"},
    ]
    indexes = {i["IndexName"]: i for i in table["GlobalSecondaryIndexes"]}
    assert set(indexes) == {"GSI1", "GSI2", "GSI3"}
    for name in ("GSI1", "GSI2", "GSI3"):
        assert indexes[name]["KeySchema"] == [
            {"AttributeName": f"{name}PK", "KeyType": "HASH"},
            {"AttributeName": f"{name}SK", "KeyType": "RANGE"},
        ]
        assert indexes[name]["Projection"]["ProjectionType"] in {"ALL", "KEYS_ONLY", "INCLUDE"}
    ttl = dynamodb.describe_time_to_live(TableName=paymux.env["PAYMUX_TABLE"])
    assert ttl["TimeToLiveDescription"] == {"TimeToLiveStatus": "ENABLED", "AttributeName": "ttl"}


def test_notify_queue_redrives_to_its_dead_letter_queue(paymux: LocalStack) -> None:
    sqs = boto3.client("sqs")
    notify = sqs.get_queue_attributes(QueueUrl=paymux.queue_urls["NotifyQueue"], AttributeNames=["All"])
    dlq = sqs.get_queue_attributes(
        QueueUrl=paymux.queue_urls["NotifyDeadLetterQueue"], AttributeNames=["All"]
    )
    assert json.loads(notify["Attributes"]["RedrivePolicy"]) == {
        "deadLetterTargetArn": dlq["Attributes"]["QueueArn"],
        "maxReceiveCount": 5,
    }
    assert dlq["Attributes"]["MessageRetentionPeriod"] == "1209600"
    assert paymux.env["PAYMUX_NOTIFY_QUEUE_URL"] == paymux.queue_urls["NotifyQueue"]
    assert paymux.env["PAYMUX_NOTIFY_DLQ_URL"] == paymux.queue_urls["NotifyDeadLetterQueue"]


def test_reports_bucket_exists_and_is_versioned(paymux: LocalStack) -> None:
    s3 = boto3.client("s3")
    bucket = paymux.env["PAYMUX_BUCKET"]
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    s3.put_object(Bucket=bucket, Key="probe.txt", Body=b"x")  # the TLS-only policy is not applied
    assert s3.get_object(Bucket=bucket, Key="probe.txt")["Body"].read() == b"x"


def test_environment_matches_the_architecture(paymux: LocalStack) -> None:
    env = paymux.env
    assert env["PAYMUX_STAGE"] == "local"
    assert env["PAYMUX_SECRETS_PREFIX"] == "paymux/local/"
    assert env["PAYMUX_PUBLIC_BASE_URL"] == ""  # PublicBaseUrl's default
    assert env["PAYMUX_API_DOMAIN"] == paymux.api_domain
    assert env["PAYMUX_API_DOMAIN_PARAMETER"] == f"/paymux/{paymux.stack_name}/api-domain"
    assert env["PAYMUX_ALLOW_HTTP_URLS"] == "true"
    assert env["POWERTOOLS_SERVICE_NAME"] == "paymux"
    assert env["POWERTOOLS_LOG_LEVEL"] == "INFO"


def test_routes_queues_and_schedules_come_from_the_template(paymux: LocalStack) -> None:
    # The architecture's routes and functions at least; the template may grow more.
    assert {(r.key, r.function) for r in paymux.routes} >= {
        ("POST /v1/payments", "CreatePaymentFunction"),
        ("GET /v1/payments/{payment_id}", "GetPaymentFunction"),
        ("GET /v1/payments", "GetPaymentFunction"),
        ("POST /v1/payments/{payment_id}/close", "ClosePaymentFunction"),
        ("POST /v1/payments/{payment_id}/refunds", "RefundPaymentFunction"),
        ("POST /v1/callbacks/{provider}/{account_id}", "ChannelCallbackFunction"),
    }
    subscriptions = {(s.function, s.queue, s.batch_size, s.report_failures) for s in paymux.subscriptions}
    assert subscriptions == {
        ("NotifyMerchantFunction", "NotifyQueue", 10, True),
        ("SweepWorkerFunction", "SweepQueue", 100, True),  # the sweep's fan-out
        ("StatsRepairFunction", "StatsStreamDeadLetterQueue", 5, True),  # stream batches given up
    }
    table = boto3.client("dynamodb").describe_table(TableName=paymux.env["PAYMUX_TABLE"])["Table"]
    streams = {
        (s.function, s.stream_arn, s.batch_size, s.bisect, s.max_retries) for s in paymux.stream_subscriptions
    }
    assert streams == {("StatsStreamFunction", table["LatestStreamArn"], 100, True, 10)}
    assert {(s.function, s.expression, s.timezone) for s in paymux.schedules} == {
        ("SweeperFunction", "rate(1 minute)", "UTC"),
        ("ReconcileFunction", "cron(30 10 * * ? *)", "Asia/Shanghai"),
        ("RefreshCertificatesFunction", "rate(12 hours)", "UTC"),
        ("RefreshAuthorizationsFunction", "cron(0 4 * * ? *)", "Asia/Shanghai"),
    }
    assert set(paymux.functions) >= {
        "CreatePaymentFunction",
        "GetPaymentFunction",
        "ClosePaymentFunction",
        "RefundPaymentFunction",
        "ChannelCallbackFunction",
        "NotifyMerchantFunction",
        "SweeperFunction",
        "SweepWorkerFunction",
        "ReconcileFunction",
    }


def test_unknown_route_is_a_typed_404_and_a_known_path_a_405(paymux: LocalStack) -> None:
    """The template's $default route (UnroutedFunction) takes what no other route does."""
    response = requests.get(f"{paymux.api_url}/v1/nothing-here", timeout=5)
    assert (response.status_code, response.json()["error"]["code"]) == (404, "not_found")
    for method, path, allow in (
        ("DELETE", "/v1/payments", "GET, POST"),
        ("PUT", "/v1/payments/pay_01KB0000000000000000000000/close", "POST"),
        ("POST", "/v1/openapi.json", "GET"),
        ("DELETE", "/v1/admin/channel-accounts/wx-1", "GET, PATCH"),
        ("DELETE", "/v1/docs", "GET"),
    ):
        response = requests.request(method, f"{paymux.api_url}{path}", timeout=5)
        assert response.status_code == 405, (method, path)
        assert response.headers["Allow"] == allow
        assert response.json()["error"]["code"] == "method_not_allowed"
