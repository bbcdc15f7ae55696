"""The console's sign-in at Cognito (the console's app client), no authorizer on either route:

  POST /console/api/login               {"username", "password"}: InitiateAuth, USER_PASSWORD_AUTH
  POST /console/api/login/new-password  {"username", "session", "new_password"}

A user an administrator created has a temporary password: InitiateAuth answers the
NEW_PASSWORD_REQUIRED challenge, which the first route hands on (200, `challenge`, Cognito's
`session` and the pool's password policy) and the second answers (RespondToAuthChallenge),
for the ID token the console API's authorizer verifies. Passwords go to Cognito only: never
logged, stored or echoed. Any refusal of a password is the one 401 `invalid_credentials` (the
pool's PreventUserExistenceErrors keeps Cognito from telling them apart either); a new password
the policy refuses is a 422 `weak_password` naming the rules; a session Cognito no longer
knows (it lasts 3 minutes, and serves once) is a 401 `session_expired`. Every other refusal of
Cognito's is typed as well (`_refusal`): a password an administrator must reset is a 401
`password_reset_required`; Cognito's request or attempt limits a 429 `sign_in_throttled` (with
Retry-After); Cognito's own failure a 503 `sign_in_unavailable`; any other refusal (e.g. a
username that is not the session's: InvalidParameterException) a 422 `sign_in_refused`."""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Callable
from typing import Any

from paymux.api.admin import json_object
from paymux.api.http import Outcome, Request
from paymux.api.media import JSON, media_type
from paymux.errors import (
    AuthenticationFailed,
    ConfigurationError,
    PaymuxError,
    UnsupportedMediaType,
    ValidationFailed,
)

log = logging.getLogger("paymux")
MAX_FIELD = 128
SESSION_LENGTH = (20, 2048)  # Cognito's bounds: anything else was never a session of its
# a refused password: one answer, so none tells whether the user exists or is confirmed
_REFUSED = ("NotAuthorizedException", "UserNotFoundException", "UserNotConfirmedException")
_SESSION_GONE = (
    "NotAuthorizedException",
    "ExpiredCodeException",
    "CodeMismatchException",
    "ResourceNotFoundException",
)
_THROTTLED = ("TooManyRequestsException", "LimitExceededException", "TooManyFailedAttemptsException")
_COGNITO_DOWN = ("InternalErrorException", "ServiceUnavailable", "ServiceUnavailableException")
NEW_PASSWORD_REQUIRED = "NEW_PASSWORD_REQUIRED"  # noqa: S105  # nosec B105 - a challenge name
# ConsoleUserPool's Policies.PasswordPolicy in template.yaml (tests/unit/test_console_login.py
# keeps them equal): checked here first so the answer names the rules, and stated on the page.
PASSWORD_POLICY = {
    "MinimumLength": 12,
    "RequireLowercase": True,
    "RequireUppercase": True,
    "RequireNumbers": True,
    "RequireSymbols": False,
}
_RULES: tuple[tuple[str, str, re.Pattern[str]], ...] = (
    ("RequireLowercase", "lowercase", re.compile(r"[a-z]")),
    ("RequireUppercase", "uppercase", re.compile(r"[A-Z]")),
    ("RequireNumbers", "numbers", re.compile(r"[0-9]")),
    ("RequireSymbols", "symbols", re.compile(r"[\^$*.\[\]{}()?\"!@#%&/\\,><':;|_~`=+\- ]")),
)


class WeakPassword(PaymuxError):
    status = 422
    code = "weak_password"


class SignInThrottled(PaymuxError):
    """Cognito's limits (requests a second, failed attempts of a user): the same sign-in,
    later, can succeed. Cognito says no wait; 30 s outlasts its first lockouts."""

    status = 429
    code = "sign_in_throttled"
    should_retry = True
    retry_after = 30


class SignInUnavailable(PaymuxError):
    """Cognito itself failed: nothing about the input, so worth trying again shortly."""

    status = 503
    code = "sign_in_unavailable"
    should_retry = True
    retry_after = 5


class SignInRefused(ValidationFailed):
    """A refusal of Cognito's no other answer names (e.g. a username that is not the session's)."""

    code = "sign_in_refused"


def password_policy() -> dict[str, Any]:
    """The policy as the page states it."""
    stated: dict[str, Any] = {"minimum_length": PASSWORD_POLICY["MinimumLength"]}
    return stated | {name: bool(PASSWORD_POLICY[key]) for key, name, _ in _RULES}


def broken_rules(password: str) -> list[str]:
    """The policy's rules `password` breaks (none: Cognito is asked)."""
    broken = ["minimum_length"] if len(password) < int(PASSWORD_POLICY["MinimumLength"]) else []
    return broken + [
        name for key, name, found in _RULES if PASSWORD_POLICY[key] and not found.search(password)
    ]


