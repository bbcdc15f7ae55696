"""The console's world: the local stack in this process (template.yaml's routes on moto, the
console's Cognito pool in moto's cognito-idp, JWTs verified as API Gateway does), three users
(an operator and one user each of merchants mch_a and mch_b), payments of both merchants
created today, a reconciled day (the real reconciliation run, so its exports are the real
files), and a seeded day of a fourth merchant's payments (seeded_day.py) made through the
stack's handlers and folded from the table's stream into the stats buckets, which the dashboard
reads through the real stats service (console.stats_port.ServiceStats)."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from local.console_users import add_console_user
from local.stack import LocalStack
from paymux.channels.base import ChannelAccount
from paymux.clock import CHINA
from paymux.config import Settings
from paymux.console.stats_port import set_stats_source
from paymux.deps import Deps, set_deps
from paymux.domain.ids import new_payment_id
from paymux.domain.payment import Payment
from paymux.services.reconciliation import reconcile_day
from sandbox.wechat import WeChatSandbox
from tests.console_browser.seeded_day import MERCHANT, Shop, open_shop, seed_day

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
USERS = {
    "op": "",
    "alice": "mch_a",
    "bob": "mch_b",
    "carol": MERCHANT,
}  # username → merchant ("": an operator)


@dataclass
class ConsoleWorld:
    stack: LocalStack
    d: Deps
    payments: dict[str, Payment]  # by merchant_order_no
    reconciled_day: date
    shop: Shop  # the seeded day's merchant (user carol)
    seeded: dict[str, str]  # its payments' ids, by what became of them

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
    sandbox = WeChatSandbox(key_mode="both", callback_time_scale=0.001)
    with LocalStack(api_port=0, moto_port=0, schedules=False, sqs_poll=False) as stack:
        # the sandbox's callbacks come back to the stack's own callback route
        d = Deps(settings=replace(Settings.from_env(), public_base_url=stack.api_url))
        set_deps(d)
        set_stats_source(None)  # the real stats service, from the buckets
        sandbox.start()
        try:
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
            # after the reconciliation, which would fetch their statements
            d.channel_config.put_account(CONSOLE_ACCOUNT, {"apiv3_key": "0" * 32}, create=True)
            shop = open_shop(stack, d, sandbox)
            seeded = seed_day(shop)
            yield ConsoleWorld(stack, d, payments, day, shop, seeded)
        finally:
            sandbox.stop()
            set_deps(None)
