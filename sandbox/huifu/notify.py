"""Huifu's notifies (异步通知): a form POST `resp_code, resp_desc, sign, resp_data`, delivered
when the merchant answers HTTP 200 with `RECV_ORD_ID_<req_seq_id>` within 5 s; otherwise sent
again, at most 3 times (huifurepo/dg-payment-skills `aggregation-async-webhook.md`). The gaps
between resends are not published: NOTIFY_DELAYS is the sandbox's choice. Due times are on the
sandbox clock (scaled by `time_scale`), so tests drive resends with a fake clock."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from urllib.parse import urlencode

from sandbox.common.resend import ResendScheduler, notify_opener, post_notify

NOTIFY_TIMEOUT_SECONDS = 5.0
MAX_RETRIES = 3
NOTIFY_DELAYS: tuple[float, ...] = (15.0, 60.0, 300.0)
_MAX_WAIT = 0.25


@dataclass(frozen=True)
class Notification:
    url: str
    form: dict[str, str]  # resp_code, resp_desc, sign, resp_data
    req_seq_id: str
    send: int = 1


@dataclass(frozen=True)
class NotifyAttempt:
    url: str
    form: dict[str, str]
    req_seq_id: str
    send: int
    at: float
    status: int | None
    answer: str
    delivered: bool


class NotifyDispatcher(ResendScheduler[Notification, NotifyAttempt]):
    def __init__(
        self, clock: Callable[[], float], delays: Sequence[float] = NOTIFY_DELAYS, time_scale: float = 1.0
    ) -> None:
        super().__init__(
            due_clock=clock,
            thread_name="huifu-notify",
            pool_prefix="huifu-notify",
            workers=4,
            max_wait=_MAX_WAIT,
        )
        self._clock = clock
        self._delays = tuple(delays)[:MAX_RETRIES]
        self._scale = time_scale
        self._opener = notify_opener(follow_redirects=True)

    def _send(self, n: Notification) -> NotifyAttempt:
        at = self._clock()
        status, answer = self._post(n.url, n.form)
        delivered = status == 200 and answer.strip() == "RECV_ORD_ID_" + n.req_seq_id
        return NotifyAttempt(n.url, n.form, n.req_seq_id, n.send, at, status, answer, delivered)

    def _resend(self, n: Notification, attempt: NotifyAttempt) -> tuple[float, Notification] | None:
        if attempt.delivered or n.send > len(self._delays):
            return None
        return attempt.at + self._delays[n.send - 1] * self._scale, replace(n, send=n.send + 1)

    def _post(self, url: str, form: dict[str, str]) -> tuple[int | None, str]:
        data = urlencode(form, encoding="utf-8").encode("ascii")
        headers = {"Content-Type": "application/x-www-form-urlencoded;charset=UTF-8"}
        answer = post_notify(
            self._opener, url, data, headers, timeout=NOTIFY_TIMEOUT_SECONDS, url_field="notify_url"
        )
        return answer.status, (answer.body or b"").decode("utf-8", "replace")