def _fields(request: Request, names: tuple[str, ...], limits: tuple[int, ...]) -> list[str]:
    if media_type(request.header("content-type")) != JSON:
        raise UnsupportedMediaType(f"the login takes {JSON}")
    body = json_object(request.body)
    values = [body.get(name) for name in names]
    bad = [
        {"field": name, "message": f"1-{limit} characters"}
        for name, value, limit in zip(names, values, limits, strict=True)
        if not isinstance(value, str) or not 1 <= len(value) <= limit
    ]
    if bad:
        raise ValidationFailed(f"{' and '.join(names)} are required", details=bad)
    return [str(v) for v in values]


def _client_id(client_id: str) -> str:
    client_id = client_id or os.environ.get("PAYMUX_CONSOLE_CLIENT_ID", "")
    if not client_id:
        raise ConfigurationError("PAYMUX_CONSOLE_CLIENT_ID is not set")
    return client_id


def _code(exc: Any) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _refusal(exc: Any, refused: tuple[str, ...], refusal: PaymuxError) -> PaymuxError:
    """The typed answer to a ClientError of Cognito's: `refusal` for a code in `refused`."""
    code = _code(exc)
    if code in refused:
        return refusal
    if code == "PasswordResetRequiredException":
        return AuthenticationFailed("password_reset_required", "an administrator must reset this password")
    if code in _THROTTLED:
        return SignInThrottled("too many sign-in attempts: try again later")
    status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 400)
    log.warning("console sign-in: Cognito answered %s (%s)", code, status)  # no field of the body
    if code in _COGNITO_DOWN or status >= 500:
        return SignInUnavailable("the sign-in service is unavailable: try again shortly")
    return SignInRefused(f"Cognito refused the sign-in ({code or 'no code'})")


def _tokens(answer: dict[str, Any]) -> Outcome:
    result = answer.get("AuthenticationResult")
    if not result:  # another challenge (MFA is not configured): nothing the console can answer
        raise AuthenticationFailed("challenge_required", f"Cognito asks for {answer.get('ChallengeName')}")
    scheme = "Bearer"  # nosec B105 - the Authorization scheme's name, not a password
    return 200, {"id_token": result["IdToken"], "expires_in": result["ExpiresIn"], "token_type": scheme}


def login(cognito: Any, request: Request, client_id: str = "") -> Outcome:
    username, password = _fields(request, ("username", "password"), (MAX_FIELD, MAX_FIELD))
    try:
        answer = cognito.initiate_auth(
            AuthFlow="USER_PASSWORD_AUTH",
            ClientId=_client_id(client_id),
            AuthParameters={"USERNAME": username, "PASSWORD": password},
        )
    except cognito.exceptions.ClientError as exc:
        refused = AuthenticationFailed("invalid_credentials", "wrong username or password")
        raise _refusal(exc, _REFUSED, refused) from exc
    if answer.get("ChallengeName") == NEW_PASSWORD_REQUIRED and answer.get("Session"):
        policy = password_policy()
        return 200, {
            "challenge": "new_password_required",
            "session": answer["Session"],
            "password_policy": policy,
        }
    return _tokens(answer)


def new_password(cognito: Any, request: Request, client_id: str = "") -> Outcome:
    names, limits = ("username", "session", "new_password"), (MAX_FIELD, SESSION_LENGTH[1], MAX_FIELD)
    username, session, password = _fields(request, names, limits)
    if len(session) < SESSION_LENGTH[0]:
        raise AuthenticationFailed("session_expired", "the sign-in expired: sign in again")
    broken = broken_rules(password)
    if broken:
        raise WeakPassword(
            "the new password breaks the pool's password policy",
            details=[{"field": "new_password", "message": rule} for rule in broken],
        )
    try:
        answer = cognito.respond_to_auth_challenge(
            ClientId=_client_id(client_id),
            ChallengeName=NEW_PASSWORD_REQUIRED,
            Session=session,
            ChallengeResponses={"USERNAME": username, "NEW_PASSWORD": password},
        )
    except cognito.exceptions.ClientError as exc:
        if _code(exc) == "InvalidPasswordException":  # a rule of Cognito's own (e.g. a reused password)
            raise WeakPassword(
                "Cognito refused the new password", details=[{"field": "new_password", "message": "policy"}]
            ) from exc
        expired = AuthenticationFailed("session_expired", "the sign-in expired: sign in again")
        raise _refusal(exc, _SESSION_GONE, expired) from exc
    return _tokens(answer)


Login = Callable[[Any, Request], Outcome]
