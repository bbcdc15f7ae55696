"""The template's Lambda functions, run in this process: lazy handler import, a fake context.

Each function is one warm "container": its module is imported on first invocation and its
invocations run one at a time, so module-level state (cached clients, loggers) is never used by
two invocations at once, as on Lambda.
"""

from __future__ import annotations

import importlib.util
import logging
import re
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from local.intrinsics import ACCOUNT_ID
from local.template import local_dir

log = logging.getLogger("local.functions")

Handler = Callable[[Any, Any], Any]


class HandlerImportError(Exception):
    """A function's handler module or attribute cannot be loaded."""


@dataclass(frozen=True)
class FunctionSpec:
    """One AWS::Lambda::Function of the transformed template whose code is a local folder."""

    logical_id: str
    name: str
    code_dir: Path
    handler: str
    timeout_s: int
    memory_mb: int
    environment: dict[str, Any] = field(default_factory=dict)  # unresolved intrinsics
    layer_ids: tuple[str, ...] = ()


def function_specs(cfn: dict[str, Any], root: Path, stack_name: str) -> dict[str, FunctionSpec]:
    specs: dict[str, FunctionSpec] = {}
    for logical_id, resource in cfn.get("Resources", {}).items():
        if resource["Type"] != "AWS::Lambda::Function":
            continue
        props = resource.get("Properties", {})
        code_dir = local_dir(props.get("Code"), root)
        if code_dir is None:
            log.warning("%s has no local CodeUri; it cannot run locally", logical_id)
            continue
        name = props.get("FunctionName")
        specs[logical_id] = FunctionSpec(
            logical_id=logical_id,
            name=name if isinstance(name, str) else f"{stack_name}-{logical_id}",
            code_dir=code_dir,
            handler=str(props.get("Handler", "app.handler")),
            timeout_s=int(props.get("Timeout", 3)),
            memory_mb=int(props.get("MemorySize", 128)),
            environment=dict((props.get("Environment") or {}).get("Variables") or {}),
            layer_ids=tuple(layer["Ref"] for layer in props.get("Layers", []) if isinstance(layer, dict)),
        )
    return specs


def layer_paths(template: dict[str, Any], root: Path) -> list[Path]:
    """Local folders of the template's layers (SAM or transformed), as Lambda puts them on
    `sys.path`: a built layer keeps its code in python/, a SAM source layer is the folder."""
    paths: list[Path] = []
    for resource in template.get("Resources", {}).values():
        props = resource.get("Properties") or {}
        content: Path | None = None
        if resource.get("Type") == "AWS::Lambda::LayerVersion":
            content = local_dir(props.get("Content"), root)
        elif resource.get("Type") == "AWS::Serverless::LayerVersion" and isinstance(
            props.get("ContentUri"), str
        ):
            content = (root / props["ContentUri"]).resolve()
        if content is not None:
            paths.append(content / "python" if (content / "python").is_dir() else content)
    return paths


class LambdaContext:
    """The attributes and method of the Python runtime's context object."""

    def __init__(self, spec: FunctionSpec, region: str) -> None:
        self.function_name = spec.name
        self.function_version = "$LATEST"
        self.invoked_function_arn = f"arn:aws:lambda:{region}:{ACCOUNT_ID}:function:{spec.name}"
        self.memory_limit_in_mb = str(spec.memory_mb)
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{spec.name}"
        self.log_stream_name = time.strftime("%Y/%m/%d/[$LATEST]") + uuid.uuid4().hex
        self.identity = None
        self.client_context = None
        self._deadline = time.monotonic() + spec.timeout_s

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


class LocalFunction:
    """A function's handler, imported on first use, invoked one event at a time."""

    def __init__(self, spec: FunctionSpec, region: str) -> None:
        self.spec = spec
        self._region = region
        self._handler: Handler | None = None
        self._lock = threading.Lock()

    def __call__(self, event: Any, context: Any) -> Any:
        """Call the handler with a caller-made context (what `LocalStack.functions` exposes)."""
        with self._lock:
            return self._load()(event, context)

    def invoke(self, event: Any) -> Any:
        """Invoke like Lambda does: a fresh context, the template's timeout reported if exceeded."""
        context = LambdaContext(self.spec, self._region)
        started = time.monotonic()
        with self._lock:
            result = self._load()(event, context)
        elapsed = time.monotonic() - started
        if elapsed > self.spec.timeout_s:
            log.warning(
                "%s ran %.1fs, over its %ds timeout (Lambda would have stopped it)",
                self.spec.logical_id,
                elapsed,
                self.spec.timeout_s,
            )
        return result

    def _load(self) -> Handler:
        if self._handler is None:
            self._handler = load_handler(self.spec)
        return self._handler


def load_handler(spec: FunctionSpec) -> Handler:
    """Import `<code_dir>/<module path>.py` under a unique name and return its handler."""
    module_path, _, attribute = spec.handler.rpartition(".")
    source = spec.code_dir.joinpath(*module_path.split(".")).with_suffix(".py")
    unique = re.sub(r"\W", "_", f"paymux_fn_{spec.code_dir.name}_{module_path}".removesuffix("_app"))
    module = sys.modules.get(unique)
    if module is None or getattr(module, "__file__", None) != str(source):
        module = _import_file(unique, source)
    handler = getattr(module, attribute, None)
    if not callable(handler):
        raise HandlerImportError(f"{source} has no callable {attribute!r}")
    return handler  # type: ignore[no-any-return]


def _import_file(name: str, source: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, source)
    if spec is None or spec.loader is None or not source.is_file():
        raise HandlerImportError(f"no handler module at {source}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        del sys.modules[name]
        raise HandlerImportError(f"importing {source} failed: {exc!r}") from exc
    return module
