"""The real UnionPay test-environment front notify (samples README, RESEARCH.md §1.4) against
UnionPay's own CFCA anchors: it verifies at its own txnTime and fails after any change."""

from __future__ import annotations

import base64
import datetime as dt
import json
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from paymux.channels.unionpay.certificates import TrustChain, notify_fields, verify_message
from paymux.channels.unionpay.form import encode_form, parse_form, parse_post
from paymux.errors import CallbackRejected

FIXTURES = Path(__file__).parents[2] / "fixtures" / "unionpay"
TXN_TIME = dt.datetime(2022, 9, 8, 13, 22, 6, tzinfo=dt.timezone(dt.timedelta(hours=8))).timestamp()


def sample() -> dict[str, str]:
    return parse_form((FIXTURES / "sandbox_front_notify.txt").read_bytes().decode("utf-8"))


def chain(kind: str, environment: str = "test") -> TrustChain:
    return TrustChain.from_pem(
        (FIXTURES / f"acp_{kind}_root.cer").read_bytes(),
        (FIXTURES / f"acp_{kind}_middle.cer").read_bytes(),
        environment=environment,
    )


def rejected(fields: dict[str, str], trust: TrustChain, at: float = TXN_TIME) -> CallbackRejected:
    with pytest.raises(CallbackRejected) as caught:
        verify_message(fields, trust, at)
    return caught.value


def test_the_fixture_is_the_shared_sample_byte_for_byte() -> None:
    """The copy must not have been normalised by git or an editor (CRLF inside signPubKeyCert)."""
    raw = (FIXTURES / "sandbox_front_notify.txt").read_bytes()
    assert b"-----BEGIN CERTIFICATE-----\r\nMIIEYzCC" in raw
    assert raw.count(b"\r\n") == 25
    assert sample() == json.loads((FIXTURES / "sandbox_front_notify.json").read_text("utf-8"))
    assert sample()["orderId"] == "yansongda20220908132206"


@pytest.mark.parametrize("environment", ["test", "production"])
def test_the_real_notify_verifies_with_the_test_chain_at_its_own_time(environment: str) -> None:
    """Its signer's CN is the production form (…@中国银联股份有限公司@…): both modes accept it."""
    verify_message(sample(), chain("test", environment), TXN_TIME)


FIELDS = sorted(sample())


def changed(key: str, value: str) -> str:
    if key == "signature":  # one flipped byte; still valid base64, so the signature itself fails
        raw = bytearray(base64.b64decode(value))
        raw[len(raw) // 2] ^= 0x01
        return base64.b64encode(bytes(raw)).decode()
    return value[:-1] + ("0" if value[-1:] != "0" else "1")


@pytest.mark.parametrize("key", FIELDS)
def test_any_changed_field_fails(key: str) -> None:
    fields = sample()
    fields[key] = changed(key, fields[key])
    assert fields != sample()
    assert rejected(fields, chain("test")).reason == "signature"


@pytest.mark.parametrize("key", [k for k in FIELDS if k not in {"signature", "signPubKeyCert"}])
def test_any_removed_field_fails(key: str) -> None:
    fields = sample()
    del fields[key]
    assert rejected(fields, chain("test")).reason == "signature"


def test_an_added_field_fails() -> None:
    """Every received field is in the signed string: one UnionPay did not sign breaks it."""
    fields = sample() | {"reqReserved": "paid"}
    assert rejected(fields, chain("test")).reason == "signature"


def test_crlf_changed_to_lf_in_the_certificate_fails() -> None:
    fields = sample()
    fields["signPubKeyCert"] = fields["signPubKeyCert"].replace("\r\n", "\n")
    assert rejected(fields, chain("test")).reason == "signature"


def test_it_fails_today_its_signer_expired() -> None:
    assert rejected(sample(), chain("test"), time.time()).reason == "signature"
    expiry = dt.datetime(2025, 7, 31, 1, 19, 16, tzinfo=dt.UTC).timestamp()
    verify_message(sample(), chain("test"), expiry)  # the last second it is valid
    assert rejected(sample(), chain("test"), expiry + 1).reason == "signature"


@pytest.mark.parametrize("environment", ["test", "production"])
def test_it_does_not_chain_to_the_production_anchors(environment: str) -> None:
    assert rejected(sample(), chain("prod", environment)).reason == "signature"


@pytest.mark.parametrize("kind", ["test", "prod"])
def test_unionpay_anchors_load_as_a_chain(kind: str) -> None:
    trust = chain(kind)
    assert trust.middle.issuer == trust.root.subject


@pytest.mark.skipif(shutil.which("openssl") is None, reason="no openssl CLI on this machine")
def test_openssl_agrees_independently(tmp_path: Path) -> None:
    """An independent re-implementation with the openssl CLI: the chain at the notify's time,
    and SHA256withRSA over the SHA-256 hex of the sorted string (written out here, not paymux's)."""
    fields = json.loads((FIXTURES / "sandbox_front_notify.json").read_text("utf-8"))
    (tmp_path / "leaf.pem").write_bytes(fields["signPubKeyCert"].encode())
    (tmp_path / "signature.bin").write_bytes(base64.b64decode(fields["signature"]))
    text = "&".join(f"{k}={v}" for k, v in sorted(fields.items()) if k != "signature")
    hexdigest = subprocess.run(
        ["openssl", "dgst", "-sha256", "-r"], input=text.encode(), capture_output=True, check=True
    ).stdout.split()[0]
    (tmp_path / "digest.txt").write_bytes(hexdigest)
    public = subprocess.run(
        ["openssl", "x509", "-pubkey", "-noout", "-in", tmp_path / "leaf.pem"],
        capture_output=True,
        check=True,
    ).stdout
    (tmp_path / "public.pem").write_bytes(public)

    def signature_holds(data: Path) -> bool:
        check = ["openssl", "dgst", "-sha256", "-verify", tmp_path / "public.pem", "-signature"]
        return (
            subprocess.run(
                [*check, tmp_path / "signature.bin", data], capture_output=True, check=False
            ).returncode
            == 0
        )

    assert signature_holds(tmp_path / "digest.txt")
    (tmp_path / "text.txt").write_bytes(text.encode())
    assert not signature_holds(tmp_path / "text.txt")  # the string itself is not what is signed

    def chains(kind: str, at: int) -> bool:
        verify = ["openssl", "verify", "-auth_level", "0", "-attime", str(at), "-CAfile"]
        anchors = [FIXTURES / f"acp_{kind}_root.cer", "-untrusted", FIXTURES / f"acp_{kind}_middle.cer"]
        return (
            subprocess.run(
                [*verify, *anchors, tmp_path / "leaf.pem"], capture_output=True, check=False
            ).returncode
            == 0
        )

    assert chains("test", int(TXN_TIME))
    assert not chains("test", int(time.time()))
    assert not chains("prod", int(TXN_TIME))


def test_the_notify_path_posted_as_a_form_verifies() -> None:
    """As the callback receives it: urlencoded POST → parse_post → notify_fields → verify.
    An empty field posted alongside is dropped (UnionPay never signed it)."""
    body = encode_form(sample() | {"reqReserved": ""}).encode("ascii")
    received = parse_post(body)
    assert received["signPubKeyCert"] == sample()["signPubKeyCert"]  # CRLF survived the trip
    assert rejected(received, chain("test")).reason == "signature"
    verify_message(notify_fields(received), chain("test"), TXN_TIME)
