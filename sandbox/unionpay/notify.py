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

import heapq
import http.client
import itertools
import threading
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlencode, urlsplit

NOTIFY_TIMEOUT_SECONDS = 10.0
MAX_SENDS = 5
UNIONPAY_NOTIFY_DELAYS: tuple[float, ...] = (60, 120, 240, 300)
OLDER_DEMO_NOTIFY_DELAYS: tuple[float, ...] = (0, 60, 120, 240)  # "间隔时间为0,1,2,4分钟"
DELIVERED_STATUSES = frozenset({200, 302})
_MIN_WAIT_SECONDS = 0.005
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


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A 302 is an answer (a delivered notify), not something to follow."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


class NotifyDispatcher:
    def __init__(
        self,
        clock: Callable[[], float],
        retry_delays: Sequence[float] = UNIONPAY_NOTIFY_DELAYS,
        time_scale: float = 1.0,
    ) -> None:
        self._clock = clock
        self._delays = tuple(retry_delays)[: MAX_SENDS - 1]
        self._scale = time_scale
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirect())
        self._cond = threading.Condition()
        self._heap: list[tuple[float, int, Notification]] = []
        self._sequence = itertools.count()
        self._outstanding = 0
        self._log: list[NotifyAttempt] = []
        self._stopped = False
        self._thread: threading.Thread | None = None
        self._pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix="unionpay-notify")

    @property
    def log(self) -> list[NotifyAttempt]:
        with self._cond:
            return list(self._log)

    def pending(self) -> list[tuple[float, Notification]]:
        """(due time on the sandbox clock, notify) of every resend not yet sent."""
        with self._cond:
            return sorted(((due, notification) for due, _, notification in self._heap), key=lambda p: p[0])

    def start(self) -> None:
        with self._cond:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="unionpay-notify", daemon=True)
                self._thread.start()

    def stop(self) -> None:
        with self._cond:
            self._stopped = True
            self._outstanding = 0
            self._heap.clear()
            self._cond.notify_all()
            thread = self._thread
        if thread is not None:
            thread.join(timeout=5)
        self._pool.shutdown(wait=False, cancel_futures=True)

    def submit(self, url: str, form: dict[str, str]) -> None:
        with self._cond:
            if self._stopped:
                return
            self._outstanding += 1
            self._push(self._clock(), Notification(url, form))

    def wait_idle(self, timeout: float) -> bool:
        with self._cond:
            return self._cond.wait_for(lambda: self._outstanding == 0, timeout)

    def _push(self, due: float, notification: Notification) -> None:
        heapq.heappush(self._heap, (due, next(self._sequence), notification))
        self._cond.notify_all()

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._stopped and not (self._heap and self._heap[0][0] <= self._clock()):
                    self._cond.wait(self._wait_seconds())
                if self._stopped:
                    return
                _, _, notification = heapq.heappop(self._heap)
            try:
                self._pool.submit(self._attempt, notification)
            except RuntimeError:  # the pool was shut down by stop()
                return

    def _wait_seconds(self) -> float | None:
        """How long to sleep before looking at the clock again: until the next due time, but
        at least a few ms and at most a quarter second (a fake clock may jump meanwhile)."""
        if not self._heap:
            return None
        return min(max(self._heap[0][0] - self._clock(), _MIN_WAIT_SECONDS), _MAX_WAIT_SECONDS)

    def _attempt(self, notification: Notification) -> None:
        sent_at = self._clock()
        status, error = self._post(notification.url, notification.form)
        attempt = NotifyAttempt(
            notification.url,
            notification.form,
            notification.send,
            sent_at,
            status,
            status in DELIVERED_STATUSES,
            error,
        )
        with self._cond:
            self._log.append(attempt)
            if self._stopped:
                return
            if not attempt.delivered and notification.send <= len(self._delays):
                due = sent_at + self._delays[notification.send - 1] * self._scale
                self._push(due, replace(notification, send=notification.send + 1))
            else:
                self._outstanding -= 1
                self._cond.notify_all()

    def _post(self, url: str, form: dict[str, str]) -> tuple[int | None, str | None]:
        if urlsplit(url).scheme not in ("http", "https"):
            return None, f"unsupported backUrl scheme: {url}"
        data = urlencode(form, encoding="utf-8").encode("ascii")
        headers = {"Content-Type": "application/x-www-form-urlencoded; charset=UTF-8"}
        request = urllib.request.Request(url, data=data, headers=headers, method="POST")  # noqa: S310
        try:
            with self._opener.open(request, timeout=NOTIFY_TIMEOUT_SECONDS) as response:
                response.read()
                return int(response.status), None
        except urllib.error.HTTPError as exc:
            exc.close()
            return int(exc.code), None
        except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
            return None, f"{type(exc).__name__}: {exc}"
