"""The end-to-end flow against a paymux stack, configured by the environment (tests/sdk/world.py
documents it): create → pay in the sandbox → SUCCESS → verify the notification → refund → get the
refund → find the payment. Prints one JSON line of what it saw. Standard library + paymux_sdk."""

from __future__ import annotations

import base64
import json
import os
import time
import urllib.parse
import urllib.request
from typing import Any

import paymux_sdk


def until(check: Any, seconds: float = 30.0) -> Any:
    deadline = time.monotonic() + seconds
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.2)


def pay_in_sandbox(code_url: str) -> None:
    pr = urllib.parse.parse_qs(urllib.parse.urlsplit(code_url).query)["pr"][0]
    form = urllib.parse.urlencode({"code": pr, "action": "pay"}).encode()
    sandbox = os.environ["PAYMUX_SANDBOX_URL"] + "/sandbox/pay"
    urllib.request.urlopen(sandbox, data=form, timeout=30).close()  # noqa: S310 - the world's http URL


def notification_for(payment_id: str) -> dict[str, str] | None:
    receiver = os.environ["PAYMUX_RECEIVER_URL"] + "/received"
    with urllib.request.urlopen(receiver, timeout=30) as answer:  # noqa: S310 - the world's http URL
        received: list[dict[str, str]] = json.load(answer)
    for note in received:
        body = json.loads(base64.b64decode(note["body_base64"]))
        if body["type"] == "payment.succeeded" and body["data"]["object"]["id"] == payment_id:
            return note
    return None


def main() -> None:
    secret, prefix = os.environ["PAYMUX_SECRET"], os.environ["PAYMUX_ORDER_PREFIX"]
    client = paymux_sdk.Client(os.environ["PAYMUX_APP_ID"], secret)  # base URL: PAYMUX_BASE_URL
    payment = client.payments.create(
        {
            "amount": 1999,
            "currency": "CNY",
            "method": "wechat.native",
            "subject": "Coffee",
            "merchant_order_no": prefix + "-1",
            "notify_url": os.environ["PAYMUX_NOTIFY_URL"],
        }
    )
    pay_in_sandbox(payment.action["code_url"] if payment.action else "")
    paid = until(lambda: (p := client.payments.get(payment.id)).status == "SUCCESS" and p)
    note = until(lambda: notification_for(payment.id))
    event = paymux_sdk.construct_event(base64.b64decode(note["body_base64"]), note["signature"], secret)
    refund = client.refunds.create(payment.id, {"amount": 500, "merchant_refund_no": prefix + "-R1"})
    fetched = client.refunds.get(refund.id)
    found = client.payments.find(prefix + "-1")
    print(
        json.dumps(
            {
                "payment_id": payment.id,
                "created_status": payment.status,
                "paid_status": paid.status if paid else None,
                "event_id": event.id,
                "event_type": event.type,
                "event_payment_id": event.data.object.id if event.data else None,
                "refund_id": refund.id,
                "refund_status": fetched.status,
                "refund_amount": fetched.amount,
                "found_id": found.id,
                "found_refundable": found.amount_refundable,
            }
        )
    )


if __name__ == "__main__":
    main()
