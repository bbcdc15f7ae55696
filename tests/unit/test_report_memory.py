"""The report writers hold no more than a record at a time: each format writes a generated
stream of discrepancies in a child process of its own (its peak RSS, VmHWM, is its own), and its
memory growth stays far below what holding the records takes (measured the same way, as a
control). `python -m bench reports` prints the same figures for 1,000,000 records."""

from __future__ import annotations

import multiprocessing
from typing import Any

import pytest

from bench.reports import measure, memory_kib, records

RECORDS = 40_000
BOUND_MIB = 8.0  # the writers grow by about 0.3 (csv, txt) and 4 (xlsx: XlsxWriter's own state)


def _hold(count: int, answers: Any) -> None:
    import paymux.services.reconciliation  # noqa: F401 - imported before the start, as write_one does

    start = memory_kib()
    held = list(records(count)())
    answers.put({"records": len(held), "rss_growth_mib": (memory_kib("VmHWM") - start) / 1024})


def test_holding_the_records_would_exceed_the_bound() -> None:
    context = multiprocessing.get_context("spawn")
    answers = context.Queue()
    child = context.Process(target=_hold, args=(RECORDS, answers))
    child.start()
    held = answers.get()
    child.join()
    assert held["records"] == RECORDS and held["rss_growth_mib"] > 2 * BOUND_MIB


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "txt"])
def test_a_format_streams_its_records(fmt: str) -> None:
    result = measure(fmt, RECORDS)
    assert result["records"] == RECORDS and result["file_mib"] > 1
    assert result["rss_growth_mib"] < BOUND_MIB, result
