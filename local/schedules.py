"""The template's schedules (EventBridge Scheduler and rules), run on threads.

Supports `rate(N unit)`, `at(yyyy-mm-ddThh:mm:ss)` and AWS's six-field `cron(...)` with `*`,
`?`, numbers, names, ranges, lists and steps, evaluated in the schedule's time zone.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from local.intrinsics import ACCOUNT_ID, references

log = logging.getLogger("local.schedules")

Invoke = Callable[[str, Any], Any]
_RATE_UNITS = {"minute": 60, "hour": 3600, "day": 86400}
_MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
_WEEKDAYS = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"]  # AWS numbers them 1-7 from Sunday
_SEARCH_DAYS = 366 * 8  # far enough for any year-restricted expression


class ScheduleError(ValueError):
    """A schedule expression this scheduler cannot evaluate."""


def _field(text: str, low: int, high: int, names: list[str] | None = None) -> frozenset[int]:
    """Expand one cron field (`*`, `?`, `5`, `1-5`, `MON-FRI`, `0/15`, `*/10`, lists)."""
    values: set[int] = set()
    for part in text.upper().split(","):
        base, _, step_text = part.partition("/")
        step = int(step_text) if step_text else 1
        if base in ("*", "?"):
            start, end = low, high
        elif "-" in base:
            start, end = (_number(v, names, low) for v in base.split("-", 1))
        else:
            start = _number(base, names, low)
            end = high if step_text else start
        if not (low <= start <= high and low <= end <= high) or step < 1:
            raise ScheduleError(f"cron field {text!r} is outside {low}-{high}")
        values.update(range(start, end + 1, step))
    return frozenset(values)


def _number(token: str, names: list[str] | None, low: int) -> int:
    if names and token in names:
        return names.index(token) + low
    if not token.isdigit():
        raise ScheduleError(f"unsupported cron token {token!r} (L, W and # are not supported)")
    return int(token)


@dataclass(frozen=True)
class Cron:
    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int] | None  # None: `?`, the day is chosen by weekday
    months: frozenset[int]
    weekdays: frozenset[int] | None  # 1 = Sunday ... 7 = Saturday
    years: frozenset[int]

    @classmethod
    def parse(cls, body: str) -> Cron:
        fields = body.split()
        if len(fields) != 6:
            raise ScheduleError(f"cron({body}) needs 6 fields, has {len(fields)}")
        minute, hour, day, month, weekday, year = fields
        if (day == "?") == (weekday == "?"):
            raise ScheduleError(f"cron({body}): exactly one of day-of-month and day-of-week is '?'")
        return cls(
            minutes=_field(minute, 0, 59),
            hours=_field(hour, 0, 23),
            days=None if day == "?" else _field(day, 1, 31),
            months=_field(month, 1, 12, _MONTHS),
            weekdays=None if weekday == "?" else _field(weekday, 1, 7, _WEEKDAYS),
            years=_field(year, 1970, 2199),
        )

    def matches_day(self, day: date) -> bool:
        if day.year not in self.years or day.month not in self.months:
            return False
        if self.days is not None:
            return day.day in self.days
        return self.weekdays is not None and (day.isoweekday() % 7) + 1 in self.weekdays

    def next_after(self, after: datetime, zone: ZoneInfo) -> datetime:
        """The first firing time strictly after `after`, as an aware UTC datetime."""
        start = after.astimezone(zone).replace(tzinfo=None, second=0, microsecond=0)
        start += timedelta(minutes=1)
        day = start.date()
        for _ in range(_SEARCH_DAYS):
            if self.matches_day(day):
                for hour in sorted(self.hours):
                    for minute in sorted(self.minutes):
                        wall = datetime(day.year, day.month, day.day, hour, minute)
                        if wall >= start:
                            return wall.replace(tzinfo=zone).astimezone(UTC)
            day += timedelta(days=1)
        raise ScheduleError("the cron expression never fires again")


@dataclass(frozen=True)
class Schedule:
    """One schedule targeting one function."""

    name: str  # logical id of the schedule resource
    function: str
    expression: str
    timezone: str
    event: Any
    enabled: bool = True

    def next_after(self, after: datetime) -> datetime | None:
        """When this schedule fires next after `after` (UTC), or None if it never will."""
        expression = self.expression.strip()
        found = re.fullmatch(r"(rate|cron|at)\((.*)\)", expression)
        if found is None:
            raise ScheduleError(f"unsupported schedule expression {expression!r}")
        kind, body = found.groups()
        zone = ZoneInfo(self.timezone)
        if kind == "cron":
            return Cron.parse(body).next_after(after, zone)
        if kind == "at":
            when = datetime.fromisoformat(body).replace(tzinfo=zone).astimezone(UTC)
            return when if when > after else None
        return after + timedelta(seconds=rate_seconds(body))


def rate_seconds(body: str) -> int:
    found = re.fullmatch(r"\s*(\d+)\s+(minute|hour|day)s?\s*", body)
    if found is None or int(found.group(1)) < 1:
        raise ScheduleError(f"unsupported rate({body})")
    return int(found.group(1)) * _RATE_UNITS[found.group(2)]


def template_schedules(cfn: dict[str, Any], functions: set[str], region: str) -> list[Schedule]:
    """Schedules from AWS::Scheduler::Schedule and scheduled AWS::Events::Rule resources."""
    found: list[Schedule] = []
    for logical_id, resource in cfn.get("Resources", {}).items():
        props = resource.get("Properties", {})
        if resource["Type"] == "AWS::Scheduler::Schedule":
            target = props.get("Target", {})
            arns = references(target.get("Arn")) | _machine_functions(cfn, target.get("Arn"))
            found += [
                Schedule(
                    name=logical_id,
                    function=name,
                    expression=props["ScheduleExpression"],
                    timezone=props.get("ScheduleExpressionTimezone", "UTC"),
                    # Without Input the local stack passes an empty object.
                    event=json.loads(target["Input"]) if "Input" in target else {},
                    enabled=props.get("State", "ENABLED") == "ENABLED",
                )
                for name, _ in arns & {(f, "Arn") for f in functions}
            ]
        elif resource["Type"] == "AWS::Events::Rule" and "ScheduleExpression" in props:
            for target in props.get("Targets", []):
                for name, _ in references(target.get("Arn")) & {(f, "Arn") for f in functions}:
                    event = (
                        json.loads(target["Input"])
                        if "Input" in target
                        else scheduled_event(logical_id, region)
                    )
                    enabled = props.get("State", "ENABLED") == "ENABLED"
                    found.append(
                        Schedule(logical_id, name, props["ScheduleExpression"], "UTC", event, enabled)
                    )
    return found


def _machine_functions(cfn: dict[str, Any], arn: Any) -> set[tuple[str, str | None]]:
    """A schedule that starts a state machine (no Step Functions here): the one function its
    definition invokes, run with the schedule's input, which runs the machine's steps in
    order itself (functions/reconcile does: its event without a step)."""
    found: set[tuple[str, str | None]] = set()
    for name, _ in references(arn):
        machine = cfn.get("Resources", {}).get(name, {})
        if machine.get("Type") == "AWS::StepFunctions::StateMachine":
            found |= references(machine.get("Properties", {}).get("DefinitionSubstitutions"))
    return found


def scheduled_event(rule: str, region: str) -> dict[str, Any]:
    """The envelope an EventBridge rule sends when its target has no Input."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": ACCOUNT_ID,
        "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": region,
        "resources": [f"arn:aws:events:{region}:{ACCOUNT_ID}:rule/{rule}"],
        "detail": {},
    }


