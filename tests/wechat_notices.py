"""Hand-made WeChat Pay callbacks for tests: signed and encrypted here, with the test's own
key, independently of both the sandbox and paymux's adapter (PROTOCOLS.md §1.2–1.3)."""

from __future__ import annotations

import base64
import json
import secrets
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

CST = timezone(timedelta(hours=8))


def transaction(
    *, appid: str, mchid: str, out_trade_no: str, total: int, state: str = "SUCCESS", now: float
) -> dict[str, Any]:
    return {
        "appid": appid,
        "mchid": mchid,
        "out_trade_no": out_trade_no,
        "transaction_id": "4200" + secrets.token_hex(12)[:24],
        "trade_type": "NATIVE",
        "trade_state": state,
        "trade_state_desc": "支付成功",
        "bank_type": "OTHERS",
        "attach": "",
        "success_time": datetime.fromtimestamp(int(now), UTC).astimezone(CST).isoformat(),
        "payer": {"openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"},
        "amount": {"total": total, "payer_total": total, "currency": "CNY", "payer_currency": "CNY"},
    }


def notice(
    resource_plain: dict[str, Any],
    *,
    signing_key: rsa.RSAPrivateKey,
    serial: str,
    apiv3_key: str,
    timestamp: float,
    event_type: str = "TRANSACTION.SUCCESS",
) -> tuple[dict[str, str], bytes]:
    nonce = secrets.token_hex(6)  # 12 characters
    associated = "transaction" if event_type.startswith("TRANSACTION") else "refund"
    ciphertext = AESGCM(apiv3_key.encode()).encrypt(
        nonce.encode(), json.dumps(resource_plain).encode(), associated.encode()
    )
    body = json.dumps(
        {
            "id": "EV-" + secrets.token_hex(10),
            "create_time": datetime.fromtimestamp(int(timestamp), CST).isoformat(),
            "resource_type": "encrypt-resource",
            "event_type": event_type,
            "summary": "支付成功",
            "resource": {
                "original_type": associated,
                "algorithm": "AEAD_AES_256_GCM",
                "ciphertext": base64.b64encode(ciphertext).decode(),
                "associated_data": associated,
                "nonce": nonce,
            },
        },
        ensure_ascii=False,
    ).encode()
    return sign_headers(body, signing_key=signing_key, serial=serial, timestamp=timestamp), body


def sign_headers(
    body: bytes, *, signing_key: rsa.RSAPrivateKey, serial: str, timestamp: float
) -> dict[str, str]:
    nonce = secrets.token_hex(16)
    message = f"{int(timestamp)}\n{nonce}\n".encode() + body + b"\n"
    signature = base64.b64encode(signing_key.sign(message, padding.PKCS1v15(), hashes.SHA256())).decode()
    return {
        "Wechatpay-Timestamp": str(int(timestamp)),
        "Wechatpay-Nonce": nonce,
        "Wechatpay-Signature": signature,
        "Wechatpay-Serial": serial,
        "Wechatpay-Signature-Type": "WECHATPAY2-SHA256-RSA2048",
        "Content-Type": "application/json",
    }
