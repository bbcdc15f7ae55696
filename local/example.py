"""The copy-paste example `make dev` prints: a merchant's first payment, with nothing but the
standard library (what any language does, following docs/authentication.md).

create (signed) → the payer pays the QR code in the WeChat Pay (or, with --method alipay.qr,
the Alipay) sandbox → paymux receives the channel's signed callback → GET shows SUCCESS → the
demo merchant received a verified notification."""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import secrets
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit


def http(
    method: str, url: str, body: bytes | None = None, headers: dict[str, str] | None = None
) -> tuple[int, Any]:
    if urlsplit(url).scheme not in {"http", "https"}:
        raise SystemExit(f"not an http(s) URL: {url}")
    request = urllib.request.Request(url, data=body, headers=headers or {}, method=method)  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - scheme checked
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"null")


def signed_call(
    api: str, app_id: str, secret: str, method: str, path: str, body: Any = None
) -> tuple[int, Any]:
    raw = json.dumps(body).encode() if body is not None else b""
    timestamp, nonce = str(int(time.time())), secrets.token_hex(16)
    digest = hashlib.sha256(raw).hexdigest()
    message = f"PAYMUX-HMAC-SHA256\n{method}\n{path}\n{timestamp}\n{nonce}\n{digest}\n"
    signature = hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()
    pairs = f'app_id="{app_id}",timestamp="{timestamp}",nonce="{nonce}",signature="{signature}"'
    authorization = f"PAYMUX-HMAC-SHA256 {pairs}"
    headers = {"Authorization": authorization, "Content-Type": "application/json"}
    return http(method, api + path, raw or None, headers)


def wait_for(what: str, check: Callable[[], Any], timeout: float) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := check():
            return result
        time.sleep(0.5)
    raise SystemExit(f"gave up waiting for {what} after {timeout:.0f} s")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m local.example", description=__doc__)
    parser.add_argument("--api", default="http://127.0.0.1:3000")
    parser.add_argument("--app-id", required=True)
    parser.add_argument("--secret", required=True)
    parser.add_argument("--notify-url", required=True)
    parser.add_argument("--sandbox-url", default="http://127.0.0.1:8701", help="the WeChat Pay sandbox")
    parser.add_argument("--alipay-sandbox-url", default="http://127.0.0.1:8703")
    parser.add_argument("--method", choices=("wechat.native", "alipay.qr"), default="wechat.native")
    parser.add_argument("--amount", type=int, default=1999, help="fen (default 1999 = ¥19.99)")
    parser.add_argument("--no-pay", action="store_true", help="only create; pay in the sandbox page yourself")
    return parser.parse_args(argv)


def pay_in_sandbox(args: argparse.Namespace, code_url: str) -> str:
    """What a payer does in the sandbox's page, as its JSON form: scan and pay."""
    if args.method == "alipay.qr":
        code = parse_qs(urlsplit(code_url).query)["code"][0]
        form = urlencode({"code": code, "action": "pay"}).encode()
        headers = {"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"}
        _, answer = http("POST", f"{args.alipay_sandbox_url}/sandbox/scan", form, headers)
        return str(answer["trade_status"])
    pay_code = parse_qs(urlsplit(code_url).query)["pr"][0]
    body = json.dumps({"code": pay_code, "action": "pay"}).encode()
    headers = {"Content-Type": "application/json"}
    _, answer = http("POST", f"{args.sandbox_url}/sandbox/pay", body, headers)
    return str(answer["trade_state"])


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    order = {
        "amount": args.amount,
        "currency": "CNY",
        "method": args.method,
        "subject": "paymux demo order",
        "merchant_order_no": "DEMO-" + secrets.token_hex(6),
        "notify_url": args.notify_url,
    }
    status, payment = signed_call(args.api, args.app_id, args.secret, "POST", "/v1/payments", order)
    if status != 201:
        print(f"create failed: HTTP {status} {payment}", file=sys.stderr)
        return 1
    code_url = payment["action"]["code_url"]
    print(f"created {payment['id']}  {payment['status']}  QR: {code_url}")
    if args.method == "alipay.qr":
        print(f"pay page: {code_url}")  # the Alipay sandbox's QR code is its own scan page
    else:
        pay_code = parse_qs(urlsplit(code_url).query)["pr"][0]
        print(f"pay page: {args.sandbox_url}/sandbox/pay?code={pay_code}")
    if args.no_pay:
        return 0
    print(f"payer paid in the sandbox: {pay_in_sandbox(args, code_url)}")

    path = f"/v1/payments/{payment['id']}"

    def succeeded() -> Any:
        current = signed_call(args.api, args.app_id, args.secret, "GET", path)[1]
        return current if current["status"] == "SUCCESS" else None

    paid = wait_for("SUCCESS", succeeded, 30)
    channel = paid["channel"]
    print(f"paymux says {paid['id']} is {paid['status']} ({channel['provider']} trade {channel['trade_no']})")

    received_url = args.notify_url.rsplit("/", 1)[0] + "/received"

    def notified() -> Any:
        events = http("GET", received_url)[1]
        mine = (e for e in events if e["verified"] and e["event"]["data"]["object"]["id"] == payment["id"])
        return next(mine, None)

    event = wait_for("the merchant notification", notified, 30)["event"]
    print(f"merchant notified: {event['type']} (signature verified, event {event['id']})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
