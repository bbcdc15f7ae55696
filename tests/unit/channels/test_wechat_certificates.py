"""Platform certificate download (GET /v3/certificates): decrypted with the APIv3 key and
verified, bootstrapped only with a certificate that decrypted, expired ones dropped; and the
merge into the stored certificates. Answers are built here, independently of the sandbox."""

from __future__ import annotations

import base64
import json
import secrets
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.x509.oid import NameOID

from paymux.channels.base import ChannelAccount
from paymux.channels.http import HttpResponse
from paymux.channels.wechat.certificates import CertificatesRejected
from paymux.channels.wechat.client import WeChatPayChannel
from paymux.clock import iso
from paymux.errors import ChannelError
from paymux.services.certificates import merge
from tests.keys import apiv3_key, keypair
from tests.wechat_notices import sign_headers

NOW = 1_764_316_800.0
DAY = 86400.0
APIV3 = apiv3_key()
PUBLIC_KEY_ID = "PUB_KEY_ID_0112345678902025062700111588000000"
ACCOUNT = ChannelAccount(
    account_id="wx-test",
    provider="wechat",
    products=("wechat.native",),
    mchid="1900000109",
    appid="wx8888888888888888",
    base_url="https://wechat.test",
)


def certificate(name: str, *, start: float, end: float, serial: int | None = None) -> tuple[str, str]:
    """(serial hex, PEM) of a self-signed certificate for keypair(name), valid [start, end)."""
    key = keypair(name).private_key
    number = serial or (secrets.randbits(159) | (1 << 156))
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Tenpay.com Test Platform")])
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(number)
        .not_valid_before(datetime.fromtimestamp(start, UTC))
        .not_valid_after(datetime.fromtimestamp(end, UTC))
        .sign(key, hashes.SHA256())
    )
    return f"{number:040X}", cert.public_bytes(serialization.Encoding.PEM).decode()


def entry(serial: str, pem: str, key: str = APIV3) -> dict[str, Any]:
    nonce = secrets.token_hex(6)
    sealed = AESGCM(key.encode()).encrypt(nonce.encode(), pem.encode(), b"certificate")
    return {
        "serial_no": serial,
        "effective_time": "2025-01-01T00:00:00+08:00",
        "expire_time": "2030-01-01T00:00:00+08:00",
        "encrypt_certificate": {
            "algorithm": "AEAD_AES_256_GCM",
            "nonce": nonce,
            "associated_data": "certificate",
            "ciphertext": base64.b64encode(sealed).decode(),
        },
    }


def answer(entries: list[dict[str, Any]], signer: rsa.RSAPrivateKey, serial: str) -> HttpResponse:
    body = json.dumps({"data": entries}).encode()
    return HttpResponse(200, body, sign_headers(body, signing_key=signer, serial=serial, timestamp=NOW))


class OneAnswer:
    def __init__(self, response: HttpResponse) -> None:
        self.response = response
        self.requests: list[tuple[str, str, Mapping[str, str]]] = []

    def request(self, method: str, url: str, *, headers: Mapping[str, str], **_: Any) -> HttpResponse:
        self.requests.append((method, url, headers))
        return self.response


def download(response: HttpResponse, *, known: list[dict[str, str]] | None = None, public_key: bool = False):
    credentials: dict[str, Any] = {
        "merchant_private_key_pem": keypair("merchant").private_pem,
        "merchant_cert_serial": "MERCHANTSERIAL",
        "apiv3_key": APIV3,
        "platform_certificates": known or [],
    }
    if public_key:
        credentials["wechatpay_public_key"] = {
            "id": PUBLIC_KEY_ID,
            "public_key_pem": keypair("pubkey").public_pem,
        }
    http = OneAnswer(response)
    found = WeChatPayChannel(ACCOUNT, credentials, http, lambda: NOW).download_certificates()
    (method, url, headers), *_ = http.requests
    assert (method, url) == ("GET", "https://wechat.test/v3/certificates")
    assert headers["Authorization"].startswith("WECHATPAY2-SHA256-RSA2048 ")
    return found


def test_first_download_is_verified_with_the_certificate_it_brings():
    serial, pem = certificate("platform-a", start=NOW - DAY, end=NOW + 365 * DAY)
    (found,) = download(answer([entry(serial, pem)], keypair("platform-a").private_key, serial))
    assert found == {
        "serial_no": serial,
        "public_key_pem": keypair("platform-a").public_pem,
        "certificate_pem": pem,
        "effective_time": iso(NOW - DAY),
        "expire_time": iso(NOW + 365 * DAY),
    }


def test_an_answer_signed_by_a_trusted_key_brings_a_new_certificate():
    serial, pem = certificate("platform-b", start=NOW - 60, end=NOW + 365 * DAY)
    response = answer([entry(serial, pem)], keypair("pubkey").private_key, PUBLIC_KEY_ID)
    assert [c["serial_no"] for c in download(response, public_key=True)] == [serial]


