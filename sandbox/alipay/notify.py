"""Asynchronous notifications (异步通知) with Alipay's resend schedule, on a scheduler thread.

A notification is a form POSTed as ``application/x-www-form-urlencoded; charset=<charset>``.
It is delivered when the merchant answers HTTP 2xx with a body that, stripped of surrounding
whitespace, is exactly ``success``; anything else (``fail``, ``SUCCESS``, a non-2xx status, a
redirect — not followed —, a connection error, no answer within 5 s) makes Alipay send it
again after ``retry_delays[n] * time_scale`` seconds: at most 8 notifications in all
(4m, 10m, 10m, 1h, 2h, 6h, 15h). Every resend carries the same ``notify_id`` and fields, with
a fresh ``notify_time`` and signature. Waiting uses the monotonic clock; the injected sandbox
clock only stamps ``notify_time``.
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
from urllib.parse import urlencode, urlsplit

from cryptography.hazmat.primitives.asymmetric import rsa

from sandbox.alipay.crypto import NOTIFY_EXCLUDED, rsa2_sign, sign_content
from sandbox.alipay.times import alipay_time

NOTIFY_TIMEOUT_SECONDS = 5.0
MAX_NOTIFICATIONS = 8
ALIPAY_NOTIFY_DELAYS: tuple[float, ...] = (240, 600, 600, 3600, 7200, 21600, 54000)
_MAX_ANSWER_BYTES = 64 * 1024


@dataclass(frozen=True)
class Notification:
    notify_id: str
    url: str
    fields: dict[str, str]  # everything but notify_time, sign (added per attempt)
    charset: str
    attempt: int = 1  # 1 = the first notification, 8 = the last resend
    stamp: str = "notify_time"  # or utc_timestamp (epoch ms): message-service messages


@dataclass(frozen=True)
class NotifyAttempt:
    """One POST of one notification, as the merchant saw it."""

    url: str
    form: dict[str, str]  # the fields sent, sign included
    status: int | None  # None when no HTTP answer came back
    body: str | None  # the merchant's answer (decoded leniently), None without an answer
    at: float  # the sandbox clock when sent
    attempt: int  # 1-based
    notify_id: str
    delivered: bool
    error: str | None = None

    @property
    def trade_status(self) -> str | None:
        return self.form.get("trade_status")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A 3xx answer is a failed notification, not something to follow."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def delivered(status: int | None, body: str | None) -> bool:
    return status is not None and 200 <= status < 300 and (body or "").strip() == "success"


class NotifyDispatcher:
    def __init__(
        self,
        alipay_key: rsa.RSAPrivateKey,
        clock: Callable[[], float],
        retry_delays: Sequence[float] = ALIPAY_NOTIFY_DELAYS,
        time_scale: float = 1.0,
    ) -> None:
        self._key = alipay_key
        self._clock = clock
        self._delays = tuple(retry_delays)[: MAX_NOTIFICATIONS - 1]
        self._scale = time_scale
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirect())
        self._cond = threading.Condition()
        self._heap: list[tuple[float, int, Notification]] = []
        self._sequence = itertools.count()
        self._outstanding = 0  # notifications scheduled or in flight
        self._log: list[NotifyAttempt] = []
        self._stopped = False
        self._thread: threading.Thread | None = None
        self._pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix="alipay-notify")

    @property
    def log(self) -> list[NotifyAttempt]:
        with self._cond:
            return list(self._log)

    def start(self) -> None:
        with self._cond:
            if self._thread is not None:
                return
            self._thread = threading.Thread(target=self._run, name="alipay-notify-scheduler", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        """Cancel pending resends; a notification already on the wire finishes on its own."""
        with self._cond:
            self._stopped = True
            self._outstanding = 0
            self._heap.clear()
            self._cond.notify_all()
            thread = self._thread
        if thread is not None:
            thread.join(timeout=5)
        self._pool.shutdown(wait=False, cancel_futures=True)

    def submit(self, notification: Notification) -> None:
        """Queue a first notification; returns at once (safe to call under other locks)."""
        with self._cond:
            if self._stopped:
                return
            self._outstanding += 1
            self._schedule(notification, 0.0)

    def wait_idle(self, timeout: float) -> bool:
        with self._cond:
            return self._cond.wait_for(lambda: self._outstanding == 0, timeout)

    def signed_form(self, notification: Notification) -> dict[str, str]:
        form = dict(notification.fields)
        now = self._clock()
        form[notification.stamp] = (
            str(int(now * 1000)) if notification.stamp == "utc_timestamp" else alipay_time(now)
        )
        content = sign_content(form, NOTIFY_EXCLUDED)
        form["sign"] = rsa2_sign(self._key, content.encode(notification.charset, errors="replace"))
        return form

    def _schedule(self, notification: Notification, delay: float) -> None:
        heapq.heappush(self._heap, (time.monotonic() + delay, next(self._sequence), notification))
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
            if self._stopped:
                return
            if not attempt.delivered and notification.attempt <= len(self._delays):
                delay = self._delays[notification.attempt - 1] * self._scale
                self._schedule(replace(notification, attempt=notification.attempt + 1), delay)
            else:
                self._outstanding -= 1
                self._cond.notify_all()

    def _send(self, notification: Notification) -> NotifyAttempt:
        form = self.signed_form(notification)
        sent_at = self._clock()
        status, body, error = self._post(notification.url, form, notification.charset)
        return NotifyAttempt(
            url=notification.url,
            form=form,
            status=status,
            body=body,
            at=sent_at,
            attempt=notification.attempt,
            notify_id=notification.notify_id,
            delivered=delivered(status, body),
            error=error,
        )

    def _post(
        self, url: str, form: dict[str, str], charset: str
    ) -> tuple[int | None, str | None, str | None]:
        if urlsplit(url).scheme not in ("http", "https"):
            return None, None, f"unsupported notify_url scheme: {url}"
        data = urlencode(form, encoding=charset, errors="replace").encode("ascii")
        headers = {
            "Content-Type": f"application/x-www-form-urlencoded; charset={charset}",
            "User-Agent": "Mozilla/4.0",
        }
        request = urllib.request.Request(url, data=data, headers=headers, method="POST")  # noqa: S310
        try:
            with self._opener.open(request, timeout=NOTIFY_TIMEOUT_SECONDS) as response:
                answer = response.read(_MAX_ANSWER_BYTES)
                return int(response.status), answer.decode("utf-8", errors="replace"), None
        except urllib.error.HTTPError as exc:
            answer = exc.read(_MAX_ANSWER_BYTES) if exc.fp is not None else b""
            exc.close()
            return int(exc.code), answer.decode("utf-8", errors="replace"), None
        except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
            return None, None, f"{type(exc).__name__}: {exc}"
