"""A minimal ACP 5.1.0 merchant client for the UnionPay sandbox tests (a uniquely named module).

Written here from the protocol (PROTOCOLS.md §3), not taken from the sandbox nor from paymux's
adapter, so that neither side checks itself: it signs requests from the merchant's PKCS#12,
parses answers as the official ``parseQString`` does, and verifies every answer and notify
with the chain (signPubKeyCert → middle → root, by hand) and the CN rule.
"""

from __future__ import annotations

import base64
import hashlib
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

from sandbox.unionpay import GeneratedMerchant, UnionPaySandbox

BEIJING = timezone(timedelta(hours=8))
MER_ID = "777290058167151"
ACQ_INS_CODE = "48021000"
SUB_MER_ID = "898110000000001"


def beijing(now: float) -> str:
    return datetime.fromtimestamp(now, BEIJING).strftime("%Y%m%d%H%M%S")


def acp_sign_string(fields: Mapping[str, str]) -> bytes:
    text = "&".join(f"{k}={fields[k]}" for k in sorted(fields) if k != "signature")
    return hashlib.sha256(text.encode("utf-8")).hexdigest().encode("ascii")


def parse_answer(text: str) -> dict[str, str]:
    """``k=v&…`` with ``{…}``/``[…]`` values kept whole; values not URL-decoded."""
    fields: dict[str, str] = {}
    key, value, depth, in_value = "", "", 0, False
    for char in text + "&":
        if not in_value and char == "=":
            in_value = True
        elif not in_value:
            key += char
        elif char in "{[":
            depth, value = depth + 1, value + char
        elif char in "}]":
            depth, value = depth - 1, value + char
        elif char == "&" and depth == 0:
            fields[key], key, value, in_value = value, "", "", False
        else:
            value += char
    return fields


def _issued_by(cert: x509.Certificate, issuer: x509.Certificate, at: datetime) -> bool:
    key = issuer.public_key()
    assert isinstance(key, rsa.RSAPublicKey)
    assert cert.signature_hash_algorithm is not None
    if cert.issuer != issuer.subject or not cert.not_valid_before_utc <= at <= cert.not_valid_after_utc:
        return False
    try:
        key.verify(
            cert.signature, cert.tbs_certificate_bytes, padding.PKCS1v15(), cert.signature_hash_algorithm
        )
    except Exception:
        return False
    return True


def is_ca(cert: x509.Certificate) -> bool:
    return bool(cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca)


@dataclass
class Trust:
    root: x509.Certificate
    middle: x509.Certificate

    @classmethod
    def of(cls, sb: UnionPaySandbox) -> Trust:
        return cls(x509.load_pem_x509_certificate(sb.root_pem), x509.load_pem_x509_certificate(sb.middle_pem))

    def verifies(self, fields: Mapping[str, str], at: float | None = None) -> bool:
        """The chain, the CN rule, then SHA256withRSA over the SHA-256 hex of the sign string."""
        moment = datetime.fromtimestamp(time.time() if at is None else at, UTC)
        try:
            leaf = x509.load_pem_x509_certificate(fields["signPubKeyCert"].encode("ascii"))
            chained = (
                _issued_by(leaf, self.middle, moment)
                and _issued_by(self.middle, self.root, moment)
                and _issued_by(self.root, self.root, moment)
                and is_ca(self.middle)
            )
            cn = str(leaf.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value)
            if not chained or cn.split("@")[2] != "中国银联股份有限公司":
                return False
            key = leaf.public_key()
            assert isinstance(key, rsa.RSAPublicKey)
            key.verify(
                base64.b64decode(fields["signature"]),
                acp_sign_string(fields),
                padding.PKCS1v15(),
                hashes.SHA256(),
            )
        except Exception:
            return False
        return True


