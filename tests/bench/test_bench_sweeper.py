"""The sweeper benchmark at a tiny size: every order is cleared exactly once by 1 worker and by
the fan-out, and nothing is left due (no timed assertions)."""

from __future__ import annotations

from bench import sweeper
from bench.__main__ import SECTIONS


def test_the_section_is_registered() -> None:
    assert ("sweeper", sweeper.run) in SECTIONS


def test_a_small_run_clears_every_order_exactly_once_with_one_worker_and_with_the_fan_out() -> None:
    result = sweeper.measure(orders=40, workers=3, accounts=3)

    for run in (result["single"], result["fan_out"]):
        assert run["planned"] == 40
        assert run["asked_once"] == 40
        assert run["asked_more"] == run["never_asked"] == run["others_asked"] == 0
        assert run["left_due"] == 0
    assert result["fan_out"]["workers"] == 3
    assert result["fan_out"]["pool_per_account"] == {"lanes": 5, "rate_per_second": 100.0 / 3}
    # 3 accounts at 100/s each (15 lanes over a 125 ms mean would allow 120/s): both runs alike
    assert result["single"]["channel_ceiling_per_second"] == 300.0
    assert result["fan_out"]["channel_ceiling_per_second"] == 300.0
    checks = {k: v for k, v in result["checks"].items() if not k.startswith("fan-out >=")}
    assert all(checks.values()), checks
    assert "ratio fan-out / 1 worker" in sweeper.format_table(result)
