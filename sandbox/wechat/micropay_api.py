"""WeChat Pay API v2's payer-code endpoints, as the sandbox serves them: ``POST /pay/micropay``
(付款码支付) and ``POST /secapi/pay/reverse`` (撤销). The orders they make are the sandbox's
ordinary orders (trade_type MICROPAY), so API v3 queries, refunds and bills see them.

Both check the v2 signature as WeChat does: ``sign_type`` HMAC-SHA256 (MD5 is refused here),
fields sorted by name without ``sign`` and empty values, ``&key=<API v2 key>``, HMAC-SHA256 as
upper-case hex; a bad one answers ``return_code FAIL`` (unsigned). Every other answer is signed
with the merchant's API v2 key. The client certificate of ``/secapi/`` is a TLS matter: the
sandbox serves plain HTTP, so it cannot see it (sandbox/wechat/README.md).

What a code does (``PayerCodes``): by its last two digits, unless scripted —
``00`` paid at once; ``01`` USERPAYING, then paid after 3 queries; ``02`` USERPAYING forever;
``03`` AUTHCODEEXPIRE; ``04`` NOTENOUGH; ``05`` SYSTEMERROR, but paid (the answer was lost);
anything else paid at once. ``script(code, kind, queries)`` overrides it."""

from __future__ import annotations

import hashlib
import hmac
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from xml.etree import ElementTree

from sandbox.wechat.crypto import random_alnum, random_digits
from sandbox.wechat.errors import ApiError
from sandbox.wechat.merchant import MerchantRegistry, SandboxMerchant
from sandbox.wechat.store import Order, SandboxStore, cst

PATHS = ("/pay/micropay", "/secapi/pay/reverse")
KINDS = ("paid", "userpaying_then_paid", "userpaying", "expired", "not_enough", "system_error")
BY_DIGITS = dict(zip(("00", "01", "02", "03", "04", "05"), KINDS, strict=True))
FAILURES = {
    "expired": ("AUTHCODEEXPIRE", "二维码已过期，请用户在微信上刷新后再试"),
    "not_enough": ("NOTENOUGH", "余额不足"),
}
XML = {"Content-Type": "text/xml; charset=utf-8"}


@dataclass
class Script:
    kind: str
    queries_left: int = 3


