"""POST /console/api/login: a username and password traded at Cognito (InitiateAuth,
USER_PASSWORD_AUTH, the console's app client) for the ID token the console API's authorizer
verifies. The password goes to Cognito only: never logged, stored or echoed. Any refusal
(unknown user, wrong password, disabled user) is the one 401 `invalid_credentials`; the pool's
PreventUserExistenceErrors keeps Cognito from telling them apart either."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from typing import Any

from paymux.api.admin import json_object
from paymux.api.http import Outcome, Request
from paymux.api.media import JSON, media_type
from paymux.errors import AuthenticationFailed, ConfigurationError, UnsupportedMediaType, ValidationFailed

log = logging.getLogger("paymux")
MAX_FIELD = 128
_REFUSED = ("NotAuthorizedException", "UserNotFoundException", "UserNotConfirmedException")


def _credentials(request: Request) -> tuple[str, str]:
    if media_type(request.header("content-type")) != JSON:
        raise UnsupportedMediaType(f"the login takes {JSON}")
    body = json_object(request.body)
    values = [body.get("username"), body.get("password")]
    bad = [
        {"field": name, "message": f"1-{MAX_FIELD} characters"}
        for name, value in zip(("username", "password"), values, strict=True)
        if not isinstance(value, str) or not 1 <= len(value) <= MAX_FIELD
    ]
    if bad:
        raise ValidationFailed("username and password are required", details=bad)
    return str(values[0]), str(values[1])


def login(cognito: Any, request: Request, client_id: str = "") -> Outcome:
    username, password = _credentials(request)
    client_id = client_id or os.environ.get("PAYMUX_CONSOLE_CLIENT_ID", "")
    if not client_id:
        raise ConfigurationError("PAYMUX_CONSOLE_CLIENT_ID is not set")
    try:
        answer = cognito.initiate_auth(
            AuthFlow="USER_PASSWORD_AUTH",
            ClientId=client_id,
            AuthParameters={"USERNAME": username, "PASSWORD": password},
        )
    except cognito.exceptions.ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in _REFUSED:
            raise AuthenticationFailed("invalid_credentials", "wrong username or password") from exc
        raise
    result = answer.get("AuthenticationResult")
    if not result:  # a challenge (a new password is required): set it with the pool's own tools
        raise AuthenticationFailed("challenge_required", f"Cognito asks for {answer.get('ChallengeName')}")
    scheme = "Bearer"  # nosec B105 - the Authorization scheme's name, not a password
    return 200, {"id_token": result["IdToken"], "expires_in": result["ExpiresIn"], "token_type": scheme}


Login = Callable[[Any, Request], Outcome]
