"""moto's request dispatch without recomputing the same names on every request.

moto 5.2.5 lists a response class's methods with `inspect.getmembers` on every request
(`method_names_from_class`, ~0.5 ms) and converts the same CamelCase names to snake_case
character by character many times per request (`camelcase_to_underscores`: an SQS queue's
attributes convert fourteen names on every call that reads them). Both are pure functions of
their argument (moto never adds methods to a response class after import), so here both are
memoized, in the modules that call them; results are the same values (the method list is
returned as a copy, since callers may keep it)."""

from __future__ import annotations

import functools
from typing import Any

import moto.core.responses
import moto.core.utils
import moto.sqs.models

_applied = False
ORIGINAL_METHOD_NAMES = moto.core.utils.method_names_from_class
ORIGINAL_CAMELCASE = moto.core.utils.camelcase_to_underscores


@functools.lru_cache(maxsize=512)
def _method_names(clazz: Any) -> tuple[str, ...]:
    return tuple(ORIGINAL_METHOD_NAMES(clazz))


def method_names_from_class(clazz: Any) -> list[str]:
    return list(_method_names(clazz))


camelcase_to_underscores = functools.lru_cache(maxsize=4096)(ORIGINAL_CAMELCASE)


def cached_dispatch_names() -> None:
    """Patch moto's dispatch helpers in this process; once, idempotent."""
    global _applied  # noqa: PLW0603 - patch once per process
    if _applied:
        return
    moto.core.responses.method_names_from_class = method_names_from_class  # type: ignore[assignment]
    for module in (moto.core.responses, moto.sqs.models):
        module.camelcase_to_underscores = camelcase_to_underscores  # type: ignore[attr-defined]
    _applied = True
