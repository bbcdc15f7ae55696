"""What every provider sandbox's lifecycle looks like from outside: a context manager that
starts and stops it, and the base URL it serves on. Each sandbox keeps its own start and stop
(what else runs beside its HTTP server: notify resends, order expiry)."""

from __future__ import annotations

from typing import Self

from sandbox.common.http import ServingThread


class ServedSandbox:
    _http: ServingThread

    def start(self) -> None:
        raise NotImplementedError  # the sandbox's

    def stop(self) -> None:
        raise NotImplementedError  # the sandbox's

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        return self._http.base_url
