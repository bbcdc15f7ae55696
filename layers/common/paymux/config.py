"""Settings read once from the environment; a missing variable is an error, never a silent default."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from paymux.errors import ConfigurationError


def _required(env: Mapping[str, str], name: str) -> str:
    value = env.get(name)
    if not value:
        raise ConfigurationError(f"environment variable {name} is required")
    return value


def _flag(env: Mapping[str, str], name: str) -> bool:
    value = env.get(name, "false").strip().lower()
    if value not in {"true", "false"}:
        raise ConfigurationError(f"environment variable {name} must be 'true' or 'false'")
    return value == "true"


@dataclass(frozen=True, slots=True)
class Settings:
    stage: str
    table: str
    notify_queue_url: str
    notify_dlq_url: str
    bucket: str
    secrets_prefix: str
    public_base_url: str
    allow_http_urls: bool

    @property
    def is_local(self) -> bool:
        return self.stage == "local"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        return cls(
            stage=_required(env, "PAYMUX_STAGE"),
            table=_required(env, "PAYMUX_TABLE"),
            notify_queue_url=_required(env, "PAYMUX_NOTIFY_QUEUE_URL"),
            notify_dlq_url=_required(env, "PAYMUX_NOTIFY_DLQ_URL"),
            bucket=_required(env, "PAYMUX_BUCKET"),
            secrets_prefix=_required(env, "PAYMUX_SECRETS_PREFIX"),
            public_base_url=env.get("PAYMUX_PUBLIC_BASE_URL", "").rstrip("/"),
            allow_http_urls=_flag(env, "PAYMUX_ALLOW_HTTP_URLS"),
        )
