"""Reading the template: short-form tags, parameters, transform, intrinsics, the moto plan."""

from __future__ import annotations

from pathlib import Path

import pytest

from local.environment import EnvironmentConflictError, function_environment
from local.functions import FunctionSpec
from local.intrinsics import IntrinsicError, Intrinsics, references
from local.resources import plan_stack
from local.template import (
    TemplateError,
    choose_parameters,
    load_template,
    transform_template,
)

FIXTURE = Path(__file__).parent / "fixtures" / "template.yaml"


def test_short_form_tags_load_as_long_form(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text(
        "Resources:\n"
        "  A:\n"
        "    Type: X\n"
        "    Properties:\n"
        "      R: !Ref Stage\n"
        "      G: !GetAtt Queue.Arn\n"
        "      S: !Sub paymux/${Stage}/\n"
        "      I: !If [IsProd, 1, 2]\n"
        "      J: !Join ['-', [a, !Ref B]]\n"
        "      C: !Condition IsProd\n"
    )
    props = load_template(path)["Resources"]["A"]["Properties"]
    assert props == {
        "R": {"Ref": "Stage"},
        "G": {"Fn::GetAtt": ["Queue", "Arn"]},
        "S": {"Fn::Sub": "paymux/${Stage}/"},
        "I": {"Fn::If": ["IsProd", 1, 2]},
        "J": {"Fn::Join": ["-", ["a", {"Ref": "B"}]]},
        "C": {"Condition": "IsProd"},
    }


def test_a_file_without_resources_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text("Hello: world\n")
    with pytest.raises(TemplateError, match="no Resources"):
        load_template(path)


def test_stage_falls_back_to_the_default_when_local_is_not_allowed() -> None:
    template = load_template(FIXTURE)
    chosen = choose_parameters(template, {"Stage": "local", "LogLevel": "DEBUG"})
    assert chosen == {"Stage": "dev", "LogLevel": "DEBUG", "PublicBaseUrl": ""}


def test_transform_points_code_at_local_folders_and_keeps_events() -> None:
    cfn = transform_template(load_template(FIXTURE), {"Stage": "dev"}, "us-east-1")
    resources = cfn["Resources"]
    echo = resources["EchoFunction"]
    assert echo["Type"] == "AWS::Lambda::Function"
    assert echo["Properties"]["Code"] == {"S3Bucket": "paymux-local-code", "S3Key": "functions/echo"}
    # Globals are merged into each function by the transform.
    env = resources["WorkerFunction"]["Properties"]["Environment"]["Variables"]
    assert env["PAYMUX_TABLE"] == {"Ref": "FixtureTable"}
    assert env["WORKER_ONLY"] == "yes"
    kinds = {r["Type"] for r in resources.values()}
    assert {"AWS::Lambda::EventSourceMapping", "AWS::Scheduler::Schedule"} <= kinds


def _resolver(**conditions: object) -> Intrinsics:
    attributes = {("Queue", "Arn"): "arn:aws:sqs:us-east-1:123456789012:q"}
    refs = {"Queue": "https://sqs/q"}

    def lookup(name: str, attribute: str | None) -> str:
        return refs[name] if attribute is None else attributes[(name, attribute)]

    return Intrinsics(
        {"Stage": "local", "AWS::Region": "us-east-1"},
        lookup,
        {"IsProd": {"Fn::Equals": [{"Ref": "Stage"}, "prod"]}, **conditions},
        {"Limits": {"local": {"max": "5"}}},
    )


def test_intrinsics_resolve_refs_attributes_and_subs() -> None:
    resolver = _resolver()
    assert resolver.resolve({"Ref": "Queue"}) == "https://sqs/q"
    assert resolver.resolve({"Fn::GetAtt": "Queue.Arn"}) == "arn:aws:sqs:us-east-1:123456789012:q"
    assert resolver.resolve({"Fn::Sub": "${Queue.Arn}/x/${Stage}/${!Literal}"}) == (
        "arn:aws:sqs:us-east-1:123456789012:q/x/local/${Literal}"
    )
    assert resolver.resolve({"Fn::Sub": ["${A}-${AWS::Region}", {"A": {"Ref": "Stage"}}]}) == (
        "local-us-east-1"
    )


def test_intrinsics_evaluate_conditions_and_drop_no_value() -> None:
    resolver = _resolver(NotProd={"Fn::Not": [{"Condition": "IsProd"}]})
    assert resolver.resolve({"Fn::If": ["IsProd", "a", "b"]}) == "b"
    assert resolver.resolve({"Fn::If": ["NotProd", "a", "b"]}) == "a"
    assert resolver.resolve({"K": {"Fn::If": ["IsProd", 1, {"Ref": "AWS::NoValue"}]}}) == {}
    # A property named Condition (IAM statements) is data, not the condition function.
    assert resolver.resolve({"Condition": {"Bool": {"x": "y"}}}) == {"Condition": {"Bool": {"x": "y"}}}


def test_intrinsics_join_select_split_find_in_map() -> None:
    resolver = _resolver()
    assert resolver.resolve({"Fn::Join": ["-", ["a", {"Ref": "Stage"}]]}) == "a-local"
    assert resolver.resolve({"Fn::Select": [1, {"Fn::Split": [",", "x,y,z"]}]}) == "y"
    assert resolver.resolve({"Fn::FindInMap": ["Limits", {"Ref": "Stage"}, "max"]}) == "5"
    with pytest.raises(IntrinsicError):
        resolver.resolve({"Fn::If": ["Missing", 1, 2]})


def test_references_finds_refs_getatts_and_sub_variables() -> None:
    node = {
        "A": {"Ref": "Table"},
        "B": {"Fn::GetAtt": ["Queue", "Arn"]},
        "C": {"Fn::Sub": "${Bucket.Arn}/* ${AWS::Region} ${Stage} ${!Escaped}"},
        "D": {"Fn::Sub": ["${X}", {"X": {"Ref": "Other"}}]},
    }
    assert references(node) == {
        ("Table", None),
        ("Queue", "Arn"),
        ("Bucket", "Arn"),
        ("Stage", None),
        ("Other", None),
    }


def test_plan_keeps_data_resources_and_skips_the_rest() -> None:
    cfn = transform_template(load_template(FIXTURE), {"Stage": "dev"}, "us-east-1")
    plan = plan_stack(cfn, {"Stage": "dev"}, {("WorkQueue", "Arn"), ("EchoFunction", "Arn")})
    assert set(plan.template["Resources"]) == {
        "FixtureTable",
        "WorkQueue",
        "WorkDeadLetterQueue",
        "FixtureBucket",
    }
    assert plan.skipped["EchoFunction"] == ("AWS::Lambda::Function", "")
    assert plan.skipped["FixtureBucketPolicy"][0] == "AWS::S3::BucketPolicy"
    assert "Outputs" in plan.template and all(
        ref[0] in plan.template["Resources"] for ref in plan.outputs.values()
    )
    assert ("WorkQueue", "Arn") in plan.outputs.values()
    assert ("EchoFunction", "Arn") not in plan.outputs.values()


def test_plan_drops_kept_resources_that_refer_to_skipped_ones() -> None:
    cfn = {
        "Resources": {
            "Fn": {"Type": "AWS::Lambda::Function", "Properties": {}},
            "Queue": {
                "Type": "AWS::SQS::Queue",
                "Properties": {"QueueName": {"Fn::Sub": "${Fn}-q"}},
            },
            "Table": {"Type": "AWS::DynamoDB::Table", "Condition": "IsProd", "Properties": {}},
        },
        "Conditions": {"IsProd": {"Fn::Equals": [{"Ref": "Stage"}, "prod"]}},
    }
    plan = plan_stack(cfn, {"Stage": "dev"}, set())
    assert plan.template["Resources"] == {}
    assert plan.skipped["Queue"] == ("AWS::SQS::Queue", "refers to skipped Fn")
    assert plan.skipped["Table"] == ("AWS::DynamoDB::Table", "condition IsProd is false")


def test_functions_sharing_one_process_must_agree_on_their_variables() -> None:
    def spec(name: str, env: dict[str, object]) -> FunctionSpec:
        return FunctionSpec(name, name, FIXTURE.parent, "app.handler", 3, 128, env)

    resolver = Intrinsics({"Stage": "local"}, lambda name, attribute: name)
    overrides = {"PAYMUX_STAGE": "local"}
    merged = function_environment(
        {"A": spec("A", {"X": {"Ref": "Stage"}, "ONLY_A": True}), "B": spec("B", {"X": "local"})},
        resolver,
        overrides,
    )
    assert merged == {"X": "local", "ONLY_A": "true", "PAYMUX_STAGE": "local"}
    with pytest.raises(EnvironmentConflictError, match="X is 'local' in A but 'other' in B"):
        function_environment(
            {"A": spec("A", {"X": "local"}), "B": spec("B", {"X": "other"})}, resolver, overrides
        )
