"""Sending a notify again on a schedule: the machinery every provider sandbox's notify
dispatcher shares, none of the wire.

A scheduler thread pops what is due off a heap and hands it to a small pool, so one slow
merchant does not hold back the others. A subclass says how one send goes (`_send`: its
content type, signature, answer rule) and whether and when the next one goes (`_resend`:
its schedule, and which clock the due times are on). ``_outstanding`` counts notifies
scheduled or in flight, so `wait_idle` knows when the last one settled; `stop` cancels
what is pending, and a send already on the wire finishes on its own.
"""

from __future__ import annotations

import heapq
import http.client
import itertools
import threading
import urllib.error
import urllib.request
from abc import ABC, abstractmethod
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, NamedTuple
from urllib.parse import urlsplit

_MIN_WAIT_SECONDS = 0.005


class Answer(NamedTuple):
    status: int | None  # None when no HTTP answer came back
    body: bytes | None  # None without an answer
    error: str | None  # why there was no answer


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A 3xx is an answer to judge (most providers count it a failed send), not a place to go."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def notify_opener(*, follow_redirects: bool) -> urllib.request.OpenerDirector:
    """An opener that ignores proxy settings: the merchant's notify URL is local in the sandbox."""
    if follow_redirects:
        return urllib.request.build_opener(urllib.request.ProxyHandler({}))
    return urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirect())


def post_notify(
    opener: urllib.request.OpenerDirector,
    url: str,
    data: bytes,
    headers: dict[str, str],
    *,
    timeout: float,
    url_field: str,
    max_bytes: int | None = None,
) -> Answer:
    """One POST; every failure is an Answer, never an exception (the merchant is at fault).
    ``url_field`` names the request field the URL came from, for the error text."""
    if urlsplit(url).scheme not in ("http", "https"):
        return Answer(None, None, f"unsupported {url_field} scheme: {url}")
    request = urllib.request.Request(url, data=data, headers=headers, method="POST")  # noqa: S310
    try:
        with opener.open(request, timeout=timeout) as response:
            return Answer(int(response.status), response.read(max_bytes), None)
    except urllib.error.HTTPError as exc:
        body = (exc.read() if max_bytes is None else exc.read(max_bytes)) if exc.fp is not None else b""
        exc.close()
        return Answer(int(exc.code), body, None)
    except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
        return Answer(None, None, f"{type(exc).__name__}: {exc}")


class ResendScheduler[N, A](ABC):
    """N: one notify to send, with its send number; A: the record of one send."""

    def __init__(
        self,
        *,
        due_clock: Callable[[], float],
        thread_name: str,
        pool_prefix: str,
        workers: int,
        max_wait: float | None = None,
    ) -> None:
        """``due_clock`` is the clock due times are on. With a clock that may jump (the
        sandbox clock, faked in tests) give ``max_wait``: the thread then looks at it at least
        that often while something is pending."""
        self._due_clock = due_clock
        self._max_wait = max_wait
        self._thread_name = thread_name
        self._cond = threading.Condition()
        self._heap: list[tuple[float, int, N]] = []
        self._sequence = itertools.count()
        self._outstanding = 0  # notifies scheduled or in flight
        self._log: list[A] = []
        self._stopped = False
        self._thread: threading.Thread | None = None
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix=pool_prefix)

    @abstractmethod
    def _send(self, notification: N) -> A:
        """Send once, on a pool thread; never raises for what the merchant answers."""

    @abstractmethod
    def _resend(self, notification: N, attempt: A) -> tuple[float, N] | None:
        """(due time on ``due_clock``, the next send) when it goes again; None when settled.
        Called under the lock."""

    @property
    def log(self) -> list[A]:
        with self._cond:
            return list(self._log)

    def pending(self) -> list[tuple[float, N]]:
        """(due time on ``due_clock``, notify) of every send not yet made, soonest first."""
        with self._cond:
            return sorted(((due, notification) for due, _, notification in self._heap), key=lambda p: p[0])

    def start(self) -> None:
        with self._cond:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name=self._thread_name, daemon=True)
                self._thread.start()

    def stop(self) -> None:
        """Cancel pending resends; a notify already on the wire finishes on its own."""
        with self._cond:
            self._stopped = True
            self._outstanding = 0  # nothing more will be sent
            self._heap.clear()
            self._cond.notify_all()
            thread = self._thread
        if thread is not None:
            thread.join(timeout=5)
        self._pool.shutdown(wait=False, cancel_futures=True)

    def submit(self, notification: N) -> None:
        """Queue a first send, due now; returns at once (safe to call under other locks)."""
        with self._cond:
            if self._stopped:
                return
            self._outstanding += 1
            self._push(self._due_clock(), notification)

    def wait_idle(self, timeout: float) -> bool:
        """Block until nothing is scheduled or in flight; False if ``timeout`` ran out first."""
        with self._cond:
            return self._cond.wait_for(lambda: self._outstanding == 0, timeout)

    def _record(self, attempt: A) -> None:
        with self._cond:
            self._log.append(attempt)

    def _push(self, due: float, notification: N) -> None:
        heapq.heappush(self._heap, (due, next(self._sequence), notification))
        self._cond.notify_all()

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._stopped and not (self._heap and self._heap[0][0] <= self._due_clock()):
                    self._cond.wait(self._wait_seconds())
                if self._stopped:
                    return
                _, _, notification = heapq.heappop(self._heap)
            try:
                self._pool.submit(self._attempt, notification)
            except RuntimeError:  # the pool was shut down by stop()
                return

    def _wait_seconds(self) -> float | None:
        """Until the next due time; with ``max_wait``, at least a few ms and at most that."""
        if not self._heap:
            return None
        wait = self._heap[0][0] - self._due_clock()
        if self._max_wait is None:
            return wait
        return min(max(wait, _MIN_WAIT_SECONDS), self._max_wait)

    def _attempt(self, notification: N) -> None:
        attempt = self._send(notification)
        with self._cond:
            self._log.append(attempt)
            if self._stopped:  # stop() already settled the books
                return
            again = self._resend(notification, attempt)
            if again is not None:
                self._push(*again)
            else:
                self._outstanding -= 1
                self._cond.notify_all()