class AcpClient:
    """Signs as a merchant (accessType 0) or an acquirer (1) and posts to the sandbox."""

    def __init__(
        self,
        sb: UnionPaySandbox,
        identity: GeneratedMerchant,
        clock: Callable[[], float] = time.time,
        *,
        acq_ins_code: str = "",
    ) -> None:
        key, cert, _ = pkcs12.load_key_and_certificates(identity.pkcs12, identity.password.encode())
        assert isinstance(key, rsa.RSAPrivateKey) and cert is not None
        self.key, self.cert_id = key, str(cert.serial_number)
        self.sb, self.clock, self.acq_ins_code = sb, clock, acq_ins_code
        self.trust = Trust.of(sb)

    def envelope(self, mer_id: str, **fields: str) -> dict[str, str]:
        base = {
            "version": "5.1.0",
            "encoding": "UTF-8",
            "signMethod": "01",
            "accessType": "1" if self.acq_ins_code else "0",
            "merId": mer_id,
            "txnTime": beijing(self.clock()),
        }
        if self.acq_ins_code:
            base["acqInsCode"] = self.acq_ins_code
        return base | fields

    def sign(self, fields: Mapping[str, str]) -> dict[str, str]:
        signed = {k: v for k, v in fields.items() if v} | {"certId": self.cert_id}
        raw = self.key.sign(acp_sign_string(signed), padding.PKCS1v15(), hashes.SHA256())
        return signed | {"signature": base64.b64encode(raw).decode()}

    def post_raw(self, path: str, fields: Mapping[str, str]) -> requests.Response:
        return requests.post(self.sb.base_url + path, data=dict(fields), timeout=10)

    def post(self, path: str, fields: Mapping[str, str], *, signed: bool = True) -> dict[str, str]:
        response = self.post_raw(path, self.sign(fields) if signed else fields)
        assert response.status_code == 200, response.text
        answer = parse_answer(response.content.decode("utf-8"))
        assert self.trust.verifies(answer), f"the answer does not verify: {answer}"
        return answer

    def back(self, mer_id: str = MER_ID, **fields: str) -> dict[str, str]:
        return self.post("/gateway/api/backTransReq.do", self.envelope(mer_id, **fields))

    def apply_qr(
        self, order_id: str, amount: int, back_url: str, mer_id: str = MER_ID, **extra: str
    ) -> dict[str, str]:
        return self.back(
            mer_id, txnType="01", txnSubType="07", bizType="000000", channelType="08", orderId=order_id,
            txnAmt=str(amount), currencyCode="156", backUrl=back_url, **extra,
        )  # fmt: skip

    def payer_code(
        self, order_id: str, amount: int, qr_no: str, back_url: str, mer_id: str = MER_ID
    ) -> dict[str, str]:
        return self.back(
            mer_id, txnType="01", txnSubType="06", bizType="000000", channelType="08", orderId=order_id,
            txnAmt=str(amount), currencyCode="156", backUrl=back_url, qrNo=qr_no,
        )  # fmt: skip

    def refund(
        self,
        order_id: str,
        orig_qry_id: str,
        amount: int,
        back_url: str,
        mer_id: str = MER_ID,
        txn_type: str = "04",
    ) -> dict[str, str]:
        return self.back(
            mer_id, txnType=txn_type, txnSubType="00", bizType="000000", channelType="07", orderId=order_id,
            origQryId=orig_qry_id, txnAmt=str(amount), currencyCode="156", backUrl=back_url,
        )  # fmt: skip

    def query(self, order_id: str, txn_time: str, mer_id: str = MER_ID) -> dict[str, str]:
        fields = self.envelope(mer_id, txnType="00", txnSubType="00", bizType="000000", orderId=order_id)
        return self.post("/gateway/api/queryTrans.do", fields | {"txnTime": txn_time})

    def file(self, settle_date: str, mer_id: str = MER_ID) -> dict[str, str]:
        fields = self.envelope(mer_id, txnType="76", txnSubType="01", bizType="000000", fileType="00")
        return self.post("/", fields | {"settleDate": settle_date})


@dataclass
class Received:
    form: dict[str, str]
    status: int


@dataclass
class NotifyReceiver:
    """A merchant backUrl that answers ``statuses`` in turn, then 200."""

    statuses: list[int] = field(default_factory=list)
    received: list[Received] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._cond = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                form = dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
                with receiver._cond:
                    status = receiver.statuses.pop(0) if receiver.statuses else 200
                    receiver.received.append(Received(form, status))
                    receiver._cond.notify_all()
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *_: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/unionpay/notify"

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Received]:
        with self._cond:
            self._cond.wait_for(lambda: len(self.received) >= count, timeout)
            return list(self.received)

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def settle_mmdd(at: float) -> str:
    """The clearing day (cut at 23:00 Beijing) of ``at``, MMDD."""
    return (datetime.fromtimestamp(at, BEIJING) + timedelta(hours=1)).strftime("%m%d")


def settle_day(at: float) -> Any:
    return (datetime.fromtimestamp(at, BEIJING) + timedelta(hours=1)).date()


class FakeClock:
    """Moves only when told (plus 1 µs a reading, so no two readings are equal)."""

    def __init__(self, start: float | None = None) -> None:
        self.now = time.time() if start is None else start
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            self.now += 1e-6
            return self.now

    def advance(self, seconds: float) -> None:
        with self._lock:
            self.now += seconds


def at_beijing(year: int, month: int, day: int, hour: int, minute: int = 0) -> float:
    return datetime(year, month, day, hour, minute, tzinfo=BEIJING).timestamp()
