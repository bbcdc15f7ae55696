"""The console's authentication on the local stack: moto's cognito-idp issues the tokens
(the console's login function trades the password for them), and the API verifies them as API
Gateway's JWT authorizer does before the function runs: no token, a forged, tampered, expired,
other-issuer or other-audience token is 401 `{"message":"Unauthorized"}`."""

from __future__ import annotations

import base64
import json
import time

import boto3
import pytest
import requests
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from local.cognito import JwtAuthorizer, Unauthorized
from local.console_users import add_console_user
from tests.support import FakeClock

PASSWORD = "Console-Auth-Pass-1"


@pytest.fixture(scope="module")
def pool(stack) -> str:
    add_console_user(stack, "carol", PASSWORD, "mch_c")
    pool_id: str = stack.resources.refs["ConsoleUserPool"]
    return pool_id


def login(stack, password: str = PASSWORD) -> requests.Response:
    return requests.post(
        f"{stack.api_url}/console/api/login", json={"username": "carol", "password": password}, timeout=10
    )


def me(stack, token: str | None) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    return requests.get(f"{stack.api_url}/console/api/me", headers=headers, timeout=10)


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def test_a_login_gives_an_id_token_the_api_accepts(stack, pool) -> None:
    answer = login(stack)
    assert answer.status_code == 200
    token = answer.json()["id_token"]
    seen = me(stack, token)
    assert seen.status_code == 200
    assert seen.json() == {
        "sub": seen.json()["sub"],
        "username": "carol",
        "role": "merchant",
        "merchant_id": "mch_c",
    }
    refused = login(stack, "Wrong-Password-1")
    assert (refused.status_code, refused.json()["error"]["code"]) == (401, "invalid_credentials")
    assert "Wrong-Password-1" not in refused.text
    assert login(stack, "").status_code == 422


def test_a_missing_tampered_or_forged_token_is_401_before_the_function(stack, pool) -> None:
    token = login(stack).json()["id_token"]
    head, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["custom:merchant_id"] = "mch_other"
    tampered = f"{head}.{b64(json.dumps(claims).encode())}.{signature}"
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    signed = f"{head}.{payload}".encode()
    forged = f"{head}.{payload}.{b64(key.sign(signed, padding.PKCS1v15(), hashes.SHA256()))}"
    unsigned = f"{b64(json.dumps({'alg': 'none'}).encode())}.{payload}."
    for bad in (None, "", "not-a-jwt", tampered, forged, unsigned):
        answer = me(stack, bad)
        assert (answer.status_code, answer.json()) == (401, {"message": "Unauthorized"}), bad


def test_an_expired_token_is_refused(stack, pool) -> None:
    token = login(stack).json()["id_token"]
    authorizer = stack.authorizers["ConsoleJwt"]
    exp = json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))["exp"]
    later = JwtAuthorizer(authorizer.issuer, authorizer.audience, authorizer.jwks_url, FakeClock(exp + 1))
    with pytest.raises(Unauthorized, match="expired"):
        later.claims(token)
    iat = json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))["iat"]
    with pytest.raises(Unauthorized, match="not yet valid"):
        JwtAuthorizer(authorizer.issuer, authorizer.audience, authorizer.jwks_url, FakeClock(iat - 5)).claims(
            token
        )
    assert (
        JwtAuthorizer(
            authorizer.issuer, authorizer.audience, authorizer.jwks_url, FakeClock(exp - 60)
        ).claims(token)["cognito:groups"]
        == "[merchants]"
    )
    original = authorizer.clock
    authorizer.clock = FakeClock(exp + 1)
    try:
        assert me(stack, token).status_code == 401
    finally:
        authorizer.clock = original
    assert me(stack, token).status_code == 200


def test_another_issuer_or_audience_is_refused(stack, pool) -> None:
    token = login(stack).json()["id_token"]
    authorizer = stack.authorizers["ConsoleJwt"]
    clock = FakeClock(time.time())
    with pytest.raises(Unauthorized, match="issuer"):
        JwtAuthorizer(authorizer.issuer + "x", authorizer.audience, authorizer.jwks_url, clock).claims(token)
    with pytest.raises(Unauthorized, match="audience"):
        JwtAuthorizer(authorizer.issuer, ["another-client"], authorizer.jwks_url, clock).claims(token)
    with pytest.raises(Unauthorized, match="JWKS"):
        JwtAuthorizer(authorizer.issuer, authorizer.audience, "http://127.0.0.1:9/none", clock).claims(token)


