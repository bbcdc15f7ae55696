"""Helpers for the Alipay sandbox tests (a uniquely named module, imported by the tests).

The merchant side is written here from PROTOCOLS.md §2 with ``cryptography`` directly (and
``python-alipay-sdk`` in some tests), so no test trusts the sandbox's own signing code:
requests are signed by the request rule (every param but ``sign``, empty values dropped,
ASCII order, raw values), answers are cut out of the body by brace matching that respects
JSON strings (the Java SDK's way) and verified with the Alipay public key, notifications are
verified by the Java SDK rule (``sign`` and ``sign_type`` removed, empty values dropped).
"""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlencode

import requests
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from sandbox.alipay import AlipaySandbox, GeneratedApp, generate_app

APP_ID = "2021000000000001"
PID = "2088000000000001"
OTHER_APP_ID = "2021000000000002"
GMT8 = timezone(timedelta(hours=8))


@cache
def identity() -> GeneratedApp:
    """One app key pair for the whole run (RSA key generation is the slow part)."""
    return generate_app(app_id=APP_ID, pid=PID)


@cache
def stranger() -> GeneratedApp:
    """A key pair the sandbox never heard of (for "wrong key" cases)."""
    return generate_app(app_id=APP_ID, pid=PID)


class FakeClock:
    """A settable clock (epoch seconds) shared by the sandbox and the client."""

    def __init__(self, start: float | None = None) -> None:
        self.now = time.time() if start is None else start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def gmt8(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, GMT8).strftime("%Y-%m-%d %H:%M:%S")


def sign_text(params: dict[str, str], *, drop: tuple[str, ...]) -> str:
    return "&".join(f"{k}={params[k]}" for k in sorted(params) if k not in drop and params[k] != "")


def rsa2(private_key_pem: bytes, message: bytes) -> str:
    key = serialization.load_pem_private_key(private_key_pem, password=None)
    assert isinstance(key, rsa.RSAPrivateKey)
    return base64.b64encode(key.sign(message, padding.PKCS1v15(), hashes.SHA256())).decode()


def rsa2_ok(public_key_pem: bytes, message: bytes, signature: str) -> bool:
    key = serialization.load_pem_public_key(public_key_pem)
    assert isinstance(key, rsa.RSAPublicKey)
    try:
        key.verify(base64.b64decode(signature), message, padding.PKCS1v15(), hashes.SHA256())
    except (InvalidSignature, ValueError):
        return False
    return True


def extract_response(text: str, key: str) -> str | None:
    """The raw JSON text of ``key``'s value, matched brace by brace outside JSON strings."""
    marker = f'"{key}"'
    start = text.find(marker)
    if start < 0:
        return None
    start = text.index("{", start + len(marker))
    depth, in_string, escaped = 0, False, False
    for index in range(start, len(text)):
        char = text[index]
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                return text[start : index + 1]
    return None


def verify_notify(form: dict[str, str], alipay_public_key_pem: bytes, charset: str = "utf-8") -> bool:
    """The Java SDK's rsaCheckV1: drop sign and sign_type and empty values, sort, join."""
    content = sign_text(form, drop=("sign", "sign_type"))
    return rsa2_ok(alipay_public_key_pem, content.encode(charset), form.get("sign", ""))


@dataclass
class Answer:
    http_status: int
    text: str
    key: str
    headers: dict[str, str]

    @property
    def document(self) -> dict[str, Any]:
        return dict(json.loads(self.text))

    @property
    def response(self) -> dict[str, Any]:
        return dict(self.document[self.key])

    @property
    def signed(self) -> bool:
        return "sign" in self.document

    def verifies(self, alipay_public_key_pem: bytes, charset: str = "utf-8") -> bool:
        raw = extract_response(self.text, self.key)
        return raw is not None and rsa2_ok(alipay_public_key_pem, raw.encode(charset), self.document["sign"])

    def __getitem__(self, name: str) -> Any:
        return self.response[name]


@dataclass
class Client:
    """A tiny merchant-side gateway client."""

    gateway_url: str
    private_key_pem: bytes
    clock: Callable[[], float] = time.time
    app_id: str = APP_ID

    def params(self, method: str, biz: dict[str, Any] | None = None, **extra: str) -> dict[str, str]:
        params = {
            "app_id": self.app_id,
            "method": method,
            "format": "JSON",
            "charset": "utf-8",
            "sign_type": "RSA2",
            "timestamp": gmt8(self.clock()),
            "version": "1.0",
        }
        if biz is not None:
            params["biz_content"] = json.dumps(biz, ensure_ascii=False, separators=(",", ":"))
        return params | extra

    def sign(
        self, params: dict[str, str], *, key_pem: bytes | None = None, charset: str = "utf-8"
    ) -> dict[str, str]:
        content = sign_text(params, drop=("sign",))
        return params | {"sign": rsa2(key_pem or self.private_key_pem, content.encode(charset))}

    def send(self, params: dict[str, str], *, style: str = "split", charset: str = "utf-8") -> Answer:
        """``split``: common params in the query, biz_content in the body (official SDKs);
        ``body``: everything in the form body; ``query``: everything in a GET query."""
        if style == "query":
            url = f"{self.gateway_url}?{urlencode(params, encoding=charset)}"
            response = requests.get(url, timeout=10)
        else:
            in_body = params if style == "body" else {k: v for k, v in params.items() if k == "biz_content"}
            in_query = {} if style == "body" else {k: v for k, v in params.items() if k != "biz_content"}
            url = (
                f"{self.gateway_url}?{urlencode(in_query, encoding=charset)}"
                if in_query
                else self.gateway_url
            )
            headers = {"Content-Type": f"application/x-www-form-urlencoded;charset={charset}"}
            response = requests.post(
                url, data=urlencode(in_body, encoding=charset), headers=headers, timeout=10
            )
        text = response.content.decode(charset)
        key = params.get("method", "").replace(".", "_") + "_response"
        if f'"{key}"' not in text:
            key = "error_response"
        return Answer(response.status_code, text, key, dict(response.headers))

    def call(
        self, method: str, biz: dict[str, Any] | None = None, *, style: str = "split", **extra: str
    ) -> Answer:
        return self.send(self.sign(self.params(method, biz, **extra)), style=style)

    def order_string(self, method: str, biz: dict[str, Any], **extra: str) -> str:
        return urlencode(self.sign(self.params(method, biz, **extra)))


