"""Time in one place so that tests inject it instead of sleeping."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone

Clock = Callable[[], float]

system_clock: Clock = time.time
# Asia/Shanghai, the channels' wall clock: UTC+8, no DST since 1991 (no tzdata needed).
CHINA = timezone(timedelta(hours=8))
# The years a query may name (stats ranges, console and report days): far enough from
# datetime's 1..9999 edges that no offset or day's arithmetic overflows into a 5xx.
FIRST_YEAR, LAST_YEAR = 2000, 2100


def iso(ts: float) -> str:
    """Unix seconds → ISO 8601 UTC with a Z, second precision (sorts as text)."""
    return datetime.fromtimestamp(int(ts), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso(value: str) -> float:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