def run_schedule(schedule: Schedule, invoke: Invoke) -> Any:
    """Invoke the schedule's function now, logging one line; the handler's error propagates."""
    started = time.monotonic()
    outcome = "failed"
    try:
        result = invoke(schedule.function, schedule.event)
        outcome = "ok"
        return result
    finally:
        log.info(
            "schedule %s %s -> %s %.1fms",
            schedule.function,
            schedule.expression,
            outcome,
            (time.monotonic() - started) * 1000,
        )


class ScheduleRunner:
    """One thread per enabled schedule, sleeping until the next firing time."""

    def __init__(self, schedules: list[Schedule], invoke: Invoke) -> None:
        self._invoke = invoke
        self._stop = threading.Event()
        self.schedules = [s for s in schedules if s.enabled]
        self._threads = [
            threading.Thread(target=self._run, args=(s,), name=f"schedule-{s.name}", daemon=True)
            for s in self.schedules
        ]

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            if thread.is_alive():
                thread.join()

    def _run(self, schedule: Schedule) -> None:
        while not self._stop.is_set():
            now = datetime.now(UTC)
            fire_at = schedule.next_after(now)
            if fire_at is None or self._stop.wait((fire_at - now).total_seconds()):
                return
            try:
                run_schedule(schedule, self._invoke)
            except Exception:
                log.exception("schedule %s failed", schedule.name)
