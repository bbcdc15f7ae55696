"""The sweeper benchmark at a tiny size: every order is cleared exactly once by 1 worker and by
the fan-out (worker processes against one moto server process), nothing is left due, the calls
per order are counted and the backend's ceiling is measured (no timed assertions)."""

from __future__ import annotations

from bench import sweep_ceiling, sweeper
from bench.__main__ import SECTIONS


def test_the_section_is_registered() -> None:
    assert ("sweeper", sweeper.run) in SECTIONS


def test_a_small_run_clears_every_order_exactly_once_with_one_worker_and_with_the_fan_out() -> None:
    result = sweeper.measure(orders=40, workers=3, accounts=3)

    for run in (result["single"], result["fan_out"]):
        assert run["planned"] == 40 <= run["messages_checked"]  # SQS may deliver one twice
        assert run["asked_once"] == 40
        assert run["asked_more"] == run["never_asked"] == run["others_asked"] == 0
        assert run["left_due"] == run["not_pending"] == 0
        calls = run["calls_per_order"]
        # the planner's claim and the worker's take, one each per order; SQS in batches of ten
        assert calls["dynamodb.UpdateItem"] == 2
        assert calls["sqs.SendMessageBatch"] == 0.1
        assert calls["sqs.DeleteMessageBatch"] <= 0.1 + 1 / 40  # a batch may hold 1..100
    assert result["fan_out"]["workers"] == 3
    assert result["fan_out"]["pool_per_account"] == {"lanes": 5, "rate_per_second": 100.0 / 3}
    # 3 accounts at 100/s each (15 lanes over a 125 ms mean would allow 120/s): both runs alike
    assert result["single"]["channel_ceiling_per_second"] == 300.0
    assert result["fan_out"]["channel_ceiling_per_second"] == 300.0
    ceiling = result["backend_ceiling"]
    assert ceiling["orders"] == 40 and ceiling["processes"] == 3 and ceiling["orders_per_second"] > 0
    checks = {k: v for k, v in result["checks"].items() if not k.startswith("fan-out >=")}
    assert all(checks.values()), checks
    table = sweeper.format_table(result)
    assert "ratio fan-out / 1 worker" in table and "ratio fan-out / backend ceiling" in table


def test_the_ceiling_replays_each_api_at_its_rate_over_the_blocks() -> None:
    rates = {"dynamodb.UpdateItem": 2.0, "sqs.SendMessageBatch": 0.1, "dynamodb.Query": 0.0036}

    blocks = [sweep_ceiling.per_block(rates, n) for n in range(100)]

    assert {b["dynamodb.UpdateItem"] for b in blocks} == {200}
    assert {b["sqs.SendMessageBatch"] for b in blocks} == {10}
    assert sum(b["dynamodb.Query"] for b in blocks) == 36  # 0.36 a block, spread
    assert {b["sqs.ReceiveMessage"] for b in blocks} == {0}


def test_the_ceiling_reads_as_many_keys_per_call_as_the_sweeper_did() -> None:
    assert sweep_ceiling.keys_per_call(0.01, 100) == 100  # full batches of 100
    assert sweep_ceiling.keys_per_call(0.084, 100) == 12  # the fan-out's smaller batches
    assert sweep_ceiling.keys_per_call(0.0005, 1000) == 1000  # never above the call's limit
    assert sweep_ceiling.keys_per_call(0.0, 100) == 100
