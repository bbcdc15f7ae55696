"""The running local stack, described for other processes on this machine (`python -m ops
--local`): its moto endpoint, and the template's outputs by their logical names, as
CloudFormation's DescribeStacks gives them for a deployed stack.

Standard library only: the operator command reads this without loading the local stack."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from local.intrinsics import Intrinsics, references

STATE_ENV = "PAYMUX_STACK_STATE"
DEFAULT_STATE_FILE = Path(__file__).resolve().parent / ".state" / "stack.json"


def state_file() -> Path:
    """Where `make dev` writes its state: $PAYMUX_STACK_STATE, else local/.state/stack.json."""
    return Path(os.environ.get(STATE_ENV) or DEFAULT_STATE_FILE)


def local_outputs(
    cfn: dict[str, Any], resolver: Intrinsics, created: set[str], api_url: str, callback_base: str
) -> dict[str, str]:
    """The template's Outputs whose values this stack has (those naming only parameters and
    created resources), with the API's: served locally, so ApiUrl and CallbackBaseUrl are the
    local API's."""
    outputs: dict[str, str] = {}
    for key, output in (cfn.get("Outputs") or {}).items():
        if "Condition" in output and not resolver.condition(output["Condition"]):
            continue
        names = {name for name, _ in references(output["Value"])} - set(resolver.parameters)
        if names <= created:
            outputs[key] = str(resolver.resolve(output["Value"]))
    return outputs | {"ApiUrl": api_url, "CallbackBaseUrl": f"{callback_base}/v1/callbacks"}


def write_state(path: Path, state: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".tmp")
    partial.write_text(json.dumps(state, indent=2, sort_keys=True))
    partial.replace(path)  # readers never see half a file


def remove_state(path: Path, stack_name: str) -> None:
    """Removes the file if it still describes `stack_name` (another stack may have replaced it)."""
    try:
        if json.loads(path.read_text()).get("stack_name") == stack_name:
            path.unlink()
    except (OSError, ValueError):
        return
