"""WeChat Pay API v3 error answers: HTTP status plus ``{"code", "message"[, "detail"]}``."""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """An error answer, exactly as WeChat Pay sends it.

    ``signed`` is False for authentication failures: WeChat cannot know who is asking, and
    its 401 answers carry no ``Wechatpay-*`` signature headers.
    """

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        detail: dict[str, Any] | None = None,
        signed: bool = True,
    ) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.detail = detail
        self.signed = signed

    def body(self) -> dict[str, Any]:
        payload: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.detail is not None:
            payload["detail"] = self.detail
        return payload


def sign_error(message: str) -> ApiError:
    return ApiError(401, "SIGN_ERROR", message, signed=False)


def param_error(message: str, *, location: str | None = None, value: Any = None) -> ApiError:
    detail = None if location is None else {"location": location, "value": value}
    return ApiError(400, "PARAM_ERROR", message, detail=detail)


def invalid_request(message: str) -> ApiError:
    return ApiError(400, "INVALID_REQUEST", message)


class SandboxStateError(Exception):
    """A sandbox-side action (a payer paying, a refund completing) that the state forbids."""
