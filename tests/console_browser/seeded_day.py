"""A seeded day for the console's dashboard, made through the local stack's real handlers over
HTTP: a merchant (mch_shop) with a WeChat Pay account at a sandbox, its payments created signed
as the merchant, paid by the sandbox's payer (its callback comes back to the stack's callback
route), one partly refunded, one closed, one left open, a hosted checkout session whose
payer chose WeChat Pay Native and paid (the session completed), and one rescued by fallback
(its preferred account is down: the second attempt, on the sandbox's account, is paid); then the table's stream handed to
StatsStreamFunction by a StreamPoller, as Lambda's mapping would, until it has nothing left.
`Shop.stats` is GET /v1/stats asked signed as the merchant: what the dashboard must equal."""

from __future__ import annotations

import json
import secrets
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, replace
from typing import Any

from local.seed import seed_wechat_account
from local.stack import REGION, LocalStack
from local.streams import StreamPoller
from paymux.checkout.choose import PayerContext, choose, open_session
from paymux.checkout.sessions import sessions
from paymux.deps import Deps
from paymux.store.merchants import MerchantApp
from sandbox.wechat import WeChatSandbox, generate_merchant
from tests.support import authorization

MERCHANT = "mch_shop"
DOWN = "http://127.0.0.1:9"  # nothing listens: connection refused


@dataclass
class Shop:
    """The seeded merchant: signs its API calls as its app."""

    stack: LocalStack
    d: Deps
    sandbox: WeChatSandbox
    app_id: str
    secret: str
    mchid: str
    account_id: str

    def call(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        raw = b"" if body is None else json.dumps(body).encode()
        headers = {
            "Authorization": authorization(self.app_id, self.secret, method, path, raw, time.time()),
            "Content-Type": "application/json",
        }
        request = urllib.request.Request(
            self.stack.api_url + path, data=raw or None, method=method, headers=headers
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, json.loads(response.read() or b"null")
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read() or b"null")

    def create(self, amount: int) -> str:
        status, body = self.call(
            "POST",
            "/v1/payments",
            {
                "amount": amount,
                "currency": "CNY",
                "method": "wechat.native",
                "subject": "Console seeded day",
                "merchant_order_no": "SHOP-" + secrets.token_hex(5),
                "notify_url": "https://shop.example.com/paymux/notify",
            },
        )
        assert status == 201, body
        return str(body["id"])

    def paid(self, amount: int) -> str:
        payment_id = self.create(amount)
        payment = self.d.payments.get(payment_id)
        assert payment is not None
        self.sandbox.pay(self.mchid, payment.out_trade_no)
        until(lambda: self.call("GET", f"/v1/payments/{payment_id}")[1]["status"] == "SUCCESS")
        return payment_id

    def stats(self, day: str, next_day: str, group_by: str) -> dict[str, Any]:
        query = f"from={day}&to={next_day}&granularity=1h&group_by={group_by}"
        status, body = self.call("GET", f"/v1/stats?{query}")
        assert status == 200, body
        return dict(body)


def until(check: Any, timeout: float = 20.0) -> None:
    """Waits for the sandbox's callback to reach the stack (a real HTTP round trip)."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("the sandbox's callback did not arrive")
        time.sleep(0.05)


def open_shop(stack: LocalStack, d: Deps, sandbox: WeChatSandbox) -> Shop:
    suffix = secrets.token_hex(4)
    identity = generate_merchant(
        mchid=str(1_900_100_000 + int(suffix, 16) % 99_999), appids=(f"wx{suffix}{suffix}",)
    )
    app_id, secret = f"app_shop{suffix}", "sk_" + secrets.token_hex(16)
    d.merchants.put_app(MerchantApp(app_id=app_id, merchant_id=MERCHANT, name="Seeded shop"), secret)
    account = seed_wechat_account(d, sandbox, identity, f"wx-shop-{suffix}", owner=MERCHANT)
    return Shop(stack, d, sandbox, app_id, secret, account.mchid, account.account_id)


def seed_day(shop: Shop) -> dict[str, str]:
    """Three paid (one half refunded), one closed, one left open; the stream folded."""
    made = {"paid_1": shop.paid(1999), "paid_2": shop.paid(25_000), "paid_3": shop.paid(880)}
    status, refund = shop.call(
        "POST", f"/v1/payments/{made['paid_2']}/refunds", {"amount": 12_500, "merchant_refund_no": "RF-1"}
    )
    assert status == 201, refund
    until(lambda: shop.call("GET", f"/v1/refunds/{refund['id']}")[1]["status"] == "SUCCESS")
    made["closed"] = shop.create(300)
    assert shop.call("POST", f"/v1/payments/{made['closed']}/close")[0] == 200
    made["open"] = shop.create(700)
    made["checkout"] = checkout_paid(shop, 2500)
    made["rescued"] = rescued_by_fallback(shop, 1500)
    fold_stream(shop.stack)
    return made


def checkout_paid(shop: Shop, amount: int) -> str:
    """A checkout session created signed as the merchant; its payer chooses WeChat Pay Native
    (the page's service, paymux.checkout.choose) and pays; the session completes."""
    status, created = shop.call(
        "POST",
        "/v1/checkout/sessions",
        {
            "amount": amount,
            "currency": "CNY",
            "subject": "Console checkout",
            "merchant_order_no": "SHOP-CS-" + secrets.token_hex(5),
            "notify_url": "https://shop.example.com/paymux/notify",
            "return_url": "https://shop.example.com/orders/done",
            "methods": ["wechat.native", "alipay.qr"],
            "expires_in": 1800,
        },
    )
    assert status == 201, created
    payer = PayerContext(device="desktop", wallet="", client_ip="203.0.113.10")
    payment = choose(shop.d, open_session(shop.d, created["id"]), "wechat.native", payer, "")
    shop.sandbox.pay(shop.mchid, payment.out_trade_no)
    until(lambda: getattr(sessions(shop.d).get(created["id"]), "status", "") == "completed")
    return payment.payment_id


def rescued_by_fallback(shop: Shop, amount: int) -> str:
    """A preferred account of the shop whose channel is down (nothing listens: the create never
    left), so routing falls back to the sandbox's account, where the payer pays."""
    current = shop.d.channel_config.account(shop.account_id)
    credentials = dict(shop.d.channel_config.credentials(shop.account_id))
    down = replace(current, account_id=f"{shop.account_id}-down", base_url=DOWN, priority=1)
    shop.d.channel_config.put_account(down, credentials)
    payment_id = shop.paid(amount)
    payment = shop.d.payments.get(payment_id)
    assert payment is not None and payment.attempt_count == 2
    shop.d.channel_config.put_account(replace(down, enabled=False), credentials)
    return payment_id


def fold_stream(stack: LocalStack) -> int:
    """Hands every record the stream holds to StatsStreamFunction until none is left."""
    (subscription,) = stack.stream_subscriptions
    poller = StreamPoller(subscription, stack.invoke, REGION)
    handed = 0
    while count := poller.poll_once():
        handed += count
    return handed
