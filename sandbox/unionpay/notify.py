"""Back notifies (后台通知) with UnionPay's resend schedule, on a scheduler thread.

A notify is a form POST (``application/x-www-form-urlencoded; charset=UTF-8``) to the
request's ``backUrl``, signed once when the transaction ended. It is delivered when the
merchant answers HTTP 200 (or 302, which the official demo also names) within 10 s; otherwise
UnionPay sends it again: 5 sends in all, the resends 1, 2, 4 and 5 minutes apart (the official
demo's "总共发送5次，银联后续间隔1、2、4、5分钟后会再次通知"; its older text reads "每次的间隔时间为
0,1,2,4分钟"). Failed transactions get no notify at all.

Due times are on the sandbox clock (``due = sent_at + delay * time_scale``), so a test can
drive resends with a fake clock; while something is pending the thread looks at the clock at
least every quarter second.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from urllib.parse import urlencode

from sandbox.common.resend import ResendScheduler, notify_opener, post_notify

NOTIFY_TIMEOUT_SECONDS = 10.0
MAX_SENDS = 5
UNIONPAY_NOTIFY_DELAYS: tuple[float, ...] = (60, 120, 240, 300)
OLDER_DEMO_NOTIFY_DELAYS: tuple[float, ...] = (0, 60, 120, 240)  # "间隔时间为0,1,2,4分钟"
DELIVERED_STATUSES = frozenset({200, 302})
_MAX_WAIT_SECONDS = 0.25


@dataclass(frozen=True)
class Notification:
    url: str
    form: dict[str, str]  # signed
    send: int = 1  # 1 = the first send, 5 = the last resend


@dataclass(frozen=True)
class NotifyAttempt:
    """One POST of one notify, as the merchant saw it."""

    url: str
    form: dict[str, str]
    send: int
    at: float  # the sandbox clock when sent
    status: int | None  # None when no HTTP answer came back
    delivered: bool
    error: str | None = None

    @property
    def order_id(self) -> str:
        return self.form.get("orderId", "")


class NotifyDispatcher(ResendScheduler[Notification, NotifyAttempt]):
    def __init__(
        self,
        clock: Callable[[], float],
        retry_delays: Sequence[float] = UNIONPAY_NOTIFY_DELAYS,
        time_scale: float = 1.0,
    ) -> None:
        super().__init__(
            due_clock=clock,
            thread_name="unionpay-notify",
            pool_prefix="unionpay-notify",
            workers=8,
            max_wait=_MAX_WAIT_SECONDS,
        )
        self._clock = clock
        self._delays = tuple(retry_delays)[: MAX_SENDS - 1]
        self._scale = time_scale
        # a 302 is an answer (a delivered notify), not something to follow
        self._opener = notify_opener(follow_redirects=False)

    def _send(self, notification: Notification) -> NotifyAttempt:
        sent_at = self._clock()
        status, error = self._post(notification.url, notification.form)
        return NotifyAttempt(
            notification.url,
            notification.form,
            notification.send,
            sent_at,
            status,
            status in DELIVERED_STATUSES,
            error,
        )

    def _resend(
        self, notification: Notification, attempt: NotifyAttempt
    ) -> tuple[float, Notification] | None:
        if attempt.delivered or notification.send > len(self._delays):
            return None
        due = attempt.at + self._delays[notification.send - 1] * self._scale
        return due, replace(notification, send=notification.send + 1)

    def _post(self, url: str, form: dict[str, str]) -> tuple[int | None, str | None]:
        data = urlencode(form, encoding="utf-8").encode("ascii")
        headers = {"Content-Type": "application/x-www-form-urlencoded; charset=UTF-8"}
        answer = post_notify(
            self._opener, url, data, headers, timeout=NOTIFY_TIMEOUT_SECONDS, url_field="backUrl"
        )
        return answer.status, answer.error
