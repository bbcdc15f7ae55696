"""Certificates and signatures: the sandbox's chain is UnionPay-shaped, it checks requests as
UnionPay does (certId, sorted sign string, SHA256withRSA over the SHA-256 hex), and every
answer verifies against its root and middle."""

from __future__ import annotations

import base64
import time
from collections.abc import Callable

import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID
from unionpay_sandbox_client import MER_ID, AcpClient, Trust, beijing, is_ca, parse_answer

from sandbox.unionpay import GeneratedMerchant, UnionPaySandbox, generate_merchant

QUERY = "/gateway/api/queryTrans.do"


def query_fields(client: AcpClient, order_id: str = "ORDER00000001") -> dict[str, str]:
    return client.envelope(MER_ID, txnType="00", txnSubType="00", bizType="000000", orderId=order_id)


def test_the_chain_is_shaped_like_unionpays(make_unionpay: Callable[..., UnionPaySandbox]) -> None:
    sb = make_unionpay()
    root = x509.load_pem_x509_certificate(sb.root_pem)
    middle = x509.load_pem_x509_certificate(sb.middle_pem)
    leaf = x509.load_pem_x509_certificate(sb.sign_pub_key_cert.encode())
    assert root.subject == root.issuer and is_ca(root)
    assert middle.issuer == root.subject and is_ca(middle)
    assert leaf.issuer == middle.subject and not is_ca(leaf)
    cn = str(leaf.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value)
    parts = cn.split("@")
    assert parts[:3] == ["041", "8310000000083040", "中国银联股份有限公司"]
    assert len(parts) == 4 and parts[3].isdigit()
    with pytest.raises(x509.ExtensionNotFound):
        leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    assert "\r\n" in sb.sign_pub_key_cert and "\n" not in sb.sign_pub_key_cert.replace("\r\n", "")
    assert sb.sign_pub_key_cert.endswith("\r\n-----END CERTIFICATE-----")  # as the real one ends


def test_a_generated_merchant_is_a_pkcs12_known_by_its_decimal_serial() -> None:
    identity = generate_merchant(MER_ID, "s3cret")
    key, cert, _ = pkcs12.load_key_and_certificates(identity.pkcs12, b"s3cret")
    assert key is not None and cert is not None
    assert identity.cert_id == str(cert.serial_number) and identity.cert_id.isdigit()
    with pytest.raises(ValueError):
        pkcs12.load_key_and_certificates(identity.pkcs12, b"wrong")


def test_a_correctly_signed_request_gets_past_the_signature_check(
    make_unionpay: Callable[..., UnionPaySandbox], unionpay_identity: GeneratedMerchant
) -> None:
    sb = make_unionpay(unionpay_identity)
    client = AcpClient(sb, unionpay_identity)
    answer = client.post(QUERY, query_fields(client))
    assert (answer["respCode"], answer["respMsg"]) == ("34", "查无此交易[2600000]")
    assert answer["merId"] == MER_ID and answer["orderId"] == "ORDER00000001"
    assert answer["signMethod"] == "01"


@pytest.mark.parametrize("field", ["orderId", "txnTime", "merId", "certId"])
def test_a_tampered_field_is_refused_as_a_bad_signature(
    make_unionpay: Callable[..., UnionPaySandbox], unionpay_identity: GeneratedMerchant, field: str
) -> None:
    sb = make_unionpay(unionpay_identity)
    client = AcpClient(sb, unionpay_identity)
    signed = client.sign(query_fields(client))
    signed[field] = {"orderId": "ORDER00000002", "txnTime": "20200101000000", "merId": MER_ID}.get(
        field, str(int(signed["certId"]) + 1)
    )
    if field == "merId":
        signed["reqReserved"] = "added after signing"
    answer = parse_answer(client.post_raw(QUERY, signed).text)
    assert answer["respCode"] == "11"
    assert answer["respMsg"].startswith("验证签名失败")
    assert Trust.of(sb).verifies(answer)  # refusals are signed too


def test_a_signature_by_another_key_with_the_right_cert_id_is_refused(
    make_unionpay: Callable[..., UnionPaySandbox], unionpay_identity: GeneratedMerchant
) -> None:
    sb = make_unionpay(unionpay_identity)
    impostor = AcpClient(sb, generate_merchant(MER_ID))
    impostor.cert_id = unionpay_identity.cert_id
    answer = parse_answer(impostor.post_raw(QUERY, impostor.sign(query_fields(impostor))).text)
    assert answer["respCode"] == "11"


def test_the_signature_is_over_the_sha256_hex_not_the_string(
    make_unionpay: Callable[..., UnionPaySandbox], unionpay_identity: GeneratedMerchant
) -> None:
    sb = make_unionpay(unionpay_identity)
    client = AcpClient(sb, unionpay_identity)
    fields = query_fields(client) | {"certId": client.cert_id}
    text = "&".join(f"{k}={fields[k]}" for k in sorted(fields)).encode()
    fields["signature"] = base64.b64encode(
        client.key.sign(text, padding.PKCS1v15(), hashes.SHA256())
    ).decode()
    assert parse_answer(client.post_raw(QUERY, fields).text)["respCode"] == "11"


