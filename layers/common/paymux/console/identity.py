"""Who is calling the console API: the claims API Gateway's JWT authorizer verified (payload
2.0 `requestContext.authorizer.jwt.claims`, the Cognito ID token's). The authorizer already
refused a missing, forged or expired token (401); a route that lost its authorizer carries no
claims and is refused here too, never opened.

Groups (`cognito:groups`) decide the role: `operators` see and change everything; `merchants`
see only the merchant named by their `custom:merchant_id`, and change nothing of the platform."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

from paymux.errors import AuthenticationFailed, PaymuxError

OPERATORS = "operators"
MERCHANTS = "merchants"
_MERCHANT_ID = re.compile(r"[A-Za-z0-9_.-]{1,64}")


class Forbidden(PaymuxError):
    status = 403
    code = "forbidden"


@dataclass(frozen=True, slots=True)
class ConsoleUser:
    sub: str
    username: str
    role: Literal["operator", "merchant"]
    merchant_id: str = ""  # the merchant a merchant user is scoped to; "" for operators

    @property
    def actor(self) -> str:
        """How the user's changes are attributed (`updated_by`, audit lines)."""
        return f"console:{self.username}#{self.sub}"

    def require_operator(self) -> None:
        if self.role != "operator":
            raise Forbidden("operators only")

    def sees(self, merchant_id: str) -> bool:
        return self.role == "operator" or merchant_id == self.merchant_id


def groups_of(value: Any) -> list[str]:
    """`cognito:groups` as the authorizer passes it: API Gateway renders an array claim as
    `[a b]`; a list (a hand-made event) is taken as it is."""
    if isinstance(value, list):
        return [str(v) for v in value]
    text = str(value or "").strip()
    return text.removeprefix("[").removesuffix("]").split()


def console_user(event: dict[str, Any]) -> ConsoleUser:
    context = event.get("requestContext") or {}
    claims = ((context.get("authorizer") or {}).get("jwt") or {}).get("claims") or {}
    sub, username = str(claims.get("sub") or ""), str(claims.get("cognito:username") or "")
    if not sub or not username or claims.get("token_use", "id") != "id":
        raise AuthenticationFailed("missing_token", "this route requires a console ID token")
    groups = groups_of(claims.get("cognito:groups"))
    if OPERATORS in groups:
        return ConsoleUser(sub, username, "operator")
    merchant_id = str(claims.get("custom:merchant_id") or "")
    if MERCHANTS in groups and _MERCHANT_ID.fullmatch(merchant_id):
        return ConsoleUser(sub, username, "merchant", merchant_id)
    raise Forbidden("the user is in neither the operators nor the merchants group")
