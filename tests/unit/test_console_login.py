"""The console's sign-in: the password goes to Cognito only; refusals are one 401, a challenge
a 401 that names it, bad bodies typed 4xx before Cognito is asked."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from local.template import load_template
from paymux.api.http import handle
from paymux.console.login import PASSWORD_POLICY, login, new_password, password_policy

ROOT = Path(__file__).resolve().parents[2]
STRONG = "Brand-New-Pass-42"


class FakeCognito:
    class exceptions:  # boto3 clients name it so
        ClientError = ClientError

    def __init__(self, answer: dict[str, Any] | None = None, error: str = "") -> None:
        self.answer, self.error = answer, error
        self.asked: list[dict[str, Any]] = []

    def respond_to_auth_challenge(self, **kwargs: Any) -> dict[str, Any]:
        return self.initiate_auth(**kwargs)

    def initiate_auth(self, **kwargs: Any) -> dict[str, Any]:
        self.asked.append(kwargs)
        if self.error:
            status = 500 if self.error == "SomethingNew5xx" else 400
            meta = {"HTTPStatusCode": status}
            raise ClientError(
                {"Error": {"Code": self.error, "Message": "no"}, "ResponseMetadata": meta}, "Auth"
            )
        return self.answer or {}


def post(
    cognito: FakeCognito, body: Any, content_type: str = "application/json", operation: Any = login
) -> tuple[int, Any]:
    event = {
        "rawPath": "/console/api/login",
        "headers": {"content-type": content_type},
        "body": body if isinstance(body, str) else json.dumps(body),
        "requestContext": {"http": {"method": "POST"}, "requestId": "r"},
    }
    answer = handle(lambda request: operation(cognito, request, client_id="client-1"), event)
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
        FakeCognito({"ChallengeName": "SMS_MFA", "Session": "s"}), {"username": "op", "password": "p"}
    )
    assert (status, body["error"]["code"]) == (401, "challenge_required")
    status, body = post(FakeCognito(error="InternalErrorException"), {"username": "op", "password": "p"})
    assert (status, body["error"]["code"]) == (503, "sign_in_unavailable")
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


def test_a_temporary_password_hands_on_cognitos_challenge_with_the_policy() -> None:
    cognito = FakeCognito(
        {
            "ChallengeName": "NEW_PASSWORD_REQUIRED",
            "Session": "sess-0123456789abcdefghij",
            "ChallengeParameters": {},
        }
    )
    assert post(cognito, {"username": "new", "password": "Temp-Pass-1234"}) == (
        200,
        {
            "challenge": "new_password_required",
            "session": "sess-0123456789abcdefghij",
            "password_policy": password_policy(),
        },
    )
    assert password_policy() == {
        "minimum_length": 12,
        "lowercase": True,
        "uppercase": True,
        "numbers": True,
        "symbols": False,
    }


def test_the_new_password_answers_the_challenge_for_the_id_token() -> None:
    cognito = FakeCognito({"AuthenticationResult": {"IdToken": "id.new", "ExpiresIn": 3600}})
    body = {"username": "new", "session": "sess-0123456789abcdefghij", "new_password": STRONG}
    assert post(cognito, body, operation=new_password) == (
        200,
        {"id_token": "id.new", "expires_in": 3600, "token_type": "Bearer"},
    )
    assert cognito.asked == [
        {
            "ClientId": "client-1",
            "ChallengeName": "NEW_PASSWORD_REQUIRED",
            "Session": "sess-0123456789abcdefghij",
            "ChallengeResponses": {"USERNAME": "new", "NEW_PASSWORD": STRONG},
        }
    ]


@pytest.mark.parametrize(
    ("password", "broken"),
    [
        ("Short-1a", ["minimum_length"]),
        ("all-lower-case-42", ["uppercase"]),
        ("ALL-UPPER-CASE-42", ["lowercase"]),
        ("No-Numbers-At-All", ["numbers"]),
        ("short", ["minimum_length", "uppercase", "numbers"]),
    ],
)
def test_a_weak_new_password_is_a_422_naming_the_rules_before_cognito_is_asked(
    password: str, broken: list[str]
) -> None:
    cognito = FakeCognito()
    status, body = post(
        cognito, {"username": "new", "session": "s" * 20, "new_password": password}, operation=new_password
    )
    assert (status, body["error"]["code"]) == (422, "weak_password")
    assert [d["message"] for d in body["error"]["details"]] == broken
    assert password not in json.dumps(body)
    assert cognito.asked == []


@pytest.mark.parametrize(
    ("code", "status", "answer"),
    [
        ("NotAuthorizedException", 401, "session_expired"),
        ("ExpiredCodeException", 401, "session_expired"),
        ("ResourceNotFoundException", 401, "session_expired"),  # moto's word for an unknown session
        ("InvalidPasswordException", 422, "weak_password"),
        ("InternalErrorException", 503, "sign_in_unavailable"),
    ],
)
def test_cognitos_refusals_of_the_new_password_are_typed(code: str, status: int, answer: str) -> None:
    body = {"username": "new", "session": "s" * 20, "new_password": STRONG}
    got = post(FakeCognito(error=code), body, operation=new_password)
    assert (got[0], got[1]["error"]["code"]) == (status, answer)
    assert STRONG not in json.dumps(got[1])


def test_bad_new_password_bodies_are_refused() -> None:
    cognito = FakeCognito()
    for body in (
        {"username": "new", "new_password": STRONG},
        {"username": "n", "session": "s" * 5000, "new_password": STRONG},
    ):
        assert post(cognito, body, operation=new_password)[0] == 422
    assert cognito.asked == []
    short = post(
        cognito, {"username": "n", "session": "s" * 19, "new_password": STRONG}, operation=new_password
    )
    assert (short[0], short[1]["error"]["code"]) == (401, "session_expired")
    assert cognito.asked == []


def test_the_stated_policy_is_the_pools() -> None:
    pool = load_template(ROOT / "template.yaml")["Resources"]["ConsoleUserPool"]["Properties"]
    assert pool["Policies"]["PasswordPolicy"] == PASSWORD_POLICY


# every other code Cognito documents for InitiateAuth / RespondToAuthChallenge, and unknown ones
OTHER_REFUSALS = [
    ("PasswordResetRequiredException", 401, "password_reset_required", None),
    ("TooManyRequestsException", 429, "sign_in_throttled", "30"),
    ("LimitExceededException", 429, "sign_in_throttled", "30"),
    ("TooManyFailedAttemptsException", 429, "sign_in_throttled", "30"),
    ("InvalidParameterException", 422, "sign_in_refused", None),  # e.g. not the session's username
    ("InvalidUserPoolConfigurationException", 422, "sign_in_refused", None),
    ("UserLambdaValidationException", 422, "sign_in_refused", None),
    ("SomethingNew4xx", 422, "sign_in_refused", None),
    ("SomethingNew5xx", 503, "sign_in_unavailable", "5"),
    ("InternalErrorException", 503, "sign_in_unavailable", "5"),
]


def answer_of(cognito: FakeCognito, body: Any, operation: Any) -> dict[str, Any]:
    event = {
        "rawPath": "/console/api/login",
        "headers": {"content-type": "application/json"},
        "body": json.dumps(body),
        "requestContext": {"http": {"method": "POST"}, "requestId": "r"},
    }
    return handle(lambda request: operation(cognito, request, client_id="client-1"), event)


@pytest.mark.parametrize(("code", "status", "answer", "wait"), OTHER_REFUSALS)
@pytest.mark.parametrize(
    ("operation", "body"),
    [
        (login, {"username": "op", "password": STRONG}),
        (new_password, {"username": "other", "session": "s" * 20, "new_password": STRONG}),
    ],
    ids=["login", "new_password"],
)
def test_every_other_cognito_refusal_is_a_typed_answer_with_its_wait(
    operation: Any, body: dict[str, str], code: str, status: int, answer: str, wait: str | None
) -> None:
    got = answer_of(FakeCognito(error=code), body, operation)
    error = json.loads(got["body"])["error"]
    assert (got["statusCode"], error["code"]) == (status, answer)
    assert got["headers"].get("Retry-After") == wait
    assert got["headers"]["Paymux-Should-Retry"] == ("true" if wait else "false")
    assert STRONG not in got["body"]


def test_a_user_not_confirmed_is_still_the_one_refusal_at_sign_in() -> None:
    status, body = post(FakeCognito(error="UserNotConfirmedException"), {"username": "op", "password": "p"})
    assert (status, body["error"]["code"]) == (401, "invalid_credentials")
    status, body = post(
        FakeCognito(error="CodeMismatchException"),
        {"username": "n", "session": "s" * 20, "new_password": STRONG},
        operation=new_password,
    )
    assert (status, body["error"]["code"]) == (401, "session_expired")
