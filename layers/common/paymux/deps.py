"""Everything a handler needs, built on first use and cached for the container.

No AWS client is created at import time: boto3 is imported and clients built when a handler
first needs them. Each store's module is imported when the store is first used, so a function
loads only the stores it uses (an operator's read of an account needs no payment, refund or
notification store; a store module's dataclasses are most of its import time). Tests and the
local stack replace the whole container with `set_deps`."""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property
from typing import TYPE_CHECKING, Any

from paymux.clock import Clock, system_clock
from paymux.config import Settings
from paymux.errors import ConfigurationError

if TYPE_CHECKING:
    from paymux.channels.base import Channel, ChannelAccount, SubMerchant
    from paymux.channels.http import HttpClient
    from paymux.store.bindings import BindingStore
    from paymux.store.channels import ChannelConfigStore
    from paymux.store.merchants import MerchantStore
    from paymux.store.nonces import NonceStore
    from paymux.store.notifications import NotificationStore
    from paymux.store.payments import PaymentStore
    from paymux.store.refunds import RefundStore


class LazyClient:
    """Stands for a client of Deps and builds it on its first use. The stores that can read a
    secret (merchants, channel accounts, bindings) hold Secrets Manager so: an invocation that
    reads no secret (an admin read, the sweep planner) builds no Secrets Manager client."""

    __slots__ = ("_build",)

    def __init__(self, build: Callable[[], Any]) -> None:
        self._build = build

    def __getattr__(self, name: str) -> Any:
        return getattr(self._build(), name)


