"""Which wallet a payer-presented code (付款码) belongs to, by its digits: the generic method
`barcode` becomes the wallet's own product (docs/channels.md, "Payer-presented codes").

The rules each wallet publishes for the code its app shows:
- WeChat Pay: 18 digits starting 10, 11, 12, 13, 14 or 15;
- Alipay: 16 to 24 digits starting 25 to 30;
- UnionPay (云闪付 and bank apps' UnionPay codes): 19 digits starting 62;
- e-CNY (数字人民币 wallets): 19 digits starting 01 (not confirmed from a public source).
A code matching none, or a rule whose product is not offered, is a 422: a code is never sent
to a wallet on a guess (it is charged by the request itself)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from paymux.errors import PayerCodeUnrecognized

GENERIC_METHOD = "barcode"


@dataclass(frozen=True, slots=True)
class PayerCodeRule:
    method: str
    pattern: re.Pattern[str]
    says: str  # the rule in words, for docs and errors


RULES: tuple[PayerCodeRule, ...] = (
    PayerCodeRule("wechat.barcode", re.compile(r"1[0-5][0-9]{16}"), "18 digits starting 10-15"),
    PayerCodeRule("alipay.barcode", re.compile(r"(?:2[5-9]|30)[0-9]{14,22}"), "16-24 digits starting 25-30"),
    PayerCodeRule("unionpay.barcode", re.compile(r"62[0-9]{17}"), "19 digits starting 62"),
    PayerCodeRule("ecny.barcode", re.compile(r"01[0-9]{17}"), "19 digits starting 01"),
)
PAYER_CODE_METHODS = frozenset(rule.method for rule in RULES)


def wallet_method(auth_code: str, offered: frozenset[str] | set[str]) -> str:
    """The product that takes `auth_code`, among `offered` (the registered methods)."""
    for rule in RULES:
        if rule.pattern.fullmatch(auth_code):
            if rule.method not in offered:
                raise _refused(f"a {rule.says} code is {rule.method}'s, which is not offered")
            return rule.method
    said = "; ".join(f"{r.method}: {r.says}" for r in RULES)
    raise _refused(f"the code matches no wallet's rule ({said})")


def _refused(message: str) -> PayerCodeUnrecognized:
    return PayerCodeUnrecognized(
        "payer.auth_code is no wallet's payment code",
        details=[{"field": "payer.auth_code", "message": message}],
    )