def test_a_tampered_ciphertext_rejects_the_answer():
    serial, pem = certificate("platform-a", start=NOW - DAY, end=NOW + 365 * DAY)
    tampered = entry(serial, pem)
    sealed = bytearray(base64.b64decode(tampered["encrypt_certificate"]["ciphertext"]))
    sealed[40] ^= 1
    tampered["encrypt_certificate"]["ciphertext"] = base64.b64encode(bytes(sealed)).decode()
    # Even signed by a trusted key: the certificate is not WeChat's.
    response = answer([tampered], keypair("pubkey").private_key, PUBLIC_KEY_ID)
    with pytest.raises(CertificatesRejected, match="does not decrypt"):
        download(response, public_key=True)


def test_an_unknown_signer_whose_certificate_does_not_decrypt_is_rejected():
    """An attacker without the APIv3 key brings their own certificate and signs with it."""
    serial, pem = certificate("attacker", start=NOW - DAY, end=NOW + 365 * DAY)
    forged = entry(serial, pem, key=apiv3_key())  # encrypted with another key
    response = answer([forged], keypair("attacker").private_key, serial)
    with pytest.raises(CertificatesRejected, match="does not decrypt"):
        download(response)


def test_an_unknown_signer_without_a_certificate_in_the_answer_is_rejected():
    serial, pem = certificate("platform-a", start=NOW - DAY, end=NOW + 365 * DAY)
    response = answer([entry(serial, pem)], keypair("attacker").private_key, "0123456789ABCDEF")
    with pytest.raises(CertificatesRejected, match="unknown key"):
        download(response)


def test_a_signature_by_another_key_under_the_certificates_serial_is_rejected():
    serial, pem = certificate("platform-a", start=NOW - DAY, end=NOW + 365 * DAY)
    response = answer([entry(serial, pem)], keypair("attacker").private_key, serial)
    with pytest.raises(CertificatesRejected, match="does not verify"):
        download(response)


def test_a_certificate_listed_under_another_serial_is_rejected():
    serial, pem = certificate("platform-a", start=NOW - DAY, end=NOW + 365 * DAY)
    other = f"{int(serial, 16) + 1:040X}"
    response = answer([entry(other, pem)], keypair("pubkey").private_key, PUBLIC_KEY_ID)
    with pytest.raises(CertificatesRejected, match="another serial"):
        download(response, public_key=True)


def test_a_bootstrap_signer_must_be_valid_now():
    serial, pem = certificate("platform-a", start=NOW - 2 * DAY, end=NOW - DAY)
    response = answer([entry(serial, pem)], keypair("platform-a").private_key, serial)
    with pytest.raises(CertificatesRejected, match="not valid now"):
        download(response)


def test_expired_certificates_are_dropped_and_future_ones_kept():
    old_serial, old_pem = certificate("platform-old", start=NOW - 400 * DAY, end=NOW - 1)
    cur_serial, cur_pem = certificate("platform-a", start=NOW - DAY, end=NOW + 365 * DAY)
    next_serial, next_pem = certificate("platform-b", start=NOW + DAY, end=NOW + 700 * DAY)
    entries = [entry(old_serial, old_pem), entry(cur_serial, cur_pem), entry(next_serial, next_pem)]
    found = download(answer(entries, keypair("platform-a").private_key, cur_serial))
    assert [c["serial_no"] for c in found] == [cur_serial, next_serial]


def test_public_key_only_merchant_gets_no_certificates():
    body = json.dumps({"code": "RESOURCE_NOT_EXISTS", "message": "无可用的平台证书"}).encode()
    assert download(HttpResponse(404, body), public_key=True) == []


def test_other_errors_are_raised():
    body = json.dumps({"code": "SIGN_ERROR", "message": "签名错误"}).encode()
    with pytest.raises(ChannelError, match="SIGN_ERROR"):
        download(HttpResponse(401, body))


# -- merging into the stored certificates -------------------------------------------------


def stored(serial: str, expires: float, **extra: str) -> dict[str, str]:
    return {"serial_no": serial, "public_key_pem": "PEM", "expire_time": iso(expires), **extra}


def test_merge_adds_new_keeps_valid_and_drops_expired():
    downloaded = [stored("B", NOW + 365 * DAY, certificate_pem="CERT-B")]
    kept = stored("A", NOW + DAY)
    merged = merge([stored("OLD", NOW - 1), kept], downloaded, NOW)
    assert (merged.added, merged.expired) == (["B"], ["OLD"])
    assert merged.certificates == [kept, downloaded[0]]
    # A second merge of the same download changes nothing.
    again = merge(merged.certificates, downloaded, NOW)
    assert (again.certificates, again.added, again.expired) == (merged.certificates, [], [])


def test_merge_completes_a_stored_entry_and_keeps_one_of_unknown_expiry():
    bare = {"serial_no": "A", "public_key_pem": "PEM"}  # seeded by hand: no expiry known
    legacy = {"serial_no": "L", "public_key_pem": "PEM-L"}
    downloaded = [stored("A", NOW + DAY, certificate_pem="CERT-A")]
    merged = merge([bare, legacy], downloaded, NOW)
    assert (merged.added, merged.expired) == ([], [])
    assert merged.certificates == [legacy, downloaded[0]]


def test_merge_reads_the_expiry_of_a_stored_certificate_without_times():
    serial, pem = certificate("platform-old", start=NOW - 400 * DAY, end=NOW - 1)
    merged = merge([{"serial_no": serial, "public_key_pem": "PEM", "certificate_pem": pem}], [], NOW)
    assert (merged.certificates, merged.expired) == ([], [serial])
