"""ACP answers that refuse a request, and sandbox-side actions the state forbids."""

from __future__ import annotations

SUCCESS_MSG = "成功[0000000]"  # as real answers and notifies carry it
NOT_FOUND_MSG = "查无此交易[2600000]"  # a real 34 answer to a query


class AcpError(Exception):
    """An answer with a ``respCode`` other than 00 (still signed, like every answer)."""

    def __init__(self, resp_code: str, resp_msg: str) -> None:
        super().__init__(f"{resp_code} {resp_msg}")
        self.resp_code = resp_code
        self.resp_msg = resp_msg


def format_error(field: str, problem: str = "格式错误") -> AcpError:
    """10 报文格式错误: a field is there but malformed (``txnTime无效`` …)."""
    return AcpError("10", f"{field}{problem}")


def missing(field: str) -> AcpError:
    """13 报文交易要素缺失."""
    return AcpError("13", f"报文交易要素缺失[{field}]")


def signature_failed(detail: str = "") -> AcpError:
    return AcpError("11", f"验证签名失败{detail}")


class SandboxStateError(Exception):
    """A payer-side action (paying, settling) that the state of the order forbids."""
