"""Pure statistics helpers shared by the benchmark sections (no I/O, easy to test)."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Summary:
    """Summary of one series of samples, in the samples' unit (ms for cold start)."""

    n: int
    median: float
    p90: float
    minimum: float
    maximum: float

    def as_dict(self) -> dict[str, float | int]:
        return {"n": self.n, "median": self.median, "p90": self.p90, "min": self.minimum, "max": self.maximum}


def median(samples: Sequence[float]) -> float:
    if not samples:
        raise ValueError("median of no samples")
    return statistics.median(samples)


def p90(samples: Sequence[float]) -> float:
    """90th percentile, interpolated between the closest ranks (equals the value for one sample)."""
    if not samples:
        raise ValueError("p90 of no samples")
    if len(samples) == 1:
        return samples[0]
    return statistics.quantiles(samples, n=10, method="inclusive")[8]


def summarize(samples: Sequence[float]) -> Summary:
    return Summary(len(samples), median(samples), p90(samples), min(samples), max(samples))


def ratio(value: float, baseline: float) -> float:
    if baseline <= 0:
        raise ValueError(f"baseline must be positive, got {baseline}")
    return value / baseline
