"""Request bodies of the operators' channel-account endpoints (and of `python -m ops channels`),
validated with pydantic at the boundary. Errors become 422 with field-level details whose
messages never repeat an input value: credentials pass through here.

Imported only by the write paths (paymux.services.channel_admin imports it lazily), so the
read-only admin functions stay free of pydantic."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator

from paymux.channels.base import ChannelAccount
from paymux.channels.registry import PROVIDERS, channel_class
from paymux.errors import ValidationFailed

ACCOUNT_ID = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"  # a URL path segment and a secret name
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost"})  # http:// is allowed only for these (sandboxes)
_DECIMAL = re.compile(r"\d+(\.\d+)?")


def offered_products(provider: str) -> frozenset[str]:
    products: frozenset[str] = channel_class(provider).products
    return products


class ChannelAccountFields(BaseModel):
    """Every field of a channel account (paymux.channels.base.ChannelAccount), checked."""

    model_config = ConfigDict(extra="forbid", strict=True)

    account_id: str = Field(pattern=ACCOUNT_ID, description="letters, digits, `_`, `.`, `-`; 1-64")
    provider: str = Field(description="a registered provider, e.g. wechat")
    products: list[str] = Field(min_length=1, description="products of the provider this account offers")
    mchid: str = Field(min_length=1, max_length=64, description="the merchant id at the provider")
    appid: str = Field(min_length=1, max_length=64, description="the app id at the provider")
    base_url: str = Field(max_length=512, description="https://…; http:// only for 127.0.0.1/localhost")
    weight: int = Field(1, ge=0, le=10_000, description="share within its priority; 0 takes no new payments")
    enabled: bool = True
    priority: int = Field(100, ge=0, le=1_000_000, description="lower is tried first")
    fee_rate: str = Field("0.0060", description='the channel\'s fee per unit of amount, e.g. "0.0060"')
    mode: Literal["direct", "provider"] = Field(
        "direct",
        description="direct: the owner's own merchant account; provider: paymux's service-provider "
        "account, used only through bindings",
    )
    owner: Annotated[str, Field(max_length=64)] = Field(
        "", description="direct: the merchant id the account belongs to (required); provider: empty"
    )

    @field_validator("provider")
    @classmethod
    def _provider(cls, value: str) -> str:
        if value not in PROVIDERS:
            raise ValueError(f"unknown provider; registered: {', '.join(sorted(PROVIDERS))}")
        return value

    @field_validator("products")
    @classmethod
    def _products(cls, value: list[str], info: ValidationInfo) -> list[str]:
        provider = info.data.get("provider")
        if provider is None:  # already reported on provider
            return value
        offered = offered_products(provider)
        missing = [p for p in value if p not in offered]
        if missing:
            raise ValueError(
                f"{', '.join(missing)} not offered by {provider}; it offers {', '.join(sorted(offered))}"
            )
        return list(dict.fromkeys(value))

    @field_validator("base_url")
    @classmethod
    def _base_url(cls, value: str) -> str:
        try:
            url = urlsplit(value)
            host = url.hostname or ""
            url.port  # noqa: B018 - raises on a malformed port
        except ValueError:
            raise ValueError("not a URL") from None
        local = url.scheme == "http" and host in LOCAL_HOSTS
        if not (url.scheme == "https" or local) or not host:
            raise ValueError("must be an https:// URL (http:// only for 127.0.0.1 or localhost)")
        if url.username or url.password or url.query or url.fragment:
            raise ValueError("must have no credentials, query or fragment")
        return value.rstrip("/")

    @field_validator("fee_rate", mode="before")
    @classmethod
    def _fee_rate_text(cls, value: Any) -> Any:
        """YAML and JSON numbers are taken as written (0.006 -> "0.006")."""
        return str(value) if isinstance(value, int | float) and not isinstance(value, bool) else value

    @field_validator("fee_rate")
    @classmethod
    def _fee_rate(cls, value: str) -> str:
        try:
            rate = Decimal(value) if _DECIMAL.fullmatch(value) else None
        except InvalidOperation:
            rate = None
        if rate is None or rate >= 1:
            raise ValueError('must be a decimal rate from 0 to below 1, e.g. "0.0060"')
        return value

    def account(self) -> ChannelAccount:
        values = self.model_dump(include=set(ChannelAccountFields.model_fields))
        values["products"] = tuple(values["products"])
        return ChannelAccount(**values)


class CreateChannelAccountRequest(ChannelAccountFields):
    """POST /v1/admin/channel-accounts: the account and its credentials (stored in Secrets
    Manager, never returned)."""

    credentials: dict[str, Any] = Field(min_length=1, repr=False, description="the provider's keys")


def validate[M: BaseModel](model: type[M], data: Any) -> M:
    """`data` as `model`, or ValidationFailed with one detail per problem (field and message)."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        details = [
            {
                "field": ".".join(str(p) for p in err["loc"]) or "body",
                "message": "unknown field" if err["type"] == "extra_forbidden" else err["msg"],
            }
            for err in exc.errors(include_url=False, include_input=False)
        ]
        # `from None`: the pydantic error holds the input (credentials included); keep it out of
        # any traceback.
        raise ValidationFailed("the channel account is invalid", details=details) from None
