"""The console's sign-in: the password goes to Cognito only; refusals are one 401, a challenge
a 401 that names it, bad bodies typed 4xx before Cognito is asked."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from paymux.api.http import handle
from paymux.console.login import login


class FakeCognito:
    class exceptions:  # boto3 clients name it so
        ClientError = ClientError

    def __init__(self, answer: dict[str, Any] | None = None, error: str = "") -> None:
        self.answer, self.error = answer, error
        self.asked: list[dict[str, Any]] = []

    def initiate_auth(self, **kwargs: Any) -> dict[str, Any]:
        self.asked.append(kwargs)
        if self.error:
            raise ClientError({"Error": {"Code": self.error, "Message": "no"}}, "InitiateAuth")
        return self.answer or {}


def post(cognito: FakeCognito, body: Any, content_type: str = "application/json") -> tuple[int, Any]:
    event = {
        "rawPath": "/console/api/login",
        "headers": {"content-type": content_type},
        "body": body if isinstance(body, str) else json.dumps(body),
        "requestContext": {"http": {"method": "POST"}, "requestId": "r"},
    }
    answer = handle(lambda request: login(cognito, request, client_id="client-1"), event)
    return answer["statusCode"], json.loads(answer["body"])


def test_a_good_password_gives_the_id_token() -> None:
    cognito = FakeCognito({"AuthenticationResult": {"IdToken": "id.token.x", "ExpiresIn": 3600}})
    assert post(cognito, {"username": "op", "password": "pw-1"}) == (
        200,
        {"id_token": "id.token.x", "expires_in": 3600, "token_type": "Bearer"},
    )
    assert cognito.asked == [
        {
            "AuthFlow": "USER_PASSWORD_AUTH",
            "ClientId": "client-1",
            "AuthParameters": {"USERNAME": "op", "PASSWORD": "pw-1"},
        }
    ]


@pytest.mark.parametrize(
    "code", ["NotAuthorizedException", "UserNotFoundException", "UserNotConfirmedException"]
)
def test_every_refusal_is_the_same_401(code: str) -> None:
    status, body = post(FakeCognito(error=code), {"username": "op", "password": "pw-1"})
    assert (status, body["error"]["code"], body["error"]["message"]) == (
        401,
        "invalid_credentials",
        "wrong username or password",
    )


def test_a_challenge_is_named_and_cognito_trouble_is_not_a_refusal() -> None:
    status, body = post(
        FakeCognito({"ChallengeName": "NEW_PASSWORD_REQUIRED"}), {"username": "op", "password": "p"}
    )
    assert (status, body["error"]["code"]) == (401, "challenge_required")
    status, body = post(FakeCognito(error="InternalErrorException"), {"username": "op", "password": "p"})
    assert (status, body["error"]["code"]) == (500, "internal_error")
    assert "p" not in body["error"]["message"].split()


def test_bad_bodies_are_refused_before_cognito_is_asked() -> None:
    cognito = FakeCognito()
    assert post(cognito, {"username": "op"})[0] == 422
    assert post(cognito, {"username": "op", "password": "x" * 129})[0] == 422
    assert post(cognito, {"username": 1, "password": "p"})[0] == 422
    assert post(cognito, "[]")[0] == 422
    assert post(cognito, "username=op&password=p", "application/x-www-form-urlencoded")[0] == 415
    assert post(cognito, "{not json")[0] == 422
    assert cognito.asked == []
