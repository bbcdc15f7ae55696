"""Integration tests: the real handlers, invoked with events/*.json, against moto resources
created from template.yaml by the local stack (no pollers, no schedules: tests drive them),
and a real WeChat Pay sandbox over HTTP."""

from __future__ import annotations

import http.server
import json
import secrets
import threading
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

import pytest

from local.seed import seed_alipay_account, seed_wechat_account
from local.stack import LocalStack
from paymux.config import Settings
from paymux.deps import Deps, set_deps
from paymux.store.merchants import MerchantApp
from sandbox.alipay import AlipaySandbox, generate_app
from sandbox.wechat import WeChatSandbox, generate_merchant
from tests.support import (
    FakeClock,
    MerchantEndpoint,
    api_event,
    invoke,
    load_event,
    response_json,
    working_hours_now,
)


@pytest.fixture(scope="session")
def stack() -> Iterator[LocalStack]:
    with LocalStack(api_port=0, moto_port=0, schedules=False, sqs_poll=False) as running:
        yield running


@dataclass
class World:
    """One merchant app, one WeChat Pay account at a fresh sandbox, a movable clock."""

    stack: LocalStack
    d: Deps
    clock: FakeClock
    sandbox: WeChatSandbox
    merchant_endpoint: MerchantEndpoint
    catcher: CallbackCatcher
    app_id: str
    secret: str
    account_id: str
    mchid: str
    appid: str
    notify_url: str = "https://merchant.example.com/paymux/notify"

    def raw(self, template: str, **kwargs: Any) -> dict[str, Any]:
        """The handler's raw response to a request signed as this merchant (app_id, secret and
        now may be overridden to forge or age it)."""
        function = template.removesuffix(".json").removesuffix("_by_merchant_order_no")
        signing = {"app_id": self.app_id, "secret": self.secret, "now": self.clock(), **kwargs}
        return invoke(function, api_event(template, **signing))

    def call(self, template: str, **kwargs: Any) -> tuple[int, Any]:
        return response_json(self.raw(template, **kwargs))

    def create(self, **overrides: Any) -> tuple[int, Any]:
        body = {
            "amount": 1999,
            "currency": "CNY",
            "method": "wechat.native",
            "subject": "Coffee beans 1kg",
            "merchant_order_no": "ORD-" + secrets.token_hex(6),
            "notify_url": self.notify_url,
            **overrides,
        }
        return self.call("create_payment.json", body=body)

    def get(self, payment_id: str, query: str = "") -> tuple[int, Any]:
        return self.call(
            "get_payment.json",
            path=f"/v1/payments/{payment_id}",
            path_params={"payment_id": payment_id},
            query=query,
        )

    def close(self, payment_id: str) -> tuple[int, Any]:
        return self.call(
            "close_payment.json",
            path=f"/v1/payments/{payment_id}/close",
            path_params={"payment_id": payment_id},
        )

    def out_trade_no(self, payment_id: str) -> str:
        payment = self.d.payments.get(payment_id)
        assert payment is not None
        return payment.out_trade_no

    def queued_messages(self) -> list[dict[str, Any]]:
        """Drains the notify queue (messages whose delay has passed) as SQS Lambda records."""
        url = self.stack.queue_urls["NotifyQueue"]
        records = []
        while True:
            page = self.d.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0)
            messages = page.get("Messages", [])
            if not messages:
                return records
            for m in messages:
                self.d.sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
                records.append(
                    {
                        "messageId": m["MessageId"],
                        "receiptHandle": m["ReceiptHandle"],
                        "body": m["Body"],
                        "attributes": {"ApproximateReceiveCount": "1"},
                        "eventSource": "aws:sqs",
                    }
                )

    def run_notifier(self) -> dict[str, Any]:
        records = self.queued_messages()
        result: dict[str, Any] = (
            invoke("notify_merchant", {"Records": records}) if records else {"batchItemFailures": []}
        )
        result["count"] = len(records)
        return result


def callback_event(
    path_account: str,
    headers: dict[str, str],
    body: bytes,
    provider: str = "wechat",
    authorization_notice: bool = False,
) -> dict[str, Any]:
    """A channel's POST to its callback route (or, `authorization_notice`, to its
    authorization-notice route)."""
    tail = "/authorization" if authorization_notice else ""
    event = load_event("channel_authorization_notice.json" if tail else "channel_callback.json")
    event["headers"] = {k.lower(): v for k, v in headers.items()}
    event["body"] = body.decode()
    event["rawPath"] = f"/v1/callbacks/{provider}/{path_account}{tail}"
    event["pathParameters"] = {"provider": provider, "account_id": path_account}
    return event


