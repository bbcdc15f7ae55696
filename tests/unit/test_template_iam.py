"""Least privilege in template.yaml, read as SAM hands it to CloudFormation: which Secrets Manager
prefixes each function may read (the notifier never a channel key), the notifier's DynamoDB
actions, and the notifier's isolation (MaximumConcurrency on its SQS event source).

The local stack does not enforce IAM (moto accepts every call), so these grants are checked
here rather than exercised."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from local.stack import REGION
from local.template import choose_parameters, load_template, transform_template
from paymux.console.api import OPERATIONS, UNROUTED_FUNCTION

ROOT = Path(__file__).resolve().parents[2]
SECRET_ARN = "arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:paymux/${Stage}/"
MERCHANT, CHANNEL, BINDING = "merchant/*", "channel/*", "binding/*"
TALKS_TO_CHANNELS = {CHANNEL, BINDING}
# What each function may read with secretsmanager:GetSecretValue (prefix under paymux/<Stage>/).
READS = {
    "CreatePaymentFunction": {MERCHANT} | TALKS_TO_CHANNELS,
    "GetPaymentFunction": {MERCHANT} | TALKS_TO_CHANNELS,  # ?sync=true queries the channel
    "ClosePaymentFunction": {MERCHANT} | TALKS_TO_CHANNELS,
    "RefundPaymentFunction": {MERCHANT} | TALKS_TO_CHANNELS,
    "GetRefundFunction": {MERCHANT},
    "ListPaymentEventsFunction": {MERCHANT},
    "ListNotificationsFunction": {MERCHANT},
    "ResendNotificationFunction": {MERCHANT},
    "NotifyMerchantFunction": {MERCHANT},
    "ChannelCallbackFunction": TALKS_TO_CHANNELS,
    "SweeperFunction": set(),  # the planner only claims due keys and queues them
    "SweepWorkerFunction": TALKS_TO_CHANNELS,
    "ReconcileFunction": TALKS_TO_CHANNELS,
    "RefreshCertificatesFunction": {CHANNEL},
    "AdminUpdateChannelAccountFunction": {CHANNEL},  # the WeChat verification keys it keeps
    "AdminCreateChannelAccountFunction": set(),
    "AdminListChannelAccountsFunction": set(),
    "AdminGetChannelAccountFunction": set(),
    "AdminGetReconciliationReportFunction": set(),
    "ListExceptionsFunction": set(),
    "ApiDocsFunction": set(),
    "UnroutedFunction": set(),
    "AdminListBindingsFunction": set(),
    "AdminGetBindingFunction": set(),
    "AdminUpdateBindingFunction": set(),
    "AdminUpdateStaticCodeFunction": set(),  # the app item only, never its signing keys
    "AdminCreateBindingFunction": {CHANNEL},  # the provider app's keys, to exchange an Alipay code
    "ChannelAuthorizationNoticeFunction": {CHANNEL},  # verifies the notice with the account's keys
    "RefreshAuthorizationsFunction": TALKS_TO_CHANNELS,
    # the checkout: merchant keys (signatures, the signed return) and the channels' (payments
    # started, closed at a switch or an expiry; WeChat's OAuth AppSecret)
    "CheckoutSessionsFunction": {MERCHANT} | TALKS_TO_CHANNELS,
    "CheckoutPageFunction": {MERCHANT} | TALKS_TO_CHANNELS,
    "CheckoutChooseFunction": {MERCHANT} | TALKS_TO_CHANNELS,
    "CheckoutStatusFunction": {MERCHANT} | TALKS_TO_CHANNELS,
    "GetStatsFunction": {MERCHANT},  # the request's signature; the buckets are plain table items
    "StatsStreamFunction": set(),  # folds table items into table items
    "StatsRepairFunction": set(),  # the same, from records read again from the stream
    # the console: no secrets (account changes carry no credentials; Cognito needs none)
    "ConsolePageFunction": set(),
    "ConsoleLoginFunction": set(),
    **{op.function: set() for op in OPERATIONS},
    UNROUTED_FUNCTION: set(),
}


@pytest.fixture(scope="module")
def cfn() -> dict[str, Any]:
    sam = load_template(ROOT / "template.yaml")
    translated: dict[str, Any] = transform_template(sam, choose_parameters(sam, {}), REGION)
    return translated


def role_statements(cfn: dict[str, Any], function: str) -> list[dict[str, Any]]:
    role = cfn["Resources"][f"{function}Role"]["Properties"]
    return [s for policy in role.get("Policies", []) for s in policy["PolicyDocument"]["Statement"]]


def listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def granted(cfn: dict[str, Any], function: str, action: str) -> set[str]:
    """The secret prefixes `action` is allowed on; '*' for anything that is not a prefix ARN."""
    prefixes = set()
    for statement in role_statements(cfn, function):
        if statement["Effect"] != "Allow" or action not in listed(statement["Action"]):
            continue
        for resource in listed(statement["Resource"]):
            text = resource.get("Fn::Sub", "*") if isinstance(resource, dict) else resource
            prefixes.add(text.removeprefix(SECRET_ARN) if text.startswith(SECRET_ARN) else "*")
    return prefixes


def test_every_function_reads_only_the_secrets_it_needs(cfn: dict[str, Any]) -> None:
    functions = {n for n, r in cfn["Resources"].items() if r["Type"] == "AWS::Lambda::Function"}
    assert functions == set(READS), "a function was added: say which secrets it reads"
    for function, expected in READS.items():
        assert granted(cfn, function, "secretsmanager:GetSecretValue") == expected, function


def test_the_notifier_never_reads_channel_keys(cfn: dict[str, Any]) -> None:
    for statement in role_statements(cfn, "NotifyMerchantFunction"):
        if any(str(a).startswith("secretsmanager:") for a in listed(statement["Action"])):
            resources = [
                r.get("Fn::Sub", r) if isinstance(r, dict) else r for r in listed(statement["Resource"])
            ]
            assert all(r.startswith(SECRET_ARN + "merchant/") for r in resources), resources


def test_the_notifier_writes_only_what_delivering_needs(cfn: dict[str, Any]) -> None:
    (table,) = [
        s
        for s in role_statements(cfn, "NotifyMerchantFunction")
        if any(str(a).startswith("dynamodb:") for a in listed(s["Action"]))
    ]
    assert set(listed(table["Action"])) == {
        "dynamodb:GetItem",
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
        "dynamodb:TransactWriteItems",
    }
    assert listed(table["Resource"]) == [{"Fn::GetAtt": ["PaymuxTable", "Arn"]}]  # no index
    (send,) = [
        s for s in role_statements(cfn, "NotifyMerchantFunction") if "sqs:SendMessage" in listed(s["Action"])
    ]
    assert listed(send["Resource"]) == [{"Fn::GetAtt": ["NotifyQueue", "Arn"]}]  # never the DLQ by hand


def test_the_notifiers_event_source_caps_its_concurrency(cfn: dict[str, Any]) -> None:
    (mapping,) = [
        r["Properties"]
        for r in cfn["Resources"].values()
        if r["Type"] == "AWS::Lambda::EventSourceMapping"
        and r["Properties"]["FunctionName"] == {"Ref": "NotifyMerchantFunction"}
    ]
    assert mapping["ScalingConfig"] == {"MaximumConcurrency": 10}
    notifier = cfn["Resources"]["NotifyMerchantFunction"]["Properties"]
    assert "ReservedConcurrentExecutions" not in notifier  # docs/operations.md, "Isolation"
