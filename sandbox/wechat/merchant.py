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

APIV3_KEY_LENGTH = 32


@dataclass(frozen=True)
class SandboxMerchant:
    """What WeChat Pay holds about a direct merchant (直连商户).

    ``merchant_public_key_pem`` is the merchant API certificate or its public key;
    ``fee_rate_bp`` is the fee rate in basis points (60 = ``0.60%``), shown in trade bills;
    ``refund_notify_url`` is the portal-configured refund callback URL, used when a refund
    request names none.
    """

    mchid: str
    appids: tuple[str, ...]
    merchant_cert_serial: str
    merchant_public_key_pem: bytes
    apiv3_key: bytes
    fee_rate_bp: int = 60
    refund_notify_url: str | None = None

    def __post_init__(self) -> None:
        if len(self.apiv3_key) != APIV3_KEY_LENGTH:
            raise ValueError("the APIv3 key must be exactly 32 bytes")
        if not self.appids:
            raise ValueError("a merchant needs at least one bound appid")
        load_merchant_public_key(self.merchant_public_key_pem)  # fail early on a bad PEM


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
