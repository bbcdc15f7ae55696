"""Apply the template properties that moto's CloudFormation accepts but silently ignores.

moto 5.2.5 creates a DynamoDB table from CloudFormation without its TimeToLiveSpecification or
PointInTimeRecoverySpecification, and an S3 bucket with only its encryption and tags (no
versioning, public access block, ownership controls or Object Lock). The same
settings go through the ordinary APIs here, so what the stack reports matches the template.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import boto3

log = logging.getLogger("local.fixups")

Fixup = Callable[[Any, str, dict[str, Any]], None]


def _table(client: Any, name: str, props: dict[str, Any]) -> None:
    ttl = props.get("TimeToLiveSpecification")
    if ttl and _enabled(ttl.get("Enabled")):
        client.update_time_to_live(
            TableName=name,
            TimeToLiveSpecification={"AttributeName": ttl["AttributeName"], "Enabled": True},
        )
    pitr = props.get("PointInTimeRecoverySpecification")
    if pitr and _enabled(pitr.get("PointInTimeRecoveryEnabled")):
        client.update_continuous_backups(
            TableName=name,
            PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True},
        )


def _bucket(client: Any, name: str, props: dict[str, Any]) -> None:
    versioning = props.get("VersioningConfiguration")
    if versioning:
        client.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": versioning["Status"]})
    _object_lock(client, name, props)
    public_access = props.get("PublicAccessBlockConfiguration")
    if public_access:
        client.put_public_access_block(
            Bucket=name,
            PublicAccessBlockConfiguration={k: _enabled(v) for k, v in public_access.items()},
        )
    ownership = props.get("OwnershipControls")
    if ownership:
        client.put_bucket_ownership_controls(Bucket=name, OwnershipControls=ownership)


def _object_lock(client: Any, name: str, props: dict[str, Any]) -> None:
    """ObjectLockEnabled + ObjectLockConfiguration (moto takes it on a new, versioned bucket)."""
    lock = props.get("ObjectLockConfiguration")
    if not (_enabled(props.get("ObjectLockEnabled")) and lock):
        return
    config: dict[str, Any] = {"ObjectLockEnabled": "Enabled"}
    retention = (lock.get("Rule") or {}).get("DefaultRetention")
    if retention:
        config["Rule"] = {"DefaultRetention": {k: int(v) if k != "Mode" else v for k, v in retention.items()}}
    client.put_object_lock_configuration(Bucket=name, ObjectLockConfiguration=config)


def _enabled(value: Any) -> bool:
    return value is True or str(value).lower() == "true"


_FIXUPS: dict[str, tuple[str, Fixup]] = {
    "AWS::DynamoDB::Table": ("dynamodb", _table),
    "AWS::S3::Bucket": ("s3", _bucket),
}


def apply_ignored_properties(
    resources: dict[str, Any], refs: dict[str, str], resolve: Callable[[Any], Any]
) -> None:
    """For each created table and bucket, apply the properties moto's CloudFormation skipped."""
    clients: dict[str, Any] = {}
    for logical_id, resource in resources.items():
        entry = _FIXUPS.get(resource["Type"])
        if entry is None or logical_id not in refs:
            continue
        service, fixup = entry
        if service not in clients:
            clients[service] = boto3.client(service)  # type: ignore[call-overload]
        fixup(clients[service], refs[logical_id], resolve(resource.get("Properties", {})))
        log.debug("applied the properties moto ignores to %s", logical_id)
