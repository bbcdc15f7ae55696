"""One local stack for every SDK's end-to-end test (tests/sdk/test_<language>_sdk.py).

The world: template.yaml's API over HTTP on moto (LocalStack), the WeChat Pay sandbox with one
account for the app's merchant, and a notification receiver that keeps every notification's
raw bytes and `Paymux-Signature` header, so that each SDK verifies what paymux really sent.

An SDK's end-to-end program gets the world through its environment (`World.env`):

  PAYMUX_BASE_URL        the API (the SDK's client reads it when no base URL is given)
  PAYMUX_APP_ID          the app
  PAYMUX_SECRET          its secret (requests and notifications are signed with it)
  PAYMUX_NOTIFY_URL      a notify_url that reaches the receiver
  PAYMUX_RECEIVER_URL    GET <it>/received → [{"event_id", "signature", "body_base64"}, …]
  PAYMUX_SANDBOX_URL     the WeChat Pay sandbox: a payer pays a wechat.native code_url
                         `weixin://wxpay/bizpayurl?pr=<pr>` by POSTing the form
                         `code=<pr>&action=pay` to <it>/sandbox/pay
  PAYMUX_ORDER_PREFIX    a prefix for merchant_order_no / merchant_refund_no, unique per run"""

from __future__ import annotations

import base64
import http.server
import json
import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from local.seed import seed_wechat_account
from local.stack import LocalStack
from paymux.deps import Deps, deps, set_deps
from paymux.store.merchants import MerchantApp
from sandbox.wechat import WeChatSandbox, generate_merchant

APP_ID = "app_sdk_e2e"
MERCHANT_ID = "mch_sdk_e2e"


class RawReceiver:
    """Answers 200 to every notification and keeps its exact bytes and signature header."""

    def __init__(self) -> None:
        self.received: list[dict[str, str]] = []
        self._lock = threading.Lock()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with receiver._lock:
                    receiver.received.append(
                        {
                            "event_id": self.headers.get("Paymux-Event-Id", ""),
                            "signature": self.headers.get("Paymux-Signature", ""),
                            "body_base64": base64.b64encode(body).decode(),
                        }
                    )
                self._answer(200, b"")

            def do_GET(self) -> None:
                with receiver._lock:
                    data = json.dumps(receiver.received).encode()
                self._answer(200, data, "application/json")

            def _answer(self, status: int, data: bytes, media: str = "text/plain") -> None:
                self.send_response(status)
                self.send_header("Content-Type", media)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self) -> RawReceiver:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@dataclass
class World:
    api_url: str
    secret: str
    d: Deps
    wechat: WeChatSandbox
    receiver: RawReceiver
    runs: list[str] = field(default_factory=list)

    def env(self, language: str) -> dict[str, str]:
        prefix = f"SDK-{language.upper()}-{secrets.token_hex(4)}"
        self.runs.append(prefix)
        return {
            "PAYMUX_BASE_URL": self.api_url,
            "PAYMUX_APP_ID": APP_ID,
            "PAYMUX_SECRET": self.secret,
            "PAYMUX_NOTIFY_URL": self.receiver.url + "/notify",
            "PAYMUX_RECEIVER_URL": self.receiver.url,
            "PAYMUX_SANDBOX_URL": self.wechat.base_url,
            "PAYMUX_ORDER_PREFIX": prefix,
        }

    def payment_by_order_no(self, merchant_order_no: str) -> Any:
        """The stored payment an SDK created (what the server holds, not what the SDK says)."""
        return self.d.payments.get_by_merchant_order_no(MERCHANT_ID, merchant_order_no)


@contextmanager
def sdk_world() -> Iterator[World]:
    wechat = WeChatSandbox(key_mode="both")
    identity = generate_merchant(mchid="1900000109", appids=("wx8888888888888888",))
    secret = "sk_" + secrets.token_hex(16)
    receiver = RawReceiver()
    with LocalStack(api_port=0, moto_port=0, schedules=False) as stack:
        wechat.start()
        receiver.start()
        try:
            set_deps(None)  # built from the stack's environment
            d = deps()
            d.merchants.put_app(MerchantApp(app_id=APP_ID, merchant_id=MERCHANT_ID), secret)
            seed_wechat_account(d, wechat, identity, "wx-sdk", owner=MERCHANT_ID)
            yield World(stack.api_url, secret, d, wechat, receiver)
        finally:
            receiver.stop()
            wechat.stop()
            set_deps(None)
