"""Schedule expressions and the runner (no waiting for real minutes)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from local.schedules import (
    Cron,
    Schedule,
    ScheduleError,
    ScheduleRunner,
    rate_seconds,
    run_schedule,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
UTC_ZONE = ZoneInfo("UTC")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_daily_cron_in_shanghai_fires_at_0230_utc() -> None:
    cron = Cron.parse("30 10 * * ? *")
    assert cron.next_after(at("2026-11-28T00:00:00"), SHANGHAI) == at("2026-11-28T02:30:00")
    # Just after a firing, the next one is a day later.
    assert cron.next_after(at("2026-11-28T02:30:00"), SHANGHAI) == at("2026-11-29T02:30:00")


def test_schedule_uses_its_timezone() -> None:
    schedule = Schedule("Daily", "Fn", "cron(30 10 * * ? *)", "Asia/Shanghai", {})
    assert schedule.next_after(at("2026-11-28T03:00:00")) == at("2026-11-29T02:30:00")


def test_weekday_names_ranges_and_steps() -> None:
    cron = Cron.parse("0/15 9-10 ? * MON-FRI *")
    saturday = at("2026-11-28T12:00:00")  # a Saturday
    assert cron.next_after(saturday, UTC_ZONE) == at("2026-11-30T09:00:00")  # Monday
    assert cron.next_after(at("2026-11-30T09:00:00"), UTC_ZONE) == at("2026-11-30T09:15:00")
    assert cron.next_after(at("2026-11-30T10:45:00"), UTC_ZONE) == at("2026-12-01T09:00:00")


def test_aws_numbers_weekdays_from_sunday() -> None:
    cron = Cron.parse("0 0 ? * 1 *")  # 1 = Sunday
    assert cron.next_after(at("2026-11-28T00:00:00"), UTC_ZONE) == at("2026-11-29T00:00:00")


def test_lists_months_and_years() -> None:
    cron = Cron.parse("5 8 1,15 JAN,JUL ? 2027")
    assert cron.next_after(at("2026-11-28T00:00:00"), UTC_ZONE) == at("2027-01-01T08:05:00")
    assert cron.next_after(at("2027-01-01T08:05:00"), UTC_ZONE) == at("2027-01-15T08:05:00")
    with pytest.raises(ScheduleError, match="never fires"):
        cron.next_after(at("2028-01-01T00:00:00"), UTC_ZONE)


def test_daylight_saving_time_is_followed() -> None:
    cron = Cron.parse("0 9 * * ? *")
    new_york = ZoneInfo("America/New_York")
    assert cron.next_after(at("2026-07-01T00:00:00"), new_york) == at("2026-07-01T13:00:00")
    assert cron.next_after(at("2026-12-01T00:00:00"), new_york) == at("2026-12-01T14:00:00")


@pytest.mark.parametrize(
    "body",
    ["30 10 * * *", "30 10 * * * *", "30 10 ? * ? *", "61 10 * * ? *", "0 0 L * ? *"],
)
def test_invalid_cron_is_rejected(body: str) -> None:
    with pytest.raises(ScheduleError):
        Cron.parse(body)


def test_rates() -> None:
    assert rate_seconds("1 minute") == 60
    assert rate_seconds("5 minutes") == 300
    assert rate_seconds("2 hours") == 7200
    assert rate_seconds("1 day") == 86400
    with pytest.raises(ScheduleError):
        rate_seconds("0 minutes")
    schedule = Schedule("Every", "Fn", "rate(1 minute)", "UTC", {})
    assert schedule.next_after(at("2026-11-28T00:00:10")) == at("2026-11-28T00:01:10")


def test_one_time_at_expression() -> None:
    schedule = Schedule("Once", "Fn", "at(2026-12-01T10:00:00)", "Asia/Shanghai", {})
    assert schedule.next_after(at("2026-11-28T00:00:00")) == at("2026-12-01T02:00:00")
    assert schedule.next_after(at("2026-12-02T00:00:00")) is None


def test_unknown_expression_is_rejected() -> None:
    with pytest.raises(ScheduleError):
        Schedule("X", "Fn", "every(1 minute)", "UTC", {}).next_after(at("2026-11-28T00:00:00"))


class _SoonSchedule(Schedule):
    """Fires 20 ms from now, twice, then never: lets the runner be tested without real minutes."""

    def next_after(self, after: datetime) -> datetime | None:
        return after + timedelta(milliseconds=20)


def test_runner_invokes_on_schedule_and_stops() -> None:
    calls: list[tuple[str, Any]] = []
    fired = threading.Event()

    def invoke(function: str, event: Any) -> None:
        calls.append((function, event))
        if len(calls) >= 2:
            fired.set()

    runner = ScheduleRunner(
        [_SoonSchedule("Tick", "TickFunction", "rate(1 minute)", "UTC", {"a": 1})], invoke
    )
    runner.start()
    assert fired.wait(5)
    runner.stop()
    count = len(calls)
    assert calls[0] == ("TickFunction", {"a": 1})
    assert not any(t.is_alive() for t in runner._threads)
    assert len(calls) == count  # nothing fires after stop()


def test_runner_skips_disabled_schedules_and_survives_handler_errors() -> None:
    disabled = Schedule("Off", "Fn", "rate(1 minute)", "UTC", {}, enabled=False)
    runner = ScheduleRunner([disabled], lambda f, e: None)
    assert runner.schedules == []

    def boom(function: str, event: Any) -> None:
        raise RuntimeError("handler failed")

    with pytest.raises(RuntimeError):
        run_schedule(Schedule("S", "Fn", "rate(1 minute)", "UTC", {}), boom)
