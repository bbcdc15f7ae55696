"""Helpers for the WeChat sandbox tests (a uniquely named module, imported by the tests).

The merchant side is ``wechatpayv3`` (an independent client library) wherever it fits; raw
requests for the negative cases are signed with ``wechatpayv3.utils.rsa_sign`` over a message
built here, so no test trusts the sandbox's own signing code.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import requests
from cryptography.x509 import load_pem_x509_certificate
from wechatpayv3 import WeChatPay, WeChatPayType
from wechatpayv3.utils import load_private_key, load_public_key, rsa_sign, rsa_verify

from sandbox.wechat import GeneratedMerchant, WeChatSandbox

MCHID = "1900000109"
APPID = "wx8888888888888888"
OTHER_APPID = "wx9999999999999999"


def wechat_keys(sb: WeChatSandbox) -> dict[str, Any]:
    """Wechatpay-Serial → the public key a merchant would verify with."""
    keys: dict[str, Any] = {sb.public_key_id: load_public_key(sb.public_key_pem.decode())}
    for cert in sb.platform_certificates:
        keys[cert["serial_no"]] = load_pem_x509_certificate(cert["certificate_pem"]).public_key()
    return keys


def verifies(sb: WeChatSandbox, headers: Any, body: str) -> bool:
    key = wechat_keys(sb)[headers["Wechatpay-Serial"]]
    return bool(
        rsa_verify(
            headers["Wechatpay-Timestamp"],
            headers["Wechatpay-Nonce"],
            body,
            headers["Wechatpay-Signature"],
            key,
        )
    )


def client(
    sb: WeChatSandbox,
    identity: GeneratedMerchant,
    notify_url: str = "http://127.0.0.1:9/notify",
    *,
    cert_dir: Path | None = None,
    wechatpay_type: WeChatPayType = WeChatPayType.NATIVE,
) -> WeChatPay:
    """A wechatpayv3 client pointed at the sandbox: public-key mode, or platform-certificate
    mode when ``cert_dir`` holds the platform certificate (so nothing is downloaded)."""
    pay = WeChatPay(
        wechatpay_type=wechatpay_type,
        mchid=MCHID,
        private_key=identity.private_key_pem.decode(),
        cert_serial_no=identity.merchant.merchant_cert_serial,
        appid=APPID,
        apiv3_key=identity.merchant.apiv3_key.decode(),
        notify_url=notify_url,
        cert_dir=str(cert_dir) if cert_dir else None,
        public_key=None if cert_dir else sb.public_key_pem.decode(),
        public_key_id=None if cert_dir else sb.public_key_id,
    )
    pay._core._gate_way = sb.base_url  # wechatpayv3 has no public gateway setting
    return pay


@dataclass
class RawSigner:
    """Signs requests by hand: ``METHOD\\nURL\\nTS\\nNONCE\\nBODY\\n``, RSA-SHA256, base64."""

    identity: GeneratedMerchant
    base_url: str

    def authorization(
        self,
        method: str,
        url: str,
        body: str,
        *,
        timestamp: int | None = None,
        serial_no: str | None = None,
        mchid: str = MCHID,
        nonce: str = "593BEC0C930BF1AFEB40B4A08C8FB242",
    ) -> str:
        ts = str(int(time.time()) if timestamp is None else timestamp)
        key = load_private_key(self.identity.private_key_pem.decode())
        signature = rsa_sign(key, f"{method}\n{url}\n{ts}\n{nonce}\n{body}\n")
        serial = serial_no or self.identity.merchant.merchant_cert_serial
        return (
            f'WECHATPAY2-SHA256-RSA2048 mchid="{mchid}",nonce_str="{nonce}",'
            f'signature="{signature}",timestamp="{ts}",serial_no="{serial}"'
        )

    def send(
        self,
        method: str,
        url: str,
        payload: dict[str, Any] | None = None,
        *,
        authorization: str | None = None,
        headers: dict[str, str] | None = None,
        **sign_options: Any,
    ) -> requests.Response:
        body = "" if payload is None else json.dumps(payload)
        auth = authorization or self.authorization(method, url, body, **sign_options)
        all_headers = {
            "Authorization": auth,
            "Accept": "application/json",
            "User-Agent": "paymux-tests/1.0",
            "Content-Type": "application/json",
        } | (headers or {})
        return requests.request(
            method, self.base_url + url, data=body.encode(), headers=all_headers, timeout=10
        )


def native_order(out_trade_no: str, total: int = 100, **extra: Any) -> dict[str, Any]:
    return {
        "appid": APPID,
        "mchid": MCHID,
        "description": "Image形象店-深圳腾大-QQ公仔",
        "out_trade_no": out_trade_no,
        "notify_url": "http://127.0.0.1:9/notify",
        "amount": {"total": total, "currency": "CNY"},
    } | extra


@dataclass
class Received:
    headers: dict[str, str]
    body: str
    answered: int


class CallbackReceiver:
    """A merchant notify endpoint that answers with ``statuses`` in turn, then 200."""

    def __init__(self, statuses: list[int] | None = None, hold: threading.Event | None = None) -> None:
        self.statuses = list(statuses or [])
        self.received: list[Received] = []
        self._cond = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if hold is not None:
                    hold.wait(10)  # a slow merchant: answers only when the test says so
                with receiver._cond:
                    status = receiver.statuses.pop(0) if receiver.statuses else 200
                    receiver.received.append(Received(dict(self.headers.items()), body.decode(), status))
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
        return f"http://127.0.0.1:{self._server.server_address[1]}/wechat/notify"

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Received]:
        with self._cond:
            self._cond.wait_for(lambda: len(self.received) >= count, timeout)
            return list(self.received)

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
