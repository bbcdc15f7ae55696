"""`python -m ops --stack NAME` on a deployed stack: resource names come from the stack's
CloudFormation outputs by their logical names (template.yaml's), the stage from its Stage
parameter. Here the stack is created in moto's CloudFormation, with the template's output names."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from local.state import remove_state, write_state
from local.template import load_template
from ops import stack
from ops.__main__ import main
from ops.stack import OUTPUT_VARIABLES

TEMPLATE = Path(__file__).resolve().parents[2] / "template.yaml"
STACK = {
    "AWSTemplateFormatVersion": "2010-09-09",
    "Parameters": {"Stage": {"Type": "String"}},
    "Resources": {
        "PaymuxTable": {
            "Type": "AWS::DynamoDB::Table",
            "Properties": {
                "BillingMode": "PAY_PER_REQUEST",
                "AttributeDefinitions": [
                    {"AttributeName": "PK", "AttributeType": "S"},
                    {"AttributeName": "SK", "AttributeType": "S"},
                ],
                "KeySchema": [
                    {"AttributeName": "PK", "KeyType": "HASH"},
                    {"AttributeName": "SK", "KeyType": "RANGE"},
                ],
            },
        },
        "NotifyQueue": {"Type": "AWS::SQS::Queue"},
        "NotifyDeadLetterQueue": {"Type": "AWS::SQS::Queue"},
        "ReportsBucket": {"Type": "AWS::S3::Bucket"},
    },
    "Outputs": {
        "TableName": {"Value": {"Ref": "PaymuxTable"}},
        "NotifyQueueUrl": {"Value": {"Ref": "NotifyQueue"}},
        "NotifyDeadLetterQueueUrl": {"Value": {"Ref": "NotifyDeadLetterQueue"}},
        "ReportsBucketName": {"Value": {"Ref": "ReportsBucket"}},
        "CallbackBaseUrl": {"Value": "https://abc123.execute-api.us-east-1.amazonaws.com/v1/callbacks"},
    },
}


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)  # a local stack of the session, if any
    for name in [n for n in os.environ if n.startswith("PAYMUX_")]:
        monkeypatch.delenv(name)  # only the stack may say where things are
    with mock_aws():
        cloudformation = boto3.client("cloudformation", region_name="us-east-1")
        cloudformation.create_stack(
            StackName="paymux-prod",
            TemplateBody=json.dumps(STACK),
            Parameters=[{"ParameterKey": "Stage", "ParameterValue": "prod"}],
        )
        yield cloudformation


def table_name(cloudformation: Any) -> str:
    (stack,) = cloudformation.describe_stacks(StackName="paymux-prod")["Stacks"]
    return next(o["OutputValue"] for o in stack["Outputs"] if o["OutputKey"] == "TableName")


def test_ops_reads_the_template_s_own_output_names() -> None:
    assert set(OUTPUT_VARIABLES) <= set(load_template(TEMPLATE)["Outputs"])


def test_the_documented_command_runs_against_a_deployed_stack(
    aws: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["--stack", "paymux-prod", "--stage", "prod", "merchants", "create", "app_shop1"]
    assert main([*argv, "--merchant-id", "mch_shop1", "--name", "Shop 1"]) == 0
    secret = json.loads(capsys.readouterr().out)["secret"]
    item = boto3.client("dynamodb").get_item(
        TableName=table_name(aws), Key={"PK": {"S": "APP#app_shop1"}, "SK": {"S": "APP"}}
    )["Item"]
    assert item["merchant_id"] == {"S": "mch_shop1"}
    stored = boto3.client("secretsmanager").get_secret_value(SecretId="paymux/prod/merchant/app_shop1")
    assert json.loads(stored["SecretString"])["keys"] == [{"secret": secret}]

    assert main(["--stack", "paymux-prod", "merchants", "show", "app_shop1"]) == 0  # stage: the stack's
    assert json.loads(capsys.readouterr().out)["valid_keys"] == 1


def test_a_wrong_stage_or_stack_is_refused_before_anything_is_written(
    aws: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        main(["--stack", "paymux-prod", "--stage", "dev", "merchants", "create", "a1", "--merchant-id", "m"])
        == 2
    )
    assert "stack paymux-prod is stage prod, not dev" in capsys.readouterr().err
    assert main(["--stack", "paymux-nope", "merchants", "show", "a1"]) == 2
    assert "cannot describe stack paymux-nope" in capsys.readouterr().err
    assert boto3.client("dynamodb").scan(TableName=table_name(aws))["Items"] == []


def test_the_local_stack_state_round_trips_and_is_removed_only_by_its_stack(tmp_path: Path) -> None:
    outputs = {key: f"value-{key}" for key in OUTPUT_VARIABLES}
    outputs["CallbackBaseUrl"] = "http://127.0.0.1:3000/v1/callbacks"
    state = {
        "stack_name": "paymux-local",
        "stage": "local",
        "region": "us-east-1",
        "endpoint_url": "http://127.0.0.1:5000",
        "outputs": outputs,
    }
    path = tmp_path / "state" / "stack.json"
    write_state(path, state)
    found = stack.local(path)
    env = found.environment()
    assert (env["PAYMUX_TABLE"], env["PAYMUX_STAGE"], env["PAYMUX_SECRETS_PREFIX"]) == (
        "value-TableName",
        "local",
        "paymux/local/",
    )
    assert env["PAYMUX_PUBLIC_BASE_URL"] == "http://127.0.0.1:3000"
    assert found.aws["AWS_ENDPOINT_URL"] == "http://127.0.0.1:5000" and found.aws["AWS_PROFILE"] is None
    remove_state(path, "paymux-local-2")  # a nested stack does not remove the outer one's state
    assert path.exists()
    remove_state(path, "paymux-local")
    assert not path.exists()


def test_a_deployed_stack_s_stats_shards_reach_the_readers(aws: Any) -> None:
    from ops.stack import deployed

    template = {**STACK, "Parameters": {"Stage": {"Type": "String"}, "StatsShards": {"Type": "Number"}}}
    aws.create_stack(
        StackName="paymux-sharded",
        TemplateBody=json.dumps(template),
        Parameters=[
            {"ParameterKey": "Stage", "ParameterValue": "prod"},
            {"ParameterKey": "StatsShards", "ParameterValue": "8"},
        ],
    )
    assert deployed("paymux-sharded", aws).environment()["PAYMUX_STATS_SHARDS"] == "8"
    assert "PAYMUX_STATS_SHARDS" not in deployed("paymux-prod", aws).environment()  # the default: 4
