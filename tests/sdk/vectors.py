"""The SDKs' golden vectors (sdk/testvectors/*.json), computed by paymux's own signing code.

`python -m tests.sdk.vectors` rewrites the files; tests/sdk/test_vectors.py fails when the
committed files differ from what the server computes, so a vector can never drift from the
server. Every SDK's unit tests read the files (sdk/testvectors/README.md gives the schema)."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from paymux.api import auth
from paymux.checkout.returns import signed_return_url
from paymux.services.notifications import signature_header

DIRECTORY = Path(__file__).resolve().parents[2] / "sdk" / "testvectors"
NOW = 1_764_316_800
SECRET = "sk_test_51a7c0ffee"
OLD_SECRET = "sk_test_0ld5ecret"


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _request(
    name: str, method: str, path: str, body: bytes, nonce: str, secret: str = SECRET
) -> dict[str, Any]:
    timestamp = str(NOW)
    signature = auth.sign(secret, method, path, timestamp, nonce, body)
    return {
        "name": name,
        "app_id": "app_vectors",
        "secret": secret,
        "method": method,
        "path": path,
        "timestamp": timestamp,
        "nonce": nonce,
        "body_base64": _b64(body),
        "body_sha256": hashlib.sha256(body).hexdigest(),
        "string_to_sign": auth.string_to_sign(method, path, timestamp, nonce, body),
        "signature": signature,
        "authorization": (
            f'{auth.SCHEME} app_id="app_vectors",timestamp="{timestamp}",nonce="{nonce}",signature="{signature}"'
        ),
    }


def request_signing() -> dict[str, Any]:
    chinese = json.dumps({"amount": 1999, "subject": "咖啡豆 1 袋"}, ensure_ascii=False).encode()
    xml = b'<?xml version="1.0" encoding="UTF-8"?><request><amount type="int">1</amount></request>'
    return {
        "description": "docs/authentication.md §1: sign each case and compare string_to_sign, "
        "signature and the whole Authorization header (pairs in this order)",
        "cases": [
            _request(
                "the documented example",
                "POST",
                "/v1/payments?expand=action",
                b'{"amount":1}',
                "n0nce-0000000000",
            ),
            _request(
                "a GET has the empty body's hash",
                "GET",
                "/v1/payments/pay_01KB0000000000000000000000",
                b"",
                "0123456789abcdef0123456789abcdef",
            ),
            _request(
                "a query string is signed exactly as sent",
                "GET",
                "/v1/payments?merchant_order_no=ORDER-1001",
                b"",
                "fedcba9876543210fedcba9876543210",
            ),
            _request(
                "UTF-8 body bytes, not characters",
                "POST",
                "/v1/payments",
                chinese,
                "a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6",
            ),
            _request(
                "an XML body is signed over its bytes too",
                "POST",
                "/v1/payments",
                xml,
                "x-ml-nonce-000000001",
            ),
            _request(
                "a POST with no body",
                "POST",
                "/v1/payments/pay_01KB0000000000000000000000/close",
                b"",
                "c10se0000000000000000000",
            ),
        ],
    }


def _event(event_id: str, subject: str = "Coffee") -> bytes:
    event = {
        "id": event_id,
        "type": "payment.succeeded",
        "created": NOW,
        "data": {
            "object": {
                "id": "pay_01KB0000000000000000000000",
                "object": "payment",
                "status": "SUCCESS",
                "amount": 1999,
                "subject": subject,
            }
        },
    }
    return json.dumps(event, ensure_ascii=False, separators=(",", ":")).encode()


def _webhook(
    name: str, payload: bytes, header: str, now: int, valid: bool, secret: str = SECRET, tolerance: int = 300
) -> dict[str, Any]:
    case: dict[str, Any] = {
        "name": name,
        "secret": secret,
        "payload_base64": _b64(payload),
        "header": header,
        "now": now,
        "tolerance": tolerance,
        "valid": valid,
    }
    if valid:
        case["event_id"] = json.loads(payload)["id"]
    return case


def webhooks() -> dict[str, Any]:
    body = _event("evt_01KB0000000000000000000001")
    chinese = _event("evt_01KB0000000000000000000002", "咖啡豆")
    good = signature_header([SECRET], NOW, body)
    rotated = signature_header([OLD_SECRET, SECRET], NOW, body)
    other = signature_header(["sk_someone_else"], NOW, body)
    v1 = good.split(",v1=")[1]
    flipped = v1[:-1] + ("0" if v1[-1] != "0" else "1")
    not_json = b"not json"
    return {
        "description": "docs/authentication.md §2: construct_event(payload, header, secret) with "
        "the clock at `now` and the given tolerance (seconds) must accept exactly the valid cases "
        "and return the event whose id is event_id; every other case is a signature error",
        "verify": [
            _webhook("a genuine notification", body, good, NOW, True),
            _webhook("UTF-8 payload bytes", chinese, signature_header([SECRET], NOW, chinese), NOW, True),
            _webhook("rotation: one v1 per secret, the second matches", body, rotated, NOW, True),
            _webhook(
                "rotation: the old secret alone still verifies its v1", body, rotated, NOW, True, OLD_SECRET
            ),
            _webhook("300 s old is still within the tolerance", body, good, NOW + 300, True),
            _webhook("300 s ahead is still within the tolerance", body, good, NOW - 300, True),
            _webhook("an unknown scheme next to v1 is ignored", body, good + ",v0=deadbeef", NOW, True),
            _webhook("301 s old is stale", body, good, NOW + 301, False),
            _webhook("301 s ahead is refused", body, good, NOW - 301, False),
            _webhook("a tampered payload", body.replace(b"1999", b"1"), good, NOW, False),
            _webhook("a tampered signature", body, good.replace(v1, flipped), NOW, False),
            _webhook("another secret's signature", body, other, NOW, False),
            _webhook("a changed timestamp", body, good.replace(f"t={NOW}", f"t={NOW + 1}"), NOW, False),
            _webhook("no v1", body, f"t={NOW}", NOW, False),
            _webhook("no timestamp", body, f"v1={v1}", NOW, False),
            _webhook("an empty header", body, "", NOW, False),
            _webhook("garbage", body, "garbage", NOW, False),
            _webhook(
                "a signed payload that is not JSON",
                not_json,
                signature_header([SECRET], NOW, not_json),
                NOW,
                False,
            ),
            _webhook(
                "signed JSON that is not an object",
                b"[1]",
                signature_header([SECRET], NOW, b"[1]"),
                NOW,
                False,
            ),
            _webhook("signed JSON null", b"null", signature_header([SECRET], NOW, b"null"), NOW, False),
            _webhook(
                "an empty secret never verifies", body, signature_header([""], NOW, body), NOW, False, ""
            ),
            _webhook("two timestamps", body, f"t={NOW},{good}", NOW, False),
        ],
        "generate": [
            {
                "name": "a test header for a payload at a timestamp",
                "secret": SECRET,
                "payload_base64": _b64(body),
                "timestamp": NOW,
                "header": good,
            },
            {
                "name": "a test header over UTF-8 bytes",
                "secret": SECRET,
                "payload_base64": _b64(chinese),
                "timestamp": NOW + 60,
                "header": signature_header([SECRET], NOW + 60, chinese),
            },
        ],
    }


def _values(order_no: str, status: str = "paid", stamp: int = NOW) -> dict[str, str]:
    return {
        "paymux_session_id": "cs_01KB0000000000000000000000",
        "paymux_merchant_order_no": order_no,
        "paymux_payment_id": "pay_01KB0000000000000000000000",
        "paymux_status": status,
        "paymux_timestamp": str(stamp),
    }


def _return(
    name: str, url: str, now: int, valid: bool, values: dict[str, str] | None, secret: str = SECRET
) -> dict[str, Any]:
    case: dict[str, Any] = {
        "name": name,
        "secret": secret,
        "query": urlsplit(url).query,
        "now": now,
        "tolerance": 300,
        "valid": valid,
    }
    if valid:
        case["values"] = values
    return case


def returns() -> dict[str, Any]:
    plain = _values("ORDER-1001")
    odd = _values("订单 #1&2+3")
    good = signed_return_url("https://shop.example.com/done", SECRET, plain)
    own_query = signed_return_url("https://shop.example.com/done?order=ORDER-1001&x=%2B", SECRET, plain)
    encoded = signed_return_url("https://shop.example.com/done", SECRET, odd)
    signature = urlsplit(good).query.rsplit("paymux_signature=", 1)[1]
    expired = signed_return_url("https://shop.example.com/done", SECRET, _values("ORDER-1001", "expired"))
    prepended = expired.replace("?", "?paymux_status=paid&", 1)
    appended = expired + "&paymux_status=paid"
    odd_own = signed_return_url("https://shop.example.com/done?a=1;b=2&c=%zz", SECRET, plain)
    return {
        "description": "docs/checkout.md: verify_return(query, secret) with the clock at `now` must "
        "accept exactly the valid cases, returning the five values (query values are "
        "form-decoded: '+' is a space); every other case is a signature error",
        "cases": [
            _return("a genuine return", good, NOW, True, plain),
            _return("the merchant's own query is kept and ignored", own_query, NOW, True, plain),
            _return(
                "percent-encoded and '+'-encoded values are decoded before verifying", encoded, NOW, True, odd
            ),
            _return(
                "an upper-case signature verifies",
                good.replace(signature, signature.upper()),
                NOW,
                True,
                plain,
            ),
            _return("300 s later still verifies", good, NOW + 300, True, plain),
            _return("301 s later is stale", good, NOW + 301, False, None),
            _return(
                "a tampered status",
                good.replace("paymux_status=paid", "paymux_status=expired"),
                NOW,
                False,
                None,
            ),
            _return(
                "a tampered payment id",
                good.replace("pay_01KB0000000000000000000000", "pay_01KB0000000000000000000001"),
                NOW,
                False,
                None,
            ),
            _return(
                "a tampered timestamp",
                good.replace(f"paymux_timestamp={NOW}", f"paymux_timestamp={NOW + 1}"),
                NOW,
                False,
                None,
            ),
            _return("no signature", good.split("&paymux_signature=")[0], NOW, False, None),
            _return(
                "an unsigned landing", "https://shop.example.com/done?paymux_status=paid", NOW, False, None
            ),
            _return(
                "a signature from another secret",
                signed_return_url("https://s.example/r", "sk_other", plain),
                NOW,
                False,
                None,
            ),
            _return(
                "an empty secret never verifies",
                signed_return_url("https://s.example/r", "", plain),
                NOW,
                False,
                None,
                "",
            ),
            _return("a repeated paymux_ parameter before the signed one", prepended, NOW, False, None),
            _return("a repeated paymux_ parameter after the signed one", appended, NOW, False, None),
            _return("the merchant's own odd query (';', a bad '%') is ignored", odd_own, NOW, True, plain),
        ],
    }


FILES = {"request_signing.json": request_signing, "webhooks.json": webhooks, "returns.json": returns}


def render(build: Any) -> str:
    return json.dumps(build(), ensure_ascii=False, indent=2) + "\n"


if __name__ == "__main__":
    for filename, build in FILES.items():
        (DIRECTORY / filename).write_text(render(build), encoding="utf-8")
