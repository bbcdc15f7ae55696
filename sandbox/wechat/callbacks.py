"""Callback delivery with WeChat's retry schedule, on a scheduler thread.

A delivery succeeds on HTTP 200 or 204, whatever the body says. Otherwise it is retried after
``retry_delays[n] * time_scale`` seconds, at most 15 times (WeChat's schedule spans about
24 h; a shorter ``retry_delays`` means fewer retries). Every retry carries the same body
(same event id) with fresh signature headers. Waiting uses the monotonic clock; the injected
sandbox clock only stamps headers.
"""

from __future__ import annotations

import heapq
import http.client
import itertools
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlsplit

from sandbox.wechat.auth import ResponseSigner
from sandbox.wechat.crypto import SigningKey

DELIVERED_STATUSES = frozenset({200, 204})
CALLBACK_TIMEOUT_SECONDS = 5.0  # WeChat waits 5 s for an answer
MAX_RETRIES = 15
WECHAT_RETRY_DELAYS: tuple[float, ...] = (
    15, 15, 30, 180, 600, 1200, 1800, 1800, 1800, 3600, 10800, 10800, 10800, 21600, 21600,
)  # fmt: skip


@dataclass(frozen=True)
class Notification:
    event_id: str
    event_type: str
    url: str
    body: bytes
    key: SigningKey
    attempt: int = 0  # 0 = first delivery, n = n-th retry
    probe: bool = False  # a WECHATPAY/SIGNTEST/ probe: bad signature, never retried


@dataclass(frozen=True)
class CallbackAttempt:
    event_id: str
    event_type: str
    url: str
    attempt: int
    status: int | None  # None when no HTTP answer came back
    time: float  # the sandbox clock when sent
    delivered: bool
    probe: bool = False
    error: str | None = None


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """WeChat does not follow redirects: a 3xx is a failed delivery."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


class CallbackDispatcher:
    def __init__(
        self,
        signer: ResponseSigner,
        clock: Callable[[], float],
        retry_delays: Sequence[float] = WECHAT_RETRY_DELAYS,
        time_scale: float = 1.0,
    ) -> None:
        self._signer = signer
        self._clock = clock
        self._delays = tuple(retry_delays)[:MAX_RETRIES]
        self._scale = time_scale
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirect())
        self._cond = threading.Condition()
        self._heap: list[tuple[float, int, Notification]] = []
        self._sequence = itertools.count()
        self._outstanding = 0  # notifications scheduled or in flight
        self._log: list[CallbackAttempt] = []
        self._stopped = False
        self._thread: threading.Thread | None = None
        self._pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix="wechat-callback")

    @property
    def log(self) -> list[CallbackAttempt]:
        with self._cond:
            return list(self._log)

    def start(self) -> None:
        with self._cond:
            if self._thread is not None:
                return
            self._thread = threading.Thread(target=self._run, name="wechat-callback-scheduler", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        """Cancel pending retries; a delivery already on the wire finishes on its own."""
        with self._cond:
            self._stopped = True
            self._outstanding = 0  # nothing more will be delivered or retried
            self._heap.clear()
            self._cond.notify_all()
            thread = self._thread
        if thread is not None:
            thread.join(timeout=5)
        self._pool.shutdown(wait=False, cancel_futures=True)

    def submit(self, notification: Notification) -> None:
        """Queue a first delivery; returns at once."""
        with self._cond:
            if self._stopped:
                return
            self._outstanding += 1
            self._schedule(notification, delay=0.0)

    def deliver_once(self, notification: Notification) -> CallbackAttempt:
        """Send now on the caller's thread, without retries (used for sign-test probes)."""
        attempt = self._send(notification)
        with self._cond:
            self._log.append(attempt)
        return attempt

    def wait_idle(self, timeout: float) -> bool:
        """Block until nothing is scheduled or in flight; False if ``timeout`` ran out first."""
        with self._cond:
            return self._cond.wait_for(lambda: self._outstanding == 0, timeout)

    def _schedule(self, notification: Notification, delay: float) -> None:
        due = time.monotonic() + delay
        heapq.heappush(self._heap, (due, next(self._sequence), notification))
        self._cond.notify_all()

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._stopped and not self._due():
                    wait = self._heap[0][0] - time.monotonic() if self._heap else None
                    self._cond.wait(wait)
                if self._stopped:
                    return
                _, _, notification = heapq.heappop(self._heap)
            try:
                self._pool.submit(self._attempt, notification)
            except RuntimeError:  # the pool was shut down by stop()
                return

    def _due(self) -> bool:
        return bool(self._heap) and self._heap[0][0] <= time.monotonic()

    def _attempt(self, notification: Notification) -> None:
        attempt = self._send(notification)
        with self._cond:
            self._log.append(attempt)
            if self._stopped:  # stop() already settled the books
                return
            retry = not (attempt.delivered or notification.probe)
            if retry and notification.attempt < len(self._delays):
                delay = self._delays[notification.attempt] * self._scale
                self._schedule(replace(notification, attempt=notification.attempt + 1), delay)
            else:
                self._outstanding -= 1
                self._cond.notify_all()

    def _send(self, notification: Notification) -> CallbackAttempt:
        if notification.probe:
            headers = self._signer.probe_headers(notification.key)
        else:
            headers = self._signer.headers(notification.body, notification.key)
        headers |= {"Content-Type": "application/json", "User-Agent": "Mozilla/4.0"}
        sent_at = self._clock()
        status, error = self._post(notification.url, notification.body, headers)
        return CallbackAttempt(
            event_id=notification.event_id,
            event_type=notification.event_type,
            url=notification.url,
            attempt=notification.attempt,
            status=status,
            time=sent_at,
            delivered=status in DELIVERED_STATUSES,
            probe=notification.probe,
            error=error,
        )

    def _post(self, url: str, body: bytes, headers: dict[str, str]) -> tuple[int | None, str | None]:
        if urlsplit(url).scheme not in ("http", "https"):
            return None, f"unsupported notify_url scheme: {url}"
        request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310
        try:
            with self._opener.open(request, timeout=CALLBACK_TIMEOUT_SECONDS) as response:
                response.read()
                return int(response.status), None
        except urllib.error.HTTPError as exc:
            exc.close()
            return int(exc.code), None
        except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
            return None, f"{type(exc).__name__}: {exc}"