def test_a_request_without_signature_or_cert_id_lacks_a_field(
    make_unionpay: Callable[..., UnionPaySandbox], unionpay_identity: GeneratedMerchant
) -> None:
    sb = make_unionpay(unionpay_identity)
    client = AcpClient(sb, unionpay_identity)
    assert parse_answer(client.post_raw(QUERY, query_fields(client)).text)["respCode"] == "13"
    unknown = client.sign(query_fields(client) | {"merId": "777290058199999"})
    assert parse_answer(client.post_raw(QUERY, unknown).text)["respCode"] == "31"


@pytest.mark.parametrize(
    ("change", "resp_msg"),
    [
        ({"version": "5.0.0"}, "version无效"),
        ({"signMethod": "11"}, "signMethod无效"),
        ({"orderId": "ORDER-0001"}, "orderId格式错误"),
        ({"orderId": "ORDER_0001"}, "orderId格式错误"),
        ({"orderId": "SHORT7x"}, "orderId格式错误"),
        ({"orderId": "A" * 41}, "orderId格式错误"),
        ({"txnAmt": "10.00"}, "txnAmt格式错误"),
        ({"txnAmt": "0100"}, "txnAmt格式错误"),
        ({"currencyCode": "840"}, "currencyCode无效"),
        ({"txnTime": "20200101120000"}, "txnTime无效"),
        ({"txnTime": "2026-01-01"}, "txnTime无效"),
    ],
)
def test_fields_are_checked_like_unionpay(
    make_unionpay: Callable[..., UnionPaySandbox],
    unionpay_identity: GeneratedMerchant,
    change: dict[str, str],
    resp_msg: str,
) -> None:
    sb = make_unionpay(unionpay_identity)
    client = AcpClient(sb, unionpay_identity)
    fields = client.envelope(
        MER_ID, txnType="01", txnSubType="07", bizType="000000", channelType="08", orderId="ORDER00000001",
        txnAmt="100", currencyCode="156", backUrl="http://127.0.0.1:9/notify",
    ) | change  # fmt: skip
    answer = client.post("/gateway/api/backTransReq.do", fields)
    assert answer["respCode"] == "10"
    assert answer["respMsg"] == resp_msg
    assert "qrCode" not in answer and not sb.transactions


def test_txn_time_within_the_tolerance_is_current(
    make_unionpay: Callable[..., UnionPaySandbox], unionpay_identity: GeneratedMerchant
) -> None:
    sb = make_unionpay(unionpay_identity, txn_time_tolerance=60)
    client = AcpClient(sb, unionpay_identity)
    fields = client.envelope(
        MER_ID, txnType="01", txnSubType="07", bizType="000000", channelType="08", orderId="ORDER00000001",
        txnAmt="100", currencyCode="156", backUrl="http://127.0.0.1:9/notify",
    )  # fmt: skip
    late = fields | {"txnTime": beijing(time.time() - 120), "orderId": "ORDER00000002"}
    assert client.post("/gateway/api/backTransReq.do", late)["respMsg"] == "txnTime无效"
    assert client.post("/gateway/api/backTransReq.do", fields)["respCode"] == "00"


def test_answers_verify_only_with_their_exact_bytes_and_the_right_chain(
    make_unionpay: Callable[..., UnionPaySandbox], unionpay_identity: GeneratedMerchant
) -> None:
    sb = make_unionpay(unionpay_identity)
    other = make_unionpay()
    client = AcpClient(sb, unionpay_identity)
    answer = client.post(QUERY, query_fields(client))
    trust = Trust.of(sb)
    assert trust.verifies(answer)
    assert not trust.verifies(answer | {"respCode": "00"})
    assert not trust.verifies(answer | {"signPubKeyCert": answer["signPubKeyCert"].replace("\r\n", "\n")})
    assert not Trust.of(other).verifies(answer)  # another sandbox's root and middle
    forged = other.sign({k: v for k, v in answer.items() if k not in ("signature", "signPubKeyCert")})
    assert Trust.of(other).verifies(forged) and not trust.verifies(forged)


def test_an_acquirers_certificate_does_not_sign_for_a_direct_merchant(
    make_unionpay: Callable[..., UnionPaySandbox], unionpay_identity: GeneratedMerchant
) -> None:
    sb = make_unionpay(unionpay_identity)
    acquirer = generate_merchant("48021000")
    sb.register_acquirer("48021000", ["898110000000001"], acquirer)
    client = AcpClient(sb, acquirer)
    assert parse_answer(client.post_raw(QUERY, client.sign(query_fields(client))).text)["respCode"] == "11"


def test_garbage_gets_a_signed_refusal_never_a_server_error(
    make_unionpay: Callable[..., UnionPaySandbox], unionpay_identity: GeneratedMerchant
) -> None:
    sb = make_unionpay(unionpay_identity)
    trust = Trust.of(sb)
    for path in (QUERY, "/gateway/api/backTransReq.do", "/"):
        for body in (b"", b"\xff\xfe%%%&&==", b"version=5.1.0&version=9&signature=%%%", b"a" * 5000):
            response = requests.post(sb.base_url + path, data=body, timeout=10)
            assert response.status_code == 200
            answer = parse_answer(response.text)
            assert answer["respCode"] in {"10", "13"} and trust.verifies(answer)
    client = AcpClient(sb, unionpay_identity)
    bad_signature = client.sign(query_fields(client)) | {"signature": "not base64 at all!"}
    assert parse_answer(client.post_raw(QUERY, bad_signature).text)["respCode"] == "11"
