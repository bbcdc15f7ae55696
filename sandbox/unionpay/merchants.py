"""Who may call the gateway: merchants (accessType 0) and acquirers (accessType 1).

UnionPay knows each caller's signing certificate by its decimal serial (``certId``). A direct
merchant signs for its own ``merId``; an acquirer (收单机构, ``acqInsCode``) signs with its own
certificate for the merchants it onboarded (the ``merId`` it sends is the sub-merchant's).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa

from sandbox.unionpay import signing
from sandbox.unionpay.certificates import GeneratedMerchant
from sandbox.unionpay.errors import AcpError, format_error, missing, signature_failed

DEFAULT_FEE_RATE_BP = 60  # 0.60 %, the rate of the official sample statement


@dataclass(frozen=True)
class SandboxMerchant:
    """What UnionPay holds about a merId: its name and fee rate (for statements), and for a
    direct merchant the certificate it signs with."""

    mer_id: str
    name: str = "沙箱商户"
    fee_rate_bp: int = DEFAULT_FEE_RATE_BP
    acq_ins_code: str = ""  # set for a merchant onboarded by an acquirer


@dataclass
class _Signer:
    cert_id: str
    public_key: rsa.RSAPublicKey


@dataclass
class Acquirer:
    acq_ins_code: str
    signer: _Signer
    sub_mer_ids: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class Caller:
    """The authenticated sender of a request."""

    mer_id: str
    access_type: str  # "0" merchant, "1" acquirer
    acq_ins_code: str = ""


def _signer(identity: GeneratedMerchant | x509.Certificate) -> _Signer:
    certificate = identity.certificate if isinstance(identity, GeneratedMerchant) else identity
    key = certificate.public_key()
    if not isinstance(key, rsa.RSAPublicKey):
        raise ValueError("a UnionPay signing certificate must hold an RSA key")
    return _Signer(str(certificate.serial_number), key)


class MerchantRegistry:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._merchants: dict[str, SandboxMerchant] = {}
        self._signers: dict[str, _Signer] = {}  # merId → certificate, direct merchants
        self._acquirers: dict[str, Acquirer] = {}

    def register_merchant(
        self, identity: GeneratedMerchant | x509.Certificate, merchant: SandboxMerchant
    ) -> None:
        with self._lock:
            self._merchants[merchant.mer_id] = merchant
            self._signers[merchant.mer_id] = _signer(identity)

    def register_acquirer(self, acq_ins_code: str, identity: GeneratedMerchant | x509.Certificate) -> None:
        with self._lock:
            known = self._acquirers.get(acq_ins_code)
            subs = known.sub_mer_ids if known else set()
            self._acquirers[acq_ins_code] = Acquirer(acq_ins_code, _signer(identity), subs)

    def add_sub_merchant(self, acq_ins_code: str, merchant: SandboxMerchant) -> None:
        with self._lock:
            acquirer = self._acquirers.get(acq_ins_code)
            if acquirer is None:
                raise ValueError(f"no acquirer {acq_ins_code} is registered")
            acquirer.sub_mer_ids.add(merchant.mer_id)
            self._merchants[merchant.mer_id] = merchant

    def merchant(self, mer_id: str) -> SandboxMerchant | None:
        with self._lock:
            return self._merchants.get(mer_id)

    def merchants(self) -> list[SandboxMerchant]:
        with self._lock:
            return list(self._merchants.values())

    def sub_mer_ids(self, acq_ins_code: str) -> set[str]:
        with self._lock:
            acquirer = self._acquirers.get(acq_ins_code)
            return set(acquirer.sub_mer_ids) if acquirer else set()

    def authenticate(self, fields: Mapping[str, str]) -> Caller:
        """Check who signed: the registered certificate (by certId) of the merId, or of the
        acqInsCode for accessType 1, and the signature over every field but ``signature``."""
        for name in ("accessType", "merId", "certId", "signature"):
            if not fields.get(name):
                raise missing(name)
        access_type, mer_id = fields["accessType"], fields["merId"]
        if access_type == "0":
            signer, caller = self._direct(mer_id), Caller(mer_id, "0")
        elif access_type == "1":
            acq = fields.get("acqInsCode", "")
            if not acq:
                raise missing("acqInsCode")
            signer, caller = self._acquired(acq, mer_id), Caller(mer_id, "1", acq)
        else:
            raise format_error("accessType")
        if fields["certId"] != signer.cert_id:
            raise signature_failed("[certId]")
        if not signing.verifies(fields, signer.public_key):
            raise signature_failed()
        return caller

    def _direct(self, mer_id: str) -> _Signer:
        with self._lock:
            signer = self._signers.get(mer_id)
        if signer is None:
            raise AcpError("31", "商户状态不正确[merId]")  # not a merchant UnionPay knows
        return signer

    def _acquired(self, acq_ins_code: str, mer_id: str) -> _Signer:
        with self._lock:
            acquirer = self._acquirers.get(acq_ins_code)
            if acquirer is None:
                raise AcpError("31", "商户状态不正确[acqInsCode]")
            if mer_id not in acquirer.sub_mer_ids:
                raise AcpError("32", "无此交易权限[merId]")  # not onboarded by this acquirer
            return acquirer.signer


def sub_merchants(acq_ins_code: str, mer_ids: Iterable[str], name: str) -> list[SandboxMerchant]:
    return [SandboxMerchant(mer_id, name, acq_ins_code=acq_ins_code) for mer_id in mer_ids]
