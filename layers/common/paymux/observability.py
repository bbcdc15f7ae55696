"""Logging: stdlib logging (Lambda's JSON log format structures it with no import cost), with
payer identifiers, card numbers and secrets masked before anything is written."""

from __future__ import annotations

import logging
import re

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


def setup_logging(level: str = "INFO") -> logging.Logger:
    logger = logging.getLogger("paymux")
    if not any(isinstance(f, MaskingFilter) for f in logger.filters):
        logger.addFilter(MaskingFilter())
    logger.setLevel(level)
    return logger
