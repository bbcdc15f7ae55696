"""The functions' environment variables, resolved against the moto stack.

All functions run in one process, so they share one `os.environ`: the union of their
variables, which is only possible while no two functions give a variable different values.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from local.functions import FunctionSpec
from local.intrinsics import ACCOUNT_ID, Intrinsics
from local.resources import StackResources

log = logging.getLogger("local.environment")


class EnvironmentConflictError(Exception):
    """Two functions give one variable different values."""


def resource_lookup(
    resources: StackResources, specs: dict[str, FunctionSpec], region: str
) -> Callable[[str, str | None], str]:
    """Answers `Ref`/`GetAtt` from the stack; functions get their local names and ARNs."""

    def lookup(logical_id: str, attribute: str | None) -> str:
        if attribute is None and logical_id in resources.refs:
            return resources.refs[logical_id]
        if attribute is not None and (logical_id, attribute) in resources.attributes:
            return resources.attributes[(logical_id, attribute)]
        if logical_id in specs:
            name = specs[logical_id].name
            arn = f"arn:aws:lambda:{region}:{ACCOUNT_ID}:function:{name}"
            return arn if attribute == "Arn" else name
        log.warning(
            "%s%s is not created locally; using its logical id",
            logical_id,
            f".{attribute}" if attribute else "",
        )
        return logical_id

    return lookup


def function_environment(
    specs: dict[str, FunctionSpec], resolver: Intrinsics, overrides: dict[str, str]
) -> dict[str, str]:
    """The union of the functions' resolved variables, `overrides` applied to every function."""
    union: dict[str, str] = {}
    owner: dict[str, str] = {}
    for logical_id, spec in specs.items():
        resolved = {k: _text(v) for k, v in resolver.resolve(spec.environment).items()}
        for name, value in (resolved | overrides).items():
            if name in union and union[name] != value:
                raise EnvironmentConflictError(
                    f"{name} is {union[name]!r} in {owner[name]} but {value!r} in {logical_id};"
                    " the local stack runs all functions in one process"
                )
            union[name], owner[name] = value, logical_id
    return union | overrides


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
