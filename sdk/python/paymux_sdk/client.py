"""The paymux client: signed requests, retries exactly where they are safe, typed answers.

    client = paymux_sdk.Client("app_…", "sk_…")          # base URL: PAYMUX_BASE_URL or the default
    payment = client.payments.create({...})               # an Idempotency-Key is added for you

Retries (2 by default, `max_retries`): connection errors; answers marked
`Paymux-Should-Retry: true`; without the marker, 502, 503 and 504. Never an answer marked
`false`. Back-off min(0.5·2^(n−1), 5) s × U[0.5, 1], at least `Retry-After` (capped at 5 s).
Every POST carries one Idempotency-Key across its retries, and every attempt a new nonce. A
request whose reused keep-alive connection was closed before any answer byte is sent again
once even with `max_retries=0`."""

from __future__ import annotations

import json
import os
import platform
import random
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

from paymux_sdk import signing
from paymux_sdk.errors import ApiConnectionError, ApiError, error_for
from paymux_sdk.resources import CheckoutSessions, Notifications, Payments, Refunds
from paymux_sdk.transport import Answer, StaleConnection, Transport
from paymux_sdk.version import VERSION

DEFAULT_BASE_URL = "https://api.paymux.cn"
RETRIED_WITHOUT_MARKER = frozenset({502, 503, 504})
MAX_DELAY = 5.0
USER_AGENT = f"paymux-python/{VERSION} python/{platform.python_version()}"


class Client:
    def __init__(
        self,
        app_id: str,
        secret: str,
        base_url: str | None = None,
        max_retries: int = 2,
        timeout: float = 30.0,
        *,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.app_id = app_id
        self._secret = secret
        self.base_url = base_url or os.environ.get("PAYMUX_BASE_URL") or DEFAULT_BASE_URL
        self.max_retries = max(0, max_retries)
        self._transport = Transport(self.base_url, timeout)
        self._lock = threading.Lock()  # one connection: one request at a time per client
        self._sleep, self._rng, self._clock = sleep, rng or random.SystemRandom(), clock
        self.payments = Payments(self)
        self.refunds = Refunds(self)
        self.notifications = Notifications(self)
        self.checkout_sessions = CheckoutSessions(self)

    def __repr__(self) -> str:  # never the secret
        return f"Client(app_id={self.app_id!r}, base_url={self.base_url!r})"

    def close(self) -> None:
        self._transport.close()

    def request(self, method: str, path: str, body: Any = None, idempotency_key: str | None = None) -> Any:
        """The decoded JSON answer of a 2xx, or the typed error (after the retries)."""
        raw = b"" if body is None else json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
        key = idempotency_key or (str(uuid.uuid4()) if method == "POST" else None)
        with self._lock:
            answer = self._send_with_retries(method, path, raw, key)
        return _decoded(answer)

    def _send_with_retries(self, method: str, path: str, raw: bytes, key: str | None) -> Answer:
        retries, stale_retried = 0, False
        while True:
            try:
                answer = self._transport.send(method, path, raw, self._headers(method, path, raw, key))
            except ApiConnectionError as exc:
                if isinstance(exc, StaleConnection) and not stale_retried:
                    stale_retried = True  # once, at once, even with max_retries=0
                    continue
                if retries >= self.max_retries:
                    raise
                retries += 1
                self._sleep(self.delay(retries, None))
                continue
            if answer.status < 400:
                return answer
            if retries >= self.max_retries or not should_retry(answer):
                raise error_for(answer.status, _json(answer.body), answer.headers)
            retries += 1
            self._sleep(self.delay(retries, answer.headers.get("retry-after")))

    def delay(self, retry: int, retry_after: str | None) -> float:
        """Seconds before retry number `retry` (1 for the first)."""
        wait = min(0.5 * 2.0 ** (retry - 1), MAX_DELAY) * self._rng.uniform(0.5, 1.0)
        if retry_after and retry_after.strip().isdigit():
            wait = max(wait, min(float(retry_after.strip()), MAX_DELAY))
        return wait

    def _headers(self, method: str, path: str, raw: bytes, key: str | None) -> dict[str, str]:
        timestamp = str(int(self._clock()))
        headers = {
            "Authorization": signing.authorization(
                self.app_id,
                self._secret,
                method,
                self._transport.prefix + path,
                timestamp,
                signing.new_nonce(),
                raw,
            ),
            "Accept": "application/json",
            "User-Agent": USER_AGENT,
        }
        if raw:
            headers["Content-Type"] = "application/json; charset=utf-8"
        if key:
            headers["Idempotency-Key"] = key
        return headers


def should_retry(answer: Answer) -> bool:
    """The server's marker decides; without one, only 502, 503 and 504."""
    marker = answer.headers.get("paymux-should-retry", "").strip().lower()
    if marker in ("true", "false"):
        return marker == "true"
    return answer.status in RETRIED_WITHOUT_MARKER


def _json(body: bytes) -> Any:
    try:
        return json.loads(body) if body else None
    except ValueError:
        return None


def _decoded(answer: Answer) -> Any:
    if not answer.body:
        return None
    value = _json(answer.body)
    if value is None:
        raise ApiError(f"paymux answered {answer.status} with a body that is not JSON", status=answer.status)
    return value
