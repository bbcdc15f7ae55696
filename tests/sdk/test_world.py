"""The SDK world works for a client that signs by hand: what every SDK's end-to-end test does,
spelled out in Python with nothing but the standard library and tests.support's signer."""

from __future__ import annotations

import base64
import json
import time
import urllib.parse
import urllib.request
from typing import Any

import pytest

from local.demo_merchant import verify
from tests.sdk.world import APP_ID, World
from tests.support import authorization, wait_until

pytestmark = pytest.mark.e2e


def _call(world: World, method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    raw = json.dumps(body).encode() if body is not None else b""
    headers = {"Authorization": authorization(APP_ID, world.secret, method, path, raw, time.time())}
    if body is not None:
        headers["Content-Type"] = "application/json"
    request = urllib.request.Request(
        world.api_url + path, data=raw if body is not None else None, headers=headers, method=method
    )
    with urllib.request.urlopen(request, timeout=30) as answer:
        data: dict[str, Any] = json.load(answer)
        return data


def test_create_pay_in_the_sandbox_verify_the_notification_refund(world: World) -> None:
    env = world.env("world")
    order_no = env["PAYMUX_ORDER_PREFIX"] + "-1"
    payment = _call(
        world,
        "POST",
        "/v1/payments",
        {
            "amount": 1999,
            "currency": "CNY",
            "method": "wechat.native",
            "subject": "Coffee",
            "merchant_order_no": order_no,
            "notify_url": env["PAYMUX_NOTIFY_URL"],
        },
    )
    pr = urllib.parse.parse_qs(urllib.parse.urlsplit(payment["action"]["code_url"]).query)["pr"][0]
    form = urllib.parse.urlencode({"code": pr, "action": "pay"}).encode()
    urllib.request.urlopen(env["PAYMUX_SANDBOX_URL"] + "/sandbox/pay", data=form, timeout=30).close()
    assert wait_until(
        lambda: _call(world, "GET", f"/v1/payments/{payment['id']}")["status"] == "SUCCESS", timeout=20
    )

    def delivered() -> list[dict[str, str]]:
        with urllib.request.urlopen(env["PAYMUX_RECEIVER_URL"] + "/received", timeout=30) as answer:
            received: list[dict[str, str]] = json.load(answer)
        return [
            r
            for r in received
            if json.loads(base64.b64decode(r["body_base64"]))["data"]["object"]["id"] == payment["id"]
        ]

    assert wait_until(delivered, timeout=20)
    note = delivered()[0]
    assert verify(note["signature"], base64.b64decode(note["body_base64"]), env["PAYMUX_SECRET"], time.time())

    refund = _call(
        world,
        "POST",
        f"/v1/payments/{payment['id']}/refunds",
        {"amount": 500, "merchant_refund_no": env["PAYMUX_ORDER_PREFIX"] + "-R1"},
    )
    assert refund["status"] in ("PROCESSING", "SUCCESS")
    stored = world.payment_by_order_no(order_no)
    assert stored is not None and stored.status == "SUCCESS"
    assert _call(world, "GET", f"/v1/payments/{payment['id']}")["amount_refundable"] == 1499

    # The refund settles (PROCESSING answer, then WeChat's REFUND.SUCCESS callback): the audit
    # trail lists each change once, and the merchant hears of the refund's success once.
    assert wait_until(
        lambda: _call(world, "GET", f"/v1/refunds/{refund['id']}")["status"] == "SUCCESS", timeout=20
    )
    events = _call(world, "GET", f"/v1/payments/{payment['id']}/events")["data"]
    assert [e["type"] for e in events] == [
        "payment.created",
        "payment.submitted",
        "payment.succeeded",
        "refund.created",
        "refund.succeeded",
    ]
    outbox = [n["type"] for n in world.d.notifications.for_payment(payment["id"])]
    assert sorted(outbox) == ["payment.succeeded", "refund.succeeded"]
