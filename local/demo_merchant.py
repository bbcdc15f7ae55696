"""A stand-in merchant server for the local stack: receives paymux notifications, verifies
their `Paymux-Signature` (docs/authentication.md §2) and logs what arrived."""

from __future__ import annotations

import hashlib
import hmac
import http.server
import json
import logging
import threading
import time
from typing import Any

log = logging.getLogger("local.merchant")
TOLERANCE = 300


def verify(header: str, body: bytes, secret: str, now: float) -> bool:
    parts = [p.split("=", 1) for p in header.split(",") if "=" in p]
    timestamps = [v for k, v in parts if k == "t"]
    if len(timestamps) != 1 or not timestamps[0].isdigit() or abs(int(timestamps[0]) - now) > TOLERANCE:
        return False
    expected = hmac.new(secret.encode(), timestamps[0].encode() + b"." + body, hashlib.sha256).hexdigest()
    return any(hmac.compare_digest(expected, v) for k, v in parts if k == "v1")


class DemoMerchant:
    def __init__(self, secret: str, host: str = "127.0.0.1", port: int = 0) -> None:
        self.secret = secret
        self.received: list[dict[str, Any]] = []
        merchant = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                ok = verify(self.headers.get("Paymux-Signature", ""), body, merchant.secret, time.time())
                event = json.loads(body) if ok else {}
                merchant.received.append({"verified": ok, "event": event})
                if ok:
                    payment = event["data"]["object"]
                    log.info(
                        "merchant received %s for %s (%s, signature ok)",
                        event["type"],
                        payment["id"],
                        payment["status"],
                    )
                else:
                    log.warning("merchant received a notification whose signature does not verify")
                self.send_response(200 if ok else 400)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def do_GET(self) -> None:
                """GET /received lists what arrived (the example client reads it)."""
                data = json.dumps(merchant.received).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                return

        self._server = http.server.ThreadingHTTPServer((host, port), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True, name="demo-merchant")

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
