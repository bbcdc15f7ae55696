"""Channel queries in parallel, bounded per channel account.

Each channel class declares what one of its merchant accounts may be asked
(`query_rate_per_second`, `query_concurrency`); a sweep worker is one of up to `workers`
concurrent Lambda containers (the event source's MaximumConcurrency), so each holds the share
`rate / workers` and `max(1, concurrency // workers)` of every account. Per account: a token
bucket (the rate, a burst of one second's worth) and a semaphore (the concurrency), and its own
threads ("lanes", as many as its concurrency allows): an account that is slow or failing only
holds its own lanes, never another account's. boto3 clients are thread-safe; the caches the
checks touch (Deps' channel clients, TTLCache) are plain dicts whose worst race is building a
value twice, so they are warmed on the calling thread first (see sweep_worker)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

DEFAULT_RATE = 20.0  # queries per second per account, for a class that declares none
DEFAULT_CONCURRENCY = 4
MAX_LANES = 32  # threads per account in one worker, whatever a class declares
_EPSILON = 1e-6


@dataclass(frozen=True, slots=True)
class QueryLimits:
    rate_per_second: float
    concurrency: int

    @classmethod
    def of(cls, channel_class: Any, workers: int = 1) -> QueryLimits:
        """This worker's share of what `channel_class` allows per account."""
        rate = float(getattr(channel_class, "query_rate_per_second", DEFAULT_RATE))
        concurrency = int(getattr(channel_class, "query_concurrency", DEFAULT_CONCURRENCY))
        workers = max(1, workers)
        return cls(rate / workers, max(1, min(MAX_LANES, concurrency // workers)))


class TokenBucket:
    """`rate` tokens a second, at most `burst` saved; `take` waits for one."""

    def __init__(
        self,
        rate: float,
        burst: float,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._rate, self._burst = rate, max(1.0, burst)
        self._clock, self._sleep = clock, sleep
        self._tokens = self._burst
        self._at = clock()
        self._lock = threading.Lock()

    def take(self) -> None:
        while True:
            with self._lock:
                now = self._clock()
                self._tokens = min(self._burst, self._tokens + (now - self._at) * self._rate)
                self._at = now
                if self._tokens >= 1 - _EPSILON:  # a float a hair short of a token is one
                    self._tokens = max(0.0, self._tokens - 1)
                    return
                wait = (1 - self._tokens) / self._rate
            self._sleep(wait)


class AccountGate:
    """One account's bounds: a semaphore for calls in flight, a token bucket for their rate."""

    def __init__(
        self,
        limits: QueryLimits,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.limits = limits
        self._slots = threading.BoundedSemaphore(limits.concurrency)
        self._bucket = TokenBucket(limits.rate_per_second, limits.rate_per_second, clock, sleep)

    def call[T](self, query: Callable[[], T]) -> T:
        with self._slots:
            self._bucket.take()
            return query()


@dataclass(frozen=True, slots=True)
class Task:
    account: Hashable
    limits: QueryLimits
    run: Callable[[], Any]


class QueryPool:
    """Runs tasks grouped by account, each account in its own lanes, behind its own gate.
    Gates live as long as the pool (a warm container keeps its buckets between batches)."""

    def __init__(
        self,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._clock, self._sleep = clock, sleep
        self._gates: dict[Hashable, AccountGate] = {}
        self._lock = threading.Lock()

    def gate(self, account: Hashable, limits: QueryLimits) -> AccountGate:
        with self._lock:
            gate = self._gates.get(account)
            if gate is None or gate.limits != limits:
                gate = self._gates[account] = AccountGate(limits, self._clock, self._sleep)
            return gate

    def run(self, tasks: Sequence[Task]) -> list[Any]:
        """Every task's result (or the exception it raised), in the order given."""
        results: list[Any] = [None] * len(tasks)
        by_account: dict[Hashable, list[int]] = {}
        for index, task in enumerate(tasks):
            by_account.setdefault(task.account, []).append(index)
        lanes = {a: min(len(ix), tasks[ix[0]].limits.concurrency) for a, ix in by_account.items()}
        with ThreadPoolExecutor(max_workers=max(1, sum(lanes.values())), thread_name_prefix="query") as pool:
            for account, indexes in by_account.items():
                gate = self.gate(account, tasks[indexes[0]].limits)
                queue = list(reversed(indexes))
                lock = threading.Lock()
                for _ in range(lanes[account]):
                    pool.submit(self._lane, gate, queue, lock, tasks, results)
        return results

    @staticmethod
    def _lane(
        gate: AccountGate, queue: list[int], lock: threading.Lock, tasks: Sequence[Task], results: list[Any]
    ) -> None:
        while True:
            with lock:
                if not queue:
                    return
                index = queue.pop()
            try:
                results[index] = gate.call(tasks[index].run)
            except Exception as exc:  # handed back to the caller, which decides per item
                results[index] = exc
