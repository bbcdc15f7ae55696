"""Merchant applications the sandbox knows: app_id, the merchant's pid and the app public key."""

from __future__ import annotations

import threading
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric import rsa

from sandbox.alipay.crypto import load_public_key, new_rsa_key, private_pem, public_pem


@dataclass(frozen=True)
class SandboxApp:
    """What Alipay holds about one application (应用) of one merchant.

    ``pid`` is the merchant's partner id (``2088…``, 16 digits): the ``seller_id`` of its
    trades and the account in its bills. ``fee_rate_bp`` is the service fee rate in basis
    points (60 = 0.6 %), charged in the trade bill.
    """

    app_id: str
    pid: str
    app_public_key_pem: bytes
    seller_email: str = "sandbox_seller@sandbox.com"
    fee_rate_bp: int = 60

    def __post_init__(self) -> None:
        load_public_key(self.app_public_key_pem)  # fail early on a bad PEM


@dataclass(frozen=True)
class GeneratedApp:
    """A fresh application identity: what Alipay holds, plus the app's private key (PKCS#8)."""

    app: SandboxApp
    private_key_pem: bytes


def generate_app(
    app_id: str = "2021000000000001",
    pid: str = "2088000000000001",
    seller_email: str = "sandbox_seller@sandbox.com",
    fee_rate_bp: int = 60,
) -> GeneratedApp:
    """Make an RSA-2048 application key pair (for tests and the local stack)."""
    key = new_rsa_key()
    app = SandboxApp(app_id, pid, public_pem(key), seller_email=seller_email, fee_rate_bp=fee_rate_bp)
    return GeneratedApp(app, private_pem(key))


class AppRegistry:
    """Thread-safe app_id → application and its parsed public key."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._apps: dict[str, tuple[SandboxApp, rsa.RSAPublicKey]] = {}

    def register(self, app: SandboxApp) -> None:
        """Register an application; registering an app_id again replaces its key (rotation)."""
        key = load_public_key(app.app_public_key_pem)
        with self._lock:
            self._apps[app.app_id] = (app, key)

    def get(self, app_id: str) -> SandboxApp | None:
        with self._lock:
            entry = self._apps.get(app_id)
            return entry[0] if entry else None

    def public_key(self, app_id: str) -> rsa.RSAPublicKey | None:
        with self._lock:
            entry = self._apps.get(app_id)
            return entry[1] if entry else None
