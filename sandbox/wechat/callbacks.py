"""Callback delivery with WeChat's retry schedule, on a scheduler thread.

A delivery succeeds on HTTP 200 or 204, whatever the body says. Otherwise it is retried after
``retry_delays[n] * time_scale`` seconds, at most 15 times (WeChat's schedule spans about
24 h; a shorter ``retry_delays`` means fewer retries). Every retry carries the same body
(same event id) with fresh signature headers. Waiting uses the monotonic clock; the injected
sandbox clock only stamps headers.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from sandbox.common.resend import ResendScheduler, notify_opener, post_notify
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


class CallbackDispatcher(ResendScheduler[Notification, CallbackAttempt]):
    def __init__(
        self,
        signer: ResponseSigner,
        clock: Callable[[], float],
        retry_delays: Sequence[float] = WECHAT_RETRY_DELAYS,
        time_scale: float = 1.0,
    ) -> None:
        super().__init__(
            due_clock=time.monotonic,
            thread_name="wechat-callback-scheduler",
            pool_prefix="wechat-callback",
            workers=8,
        )
        self._signer = signer
        self._clock = clock
        self._delays = tuple(retry_delays)[:MAX_RETRIES]
        self._scale = time_scale
        # WeChat does not follow redirects: a 3xx is a failed delivery
        self._opener = notify_opener(follow_redirects=False)

    def deliver_once(self, notification: Notification) -> CallbackAttempt:
        """Send now on the caller's thread, without retries (used for sign-test probes)."""
        attempt = self._send(notification)
        self._record(attempt)
        return attempt

    def _resend(
        self, notification: Notification, attempt: CallbackAttempt
    ) -> tuple[float, Notification] | None:
        retry = not (attempt.delivered or notification.probe)
        if not retry or notification.attempt >= len(self._delays):
            return None
        due = time.monotonic() + self._delays[notification.attempt] * self._scale
        return due, replace(notification, attempt=notification.attempt + 1)

    def _send(self, notification: Notification) -> CallbackAttempt:
        if notification.probe:
            headers = self._signer.probe_headers(notification.key)
        else:
            headers = self._signer.headers(notification.body, notification.key)
        headers |= {"Content-Type": "application/json", "User-Agent": "Mozilla/4.0"}
        sent_at = self._clock()
        answer = post_notify(
            self._opener,
            notification.url,
            notification.body,
            headers,
            timeout=CALLBACK_TIMEOUT_SECONDS,
            url_field="notify_url",
        )
        return CallbackAttempt(
            event_id=notification.event_id,
            event_type=notification.event_type,
            url=notification.url,
            attempt=notification.attempt,
            status=answer.status,
            time=sent_at,
            delivered=answer.status in DELIVERED_STATUSES,
            probe=notification.probe,
            error=answer.error,
        )
