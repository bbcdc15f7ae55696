"""Read `template.yaml` and turn it into plain CloudFormation with aws-sam-translator, offline.

The local stack derives everything (resources, routes, queues, schedules, environment) from
the template itself, so there is no second list that can drift from what ships.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import boto3
import yaml
from samtranslator.parser.parser import Parser  # type: ignore[import-untyped]
from samtranslator.translator.managed_policy_translator import (  # type: ignore[import-untyped]
    ManagedPolicyLoader,
)
from samtranslator.translator.translator import Translator  # type: ignore[import-untyped]
from samtranslator.utils.py27hash_fix import (  # type: ignore[import-untyped]
    to_py27_compatible_template,
    undo_mark_unicode_str_in_template,
)

# Where CodeUri/ContentUri point in the transformed template: `s3://<CODE_BUCKET>/<local dir>`.
CODE_BUCKET = "paymux-local-code"

_SHORT_TAGS = (
    "Base64",
    "Cidr",
    "Equals",
    "FindInMap",
    "GetAZs",
    "GetAtt",
    "If",
    "ImportValue",
    "Join",
    "Length",
    "Not",
    "And",
    "Or",
    "Select",
    "Split",
    "Sub",
    "ToJsonString",
    "Transform",
)


class TemplateError(Exception):
    """The template cannot be read or transformed."""


class _CloudFormationLoader(yaml.SafeLoader):
    """A YAML loader that knows the CloudFormation short-form tags (`!Ref`, `!Sub`, ...)."""


def _long_form(tag: str) -> Any:
    key = tag if tag in ("Ref", "Condition") else f"Fn::{tag}"

    def construct(loader: yaml.SafeLoader, node: yaml.Node) -> dict[str, Any]:
        value: Any
        if isinstance(node, yaml.ScalarNode):
            value = loader.construct_scalar(node)
            if tag == "GetAtt":  # `!GetAtt Res.Attr` is the string form of ["Res", "Attr"]
                value = str(value).split(".", 1)
        elif isinstance(node, yaml.SequenceNode):
            value = loader.construct_sequence(node, deep=True)
        else:
            value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
        return {key: value}

    return construct


for _tag in (*_SHORT_TAGS, "Ref", "Condition"):
    _CloudFormationLoader.add_constructor(f"!{_tag}", _long_form(_tag))


def load_template(path: Path) -> dict[str, Any]:
    """Load a SAM/CloudFormation YAML (or JSON) template, short-form tags in long form."""
    try:
        with path.open(encoding="utf-8") as stream:
            document = yaml.load(stream, Loader=_CloudFormationLoader)  # noqa: S506 (safe loader subclass)
    except (OSError, yaml.YAMLError) as exc:
        raise TemplateError(f"cannot read {path}: {exc}") from exc
    if not isinstance(document, dict) or "Resources" not in document:
        raise TemplateError(f"{path} is not a CloudFormation template (no Resources)")
    return document


class _NoManagedPolicies(ManagedPolicyLoader):  # type: ignore[misc]
    """Offline stand-in: samtranslator falls back to its bundled managed-policy map."""

    def __init__(self) -> None:
        self._policy_map: dict[str, str] | None = {}

    def load(self) -> dict[str, str]:
        return {}


def _point_code_at_placeholders(node: Any) -> None:
    """Replace local CodeUri/ContentUri dirs with `s3://` placeholders, as `sam package` would."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("CodeUri", "ContentUri") and isinstance(value, str):
                node[key] = f"s3://{CODE_BUCKET}/{value.strip('/') or '.'}"
            else:
                _point_code_at_placeholders(value)
    elif isinstance(node, list):
        for item in node:
            _point_code_at_placeholders(item)


def transform_template(
    sam_template: dict[str, Any], parameters: dict[str, str], region: str
) -> dict[str, Any]:
    """Translate a SAM template into plain CloudFormation, without AWS credentials or network.

    This is `samtranslator.translator.transform.transform` with an explicit region session,
    so it does not depend on the caller's AWS configuration.
    """
    fragment = copy.deepcopy(sam_template)
    _point_code_at_placeholders(fragment)
    values: dict[str, Any] = dict(parameters)
    to_py27_compatible_template(fragment, values)
    translator = Translator(None, Parser(), boto_session=boto3.Session(region_name=region))
    loader = _NoManagedPolicies()
    try:
        translated = translator.translate(
            fragment, parameter_values=values, get_managed_policy_map=loader.load
        )
    except Exception as exc:  # samtranslator raises many unrelated types for invalid input
        raise TemplateError(f"aws-sam-translator rejected the template: {exc}") from exc
    result: dict[str, Any] = undo_mark_unicode_str_in_template(translated)
    return result


def local_dir(code: Any, root: Path) -> Path | None:
    """The local folder behind a transformed `Code`/`Content` property (our s3 placeholder)."""
    if isinstance(code, dict) and code.get("S3Bucket") == CODE_BUCKET:
        return (root / str(code["S3Key"])).resolve()
    return None


def choose_parameters(template: dict[str, Any], wanted: dict[str, str]) -> dict[str, str]:
    """Parameter values for the stack: `wanted` where the template allows it, else its default.

    The local stack wants `Stage=local`; a template that only allows `dev|prod` gets its
    default (or first allowed value) instead and the caller sets `PAYMUX_STAGE=local` itself.
    """
    chosen: dict[str, str] = {}
    for name, spec in (template.get("Parameters") or {}).items():
        allowed = [str(v) for v in spec.get("AllowedValues", [])]
        value = wanted.get(name)
        if value is not None and (not allowed or value in allowed):
            chosen[name] = value
        elif "Default" in spec:
            chosen[name] = str(spec["Default"])
        elif allowed:
            chosen[name] = allowed[0]
        else:
            raise TemplateError(f"parameter {name} has no default; pass a value for it")
    return chosen
