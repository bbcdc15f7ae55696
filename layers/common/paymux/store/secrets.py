"""Secret strings from Secrets Manager through powertools parameters' SecretsProvider, kept
`max_age` seconds per container, so a rotated key or credential takes effect within that time
without a call per request. The cache runs on the injected clock (tests move it instead of
sleeping; powertools' own expiry reads the wall clock).

powertools' parameters package (its __init__ imports every provider: AppConfig, DynamoDB, SSM,
Secrets Manager) is imported on the first secret read, not at import: functions that never read
a secret (api_docs, unrouted, most admin reads) do not pay for it at all."""

from __future__ import annotations

from functools import cache
from typing import Any

from paymux.clock import Clock

MISSING = ""  # what a secret that does not exist reads as (cached like any value)


@cache
def _provider_class() -> Any:
    from datetime import datetime, timedelta  # noqa: PLC0415

    from aws_lambda_powertools.utilities.parameters.base import ExpirableValue  # noqa: PLC0415
    from aws_lambda_powertools.utilities.parameters.secrets import SecretsProvider  # noqa: PLC0415

    class ClockedSecretsProvider(SecretsProvider):
        """SecretsProvider with the boto3 client from Deps, expiring on `clock`; a secret that
        does not exist reads as MISSING instead of an error."""

        def __init__(self, client: Any, clock: Clock) -> None:
            super().__init__(boto3_client=client)
            self._clock = clock

        def _now(self) -> datetime:
            return datetime.fromtimestamp(self._clock())

        def has_not_expired_in_cache(self, key: tuple[Any, ...]) -> bool:
            return key in self.store and bool(self.store[key].ttl >= self._now())

        def add_to_cache(self, key: tuple[Any, ...], value: Any, max_age: int) -> None:
            if max_age > 0:
                self.store[key] = ExpirableValue(value, self._now() + timedelta(seconds=max_age))

        def _get(self, name: str, **sdk_options: Any) -> str | bytes:
            try:
                value: str | bytes = super()._get(name, **sdk_options)
            except self.client.exceptions.ResourceNotFoundException:
                return MISSING
            return value

    return ClockedSecretsProvider


class SecretCache:
    """Secret strings by name, each re-read at most every `max_age` seconds; `clear()` makes
    this container re-read them at once (after its own write)."""

    def __init__(self, client: Any, clock: Clock, max_age: float) -> None:
        self._client = client
        self._clock = clock
        self._max_age = int(max_age)
        self._provider: Any = None

    @property
    def provider(self) -> Any:
        if self._provider is None:
            self._provider = _provider_class()(self._client, self._clock)
        return self._provider

    def get(self, name: str) -> str:
        value = self.provider.get(name, max_age=self._max_age)
        return value.decode() if isinstance(value, bytes) else str(value or MISSING)

    def clear(self) -> None:
        if self._provider is not None:
            self._provider.store.clear()
