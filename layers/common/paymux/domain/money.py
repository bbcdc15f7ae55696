"""Money is an integer number of fen with a currency; channel units are converted only at the edge."""

from __future__ import annotations

import re
from decimal import Decimal

_YUAN = re.compile(r"-?\d{1,13}(\.\d{1,2})?")


def fen_to_yuan(fen: int) -> str:
    """12345 → "123.45" (Alipay API fields and every bill)."""
    if fen < 0:
        return "-" + fen_to_yuan(-fen)
    return f"{fen // 100}.{fen % 100:02d}"


def yuan_to_fen(yuan: str) -> int:
    """ "123.45" → 12345. Only plain decimals with at most 2 places (no exponents, no NaN), as
    every channel writes them; anything else is refused rather than rounded."""
    text = yuan.strip()
    if not _YUAN.fullmatch(text):
        raise ValueError(f"not an amount in yuan with at most 2 decimals: {yuan!r}")
    return int((Decimal(text) * 100).to_integral_value())
