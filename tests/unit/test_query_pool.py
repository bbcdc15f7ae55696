"""The sweep worker's per-account bounds: a token bucket for the rate, a semaphore and lanes
for calls in flight, each worker's share of what a channel class declares."""

from __future__ import annotations

import threading

from paymux.channels.alipay.client import AlipayChannel
from paymux.channels.wechat.client import WeChatPayChannel
from paymux.services.query_pool import QueryLimits, QueryPool, Task, TokenBucket


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0
        self.slept = 0.0
        self.lock = threading.Lock()

    def clock(self) -> float:
        with self.lock:
            return self.now

    def sleep(self, seconds: float) -> None:
        with self.lock:
            self.now += seconds
            self.slept += seconds


def test_the_bucket_gives_its_burst_at_once_then_its_rate() -> None:
    time = FakeTime()
    bucket = TokenBucket(rate=10, burst=10, clock=time.clock, sleep=time.sleep)

    for _ in range(10):
        bucket.take()
    assert time.slept == 0
    for _ in range(20):
        bucket.take()

    assert abs(time.now - 2.0) < 1e-6  # 20 more at 10 a second


def test_each_worker_holds_its_share_of_a_channel_s_declared_limits() -> None:
    for cls in (WeChatPayChannel, AlipayChannel):
        assert QueryLimits.of(cls, 1) == QueryLimits(cls.query_rate_per_second, cls.query_concurrency)
        assert QueryLimits.of(cls, 4) == QueryLimits(
            cls.query_rate_per_second / 4, cls.query_concurrency // 4
        )
    assert QueryLimits.of(WeChatPayChannel, 1000).concurrency == 1  # never none at all
    assert QueryLimits.of(None, 1) == QueryLimits(20.0, 4)  # a class that declares nothing


def test_results_come_back_in_order_and_an_exception_is_handed_back_not_raised() -> None:
    limits = QueryLimits(1000.0, 3)

    def fail() -> int:
        raise ValueError("channel down")

    tasks = [Task("a", limits, lambda n=n: n) for n in range(5)] + [Task("b", limits, fail)]
    results = QueryPool().run(tasks)

    assert results[:5] == [0, 1, 2, 3, 4]
    assert isinstance(results[5], ValueError)


def test_an_account_never_has_more_calls_in_flight_than_its_bound() -> None:
    limits = QueryLimits(10_000.0, 3)
    lock, in_flight, most = threading.Lock(), [0], [0]
    arrived = threading.Barrier(3, timeout=10)  # the bound's worth meet each time: all 3 lanes run

    def call() -> None:
        with lock:
            in_flight[0] += 1
            most[0] = max(most[0], in_flight[0])
        arrived.wait()
        with lock:
            in_flight[0] -= 1

    QueryPool().run([Task("a", limits, call) for _ in range(9)])

    assert most[0] == 3
