"""A per-container cache with expiry, so configuration changes reach warm containers quickly."""

from __future__ import annotations

from collections.abc import Callable

from paymux.clock import Clock


class TTLCache[V]:
    def __init__(self, seconds: float, clock: Clock) -> None:
        self._seconds = seconds
        self._clock = clock
        self._entries: dict[str, tuple[float, V]] = {}

    def get(self, key: str, load: Callable[[], V]) -> V:
        now = self._clock()
        hit = self._entries.get(key)
        if hit is not None and hit[0] > now:
            return hit[1]
        value = load()
        self._entries[key] = (now + self._seconds, value)
        return value

    def clear(self) -> None:
        self._entries.clear()