class CallbackCatcher:
    """The sandbox delivers callbacks here over HTTP; each is forwarded to the real
    channel_callback handler and its answer returned to the sandbox (so its retries are real)."""

    def __init__(self) -> None:
        catcher = self
        self.received: list[dict[str, Any]] = []
        self.forward = True

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                headers = dict(self.headers.items())
                parts = self.path.rstrip("/").split("/")
                notice = parts[-1] == "authorization"  # Alipay's authorization-change notice
                provider, account = parts[-3:-1] if notice else parts[-2:]
                catcher.received.append({"headers": headers, "body": body, "account": account})
                status, answer = 500, b""
                if catcher.forward:
                    event = callback_event(account, headers, body, provider, notice)
                    reply = invoke("channel_authorization_notice" if notice else "channel_callback", event)
                    status, answer = reply["statusCode"], reply["body"].encode()
                self.send_response(status)
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args: Any) -> None:
                return

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.base_url = f"http://127.0.0.1:{self.server.server_port}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def wipe_table(d: Deps) -> None:
    """Each test starts from an empty table: the sweeper and the due indexes are global, so
    leftovers from an earlier test would otherwise be swept (and notified) by this one."""
    table = d.settings.table
    kwargs: dict[str, Any] = {"TableName": table, "ProjectionExpression": "PK, SK"}
    while True:
        page = d.dynamodb.scan(**kwargs)
        for item in page.get("Items", []):
            d.dynamodb.delete_item(TableName=table, Key={"PK": item["PK"], "SK": item["SK"]})
        if "LastEvaluatedKey" not in page:
            return
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def drain(d: Deps, stack: LocalStack) -> None:
    """Empties every queue (PurgeQueue is rate-limited to once a minute, so receive and delete)."""
    for url in stack.queue_urls.values():
        while messages := d.sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0
        ).get("Messages"):
            for m in messages:
                d.sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])


def open_world(stack: LocalStack) -> World:
    """A fresh test world on `stack`: empty table and queues, a movable clock, a WeChat Pay
    sandbox with one merchant, a paymux merchant app and a WeChat Pay account. Plain function
    (not only a fixture) so that the bench can use it too."""
    clock = FakeClock(working_hours_now())
    endpoint = MerchantEndpoint()
    catcher = CallbackCatcher()
    # Channel callbacks for this world go to the catcher, which forwards them to the handler.
    settings = replace(Settings.from_env(), public_base_url=catcher.base_url)
    d = Deps(settings=settings, clock=clock, merchant_http=endpoint)
    set_deps(d)
    wipe_table(d)
    drain(d, stack)
    suffix = secrets.token_hex(4)
    identity = generate_merchant(
        mchid=str(1_900_000_000 + int(suffix, 16) % 99_999), appids=(f"wx{suffix}{suffix}",)
    )
    sandbox = WeChatSandbox(key_mode="both", clock=clock, callback_time_scale=0.001)
    sandbox.start()
    merchant_id, app_id, secret = f"mch_{suffix}", f"app_{suffix}", "sk_" + secrets.token_hex(16)
    d.merchants.put_app(MerchantApp(app_id=app_id, merchant_id=merchant_id, name="Test shop"), secret)
    account = seed_wechat_account(d, sandbox, identity, f"wx-{suffix}", owner=merchant_id)
    return World(
        stack,
        d,
        clock,
        sandbox,
        endpoint,
        catcher,
        app_id,
        secret,
        account.account_id,
        account.mchid,
        account.appid,
    )


def close_world(world: World) -> None:
    world.catcher.stop()
    world.sandbox.stop()
    set_deps(None)


@pytest.fixture
def world(stack: LocalStack) -> Iterator[World]:
    opened = open_world(stack)
    try:
        yield opened
    finally:
        close_world(opened)


def notification_bodies(endpoint: MerchantEndpoint) -> list[dict[str, Any]]:
    return [json.loads(r["body"]) for r in endpoint.received]


@dataclass
class Alipay:
    sandbox: AlipaySandbox
    account_id: str
    app_id: str
    pid: str
    app_private_key_pem: bytes


@pytest.fixture
def alipay(world: World) -> Iterator[Alipay]:
    suffix = secrets.token_hex(4)
    identity = generate_app(app_id=f"2021{int(suffix, 16):012d}", pid=f"2088{int(suffix, 16):012d}")
    sandbox = AlipaySandbox(clock=world.clock, notify_time_scale=0.001)
    sandbox.start()
    app = world.d.merchants.app(world.app_id)
    assert app is not None
    account = seed_alipay_account(world.d, sandbox, identity, f"ali-{suffix}", owner=app.merchant_id)
    try:
        yield Alipay(
            sandbox, account.account_id, identity.app.app_id, identity.app.pid, identity.private_key_pem
        )
    finally:
        sandbox.stop()
