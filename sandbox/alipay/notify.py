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

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from urllib.parse import urlencode

from cryptography.hazmat.primitives.asymmetric import rsa

from sandbox.alipay.crypto import NOTIFY_EXCLUDED, rsa2_sign, sign_content
from sandbox.alipay.times import alipay_time
from sandbox.common.resend import ResendScheduler, notify_opener, post_notify

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


def delivered(status: int | None, body: str | None) -> bool:
    return status is not None and 200 <= status < 300 and (body or "").strip() == "success"


class NotifyDispatcher(ResendScheduler[Notification, NotifyAttempt]):
    def __init__(
        self,
        alipay_key: rsa.RSAPrivateKey,
        clock: Callable[[], float],
        retry_delays: Sequence[float] = ALIPAY_NOTIFY_DELAYS,
        time_scale: float = 1.0,
    ) -> None:
        super().__init__(
            due_clock=time.monotonic,
            thread_name="alipay-notify-scheduler",
            pool_prefix="alipay-notify",
            workers=8,
        )
        self._key = alipay_key
        self._clock = clock
        self._delays = tuple(retry_delays)[: MAX_NOTIFICATIONS - 1]
        self._scale = time_scale
        # a 3xx answer is a failed notification, not something to follow
        self._opener = notify_opener(follow_redirects=False)

    def signed_form(self, notification: Notification) -> dict[str, str]:
        form = dict(notification.fields)
        now = self._clock()
        form[notification.stamp] = (
            str(int(now * 1000)) if notification.stamp == "utc_timestamp" else alipay_time(now)
        )
        content = sign_content(form, NOTIFY_EXCLUDED)
        form["sign"] = rsa2_sign(self._key, content.encode(notification.charset, errors="replace"))
        return form

    def _resend(
        self, notification: Notification, attempt: NotifyAttempt
    ) -> tuple[float, Notification] | None:
        if attempt.delivered or notification.attempt > len(self._delays):
            return None
        due = time.monotonic() + self._delays[notification.attempt - 1] * self._scale
        return due, replace(notification, attempt=notification.attempt + 1)

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
        data = urlencode(form, encoding=charset, errors="replace").encode("ascii")
        headers = {
            "Content-Type": f"application/x-www-form-urlencoded; charset={charset}",
            "User-Agent": "Mozilla/4.0",
        }
        answer = post_notify(
            self._opener,
            url,
            data,
            headers,
            timeout=NOTIFY_TIMEOUT_SECONDS,
            url_field="notify_url",
            max_bytes=_MAX_ANSWER_BYTES,
        )
        body = None if answer.body is None else answer.body.decode("utf-8", errors="replace")
        return answer.status, body, answer.error
