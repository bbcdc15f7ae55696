"""Gateway answers that are not a success: ``code``/``msg`` plus ``sub_code``/``sub_msg``.

Alipay's codes: ``40001 Missing Required Arguments`` and ``40002 Invalid Arguments`` come
from the gateway itself (``isv.*`` sub codes); ``40004 Business Failed`` from the business
system (``ACQ.*`` and friends); ``20001`` is an authorization failure.
"""

from __future__ import annotations

from typing import Any

ERROR_RESPONSE = "error_response"


class GatewayError(Exception):
    """An error answer as Alipay sends it.

    ``response_key`` overrides the ``<method>_response`` name (Alipay answers a missing or
    unknown ``method`` under ``error_response``). ``signed`` is decided by the server: an
    answer is signed exactly when the request named a registered ``app_id``.
    """

    def __init__(
        self,
        code: str,
        msg: str,
        sub_code: str | None = None,
        sub_msg: str | None = None,
        *,
        response_key: str | None = None,
    ) -> None:
        super().__init__(f"{code} {msg} {sub_code or ''}: {sub_msg or ''}")
        self.code = code
        self.msg = msg
        self.sub_code = sub_code
        self.sub_msg = sub_msg
        self.response_key = response_key

    def body(self) -> dict[str, Any]:
        payload: dict[str, Any] = {"code": self.code, "msg": self.msg}
        if self.sub_code:
            payload["sub_code"] = self.sub_code
        if self.sub_msg:
            payload["sub_msg"] = self.sub_msg
        return payload


def missing(sub_code: str, sub_msg: str, *, response_key: str | None = None) -> GatewayError:
    return GatewayError("40001", "Missing Required Arguments", sub_code, sub_msg, response_key=response_key)


def invalid(sub_code: str, sub_msg: str, *, response_key: str | None = None) -> GatewayError:
    return GatewayError("40002", "Invalid Arguments", sub_code, sub_msg, response_key=response_key)


def invalid_parameter(sub_msg: str) -> GatewayError:
    """A malformed business parameter (``biz_content`` field)."""
    return invalid("isv.invalid-parameter", sub_msg)


def business(sub_code: str, sub_msg: str) -> GatewayError:
    return GatewayError("40004", "Business Failed", sub_code, sub_msg)


def trade_not_exist() -> GatewayError:
    return business("ACQ.TRADE_NOT_EXIST", "交易不存在")


class SandboxStateError(Exception):
    """A payer-side action (scan, pay, cancel) that the trade's state forbids."""
