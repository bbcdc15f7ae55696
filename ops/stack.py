"""Which stack ops works on: its resource names come from the stack's outputs, by their logical
names (template.yaml's Outputs), from CloudFormation for a deployed stack (`--stack NAME`) or
from the state `make dev` writes for the local stack (`--local`)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from paymux.errors import ConfigurationError

# template.yaml's output -> the variable paymux.config.Settings reads.
OUTPUT_VARIABLES = {
    "TableName": "PAYMUX_TABLE",
    "NotifyQueueUrl": "PAYMUX_NOTIFY_QUEUE_URL",
    "NotifyDeadLetterQueueUrl": "PAYMUX_NOTIFY_DLQ_URL",
    "ReportsBucketName": "PAYMUX_BUCKET",
    "CallbackBaseUrl": "PAYMUX_PUBLIC_BASE_URL",
}
CALLBACK_PATH = "/v1/callbacks"


@dataclass(frozen=True, slots=True)
class Stack:
    name: str
    stage: str
    outputs: dict[str, str]
    aws: dict[str, str | None] = field(default_factory=dict)  # AWS_* to reach it (local: moto); None unsets
    # Its StatsShards parameter (the readers sum that many bucket shards); "" for the template's
    # default (paymux.config.STATS_SHARDS), which the local stack runs with.
    stats_shards: str = ""

    def environment(self, stage: str | None = None) -> dict[str, str]:
        """The functions' variables, as far as ops needs them; `stage` (--stage), when given,
        must be the stack's."""
        if stage and self.stage and stage != self.stage:
            raise ConfigurationError(f"stack {self.name} is stage {self.stage}, not {stage}")
        stage = self.stage or stage
        if not stage:
            raise ConfigurationError(f"stack {self.name} has no Stage parameter: pass --stage")
        missing = sorted(set(OUTPUT_VARIABLES) - set(self.outputs))
        if missing:
            raise ConfigurationError(f"stack {self.name} has no output {', '.join(missing)}")
        env = {variable: self.outputs[key] for key, variable in OUTPUT_VARIABLES.items()}
        env["PAYMUX_PUBLIC_BASE_URL"] = env["PAYMUX_PUBLIC_BASE_URL"].removesuffix(CALLBACK_PATH)
        local = stage == "local"
        if self.stats_shards:
            env["PAYMUX_STATS_SHARDS"] = self.stats_shards
        return env | {
            "PAYMUX_STAGE": stage,
            "PAYMUX_SECRETS_PREFIX": f"paymux/{stage}/",
            "PAYMUX_ALLOW_HTTP_URLS": "true" if local else "false",
        }


def deployed(name: str, cloudformation: Any) -> Stack:
    """DescribeStacks: the outputs by OutputKey, the stage from the Stage parameter."""
    from botocore.exceptions import BotoCoreError, ClientError  # noqa: PLC0415

    try:
        (described,) = cloudformation.describe_stacks(StackName=name)["Stacks"]
    except (BotoCoreError, ClientError) as exc:
        raise ConfigurationError(f"cannot describe stack {name}: {exc}") from exc
    outputs = {o["OutputKey"]: o["OutputValue"] for o in described.get("Outputs", [])}
    parameters = {p["ParameterKey"]: p.get("ParameterValue", "") for p in described.get("Parameters", [])}
    return Stack(name, parameters.get("Stage", ""), outputs, stats_shards=parameters.get("StatsShards", ""))


def local(path: Path) -> Stack:
    """The state file of a running `make dev` (local/state.py)."""
    try:
        state = json.loads(path.read_text())
    except FileNotFoundError:
        raise ConfigurationError(f"no local stack: {path} does not exist (is `make dev` running?)") from None
    except (OSError, ValueError) as exc:
        raise ConfigurationError(f"cannot read the local stack's state {path}: {exc}") from exc
    aws: dict[str, str | None] = {
        "AWS_PROFILE": None,
        "AWS_ENDPOINT_URL": state["endpoint_url"],
        "AWS_DEFAULT_REGION": state["region"],
        "AWS_REGION": state["region"],
        # moto accepts any credentials; never the operator's real ones
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
    }
    return Stack(state["stack_name"], state["stage"], dict(state["outputs"]), aws)
