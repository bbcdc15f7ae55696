"""The person-facing pay page, and the platform certificate download."""

from __future__ import annotations

import json
from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from cryptography.x509 import load_pem_x509_certificate
from wechat_sandbox_helpers import MCHID, CallbackReceiver, RawSigner, native_order
from wechatpayv3.utils import aes_decrypt

from sandbox.wechat import GeneratedMerchant, WeChatSandbox

NATIVE = "/v3/pay/transactions/native"


def code_of(code_url: str) -> str:
    return parse_qs(urlsplit(code_url).query)["pr"][0]


def test_pay_page_shows_the_qr_and_pays_when_the_person_clicks_pay(
    sb: WeChatSandbox,
    raw: RawSigner,
    make_receiver: Callable[..., CallbackReceiver],
) -> None:
    receiver = make_receiver()
    body = native_order("ORDER_PAGE_01", 1234, notify_url=receiver.url)
    code = code_of(raw.send("POST", NATIVE, body).json()["code_url"])
    page = requests.get(f"{sb.base_url}/sandbox/pay", params={"code": code}, timeout=10)
    assert page.status_code == 200
    assert "<svg" in page.text
    assert "¥ 12.34" in page.text
    assert "value='pay'" in page.text
    assert "value='nothing'" in page.text
    nothing = requests.post(
        f"{sb.base_url}/sandbox/pay", data={"code": code, "action": "nothing"}, timeout=10
    )
    assert nothing.status_code == 200
    assert sb.orders["ORDER_PAGE_01"]["trade_state"] == "NOTPAY"
    paid = requests.post(
        f"{sb.base_url}/sandbox/pay",
        data={"code": code, "action": "pay", "openid": "oPage000000000000000000000001"},
        timeout=10,
    )
    assert paid.status_code == 200
    assert sb.orders["ORDER_PAGE_01"]["trade_state"] == "SUCCESS"
    assert sb.orders["ORDER_PAGE_01"]["payer"] == {"openid": "oPage000000000000000000000001"}
    assert len(receiver.wait_for(1)) == 1
    again = requests.post(f"{sb.base_url}/sandbox/pay", json={"code": code, "action": "pay"}, timeout=10)
    assert again.status_code == 409
    assert again.json()["trade_state"] == "SUCCESS"


def test_index_lists_orders_and_unknown_code_is_404(sb: WeChatSandbox, raw: RawSigner) -> None:
    raw.send("POST", NATIVE, native_order("ORDER_PAGE_02"))
    index = requests.get(f"{sb.base_url}/sandbox/", timeout=10)
    assert index.status_code == 200
    assert "ORDER_PAGE_02" in index.text
    assert "NOTPAY" in index.text
    missing = requests.get(f"{sb.base_url}/sandbox/pay?code=nope", timeout=10)
    assert missing.status_code == 404


def test_certificates_download_decrypts_to_the_platform_certificate(
    make_sandbox: Callable[..., WeChatSandbox], identity: GeneratedMerchant
) -> None:
    sb = make_sandbox(key_mode="platform_cert")
    response = RawSigner(identity, sb.base_url).send("GET", "/v3/certificates")
    assert response.status_code == 200
    (entry,) = response.json()["data"]
    assert entry["serial_no"] == sb.platform_certificates[0]["serial_no"]
    encrypted = entry["encrypt_certificate"]
    assert encrypted["associated_data"] == "certificate"
    pem = aes_decrypt(
        encrypted["nonce"],
        encrypted["ciphertext"],
        encrypted["associated_data"],
        identity.merchant.apiv3_key.decode(),
    )
    certificate = load_pem_x509_certificate(pem.encode())
    assert f"{certificate.serial_number:040X}" == entry["serial_no"]


def test_public_key_only_merchant_has_no_platform_certificate(sb: WeChatSandbox, raw: RawSigner) -> None:
    response = raw.send("GET", "/v3/certificates")
    assert response.status_code == 404
    assert response.json()["code"] == "RESOURCE_NOT_EXISTS"
    assert response.json()["message"].startswith("无可用的平台证书")


def test_orders_view_is_read_only(sb: WeChatSandbox, raw: RawSigner) -> None:
    raw.send("POST", NATIVE, native_order("ORDER_VIEW_01"))
    view = sb.orders
    with pytest.raises(TypeError):
        view["ORDER_VIEW_01"] = {}  # type: ignore[index]
    view["ORDER_VIEW_01"]["trade_state"] = "SUCCESS"  # a copy: the sandbox is untouched
    assert sb.orders["ORDER_VIEW_01"]["trade_state"] == "NOTPAY"
    assert json.dumps(sb.orders["ORDER_VIEW_01"]["prepay"]).startswith('{"code_url"')
    assert sb.orders["ORDER_VIEW_01"]["mchid"] == MCHID
