"""Merchants the sandbox knows: mchid, bound appids, API certificate(s) and APIv3 key."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from sandbox.wechat.crypto import (
    load_merchant_public_key,
    new_rsa_key,
    private_pem,
    random_alnum,
    self_signed_certificate,
)
from sandbox.wechat.errors import ApiError

APIV3_KEY_LENGTH = 32


@dataclass(frozen=True)
class SandboxMerchant:
    """What WeChat Pay holds about a direct merchant (直连商户).

    ``merchant_public_key_pem`` is the merchant API certificate or its public key;
    ``fee_rate_bp`` is the fee rate in basis points (60 = ``0.60%``), shown in trade bills;
    ``refund_notify_url`` is the portal-configured refund callback URL, used when a refund
    request names none; ``service_provider`` makes it a 服务商 (sp_mchid): it may call the partner
    APIs for the sub-merchants bound to it (``SandboxSubMerchant``).
    """

    mchid: str
    appids: tuple[str, ...]
    merchant_cert_serial: str
    merchant_public_key_pem: bytes
    apiv3_key: bytes
    fee_rate_bp: int = 60
    refund_notify_url: str | None = None
    service_provider: bool = False
    # API v2's key (32 characters): signs the payer-code calls (micropay_api)
    apiv2_key: bytes = field(default_factory=lambda: random_alnum(APIV3_KEY_LENGTH).encode("ascii"))

    def __post_init__(self) -> None:
        if len(self.apiv3_key) != APIV3_KEY_LENGTH:
            raise ValueError("the APIv3 key must be exactly 32 bytes")
        if not self.appids:
            raise ValueError("a merchant needs at least one bound appid")
        load_merchant_public_key(self.merchant_public_key_pem)  # fail early on a bad PEM


@dataclass(frozen=True)
class SandboxSubMerchant:
    """A sub-merchant (特约商户, sub_mchid) onboarded by exactly one service provider
    (``sp_mchid``), with the appids bound to it (sub_appid). The money of its orders is its own;
    it has no API keys of its own here: its provider calls for it."""

    sub_mchid: str
    sp_mchid: str
    appids: tuple[str, ...] = ()


@dataclass(frozen=True)
class GeneratedMerchant:
    """A fresh merchant identity: what WeChat holds, plus the merchant's own secrets."""

    merchant: SandboxMerchant
    private_key_pem: bytes
    certificate_pem: bytes


def generate_merchant(
    mchid: str = "1900000109",
    appids: tuple[str, ...] = ("wx8888888888888888",),
    fee_rate_bp: int = 60,
    *,
    service_provider: bool = False,
) -> GeneratedMerchant:
    """Make a merchant API key pair, certificate and APIv3 key (for tests and the local stack)."""
    key = new_rsa_key()
    certificate, serial = self_signed_certificate(key, mchid, "Merchant API", datetime.now(UTC))
    certificate_pem = certificate.public_bytes(serialization.Encoding.PEM)
    merchant = SandboxMerchant(
        mchid=mchid,
        appids=appids,
        merchant_cert_serial=serial,
        merchant_public_key_pem=certificate_pem,
        apiv3_key=random_alnum(APIV3_KEY_LENGTH).encode("ascii"),
        fee_rate_bp=fee_rate_bp,
        service_provider=service_provider,
    )
    return GeneratedMerchant(merchant, private_pem(key), certificate_pem)


@dataclass
class _MerchantEntry:
    merchant: SandboxMerchant
    keys: dict[str, rsa.RSAPublicKey] = field(default_factory=dict)


class MerchantRegistry:
    """Thread-safe mchid → merchant, with every API certificate serial ever registered."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: dict[str, _MerchantEntry] = {}
        self._subs: dict[str, SandboxSubMerchant] = {}

    def register(self, merchant: SandboxMerchant) -> None:
        """Register a merchant; registering the same mchid again adds a certificate (rotation)."""
        key = load_merchant_public_key(merchant.merchant_public_key_pem)
        with self._lock:
            entry = self._entries.get(merchant.mchid)
            keys = dict(entry.keys) if entry else {}
            keys[merchant.merchant_cert_serial.upper()] = key
            self._entries[merchant.mchid] = _MerchantEntry(merchant, keys)

    def get(self, mchid: str) -> SandboxMerchant | None:
        with self._lock:
            entry = self._entries.get(mchid)
            return entry.merchant if entry else None

    def public_key(self, mchid: str, serial_no: str) -> rsa.RSAPublicKey | None:
        with self._lock:
            entry = self._entries.get(mchid)
            return entry.keys.get(serial_no.upper()) if entry else None

    def all(self) -> list[SandboxMerchant]:
        with self._lock:
            return [entry.merchant for entry in self._entries.values()]

    def register_sub_merchant(self, sub: SandboxSubMerchant) -> None:
        """Onboard a sub-merchant under its provider (which must be a registered 服务商)."""
        with self._lock:
            provider = self._entries.get(sub.sp_mchid)
            if provider is None or not provider.merchant.service_provider:
                raise ValueError(f"{sub.sp_mchid} is not a registered service provider")
            bound = self._subs.get(sub.sub_mchid)
            if bound is not None and bound.sp_mchid != sub.sp_mchid:
                raise ValueError(f"sub-merchant {sub.sub_mchid} already belongs to {bound.sp_mchid}")
            self._subs[sub.sub_mchid] = sub

    def bound_sub_merchant(self, sp_mchid: str, sub_mchid: str) -> SandboxSubMerchant:
        """The sub-merchant, if it is bound to ``sp_mchid``; else WeChat's refusal (403 NO_AUTH
        受理关系不存在: no acceptance relationship between this provider and that sub_mchid)."""
        with self._lock:
            sub = self._subs.get(sub_mchid)
        if sub is None or sub.sp_mchid != sp_mchid:
            raise ApiError(403, "NO_AUTH", "受理关系不存在")
        return sub