def test_paths_no_operation_takes_are_401_then_typed_404_or_405_on_the_local_stack(stack, pool) -> None:
    """As API Gateway routes them: each operation's route beats `ANY /console/api/{proxy+}`
    (the authorizer, then ConsoleUnroutedFunction), and `$default` (UnroutedFunction) takes
    only what is outside /console/api/ altogether."""
    token = login(stack).json()["id_token"]
    auth = {"Authorization": f"Bearer {token}"}
    url = f"{stack.api_url}/console/api"
    for method, path in (("GET", "/nowhere"), ("POST", "/me"), ("GET", "/login")):
        anonymous = requests.request(method, url + path, timeout=10)
        assert (anonymous.status_code, anonymous.json()) == (401, {"message": "Unauthorized"}), path
    missing = requests.get(f"{url}/nowhere", headers=auth, timeout=10)
    assert (missing.status_code, missing.json()["error"]["code"]) == (404, "not_found")
    deeper = requests.get(f"{url}/payments/a/b", headers=auth, timeout=10)
    assert deeper.status_code == 404
    wrong = requests.delete(f"{url}/me", headers=auth, timeout=10)
    assert (wrong.status_code, wrong.headers["Allow"]) == (405, "GET")
    assert wrong.json()["error"]["code"] == "method_not_allowed"
    resolve = requests.get(f"{url}/exceptions/x/resolve", headers=auth, timeout=10)
    assert (resolve.status_code, resolve.headers["Allow"]) == (405, "POST")
    outside = requests.post(f"{stack.api_url}/console", timeout=10)
    assert (outside.status_code, outside.headers["Allow"]) == (405, "GET")


def test_a_new_user_replaces_the_temporary_password_then_signs_in_with_the_new_one_only(stack, pool) -> None:
    """moto's cognito-idp: admin_create_user with a TemporaryPassword leaves the user in
    FORCE_CHANGE_PASSWORD, InitiateAuth answers NEW_PASSWORD_REQUIRED with a session, and
    RespondToAuthChallenge checks the pool's password policy (from template.yaml)."""
    idp = boto3.client("cognito-idp")
    temporary, chosen = "Temporary-Pass-1", "Chosen-New-Pass-2"
    idp.admin_create_user(
        UserPoolId=pool, Username="dave", TemporaryPassword=temporary, MessageAction="SUPPRESS"
    )
    idp.admin_add_user_to_group(UserPoolId=pool, Username="dave", GroupName="operators")
    url = f"{stack.api_url}/console/api/login"

    def sign_in(password: str) -> requests.Response:
        return requests.post(url, json={"username": "dave", "password": password}, timeout=10)

    first = sign_in(temporary)
    assert first.status_code == 200 and first.json()["challenge"] == "new_password_required"
    assert first.json()["password_policy"]["minimum_length"] == 12
    session = first.json()["session"]
    weak = requests.post(
        url + "/new-password",
        json={"username": "dave", "session": session, "new_password": "weak"},
        timeout=10,
    )
    assert (weak.status_code, weak.json()["error"]["code"]) == (422, "weak_password")
    gone = requests.post(
        url + "/new-password",
        json={"username": "dave", "session": "no-such-session-of-cognitos", "new_password": chosen},
        timeout=10,
    )
    assert (gone.status_code, gone.json()["error"]["code"]) == (401, "session_expired")
    done = requests.post(
        url + "/new-password",
        json={"username": "dave", "session": session, "new_password": chosen},
        timeout=10,
    )
    assert done.status_code == 200
    seen = me(stack, done.json()["id_token"])
    assert (seen.status_code, seen.json()["role"]) == (200, "operator")
    assert (sign_in(temporary).status_code, sign_in(temporary).json()["error"]["code"]) == (
        401,
        "invalid_credentials",
    )
    again = sign_in(chosen)
    assert again.status_code == 200 and "id_token" in again.json()