class Deps:
    def __init__(
        self,
        settings: Settings | None = None,
        clock: Clock = system_clock,
        http: HttpClient | None = None,
        merchant_http: HttpClient | None = None,
    ) -> None:
        self._settings = settings
        self.clock = clock
        self._http = http
        self._merchant_http = merchant_http
        self._channels: dict[str, Channel] = {}
        from paymux.services.routing import CircuitBreaker  # noqa: PLC0415 - services import deps

        self.breaker = CircuitBreaker()

    @cached_property
    def settings(self) -> Settings:
        return self._settings or Settings.from_env()

    def _client(self, service: str, **options: Any) -> Any:
        import boto3  # noqa: PLC0415 - deferred so cold start pays it once, on first use
        from botocore.config import Config  # noqa: PLC0415

        config = Config(
            retries={"mode": "standard", "max_attempts": 3}, connect_timeout=2, read_timeout=5, **options
        )
        make_client: Any = boto3.client
        return make_client(service, config=config)

    @cached_property
    def dynamodb(self) -> Any:
        return self._client("dynamodb")

    @cached_property
    def dynamodbstreams(self) -> Any:
        # the stats repair's re-reads of failed stream batches (services.stats_repair)
        return self._client("dynamodbstreams")

    @cached_property
    def sqs(self) -> Any:
        return self._client("sqs")

    @cached_property
    def secretsmanager(self) -> Any:
        return self._client("secretsmanager")

    @cached_property
    def _secrets(self) -> LazyClient:
        return LazyClient(lambda: self.secretsmanager)

    @cached_property
    def s3(self) -> Any:
        # SigV4 for presigned report URLs too (botocore would presign SigV2 in us-east-1)
        return self._client("s3", signature_version="s3v4")

    @cached_property
    def ssm(self) -> Any:
        return self._client("ssm")

    @cached_property
    def callback_base(self) -> str:
        """Base of the callback URLs given to channels: from the settings, or else the API's
        domain, which CloudFormation writes to an SSM parameter (an environment variable cannot
        name the API: the API refers to the functions, so it would be a circular dependency).
        Read once per container, only off the API's request paths (an API request brings its
        own domain: services.payments.callback_url); a missing parameter stops the function
        (ConfigurationError)."""
        s = self.settings
        if s.public_base_url:
            return s.public_base_url
        from botocore.exceptions import BotoCoreError, ClientError  # noqa: PLC0415

        name = s.api_domain_parameter
        try:
            domain = str(self.ssm.get_parameter(Name=name)["Parameter"]["Value"])
        except (BotoCoreError, ClientError) as exc:
            raise ConfigurationError(f"cannot read the API domain from SSM parameter {name}: {exc}") from exc
        return s.base_url_for_domain(domain, f"SSM parameter {name}")

    @cached_property
    def payments(self) -> PaymentStore:
        from paymux.store.payments import PaymentStore  # noqa: PLC0415 - on first use (module docstring)

        return PaymentStore(self.dynamodb, self.settings.table)

    @cached_property
    def refunds(self) -> RefundStore:
        from paymux.store.refunds import RefundStore  # noqa: PLC0415 - on first use (module docstring)

        return RefundStore(self.dynamodb, self.settings.table)

    @cached_property
    def notifications(self) -> NotificationStore:
        from paymux.store.notifications import NotificationStore  # noqa: PLC0415 - on first use (module docstring)

        return NotificationStore(self.dynamodb, self.settings.table)

    @cached_property
    def nonces(self) -> NonceStore:
        from paymux.store.nonces import NonceStore  # noqa: PLC0415 - on first use (module docstring)

        return NonceStore(self.dynamodb, self.settings.table)

    @cached_property
    def merchants(self) -> MerchantStore:
        from paymux.store.merchants import MerchantStore  # noqa: PLC0415 - on first use (module docstring)

        s = self.settings
        return MerchantStore(self.dynamodb, self._secrets, s.table, s.secrets_prefix, self.clock)

    @cached_property
    def channel_config(self) -> ChannelConfigStore:
        from paymux.store.channels import ChannelConfigStore  # noqa: PLC0415 - on first use (module docstring)

        s = self.settings
        return ChannelConfigStore(self.dynamodb, self._secrets, s.table, s.secrets_prefix, self.clock)

    @cached_property
    def bindings(self) -> BindingStore:
        from paymux.store.bindings import BindingStore  # noqa: PLC0415 - on first use (module docstring)

        s = self.settings
        return BindingStore(self.dynamodb, self._secrets, s.table, s.secrets_prefix, self.clock)

    @cached_property
    def http(self) -> HttpClient:
        from paymux.channels.http import RequestsHttpClient  # noqa: PLC0415

        return self._http or RequestsHttpClient()

    @cached_property
    def merchant_http(self) -> HttpClient:
        """A separate pool for merchant notify URLs: untrusted endpoints never share channel connections."""
        from paymux.channels.http import RequestsHttpClient  # noqa: PLC0415

        return self._merchant_http or RequestsHttpClient()

    def channel(self, account: ChannelAccount, sub_merchant: SubMerchant | None = None) -> Channel:
        """A channel client per account, sub-merchant (a provider-mode account acting for one
        binding) and credentials version: a re-weighted account, a rotated key or a refreshed
        sub-merchant token (all re-read within a minute) gets a fresh client."""
        import hashlib  # noqa: PLC0415
        import json  # noqa: PLC0415

        from paymux.channels.registry import build_channel  # noqa: PLC0415

        credentials = self.channel_config.credentials(account.account_id)
        token = sub_merchant.app_auth_token if sub_merchant else ""
        secret = json.dumps([credentials, token], sort_keys=True).encode()
        fingerprint = hashlib.sha256(secret).hexdigest()
        prefix = f"{account!r}#{sub_merchant!r}#"
        channel = self._channels.get(prefix + fingerprint)
        if channel is None:
            channel = build_channel(account, credentials, self.http, self.clock, sub_merchant=sub_merchant)
            self._channels = {k: v for k, v in self._channels.items() if not k.startswith(prefix)}
            self._channels[prefix + fingerprint] = channel
        return channel


_deps: Deps | None = None


def deps() -> Deps:
    global _deps  # noqa: PLW0603 - the per-container singleton
    if _deps is None:
        _deps = Deps()
    return _deps


def set_deps(value: Deps | None) -> None:
    global _deps  # noqa: PLW0603
    _deps = value
