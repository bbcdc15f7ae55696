"""Create the template's data resources in moto through its CloudFormation `create_stack`.

Only resource types that hold data (tables, queues, buckets, keys, secrets ...) and that moto's
CloudFormation models are submitted; compute and wiring (Lambda, IAM, API Gateway, Scheduler,
alarms) are skipped because the local stack plays those parts itself.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass, field
from typing import Any

import boto3
from moto.cloudformation.parsing import get_model_map

from local.intrinsics import IntrinsicError, Intrinsics, references

log = logging.getLogger("local.resources")

# Resource types that hold state the functions read and write.
DATA_TYPES = frozenset(
    {
        "AWS::DynamoDB::Table",
        "AWS::SQS::Queue",
        "AWS::SQS::QueuePolicy",
        "AWS::S3::Bucket",
        "AWS::S3::BucketPolicy",
        "AWS::SecretsManager::Secret",
        "AWS::KMS::Key",
        "AWS::KMS::Alias",
        "AWS::SSM::Parameter",
        "AWS::SNS::Topic",
        "AWS::Events::EventBus",
    }
)


class StackError(Exception):
    """moto could not create the stack."""


@dataclass
class StackPlan:
    """What is submitted to moto, and what was left out and why."""

    template: dict[str, Any]
    outputs: dict[str, tuple[str, str | None]]  # output key -> (logical id, attribute or None)
    # logical id -> (type, reason); the reason is empty for types that are never submitted
    skipped: dict[str, tuple[str, str]] = field(default_factory=dict)


@dataclass
class StackResources:
    """Physical ids (`Ref`) and attributes (`GetAtt`) of the created resources."""

    types: dict[str, str]
    refs: dict[str, str]
    attributes: dict[tuple[str, str], str]
    skipped: dict[str, tuple[str, str]]


def moto_supported_types() -> frozenset[str]:
    return frozenset(get_model_map())


def plan_stack(
    cfn: dict[str, Any],
    parameters: dict[str, str],
    wanted_attributes: set[tuple[str, str | None]],
) -> StackPlan:
    """Select the resources moto should create, drop what references skipped ones, add outputs."""
    resources: dict[str, Any] = cfn.get("Resources", {})
    supported = moto_supported_types()
    conditions = Intrinsics(parameters, _no_lookup, cfn.get("Conditions") or {})
    skipped: dict[str, tuple[str, str]] = {}
    kept: dict[str, Any] = {}
    for logical_id, resource in resources.items():
        kind = resource["Type"]
        if kind not in DATA_TYPES:
            skipped[logical_id] = (kind, "")
        elif kind not in supported:
            skipped[logical_id] = (kind, "moto's CloudFormation does not model it")
        elif "Condition" in resource and not conditions.condition(resource["Condition"]):
            skipped[logical_id] = (kind, f"condition {resource['Condition']} is false")
        else:
            kept[logical_id] = resource
    _drop_dangling(kept, resources, skipped)
    outputs = _outputs(kept, wanted_attributes)
    template = {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Parameters": cfn.get("Parameters") or {},
        "Conditions": cfn.get("Conditions") or {},
        "Mappings": cfn.get("Mappings") or {},
        "Resources": kept,
        "Outputs": {key: {"Value": _output_value(*ref)} for key, ref in outputs.items()},
    }
    for key in ("Conditions", "Mappings"):
        if not template[key]:
            del template[key]
    return StackPlan(template=template, outputs=outputs, skipped=skipped)


def _no_lookup(logical_id: str, attribute: str | None) -> Any:
    raise IntrinsicError(f"a condition refers to resource {logical_id}")


def _drop_dangling(
    kept: dict[str, Any], everything: dict[str, Any], skipped: dict[str, tuple[str, str]]
) -> None:
    """Remove kept resources that refer to skipped ones, until nothing dangles."""
    changed = True
    while changed:
        changed = False
        for logical_id, resource in list(kept.items()):
            missing = sorted(
                name for name, _ in references(resource) if name in everything and name not in kept
            )
            if missing:
                del kept[logical_id]
                skipped[logical_id] = (resource["Type"], f"refers to skipped {', '.join(missing)}")
                changed = True


def _outputs(
    kept: dict[str, Any], wanted_attributes: set[tuple[str, str | None]]
) -> dict[str, tuple[str, str | None]]:
    wanted: set[tuple[str, str | None]] = {(logical_id, None) for logical_id in kept}
    wanted |= {ref for ref in wanted_attributes if ref[0] in kept}
    outputs: dict[str, tuple[str, str | None]] = {}
    for index, (logical_id, attribute) in enumerate(sorted(wanted, key=str)):
        outputs[f"O{index}{re.sub(r'[^A-Za-z0-9]', '', logical_id)}"] = (logical_id, attribute)
    return outputs


def _output_value(logical_id: str, attribute: str | None) -> dict[str, Any]:
    if attribute is None:
        return {"Ref": logical_id}
    return {"Fn::GetAtt": [logical_id, attribute]}


def create_stack(stack_name: str, plan: StackPlan, parameters: dict[str, str]) -> StackResources:
    """Submit the plan to moto (through `AWS_ENDPOINT_URL`) and read back ids and attributes."""
    client = boto3.client("cloudformation")
    declared = plan.template.get("Parameters", {})
    client.create_stack(
        StackName=stack_name,
        TemplateBody=json.dumps(plan.template),
        Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in parameters.items() if k in declared],
    )
    stack = client.describe_stacks(StackName=stack_name)["Stacks"][0]
    if stack["StackStatus"] != "CREATE_COMPLETE":
        events = client.describe_stack_events(StackName=stack_name)["StackEvents"]
        reasons = [e.get("ResourceStatusReason", "") for e in events if "FAILED" in e["ResourceStatus"]]
        raise StackError(f"stack {stack_name} is {stack['StackStatus']}: {reasons}")
    values = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
    refs: dict[str, str] = {}
    attributes: dict[tuple[str, str], str] = {}
    for key, (logical_id, attribute) in plan.outputs.items():
        if key not in values:
            raise StackError(f"moto gave no value for {logical_id} {attribute or 'Ref'}")
        if attribute is None:
            refs[logical_id] = values[key]
        else:
            attributes[(logical_id, attribute)] = values[key]
    types = {k: r["Type"] for k, r in plan.template["Resources"].items()}
    return StackResources(types=types, refs=refs, attributes=attributes, skipped=plan.skipped)
