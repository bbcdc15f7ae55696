"""The sandbox's third-party application authorization, driven by the tests' own gateway
client (alipay_sandbox_helpers signs and verifies from PROTOCOLS.md, not with paymux's code):
the code exchange answer, a call with the token acting for the authorizing merchant, the
notify naming both applications, and Alipay's refusals."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from alipay_sandbox_helpers import APP_ID, AlipayEnv, FakeClock, alipay_env, verify_notify

from sandbox.alipay import generate_app

MERCHANT = generate_app(app_id="2021001100000077", pid="2088001100000077")
TOKEN = "alipay.open.auth.token.app"


@pytest.fixture
def env() -> Iterator[AlipayEnv]:
    with alipay_env(clock=FakeClock()) as made:
        made.sb.register_app(MERCHANT.app)
        yield made


def exchange(env: AlipayEnv) -> dict[str, object]:
    code = env.sb.app_auth.authorize(APP_ID, MERCHANT.app.app_id)
    answer = env.client.call(TOKEN, {"grant_type": "authorization_code", "code": code})
    assert answer.verifies(env.key) and answer["code"] == "10000"
    (token,) = answer["tokens"]
    return dict(token)


def test_the_exchange_answers_tokens_for_the_merchant(env: AlipayEnv) -> None:
    token = exchange(env)
    assert (token["user_id"], token["auth_app_id"]) == (MERCHANT.app.pid, MERCHANT.app.app_id)
    assert (token["expires_in"], token["re_expires_in"]) == (31536000, 32140800)
    assert len(str(token["app_auth_token"])) == 40


def test_a_call_with_the_token_is_the_merchants(env: AlipayEnv) -> None:
    token = str(exchange(env)["app_auth_token"])
    receiver = env.receiver()
    biz = {"out_trade_no": "ISV_SB_0001", "total_amount": "1.00", "subject": "tea"}
    answer = env.client.call("alipay.trade.precreate", biz, app_auth_token=token, notify_url=receiver.url)
    assert answer["code"] == "10000"
    assert env.sb.trades["ISV_SB_0001"]["app_id"] == MERCHANT.app.app_id
    env.sb.pay(MERCHANT.app.app_id, "ISV_SB_0001")
    (notified,) = receiver.wait_for(1)
    assert verify_notify(notified.form, env.key)
    form = notified.form
    assert (form["app_id"], form["auth_app_id"], form["seller_id"]) == (
        APP_ID,
        MERCHANT.app.app_id,
        MERCHANT.app.pid,
    )
    # Without the token the caller's own namespace is asked: no such trade there.
    assert (
        env.client.call("alipay.trade.query", {"out_trade_no": "ISV_SB_0001"})["sub_code"]
        == "ACQ.TRADE_NOT_EXIST"
    )
    query = env.client.call("alipay.trade.query", {"out_trade_no": "ISV_SB_0001"}, app_auth_token=token)
    assert query["trade_status"] == "TRADE_SUCCESS" and query.verifies(env.key)


def test_refusals_are_alipays(env: AlipayEnv) -> None:
    token = str(exchange(env)["app_auth_token"])
    unknown = env.client.call(
        "alipay.trade.query", {"out_trade_no": "X"}, app_auth_token="201510BB0c409dd5758b4d939d4008a525463X27"
    )
    assert (unknown["code"], unknown["sub_code"]) == ("20001", "aop.invalid-app-auth-token")
    assert unknown.verifies(env.key)
    env.clock.advance(31536000 + 1)  # type: ignore[attr-defined]
    expired = env.client.call("alipay.trade.query", {"out_trade_no": "X"}, app_auth_token=token)
    assert (expired["code"], expired["sub_code"]) == ("20001", "aop.app-auth-token-time-out")
    bad_grant = env.client.call(TOKEN, {"grant_type": "password"})
    assert (bad_grant.key, bad_grant["sub_code"]) == ("error_response", "isv.grant-type-invalid")
