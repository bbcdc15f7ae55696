"""The console's world: the local stack in this process (template.yaml's routes on moto, the
console's Cognito pool in moto's cognito-idp, JWTs verified as API Gateway does), three users
(an operator and one user each of merchants mch_a and mch_b), payments of both merchants
created today, a reconciled day (the real reconciliation run, so its exports are the real
files) and a fake stats source (console.stats_port) whose figures the dashboard must show."""

from __future__ import annotations

import secrets
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from local.console_users import add_console_user
from local.stack import LocalStack
from paymux.channels.base import ChannelAccount
from paymux.clock import CHINA
from paymux.console.stats_port import set_stats_source
from paymux.deps import Deps, deps, set_deps
from paymux.domain.ids import new_payment_id
from paymux.domain.payment import Payment
from paymux.services.reconciliation import reconcile_day

PASSWORD = "Console-Test-Pass-1"
CONSOLE_ACCOUNT = ChannelAccount(
    account_id="wx-console",
    provider="wechat",
    products=("wechat.native",),
    mchid="1900000109",
    appid="wx8888888888888888",
    base_url="https://api.mch.weixin.qq.com",
    owner="mch_a",
)
USERS = {"op": "", "alice": "mch_a", "bob": "mch_b"}  # username → merchant ("": an operator)


@dataclass
class FakeStats:
    """Fixed figures for any query, and every query kept (what the dashboard asked for)."""

    asked: list[tuple[Any, ...]] = field(default_factory=list)

    def query(
        self, scope: str | None, from_: datetime, to: datetime, granularity: str, group_by: str
    ) -> Mapping[str, Any]:
        self.asked.append((scope, from_, to, granularity, group_by))
        groups = ("wechat.native", "alipay.qr") if group_by == "method" else ("wechat", "alipay")
        series = [
            {
                "group": g,
                "period": (from_ + timedelta(hours=h)).isoformat(),
                "count": 10 * (i + 1) + h,
                "success_count": 8 * (i + 1) + h,
                "amount": 12_345 * (h + 1),
                "success_rate": 0.9 - 0.25 * i - 0.01 * (h % 7),
                "success_rate_without_fallback": 0.8 - 0.25 * i - 0.02 * (h % 5),
                "average_amount": 1_999,
                "fallback_rescued": i + 1,
            }
            for i, g in enumerate(groups)
            for h in range(0, 24, 3)
        ]
        return {
            "totals": {
                "count": 1234,
                "success_count": 1017,
                "amount": 2_033_500,
                "success_rate": 0.8241,
                "success_rate_without_fallback": 0.7926,
                "average_amount": 1_999,
                "fallback_rescued": 40,
            },
            "series": series,
            "method_mix": [
                {"method": "wechat.native", "count": 700, "amount": 1_500_000},
                {"method": "alipay.qr", "count": 317, "amount": 533_500},
            ],
        }


@dataclass
class ConsoleWorld:
    stack: LocalStack
    d: Deps
    stats: FakeStats
    payments: dict[str, Payment]  # by merchant_order_no
    reconciled_day: date

    @property
    def url(self) -> str:
        return self.stack.api_url


def seed_payment(d: Deps, merchant_id: str, order_no: str, amount: int, now: float) -> Payment:
    payment = Payment(
        payment_id=new_payment_id(now),
        merchant_id=merchant_id,
        app_id=f"app_{merchant_id}",
        merchant_order_no=order_no,
        amount=amount,
        currency="CNY",
        method="wechat.native",
        subject="console",
        notify_url="https://shop.example.com/paymux/notify",
        request_hash=secrets.token_hex(8),
        created_at=now,
        expires_at=now + 3600,
    )
    d.payments.create(payment, {"out_trade_no": payment.payment_id + "_1"}, next_check_at=now + 600)
    return payment


@contextmanager
def console_world() -> Iterator[ConsoleWorld]:
    stats = FakeStats()
    with LocalStack(api_port=0, moto_port=0, schedules=False, sqs_poll=False) as stack:
        set_deps(None)
        set_stats_source(stats)
        try:
            d = deps()
            for username, merchant_id in USERS.items():
                add_console_user(stack, username, PASSWORD, merchant_id)
            now = d.clock()
            payments = {
                order: seed_payment(d, merchant, order, amount, now + n)
                for n, (merchant, order, amount) in enumerate(
                    (("mch_a", "A-1001", 1999), ("mch_a", "A-1002", 500), ("mch_b", "B-2001", 8800))
                )
            }
            day = datetime.fromtimestamp(now, CHINA).date() - timedelta(days=1)
            reconcile_day(d, day)
            # after the reconciliation, which would fetch its statement
            d.channel_config.put_account(CONSOLE_ACCOUNT, {"apiv3_key": "0" * 32}, create=True)
            yield ConsoleWorld(stack, d, stats, payments, day)
        finally:
            set_stats_source(None)
            set_deps(None)
