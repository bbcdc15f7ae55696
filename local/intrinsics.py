"""A small CloudFormation intrinsic-function resolver.

It resolves what a function's `Environment` can contain (Ref, GetAtt, Sub, If, Join, Select,
Split, FindInMap, Base64, ToJsonString and the condition functions) against parameter values and
the physical ids and attributes the moto stack reports.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

ACCOUNT_ID = "123456789012"  # moto's default account
NO_VALUE = object()  # what `!Ref AWS::NoValue` resolves to: the key or item is removed

_SUB_VARIABLE = re.compile(r"\$\{([^}]+)\}")


class IntrinsicError(Exception):
    """An intrinsic function cannot be resolved."""


def pseudo_parameters(region: str, stack_name: str) -> dict[str, str]:
    return {
        "AWS::AccountId": ACCOUNT_ID,
        "AWS::Region": region,
        "AWS::Partition": "aws",
        "AWS::URLSuffix": "amazonaws.com",
        "AWS::StackName": stack_name,
        "AWS::StackId": f"arn:aws:cloudformation:{region}:{ACCOUNT_ID}:stack/{stack_name}/local",
    }


def references(node: Any) -> set[tuple[str, str | None]]:
    """Every `(logical id, attribute or None)` a template fragment refers to."""
    found: set[tuple[str, str | None]] = set()
    if isinstance(node, list):
        for item in node:
            found |= references(item)
    elif isinstance(node, dict):
        for key, value in node.items():
            if key == "Ref" and isinstance(value, str):
                found.add((value, None))
            elif key == "Fn::GetAtt":
                name, attribute = _getatt_parts(value)
                found.add((name, attribute))
            elif key == "Fn::Sub":
                text = value[0] if isinstance(value, list) else value
                found |= {_sub_target(v) for v in _SUB_VARIABLE.findall(str(text))}
                if isinstance(value, list) and len(value) > 1:
                    found |= references(value[1])
                    found -= {(k, None) for k in value[1]}
            elif key == "DependsOn":
                deps = [value] if isinstance(value, str) else value
                found |= {(str(d), None) for d in deps}
            else:
                found |= references(value)
    return {item for item in found if not item[0].startswith(("AWS::", "!"))}


def _getatt_parts(value: Any) -> tuple[str, str]:
    if isinstance(value, str):
        value = value.split(".", 1)
    if not isinstance(value, list) or len(value) != 2:
        raise IntrinsicError(f"bad Fn::GetAtt {value!r}")
    return str(value[0]), str(value[1])


def _sub_target(variable: str) -> tuple[str, str | None]:
    if "." in variable:
        name, attribute = variable.split(".", 1)
        return name, attribute
    return variable, None


@dataclass
class Intrinsics:
    """Resolves intrinsics; `lookup(logical_id, attribute_or_None)` answers resource refs."""

    parameters: dict[str, str]
    lookup: Callable[[str, str | None], Any]
    conditions: dict[str, Any] = field(default_factory=dict)
    mappings: dict[str, Any] = field(default_factory=dict)
    _evaluated: dict[str, bool] = field(default_factory=dict)

    def resolve(self, node: Any) -> Any:
        if isinstance(node, list):
            items = [self.resolve(item) for item in node]
            return [item for item in items if item is not NO_VALUE]
        if not isinstance(node, dict):
            return node
        if len(node) == 1:
            ((key, value),) = node.items()
            handler = self._functions().get(key)
            if handler is not None and (key != "Condition" or isinstance(value, str)):
                return handler(value)
        resolved = {key: self.resolve(value) for key, value in node.items()}
        return {key: value for key, value in resolved.items() if value is not NO_VALUE}

    def condition(self, name: str) -> bool:
        if name not in self._evaluated:
            if name not in self.conditions:
                raise IntrinsicError(f"unknown condition {name}")
            self._evaluated[name] = bool(self.resolve(self.conditions[name]))
        return self._evaluated[name]

    def _functions(self) -> dict[str, Callable[[Any], Any]]:
        return {
            "Ref": self._ref,
            "Fn::GetAtt": lambda v: self.lookup(*_getatt_parts(v)),
            "Fn::Sub": self._sub,
            "Fn::If": self._if,
            "Fn::Equals": lambda v: self._text(v[0]) == self._text(v[1]),
            "Fn::Not": lambda v: not self._truth(v[0]),
            "Fn::And": lambda v: all(self._truth(c) for c in v),
            "Fn::Or": lambda v: any(self._truth(c) for c in v),
            "Condition": self.condition,
            "Fn::Join": lambda v: str(v[0]).join(self._text(p) for p in self.resolve(v[1])),
            "Fn::Select": lambda v: self.resolve(v[1])[int(self.resolve(v[0]))],
            "Fn::Split": lambda v: self._text(v[1]).split(str(v[0])),
            "Fn::FindInMap": self._find_in_map,
            "Fn::Base64": lambda v: base64.b64encode(self._text(v).encode()).decode(),
            "Fn::ToJsonString": lambda v: json.dumps(self.resolve(v), separators=(",", ":")),
        }

    def _ref(self, name: str) -> Any:
        if name == "AWS::NoValue":
            return NO_VALUE
        if name in self.parameters:
            return self.parameters[name]
        return self.lookup(name, None)

    def _sub(self, value: Any) -> str:
        text, variables = (value[0], value[1]) if isinstance(value, list) else (value, {})
        local = {name: self.resolve(v) for name, v in variables.items()}

        def replace(match: re.Match[str]) -> str:
            variable = match.group(1)
            if variable.startswith("!"):  # `${!Literal}` is the escape for a literal `${Literal}`
                return "${" + variable[1:] + "}"
            if variable in local:
                return self._text(local[variable])
            name, attribute = _sub_target(variable)
            if attribute is None:
                return self._text(self._ref(name))
            return self._text(self.lookup(name, attribute))

        return _SUB_VARIABLE.sub(replace, str(text))

    def _if(self, value: list[Any]) -> Any:
        name, when_true, when_false = value
        return self.resolve(when_true if self.condition(str(name)) else when_false)

    def _find_in_map(self, value: list[Any]) -> Any:
        name, top, second = (self._text(v) for v in value)
        try:
            return self.mappings[name][top][second]
        except KeyError as exc:
            raise IntrinsicError(f"Fn::FindInMap {name}/{top}/{second} not found") from exc

    def _truth(self, node: Any) -> bool:
        value = self.resolve(node)
        if isinstance(value, str):
            return value.lower() == "true"
        return bool(value)

    def _text(self, node: Any) -> str:
        value = self.resolve(node)
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, (dict, list)):
            raise IntrinsicError(f"expected a string, got {value!r}")
        return str(value)
