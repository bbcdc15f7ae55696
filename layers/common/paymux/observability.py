"""Logging and metrics through aws-lambda-powertools, with payer identifiers, card numbers and
secrets masked before anything is written.

- Logs: the powertools Logger on the stdlib logger `paymux` (every module logs through
  `logging.getLogger("paymux")`), one JSON document per record with the service name, the
  Lambda context and a correlation id per invocation (`lambda_handler` sets it; a channel
  callback replaces it with the channel's event id once verified, see `correlate`).
- Metrics: CloudWatch Embedded Metric Format through powertools' EMF provider, namespace
  `paymux`, dimension `service=paymux` plus bounded dimensions whose values come from closed
  sets (DIMENSION_VALUES; anything else is counted as "other"). Inside an invocation metrics
  are buffered and flushed when the handler returns; outside one they are written at once.
- No Tracer: importing it costs ≈ 235 ms of cold start (bench/cold_start.py), more than the
  1.5× budget leaves; X-Ray active tracing in the template traces the invocations without it.
"""

from __future__ import annotations

import functools
import logging
import os
import re
import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import IO, Any, cast

from aws_lambda_powertools.logging import Logger
from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter

from paymux.domain.methods import METHODS

SERVICE = "paymux"
NAMESPACE = "paymux"

_CARD = re.compile(r"\b(\d{6})\d{3,9}(\d{4})\b")
_OPENID = re.compile(r"\b(o[A-Za-z0-9_-]{3})[A-Za-z0-9_-]{16,}\b")
_SECRETISH = re.compile(
    r'((?:secret|signature|apiv3_key|private_key|password)["\']?\s*[:=]\s*["\']?)[^"\',\s]+', re.I
)


def mask(text: str) -> str:
    text = _CARD.sub(r"\1******\2", text)
    text = _OPENID.sub(r"\1****", text)
    return _SECRETISH.sub(r"\1****", text)


class MaskingFilter(logging.Filter):
    """Masks the message of every record of `paymux` (what any handler, caplog included, sees)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = mask(record.getMessage())
        record.args = None
        return True


class MaskingFormatter(LambdaPowertoolsFormatter):
    """Masks the whole JSON document: message, appended keys, `extra=` keys and tracebacks."""

    def format(self, record: logging.LogRecord) -> str:
        return mask(super().format(record))


class _Stdout:
    """sys.stdout as it is when a record is written (tests and the local stack swap it), or
    sys.stderr once a command line tool asked for it (its stdout is its output)."""

    to_stderr = False

    def write(self, text: str) -> int:
        return (sys.stderr if _Stdout.to_stderr else sys.stdout).write(text)

    def flush(self) -> None:
        (sys.stderr if _Stdout.to_stderr else sys.stdout).flush()


@contextmanager
def logs_to_stderr() -> Iterator[None]:
    """For command line tools (ops): while inside, logs go to stderr and stdout stays the
    command's output."""
    before, _Stdout.to_stderr = _Stdout.to_stderr, True
    try:
        yield
    finally:
        _Stdout.to_stderr = before


_LEVELS = {"DEBUG": logging.DEBUG, "INFO": logging.INFO, "WARN": logging.WARNING, "ERROR": logging.ERROR}
_powertools: Logger | None = None


def setup_logging() -> logging.Logger:
    """Called once by each handler module; the level comes from POWERTOOLS_LOG_LEVEL (the
    template's LogLevel parameter), INFO when unset."""
    global _powertools  # noqa: PLW0603 - one Logger per container
    level = _LEVELS.get(os.environ.get("POWERTOOLS_LOG_LEVEL", "INFO").upper(), logging.INFO)
    if _powertools is None:
        stream, formatter = cast(IO[str], _Stdout()), MaskingFormatter()
        _powertools = Logger(service=SERVICE, level=level, stream=stream, logger_formatter=formatter)
    logger = logging.getLogger(SERVICE)
    if not any(isinstance(f, MaskingFilter) for f in logger.filters):
        logger.addFilter(MaskingFilter())
    logger.setLevel(level)
    return logger


def correlate(correlation_id: str) -> None:
    """Sets this invocation's correlation id (the keys are per thread: the local stack runs
    invocations side by side)."""
    if _powertools is not None and correlation_id:
        _powertools.thread_safe_append_keys(correlation_id=correlation_id)


