"""Alipay OpenAPI RSA2 signatures (PROTOCOLS.md §2.2, §2.3, §2.5). Pure: no I/O; everything
raises on anything wrong.

* Requests: every parameter but `sign`, empty values dropped, `sign_type` kept, sorted by key,
  joined `k=v&…` with raw values, RSA-SHA256 (PKCS#1 v1.5) with the app private key, base64.
* Synchronous responses: the signed content is the raw JSON text of the `<method>_response`
  (or `error_response`) value, cut out of the body byte for byte by brace matching that
  respects strings and escapes (as the Java SDK does; a naive brace count is wrong).
* Async notifications: like requests, but `sign_type` is removed too (Java SDK `rsaCheckV1`);
  only RSA2 is accepted, never SHA-1."""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from paymux.errors import CallbackRejected, ConfigurationError

SIGN_TYPE = "RSA2"


def _pem(text: str, kind: str) -> bytes:
    """Alipay's console hands keys out as bare base64; PEM is accepted as well."""
    text = text.strip()
    if text.startswith("-----BEGIN"):
        return text.encode()
    body = "\n".join(text[i : i + 64] for i in range(0, len(text), 64))
    return f"-----BEGIN {kind}-----\n{body}\n-----END {kind}-----\n".encode()


def load_private_key(text: str) -> rsa.RSAPrivateKey:
    """The application private key (PKCS#8, or PKCS#1 when given as PEM)."""
    key = serialization.load_pem_private_key(_pem(text, "PRIVATE KEY"), password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ConfigurationError("the Alipay application key must be an RSA private key")
    return key


def load_public_key(text: str) -> rsa.RSAPublicKey:
    """Alipay's public key (SubjectPublicKeyInfo), not the application's."""
    key = serialization.load_pem_public_key(_pem(text, "PUBLIC KEY"))
    if not isinstance(key, rsa.RSAPublicKey):
        raise ConfigurationError("the Alipay public key must be an RSA public key")
    return key


def sign_content(params: Mapping[str, Any], exclude: frozenset[str] = frozenset({"sign"})) -> str:
    items = sorted(
        (k, str(v)) for k, v in params.items() if k not in exclude and v is not None and str(v) != ""
    )
    return "&".join(f"{k}={v}" for k, v in items)


def sign(private_key: rsa.RSAPrivateKey, content: str, charset: str = "utf-8") -> str:
    signature = private_key.sign(content.encode(charset), padding.PKCS1v15(), hashes.SHA256())
    return base64.b64encode(signature).decode()


def sign_request(private_key: rsa.RSAPrivateKey, params: Mapping[str, Any]) -> dict[str, str]:
    """The request's parameters with `sign` added (`sign_type` must be among them)."""
    if params.get("sign_type") != SIGN_TYPE:
        raise ValueError("Alipay requests are signed with sign_type=RSA2")
    signed = {k: str(v) for k, v in params.items() if v is not None and str(v) != ""}
    signed["sign"] = sign(private_key, sign_content(signed), str(params.get("charset", "utf-8")))
    return signed


def _verify(public_key: rsa.RSAPublicKey, content: str, signature: str, charset: str = "utf-8") -> None:
    try:
        public_key.verify(
            base64.b64decode(signature, validate=True),
            content.encode(charset),
            padding.PKCS1v15(),
            hashes.SHA256(),
        )
    except (InvalidSignature, ValueError) as exc:
        raise CallbackRejected("Alipay signature does not verify", reason="signature") from exc


def extract_response(body: str, key: str) -> str:
    """The raw text of the JSON object stored under `key` in `body`, byte for byte."""
    at = body.find(f'"{key}"')
    if at < 0:
        raise CallbackRejected(f"Alipay response has no {key}")
    start = body.find("{", body.find(":", at + len(key) + 2))
    if start < 0:
        raise CallbackRejected(f"Alipay response {key} is not an object")
    depth, in_string, index = 0, False, start
    while index < len(body):
        char = body[index]
        if in_string:
            if char == "\\":
                index += 2  # an escape: the next character is content, whatever it is
                continue
            in_string = char != '"'
        elif char == '"':
            in_string = True
        elif char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                return body[start : index + 1]
        index += 1
    raise CallbackRejected(f"Alipay response {key} is truncated")


def verify_response(public_key: rsa.RSAPublicKey, body: str, method: str) -> dict[str, Any]:
    """Verifies a synchronous response and returns the verified object."""
    key = method.replace(".", "_") + "_response"
    if f'"{key}"' not in body and '"error_response"' in body:
        key = "error_response"
    content = extract_response(body, key)
    try:
        signature = json.loads(body)["sign"]
    except (ValueError, KeyError) as exc:
        raise CallbackRejected("Alipay response carries no sign") from exc
    _verify(public_key, content, signature)
    verified: dict[str, Any] = json.loads(content)
    return verified


def verify_notify(public_key: rsa.RSAPublicKey, form: Mapping[str, str]) -> None:
    """An async notification (already URL-decoded form fields)."""
    if form.get("sign_type") != SIGN_TYPE:
        raise CallbackRejected(f"Alipay notify sign_type must be {SIGN_TYPE}", reason="signature")
    signature = form.get("sign", "")
    if not signature:
        raise CallbackRejected("Alipay notify carries no sign", reason="signature")
    content = sign_content(form, exclude=frozenset({"sign", "sign_type"}))
    _verify(public_key, content, signature, form.get("charset", "utf-8"))