@dataclass
class Received:
    form: dict[str, str]
    content_type: str
    raw: bytes
    answered: tuple[int, str]


class NotifyReceiver:
    """A merchant notify endpoint answering ``answers`` in turn, then ``(200, "success")``."""

    def __init__(self, answers: list[tuple[int, str]] | None = None) -> None:
        self.answers = list(answers or [])
        self.received: list[Received] = []
        self._cond = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                content_type = self.headers.get("Content-Type", "")
                charset = (
                    content_type.split("charset=")[-1].strip() if "charset=" in content_type else "utf-8"
                )
                form = dict(parse_qsl(raw.decode("ascii"), keep_blank_values=True, encoding=charset))
                with receiver._cond:
                    answer = receiver.answers.pop(0) if receiver.answers else (200, "success")
                    receiver.received.append(Received(form, content_type, raw, answer))
                    receiver._cond.notify_all()
                body = answer[1].encode()
                self.send_response(answer[0])
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/alipay/notify"

    def wait_for(self, count: int, timeout: float = 5.0) -> list[Received]:
        with self._cond:
            self._cond.wait_for(lambda: len(self.received) >= count, timeout)
            return list(self.received)

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@dataclass
class AlipayEnv:
    sb: AlipaySandbox
    app: GeneratedApp
    client: Client
    clock: Callable[[], float]
    receivers: list[NotifyReceiver] = field(default_factory=list)

    def receiver(self, answers: list[tuple[int, str]] | None = None) -> NotifyReceiver:
        made = NotifyReceiver(answers)
        self.receivers.append(made)
        return made

    @property
    def key(self) -> bytes:
        return self.sb.alipay_public_key_pem

    def precreate(
        self, out_trade_no: str, amount: str = "88.88", notify_url: str | None = None, **biz: Any
    ) -> Answer:
        content = {"out_trade_no": out_trade_no, "total_amount": amount, "subject": "Iphone6 16G"} | biz
        extra = {"notify_url": notify_url} if notify_url else {}
        return self.client.call("alipay.trade.precreate", content, **extra)

    def query(self, out_trade_no: str) -> Answer:
        return self.client.call("alipay.trade.query", {"out_trade_no": out_trade_no})

    def refund(self, out_trade_no: str, amount: str, out_request_no: str | None = None, **biz: Any) -> Answer:
        content: dict[str, Any] = {"out_trade_no": out_trade_no, "refund_amount": amount} | biz
        if out_request_no:
            content["out_request_no"] = out_request_no
        return self.client.call("alipay.trade.refund", content)

    def paid_trade(
        self, out_trade_no: str, amount: str = "100.00", notify_url: str | None = None
    ) -> dict[str, Any]:
        answer = self.precreate(out_trade_no, amount, notify_url=notify_url)
        assert answer["code"] == "10000", answer.text
        return self.sb.pay(APP_ID, out_trade_no)


@contextmanager
def alipay_env(clock: Callable[[], float] | None = None, **options: Any) -> Iterator[AlipayEnv]:
    """A started sandbox with the test app registered, a client and receivers to clean up."""
    options.setdefault("notify_time_scale", 0.0005)
    the_clock = clock or time.time
    sb = AlipaySandbox(clock=the_clock, **options)
    sb.register_app(identity().app)
    sb.start()
    env = AlipayEnv(sb, identity(), Client(sb.gateway_url, identity().private_key_pem, the_clock), the_clock)
    try:
        yield env
    finally:
        sb.stop()
        for receiver in env.receivers:
            receiver.close()


class _Gmt8DateTime(datetime):
    """python-alipay-sdk stamps ``timestamp`` with the machine's local time; Alipay wants GMT+8."""

    @classmethod
    def now(cls, tz: Any = None) -> _Gmt8DateTime:  # type: ignore[override]
        moment = datetime.now(GMT8).replace(tzinfo=None)
        return cls(*moment.timetuple()[:6])


def sdk_client(env: AlipayEnv, monkeypatch: Any, notify_url: str | None = None) -> Any:
    """A python-alipay-sdk ``AliPay`` pointed at the sandbox (its ``timestamp`` made GMT+8)."""
    import alipay

    monkeypatch.setattr(alipay, "datetime", _Gmt8DateTime)
    client = alipay.AliPay(
        appid=APP_ID,
        app_notify_url=notify_url,
        app_private_key_string=env.app.private_key_pem.decode(),
        alipay_public_key_string=env.key.decode(),
        sign_type="RSA2",
    )
    client._gateway = env.sb.gateway_url  # python-alipay-sdk has no public gateway setting
    return client
