"""Logging: stdlib logging (Lambda's JSON log format structures it with no import cost), with
payer identifiers, card numbers and secrets masked before anything is written."""

from __future__ import annotations

import json
import logging
import os
import re
import sys
import time

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
    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = mask(record.getMessage())
        record.args = None
        return True


_LEVELS = {"DEBUG": logging.DEBUG, "INFO": logging.INFO, "WARN": logging.WARNING, "ERROR": logging.ERROR}


def setup_logging() -> logging.Logger:
    """Called once by each handler module; the level comes from POWERTOOLS_LOG_LEVEL (the
    template's LogLevel parameter), INFO when unset."""
    logger = logging.getLogger("paymux")
    if not any(isinstance(f, MaskingFilter) for f in logger.filters):
        logger.addFilter(MaskingFilter())
    logger.setLevel(_LEVELS.get(os.environ.get("POWERTOOLS_LOG_LEVEL", "INFO").upper(), logging.INFO))
    return logger


def emit_metric(name: str, value: float = 1, unit: str = "Count") -> None:
    """A CloudWatch metric through the Embedded Metric Format: one stdout line that Lambda's
    log pipeline turns into a metric, no API call. Namespace `paymux`, dimension
    `service=paymux`, as the template's alarms expect."""
    document = {
        "_aws": {
            "Timestamp": int(time.time() * 1000),
            "CloudWatchMetrics": [
                {
                    "Namespace": "paymux",
                    "Dimensions": [["service"]],
                    "Metrics": [{"Name": name, "Unit": unit}],
                }
            ],
        },
        "service": "paymux",
        name: value,
    }
    sys.stdout.write(json.dumps(document) + "\n")
