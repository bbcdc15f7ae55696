"""Huifu's notifies (异步通知): a form POST `resp_code, resp_desc, sign, resp_data`, delivered
when the merchant answers HTTP 200 with `RECV_ORD_ID_<req_seq_id>` within 5 s; otherwise sent
again, at most 3 times (huifurepo/dg-payment-skills `aggregation-async-webhook.md`). The gaps
between resends are not published: NOTIFY_DELAYS is the sandbox's choice. Due times are on the
sandbox clock (scaled by `time_scale`), so tests drive resends with a fake clock."""

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
from urllib.parse import urlencode, urlsplit

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


class NotifyDispatcher:
    def __init__(
        self, clock: Callable[[], float], delays: Sequence[float] = NOTIFY_DELAYS, time_scale: float = 1.0
    ) -> None:
        self._clock = clock
        self._delays = tuple(delays)[:MAX_RETRIES]
        self._scale = time_scale
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        self._cond = threading.Condition()
        self._heap: list[tuple[float, int, Notification]] = []
        self._sequence = itertools.count()
        self._outstanding = 0
        self._log: list[NotifyAttempt] = []
        self._stopped = False
        self._thread: threading.Thread | None = None
        self._pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="huifu-notify")

    @property
    def log(self) -> list[NotifyAttempt]:
        with self._cond:
            return list(self._log)

    def pending(self) -> list[tuple[float, Notification]]:
        with self._cond:
            return sorted(((due, n) for due, _, n in self._heap), key=lambda p: p[0])

    def start(self) -> None:
        with self._cond:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="huifu-notify", daemon=True)
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

    def submit(self, notification: Notification) -> None:
        with self._cond:
            if self._stopped:
                return
            self._outstanding += 1
            heapq.heappush(self._heap, (self._clock(), next(self._sequence), notification))
            self._cond.notify_all()

    def wait_idle(self, timeout: float) -> bool:
        with self._cond:
            return self._cond.wait_for(lambda: self._outstanding == 0, timeout)

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._stopped and not (self._heap and self._heap[0][0] <= self._clock()):
                    wait = (
                        min(max(self._heap[0][0] - self._clock(), 0.005), _MAX_WAIT) if self._heap else None
                    )
                    self._cond.wait(wait)
                if self._stopped:
                    return
                _, _, notification = heapq.heappop(self._heap)
            try:
                self._pool.submit(self._attempt, notification)
            except RuntimeError:
                return

    def _attempt(self, n: Notification) -> None:
        at = self._clock()
        status, answer = self._post(n.url, n.form)
        delivered = status == 200 and answer.strip() == "RECV_ORD_ID_" + n.req_seq_id
        attempt = NotifyAttempt(n.url, n.form, n.req_seq_id, n.send, at, status, answer, delivered)
        with self._cond:
            self._log.append(attempt)
            if self._stopped:
                return
            if not delivered and n.send <= len(self._delays):
                due = at + self._delays[n.send - 1] * self._scale
                heapq.heappush(self._heap, (due, next(self._sequence), replace(n, send=n.send + 1)))
                self._cond.notify_all()
            else:
                self._outstanding -= 1
                self._cond.notify_all()

    def _post(self, url: str, form: dict[str, str]) -> tuple[int | None, str]:
        if urlsplit(url).scheme not in ("http", "https"):
            return None, ""
        data = urlencode(form, encoding="utf-8").encode("ascii")
        headers = {"Content-Type": "application/x-www-form-urlencoded;charset=UTF-8"}
        request = urllib.request.Request(url, data=data, headers=headers, method="POST")  # noqa: S310
        try:
            with self._opener.open(request, timeout=NOTIFY_TIMEOUT_SECONDS) as response:
                return int(response.status), response.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as exc:
            body = exc.read().decode("utf-8", "replace")
            exc.close()
            return int(exc.code), body
        except (urllib.error.URLError, OSError, http.client.HTTPException):
            return None, ""
