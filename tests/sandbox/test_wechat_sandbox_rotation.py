"""Platform certificate rotation: a new certificate is published next to the old one and signs
from then on; both are downloadable and both stay accepted during the overlap."""

from __future__ import annotations

from collections.abc import Callable

from cryptography.x509 import load_pem_x509_certificate
from wechat_sandbox_helpers import MCHID, CallbackReceiver, RawSigner, native_order, verifies
from wechatpayv3.utils import aes_decrypt

from sandbox.wechat import GeneratedMerchant, WeChatSandbox

NATIVE = "/v3/pay/transactions/native"


def downloaded(sb: WeChatSandbox, identity: GeneratedMerchant) -> dict[str, bytes]:
    """serial → the decrypted certificate PEM, as a merchant downloads them."""
    response = RawSigner(identity, sb.base_url).send("GET", "/v3/certificates")
    assert response.status_code == 200
    assert verifies(sb, response.headers, response.text)
    certificates = {}
    for entry in response.json()["data"]:
        encrypted = entry["encrypt_certificate"]
        pem = aes_decrypt(
            encrypted["nonce"],
            encrypted["ciphertext"],
            encrypted["associated_data"],
            identity.merchant.apiv3_key.decode(),
        )
        certificate = load_pem_x509_certificate(pem.encode())
        assert f"{certificate.serial_number:040X}" == entry["serial_no"]
        certificates[entry["serial_no"]] = pem.encode()
    return certificates


def test_rotation_publishes_a_new_certificate_that_signs_from_then_on(
    make_sandbox: Callable[..., WeChatSandbox],
    identity: GeneratedMerchant,
    make_receiver: Callable[..., CallbackReceiver],
) -> None:
    sb = make_sandbox(key_mode="platform_cert")
    old = sb.platform_certificates[0]
    assert set(downloaded(sb, identity)) == {old["serial_no"]}

    new = sb.rotate_platform_certificate()
    assert new["serial_no"] != old["serial_no"]
    assert [c["serial_no"] for c in sb.platform_certificates] == [old["serial_no"], new["serial_no"]]
    assert downloaded(sb, identity) == {
        old["serial_no"]: old["certificate_pem"],
        new["serial_no"]: new["certificate_pem"],
    }

    signer = RawSigner(identity, sb.base_url)
    receiver = make_receiver()
    order = native_order("ORDER_ROT_001", notify_url=receiver.url)
    response = signer.send("POST", NATIVE, order)
    assert response.status_code == 200
    assert response.headers["Wechatpay-Serial"] == new["serial_no"]  # answers: the new one
    assert verifies(sb, response.headers, response.text)
    sb.pay(MCHID, "ORDER_ROT_001")
    (call,) = receiver.wait_for(1)
    assert call.headers["Wechatpay-Serial"] == new["serial_no"]  # callbacks too
    assert verifies(sb, call.headers, call.body)

    # During the overlap a request may still name either certificate.
    for serial in (old["serial_no"], new["serial_no"]):
        query = signer.send(
            "GET",
            f"/v3/pay/transactions/out-trade-no/ORDER_ROT_001?mchid={MCHID}",
            headers={"Wechatpay-Serial": serial},
        )
        assert query.status_code == 200


def test_rotation_in_public_key_mode_downloads_nothing(
    sb: WeChatSandbox, identity: GeneratedMerchant
) -> None:
    sb.rotate_platform_certificate()
    response = RawSigner(identity, sb.base_url).send("GET", "/v3/certificates")
    assert (response.status_code, response.json()["code"]) == (404, "RESOURCE_NOT_EXISTS")


def test_signature_headers_sign_with_the_named_key(
    make_sandbox: Callable[..., WeChatSandbox],
) -> None:
    sb = make_sandbox(key_mode="both")
    body = b'{"id":"EV-1"}'
    assert sb.signature_headers(body)["Wechatpay-Serial"] == sb.platform_certificates[-1]["serial_no"]
    for serial in (sb.public_key_id, sb.platform_certificates[0]["serial_no"]):
        headers = sb.signature_headers(body, serial)
        assert headers["Wechatpay-Serial"] == serial
        assert verifies(sb, headers, body.decode())