class PayerCodes:
    """What each payer code does, and the scripted state of the orders it made."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._scripts: dict[str, Script] = {}
        self._pending: dict[tuple[str, str], Script] = {}  # USERPAYING orders → what follows
        self.recalls = 0  # reverses to answer recall=Y before one succeeds

    def script(self, code: str, kind: str, queries: int = 3) -> None:
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}")
        with self._lock:
            self._scripts[code] = Script(kind, queries)

    def kind(self, code: str) -> Script:
        with self._lock:
            found = self._scripts.get(code)
        return replace(found) if found else Script(BY_DIGITS.get(code[-2:], "paid"))

    def wait(self, key: tuple[str, str], script: Script) -> None:
        with self._lock:
            self._pending[key] = script

    def queried(self, key: tuple[str, str]) -> bool:
        """One query of a USERPAYING order: True when the payer has now confirmed."""
        with self._lock:
            script = self._pending.get(key)
            if script is None or script.kind != "userpaying_then_paid":
                return False
            script.queries_left -= 1
            if script.queries_left > 0:
                return False
            del self._pending[key]
            return True

    def take_recall(self) -> bool:
        with self._lock:
            if self.recalls <= 0:
                return False
            self.recalls -= 1
            return True


def v2_sign(fields: Mapping[str, str], key: bytes) -> str:
    pairs = sorted((k, v) for k, v in fields.items() if k != "sign" and v != "")
    text = "&".join(f"{k}={v}" for k, v in pairs) + "&key=" + key.decode("ascii")
    return hmac.new(key, text.encode("utf-8"), hashlib.sha256).hexdigest().upper()


def to_xml(fields: Mapping[str, str]) -> bytes:
    inner = "".join(f"<{k}><![CDATA[{v}]]></{k}>" for k, v in fields.items())
    return f"<xml>{inner}</xml>".encode()


def from_xml(body: bytes) -> dict[str, str]:
    if b"<!DOCTYPE" in body.upper() or b"<!ENTITY" in body.upper():
        raise ValueError("DOCTYPE refused")
    root = ElementTree.fromstring(body)  # noqa: S314 - a DOCTYPE (every XML attack) is refused above
    if root.tag != "xml" or any(len(child) for child in root):
        raise ValueError("not a flat <xml>")
    return {child.tag: child.text or "" for child in root}


class MicropayApi:
    def __init__(
        self,
        store: SandboxStore,
        merchants: MerchantRegistry,
        clock: Callable[[], float],
        codes: PayerCodes,
        paid: Callable[[Order], None],
    ) -> None:
        self._store, self._merchants, self._clock, self._codes = store, merchants, clock, codes
        self._paid = paid  # the sandbox's hook for a code paid later (nothing is sent for it)

    def handle(self, path: str, body: bytes) -> tuple[int, dict[str, str], bytes]:
        try:
            fields = from_xml(body)
        except (ValueError, ElementTree.ParseError):
            return 200, XML, to_xml({"return_code": "FAIL", "return_msg": "XML格式错误"})
        merchant = self._merchants.get(fields.get("mch_id", ""))
        if merchant is None:
            return 200, XML, to_xml({"return_code": "FAIL", "return_msg": "mch_id参数格式错误"})
        key = merchant.apiv2_key
        if fields.get("sign_type") != "HMAC-SHA256" or not hmac.compare_digest(
            fields.get("sign", ""), v2_sign(fields, key)
        ):
            return 200, XML, to_xml({"return_code": "FAIL", "return_msg": "签名错误"})
        try:
            result = self._micropay(merchant, fields) if path == PATHS[0] else self._reverse(merchant, fields)
        except ApiError as exc:
            result = {"result_code": "FAIL", "err_code": exc.code, "err_code_des": exc.message}
        answer = {"return_code": "SUCCESS", "return_msg": "OK", **_owner(fields)}
        answer |= {"nonce_str": random_alnum(16), **result}
        answer["sign"] = v2_sign(answer, key)
        return 200, XML, to_xml(answer)

    def _check_owner(self, merchant: SandboxMerchant, fields: Mapping[str, str]) -> None:
        if fields.get("sub_mch_id"):
            self._merchants.bound_sub_merchant(merchant.mchid, fields["sub_mch_id"])
        if fields.get("appid") not in merchant.appids:
            raise ApiError(400, "APPID_MCHID_NOT_MATCH", "appid和mch_id不匹配")

    def _micropay(self, merchant: SandboxMerchant, fields: Mapping[str, str]) -> dict[str, str]:
        self._check_owner(merchant, fields)
        for name in ("out_trade_no", "total_fee", "auth_code", "body"):
            if not fields.get(name):
                raise ApiError(400, "PARAM_ERROR", f"缺少参数{name}")
        now = self._clock()
        order = _order(merchant, fields, now)
        existing = self._store.order(merchant.mchid, order.out_trade_no)
        if existing is not None:  # nothing is charged twice: the same number answers as it stands
            if existing.fingerprint != order.fingerprint:
                raise ApiError(400, "OUT_TRADE_NO_USED", "商户订单号重复")
            return _state_answer(existing)
        script = self._codes.kind(fields["auth_code"])
        if script.kind in FAILURES:
            return {
                "result_code": "FAIL",
                "err_code": FAILURES[script.kind][0],
                "err_code_des": FAILURES[script.kind][1],
            }
        stored = self._store.create_order(replace(order, trade_state="USERPAYING"))
        if script.kind in ("userpaying", "userpaying_then_paid"):
            self._codes.wait((merchant.mchid, stored.out_trade_no), script)
            return _state_answer(stored)
        paid = self._store.settle_code(merchant.mchid, stored.out_trade_no, now)
        if script.kind == "system_error":
            return {"result_code": "FAIL", "err_code": "SYSTEMERROR", "err_code_des": "系统超时"}
        return _paid_answer(paid)

    def _reverse(self, merchant: SandboxMerchant, fields: Mapping[str, str]) -> dict[str, str]:
        self._check_owner(merchant, fields)
        if self._codes.take_recall():
            return {
                "result_code": "FAIL",
                "err_code": "SYSTEMERROR",
                "err_code_des": "系统繁忙",
                "recall": "Y",
            }
        order = self._store.order(merchant.mchid, fields.get("out_trade_no", ""))
        if order is None:
            raise ApiError(400, "ORDERNOTEXIST", "订单不存在")
        if order.refunded:
            raise ApiError(400, "TRADE_STATE_ERROR", "订单状态错误")
        self._store.revoke_code(merchant.mchid, order.out_trade_no)
        return {"result_code": "SUCCESS", "recall": "N"}

    def queried(self, order: Order) -> Order:
        """A v3 query of a payer-code order: a payer who confirms meanwhile has paid now."""
        if order.trade_type != "MICROPAY" or order.trade_state != "USERPAYING":
            return order
        if not self._codes.queried((order.mchid, order.out_trade_no)):
            return order
        paid = self._store.settle_code(order.mchid, order.out_trade_no, self._clock())
        self._paid(paid)
        return paid


def _owner(fields: Mapping[str, str]) -> dict[str, str]:
    keys = ("appid", "mch_id", "sub_mch_id", "sub_appid")
    return {k: fields[k] for k in keys if fields.get(k)}


def _order(merchant: SandboxMerchant, fields: Mapping[str, str], now: float) -> Order:
    signed = {k: v for k, v in fields.items() if k not in ("sign", "nonce_str")}
    return Order(
        mchid=merchant.mchid,
        appid=fields["appid"],
        out_trade_no=fields["out_trade_no"],
        trade_type="MICROPAY",
        description=fields["body"],
        notify_url="",
        total=int(fields["total_fee"]),
        currency=fields.get("fee_type") or "CNY",
        attach=fields.get("attach") or None,
        device_id=fields.get("device_info", ""),
        created_at=now,
        expires_at=None,
        fingerprint=hashlib.sha256(repr(sorted(signed.items())).encode()).hexdigest(),
        prepay={},
        pay_token=f"code-{random_digits(12)}",
        payer_openid=f"o{random_alnum(27)}",
        sub_mchid=fields.get("sub_mch_id", ""),
        sub_appid=fields.get("sub_appid", ""),
    )


def _state_answer(order: Order) -> dict[str, str]:
    if order.trade_state in ("SUCCESS", "REFUND"):
        return {"result_code": "FAIL", "err_code": "ORDERPAID", "err_code_des": "订单已支付"}
    if order.trade_state == "REVOKED":
        return {"result_code": "FAIL", "err_code": "ORDERREVERSED", "err_code_des": "订单已撤销"}
    return {"result_code": "FAIL", "err_code": "USERPAYING", "err_code_des": "需要用户输入支付密码"}


def _paid_answer(order: Order) -> dict[str, str]:
    assert order.transaction_id is not None and order.success_time is not None  # settled
    return {
        "result_code": "SUCCESS",
        "openid": order.payer_openid or "",
        "is_subscribe": "N",
        "trade_type": "MICROPAY",
        "bank_type": order.bank_type or "OTHERS",
        "total_fee": str(order.total),
        "cash_fee": str(order.total),
        "transaction_id": order.transaction_id,
        "out_trade_no": order.out_trade_no,
        "time_end": f"{cst(order.success_time):%Y%m%d%H%M%S}",
    } | ({"fee_type": order.currency} if order.currency != "CNY" else {})
