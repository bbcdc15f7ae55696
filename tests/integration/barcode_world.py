"""What the payer-code tests share: a create of a payer's code, the sweep driven by the test's
clock (the ladder's delayed sweep-queue messages held until the clock reaches them, then the
planner and the workers as the stack runs them), and the channel of a payment's attempt."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from paymux.channels.base import Channel, StatementRow
from paymux.clock import CHINA
from paymux.services.routes import attempt_route, route_channel
from tests.integration import sweep_fakes
from tests.integration.conftest import World
from tests.support import run_sweeper

WECHAT_CODE = "134567890123456"  # + 3 digits; the last two say what the payer does (sandboxes)
ALIPAY_CODE = "28763443825664"  # + 4 digits, as above


def hold_sweep_messages(world: World) -> sweep_fakes.DelaysRecorded:
    """The sweep queue's delayed messages wait for the test's clock, not for real time."""
    held = sweep_fakes.DelaysRecorded(world.d.sqs, world.d.settings.sweep_queue_url, world.clock)
    world.d.__dict__["sqs"] = held
    return held


def sweep_at(world: World, held: sweep_fakes.DelaysRecorded, seconds: float, created_at: float) -> None:
    """The clock at `seconds` after creation: due ladder messages released, one sweep run."""
    world.clock.now = created_at + seconds
    held.flush()
    run_sweeper()


def run_ladder(
    world: World, held: sweep_fakes.DelaysRecorded, created_at: float, until: float, stop: Callable[[], bool]
) -> list[float]:
    """Sweeps every 5 s from 5 s to `until` (or until `stop()`); the times it swept at."""
    swept = []
    at = 5.0
    while at <= until and not stop():
        sweep_at(world, held, at + 0.5, created_at)
        swept.append(at)
        at += 5.0
    return swept


def channel_of(world: World, payment_id: str) -> Channel:
    payment = world.d.payments.get(payment_id)
    assert payment is not None
    return route_channel(world.d, attempt_route(world.d, payment))


def china_day(ts: float) -> date:
    return datetime.fromtimestamp(ts, CHINA).date()


def statement_rows(channel: Channel, day: date) -> list[StatementRow]:
    """The day's statement rows ([] when the channel has no statement: no trade that day)."""
    bill = channel.fetch_statement(day)
    return list(bill.rows) if bill is not None else []


def event_types(world: World, payment_id: str) -> list[str]:
    events: list[dict[str, Any]] = sorted(
        world.d.payments.events(payment_id), key=lambda e: (e["at"], e["SK"])
    )
    return [e["type"] for e in events]
