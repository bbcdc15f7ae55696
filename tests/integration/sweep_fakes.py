"""Channels for the sweeper's tests, registered as providers for a test (`register`): they
answer every query "open, not paid" and record who asked what, and when, per account."""

from __future__ import annotations

import secrets
import threading
from collections import defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

import pytest

from paymux.channels import registry
from paymux.channels.base import ChannelAccount, CreateRequest, CreateResult, TradeResult, TradeState
from paymux.channels.unionpay.transform import FRONT_LADDER
from paymux.domain.ids import attempt_out_trade_no, new_payment_id
from paymux.domain.payment import Payment

WAIT = 10.0  # seconds a fake waits for another thread before giving up (only if the pool is wrong)


@dataclass
class Recorder:
    """Per account: calls in flight, the most ever in flight, every query (and the clock)."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    in_flight: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    most: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    queries: list[tuple[str, str, float]] = field(default_factory=list)
    # tests hook here: called inside the query, with the account and in-flight count
    during: Any = None

    def record(self, account: str, out_trade_no: str, now: float) -> None:
        with self.lock:
            self.in_flight[account] += 1
            self.most[account] = max(self.most[account], self.in_flight[account])
            self.queries.append((account, out_trade_no, now))
        try:
            if self.during is not None:
                self.during(account, out_trade_no)
        finally:
            with self.lock:
                self.in_flight[account] -= 1

    def asked(self, account: str | None = None) -> list[str]:
        return [o for a, o, _ in self.queries if account is None or a == account]


RECORDER = Recorder()


class FakeChannel:
    provider = "fake"
    amount_unit = "fen"
    products = frozenset({"wechat.native"})
    refund_errors: Mapping[str, Any] = {}
    carried_fields: Mapping[str, frozenset[str]] = {"callback": frozenset(), "query": frozenset()}
    create_limits = ()
    refund_limits = ()
    query_rate_per_second = 10_000.0
    query_concurrency = 2

    def __init__(self, account: ChannelAccount, credentials: Any, http: Any, clock: Any, **_: Any) -> None:
        self.account = account
        self.clock = clock

    def create(self, request: CreateRequest) -> CreateResult:
        return CreateResult({"type": "qr_code", "code_url": f"weixin://fake/{request.out_trade_no}"})

    def query(self, out_trade_no: str, *, context: object = None) -> TradeResult:
        RECORDER.record(self.account.account_id, out_trade_no, self.clock())
        return TradeResult(out_trade_no, TradeState.OPEN, mchid=self.account.mchid, appid=self.account.appid)

    def close(self, out_trade_no: str) -> None:
        return None

    def download_statement(self, bill_date: date) -> Iterator[Any]:
        return iter(())


class LadderChannel(FakeChannel):
    provider = "ladder"
    query_ladder = (1, 2, 4)  # seconds after creation


class FrontLadderChannel(FakeChannel):
    """On UnionPay's front ladder (5, 10, 30, 60, 120 min): steps further apart than SQS's
    900 s delay."""

    provider = "frontladder"
    query_ladder = FRONT_LADDER


class DelaysRecorded:
    """The real SQS client, except that a message to the sweep queue is held, its DelaySeconds
    recorded, until `flush` sees the test's clock reach its time (moto would hold it for that
    long in real time; the test moves its clock instead)."""

    def __init__(self, client: Any, sweep_url: str, clock: Any) -> None:
        self._client, self._sweep_url, self._clock = client, sweep_url, clock
        self.delays: list[int] = []
        self._held: list[tuple[float, dict[str, Any]]] = []

    def send_message(self, **kwargs: Any) -> Any:
        if kwargs.get("QueueUrl") != self._sweep_url:
            return self._client.send_message(**kwargs)
        delay = int(kwargs.pop("DelaySeconds", 0))
        self.delays.append(delay)
        self._held.append((self._clock() + delay, kwargs))
        return {"MessageId": "held"}

    def flush(self, copies: int = 1) -> None:
        """Every held message whose time has come goes to the queue, `copies` times (SQS may
        deliver one message more than once)."""
        now = self._clock()
        for entry in [e for e in self._held if e[0] <= now + 0.001]:  # the clock ticks 1 µs a read
            self._held.remove(entry)
            for _ in range(copies):
                self._client.send_message(**entry[1])

    @property
    def held(self) -> list[float]:
        """When each held message becomes visible."""
        return sorted(at for at, _ in self._held)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)


def register(monkeypatch: pytest.MonkeyPatch) -> Recorder:
    monkeypatch.setitem(registry.PROVIDERS, "fake", f"{__name__}:FakeChannel")
    monkeypatch.setitem(registry.PROVIDERS, "ladder", f"{__name__}:LadderChannel")
    monkeypatch.setitem(registry.PROVIDERS, "frontladder", f"{__name__}:FrontLadderChannel")
    global RECORDER  # noqa: PLW0603 - one recorder per test
    RECORDER = Recorder()
    return RECORDER


def fake_account(merchant_id: str, provider: str = "fake", name: str = "") -> ChannelAccount:
    suffix = name or secrets.token_hex(3)
    return ChannelAccount(
        account_id=f"{provider}-{suffix}",
        provider=provider,
        products=("wechat.native",),
        mchid=f"19{int(secrets.token_hex(3), 16):08d}",
        appid=f"wx{suffix}",
        base_url="https://fake.invalid",
        owner=merchant_id,
    )


def open_payment(
    account: ChannelAccount, merchant_id: str, app_id: str, now: float, *, shard: int | None = None
) -> Payment:
    """A PENDING payment of `account` created at `now` (in due shard `shard` if given)."""
    while True:
        payment_id = new_payment_id(now) + secrets.token_hex(2)
        if shard is None or sum(payment_id.encode()) % 8 == shard:  # store/due.shard_of
            break
    return Payment(
        payment_id=payment_id,
        merchant_id=merchant_id,
        app_id=app_id,
        merchant_order_no="ORD-" + secrets.token_hex(6),
        amount=100,
        currency="CNY",
        method="wechat.native",
        subject="Sweep test",
        notify_url="https://merchant.example.com/notify",
        request_hash="h",
        created_at=now,
        updated_at=now,
        expires_at=now + 7200,
        provider=account.provider,
        account_id=account.account_id,
        out_trade_no=attempt_out_trade_no(payment_id, 1),
        attempt_count=1,
    )


def write_open_payment(d: Any, payment: Payment, due_at: float) -> None:
    attempt = {
        "out_trade_no": payment.out_trade_no,
        "payment_id": payment.payment_id,
        "account_id": payment.account_id,
        "provider": payment.provider,
        "product": payment.method,
        "created_at": payment.created_at,
    }
    d.payments.create(payment, attempt, due_at)


def reassign_owner(account: ChannelAccount | None, owner: str) -> ChannelAccount:

    assert account is not None
    return replace(account, owner=owner)