# -- metrics ---------------------------------------------------------------------------------
CALLBACK_REASONS = frozenset(
    {
        "signature",  # the signature does not verify, or the key/certificate is unknown
        "decrypt",  # the encrypted resource does not decrypt
        "stale",  # outside the channel's freshness window
        "malformed",  # not a message of this channel, or missing what it always carries
        "unknown_account",  # the callback path names no account of that provider
        "unknown_order",  # verified, about no attempt of ours (recorded, acknowledged)
        "merchant_mismatch",  # verified, for another merchant id / app id than the account's
        "amount_mismatch",  # verified, amount or currency differ from the order's
        "incomplete",  # a verified PAID word without a field it always carries
        "not_applicable",  # verified, but the order cannot take it yet (a race): resent later
    }
)
DIMENSION_VALUES: Mapping[str, frozenset[str]] = {
    "method": frozenset(METHODS),
    "provider": frozenset({"wechat", "alipay", "unionpay", "ecny", "huifu"}),
    "reason": CALLBACK_REASONS,
    "outcome": frozenset({"success", "failed", "abnormal", "processing"}),
    "result": frozenset({"delivered", "failed", "gave_up", "paid", "closed", "open", "checked", "error"}),
    "function": frozenset(),  # filled per function name by whoever uses it; unknown → "other"
}
OTHER = "other"
_Pending = dict[tuple[tuple[str, str], ...], Any]  # dimension set → its EMF provider
_buffer: ContextVar[_Pending | None] = ContextVar("paymux_metrics", default=None)


def bounded_dimensions(dimensions: Mapping[str, object]) -> dict[str, str]:
    """Each dimension must be a known one; a value outside its closed set becomes "other", so a
    bad or hostile value can never create a new CloudWatch series."""
    unknown = sorted(set(dimensions) - set(DIMENSION_VALUES))
    if unknown:
        raise ValueError(f"unknown metric dimension(s): {', '.join(unknown)}")
    return {k: str(v) if str(v) in DIMENSION_VALUES[k] else OTHER for k, v in dimensions.items()}


def _provider(dimensions: dict[str, str]) -> Any:
    from aws_lambda_powertools.metrics.provider.cloudwatch_emf.cloudwatch import (  # noqa: PLC0415
        AmazonCloudWatchEMFProvider,
    )

    # Dimension sets [service] and [service, *dimensions]: alarms read the first (all of it),
    # dashboards split by the second.
    service = {"service": SERVICE}
    provider = AmazonCloudWatchEMFProvider(namespace=NAMESPACE, service=SERVICE, default_dimensions=service)
    if dimensions:
        provider.add_dimensions(**dimensions)
    return provider


def emit_metric(name: str, value: float = 1, unit: str = "Count", **dimensions: str) -> None:
    """A CloudWatch metric through EMF: a stdout line that Lambda's log pipeline turns into a
    metric, no API call. One document per dimension set (EMF documents share their dimensions)."""
    bounded = bounded_dimensions(dimensions)
    pending = _buffer.get()
    if pending is None:  # outside an invocation (a script, a test): written at once
        provider = _provider(bounded)
        provider.add_metric(name=name, unit=unit, value=value)
        provider.flush_metrics()
        return
    key = tuple(sorted(bounded.items()))
    if key not in pending:
        pending[key] = _provider(bounded)
    pending[key].add_metric(name=name, unit=unit, value=value)


def flush_metrics() -> None:
    """Writes this invocation's buffered metrics (one EMF document per dimension set)."""
    pending = _buffer.get()
    for provider in (pending or {}).values():
        if provider.metric_set:
            provider.flush_metrics()
    if pending:
        pending.clear()


@contextmanager
def invocation(correlation_id: str, context: Any = None) -> Iterator[None]:
    """One invocation: its log keys and its metric buffer, flushed and cleared at the end even
    when the handler raises."""
    token = _buffer.set({})
    keys: dict[str, object] = {"correlation_id": correlation_id or None}
    if context is not None:
        keys |= {
            "function_name": getattr(context, "function_name", None),
            "function_request_id": getattr(context, "aws_request_id", None),
        }
    if _powertools is not None:
        _powertools.thread_safe_clear_keys()
        _powertools.thread_safe_append_keys(**{k: v for k, v in keys.items() if v})
    try:
        yield
    finally:
        flush_metrics()
        _buffer.reset(token)
        if _powertools is not None:
            _powertools.thread_safe_clear_keys()


def api_request_id(event: Mapping[str, Any]) -> str:
    """API Gateway HTTP API (payload 2.0): requestContext.requestId."""
    context = event.get("requestContext") if isinstance(event, Mapping) else None
    return str(context.get("requestId") or "") if isinstance(context, Mapping) else ""


Handler = Callable[[Any, Any], Any]


def lambda_handler(correlation: Callable[[Any], str] = api_request_id) -> Callable[[Handler], Handler]:
    """Decorates a handler(event, context): correlation id from the event, metrics flushed."""

    def decorate(handler: Handler) -> Handler:
        @functools.wraps(handler)
        def run(event: Any, context: Any) -> Any:
            with invocation(correlation(event), context):
                return handler(event, context)

        return run

    return decorate


def no_correlation(event: Any) -> str:
    """For scheduled functions: the Lambda request id (function_request_id) identifies the run."""
    return ""
