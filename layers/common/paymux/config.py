"""Settings read once from the environment; a missing variable is an error, never a silent default."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from paymux.errors import ConfigurationError

# template.yaml's StatsShards default (tests/unit/test_config.py holds them equal).
STATS_SHARDS = 4
CALLBACK_BASE_SOURCES = ("PAYMUX_PUBLIC_BASE_URL", "PAYMUX_API_DOMAIN", "PAYMUX_API_DOMAIN_PARAMETER")


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


def _positive(env: Mapping[str, str], name: str, absent: int) -> int:
    value = env.get(name, "").strip()
    if not value:
        return absent
    if not value.isdigit() or int(value) < 1:
        raise ConfigurationError(f"environment variable {name} must be a positive integer")
    return int(value)


def checked_base_url(url: str, source: str, allow_http: bool) -> str:
    """An absolute https URL (http only where http URLs are allowed: the local stack), with no
    credentials, query or fragment; returned without a trailing slash."""
    parts = urlsplit(url.strip())
    schemes = ("https", "http") if allow_http else ("https",)
    if parts.scheme not in schemes or not parts.hostname:
        raise ConfigurationError(f"{source} must be an absolute {' or '.join(schemes)} URL, not {url!r}")
    if parts.username or parts.password or parts.query or parts.fragment:
        raise ConfigurationError(f"{source} must not carry credentials, a query or a fragment")
    try:
        parts.port  # noqa: B018 - raises on a port that is not a number
    except ValueError as exc:
        raise ConfigurationError(f"{source} has an invalid port: {url!r}") from exc
    return parts.geturl().rstrip("/")


def base_url_for_domain(domain: str, source: str, stage: str, allow_http: bool) -> str:
    """The API's own domain (host[:port]) as a callback base: https, except the local stack's
    API, which serves plain http."""
    domain = domain.strip()
    if not domain or "/" in domain or "@" in domain or any(c.isspace() for c in domain):
        raise ConfigurationError(f"{source} must be a host name (with an optional port), not {domain!r}")
    scheme = "http" if stage == "local" else "https"
    return checked_base_url(f"{scheme}://{domain}", source, allow_http)


@dataclass(frozen=True, slots=True)
class Settings:
    stage: str
    table: str
    notify_queue_url: str
    notify_dlq_url: str
    bucket: str
    secrets_prefix: str
    # Base of the callback URLs given to channels. Empty only when api_domain_parameter names
    # the SSM parameter holding the API's domain (an API request uses its own domain instead,
    # services.payments.callback_url; others read it once per container, see Deps).
    public_base_url: str
    allow_http_urls: bool
    api_domain_parameter: str = ""
    # The sweep queue (planner → workers, and ladder steps); needed by the functions that send
    # to it, which raise ConfigurationError without it (paymux.store.sweep_queue).
    sweep_queue_url: str = ""
    # How many sweep workers may run at once (the worker event source's MaximumConcurrency):
    # each takes this share of every channel account's query limits.
    sweep_workers: int = 1
    # The stats buckets' shards per partition (the StatsShards parameter, store.buckets): the
    # stream writes into them, every reader sums them. Its default is the template's.
    stats_shards: int = STATS_SHARDS

    @property
    def is_local(self) -> bool:
        return self.stage == "local"

    def base_url_for_domain(self, domain: str, source: str) -> str:
        return base_url_for_domain(domain, source, self.stage, self.allow_http_urls)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        stage = _required(env, "PAYMUX_STAGE")
        allow_http = _flag(env, "PAYMUX_ALLOW_HTTP_URLS")
        parameter = env.get("PAYMUX_API_DOMAIN_PARAMETER", "").strip()
        base = _callback_base(env, stage, allow_http)
        if not base and not parameter:
            raise ConfigurationError(
                "no base for channel callback URLs: set one of " + ", ".join(CALLBACK_BASE_SOURCES)
            )
        return cls(
            stage=stage,
            table=_required(env, "PAYMUX_TABLE"),
            notify_queue_url=_required(env, "PAYMUX_NOTIFY_QUEUE_URL"),
            notify_dlq_url=_required(env, "PAYMUX_NOTIFY_DLQ_URL"),
            bucket=_required(env, "PAYMUX_BUCKET"),
            secrets_prefix=_required(env, "PAYMUX_SECRETS_PREFIX"),
            public_base_url=base,
            allow_http_urls=allow_http,
            api_domain_parameter=parameter,
            sweep_queue_url=env.get("PAYMUX_SWEEP_QUEUE_URL", "").strip(),
            sweep_workers=_positive(env, "PAYMUX_SWEEP_WORKERS", 1),
            stats_shards=_positive(env, "PAYMUX_STATS_SHARDS", STATS_SHARDS),
        )


def _callback_base(env: Mapping[str, str], stage: str, allow_http: bool) -> str:
    """PAYMUX_PUBLIC_BASE_URL (the PublicBaseUrl parameter) when given, else the API's own
    domain when the environment names it; "" leaves it to PAYMUX_API_DOMAIN_PARAMETER."""
    given = env.get("PAYMUX_PUBLIC_BASE_URL", "").strip()
    if given:
        return checked_base_url(given, "PAYMUX_PUBLIC_BASE_URL", allow_http)
    domain = env.get("PAYMUX_API_DOMAIN", "").strip()
    if domain:
        return base_url_for_domain(domain, "PAYMUX_API_DOMAIN", stage, allow_http)
    return ""
