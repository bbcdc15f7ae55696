"""Alipay third-party application mode, pure parts: the token answer in both shapes Alipay has
returned (values of captured answers), the authorization notices, the refusal mapping, and
the configuration rules of a provider-mode channel."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest

from paymux.channels.alipay import answers, authorization, signing
from paymux.channels.alipay.client import AlipayChannel
from paymux.channels.alipay.transform import china_time
from paymux.channels.base import ChannelAccount, SubMerchant
from paymux.channels.http import HttpResponse
from paymux.errors import (
    BadRequest,
    CallbackRejected,
    ChannelAuthorizationInvalid,
    ChannelError,
    ChannelUnavailable,
    ConfigurationError,
)
from tests.keys import keypair

NOW = 1_800_000_000.0
ISV = "2017042106866215"
MERCHANT_APP = "2021001172619424"
MERCHANT_PID = "2088222154382090"
# Captured alipay.open.auth.token.app answers (token values shortened: not real secrets).
FLAT = {
    "code": "10000",
    "msg": "Success",
    "app_auth_token": "201611BB0072dd1af77d4b46a1e8f98ab3e2fX14",
    "app_refresh_token": "201611BBc9a68a471b28458bbf3acf67cf671X14",
    "auth_app_id": "2016111602863409",
    "expires_in": 31536000,
    "re_expires_in": 32140800,
    "user_id": "2088102901490141",
}
TOKENS = {
    "code": "10000",
    "msg": "Success",
    "tokens": [
        {
            "app_auth_token": "201912BB816db31487d74374a493209db2f32X87",
            "app_refresh_token": "201912BBe337978b24ed4091bea6eab51bef6A87",
            "auth_app_id": "2021001102690024",
            "expires_in": 31536000,
            "re_expires_in": 32140800,
            "user_id": "2088612209050876",
        }
    ],
}


class NoHttp:
    def request(self, method: str, url: str, **_: object) -> HttpResponse:
        raise AssertionError(f"no call may reach Alipay: {method} {url}")


def account(mode: str = "provider") -> ChannelAccount:
    return ChannelAccount(
        account_id="ali-isv",
        provider="alipay",
        products=("alipay.qr",),
        mchid="2088009000000001",
        appid=ISV,
        base_url="https://openapi.alipay.com/gateway.do",
        mode=mode,  # type: ignore[arg-type]
    )


def channel(mode: str = "provider", sub: SubMerchant | None = None) -> AlipayChannel:
    credentials = {
        "app_private_key_pem": keypair("isv-app").private_pem,
        "alipay_public_key_pem": keypair("alipay").public_pem,
    }
    return AlipayChannel(account(mode), credentials, NoHttp(), lambda: NOW, sub_merchant=sub)


def signed(form: dict[str, str], key: str = "alipay") -> bytes:
    content = signing.sign_content(form, exclude=frozenset({"sign", "sign_type"}))
    return urlencode(form | {"sign": signing.sign(keypair(key).private_key, content)}).encode()


@pytest.mark.parametrize("answer", [FLAT, TOKENS], ids=["flat", "tokens"])
def test_both_answer_shapes_give_the_grant_with_absolute_expiries(answer: dict[str, object]) -> None:
    grant = authorization.grant_from_answer(answer, NOW)
    fields = answer.get("tokens", [answer])[0]  # type: ignore[index]
    assert (grant.app_auth_token, grant.user_id, grant.auth_app_id) == (
        fields["app_auth_token"],
        fields["user_id"],
        fields["auth_app_id"],
    )
    assert (grant.expires_at, grant.refresh_expires_at) == (NOW + 31536000, NOW + 32140800)
    assert grant.app_auth_token not in repr(grant) and grant.app_refresh_token not in repr(grant)
    assert set(grant.secret_value()) == {
        "app_auth_token",
        "app_refresh_token",
        "expires_at",
        "refresh_expires_at",
    }


def test_expiries_given_as_strings_as_the_docs_write_them() -> None:
    grant = authorization.grant_from_answer(FLAT | {"expires_in": "600", "re_expires_in": "1200"}, NOW)
    assert (grant.expires_at, grant.refresh_expires_at) == (NOW + 600, NOW + 1200)


def test_an_answer_without_a_token_or_expiry_is_not_believed() -> None:
    for broken in ({k: v for k, v in FLAT.items() if k != "app_auth_token"}, FLAT | {"expires_in": "soon"}):
        with pytest.raises(ChannelUnavailable):
            authorization.grant_from_answer(broken, NOW)
    batch = {"tokens": TOKENS["tokens"] * 2}  # type: ignore[operator]
    with pytest.raises(ChannelError) as refused:
        authorization.grant_from_answer(batch, NOW)
    assert refused.value.channel_code == "batch_authorization"


def test_token_refusals_are_typed_and_say_whether_a_refresh_helps() -> None:
    expired = answers.error(
        {"code": "20001", "sub_code": "aop.app-auth-token-time-out", "sub_msg": "应用授权令牌已过期"}
    )
    invalid = answers.error(
        {"code": "20001", "sub_code": "aop.invalid-app-auth-token", "sub_msg": "无效的应用授权令牌"}
    )
    assert isinstance(expired, ChannelAuthorizationInvalid) and expired.refreshable
    assert isinstance(invalid, ChannelAuthorizationInvalid) and not invalid.refreshable
    assert invalid.retryable_elsewhere and invalid.status == 502


def test_the_change_notice_carries_the_merchants_grant() -> None:
    biz = {
        "notify_context": {
            "trigger": "mrchiscore",
            "trigger_context": {"out_biz_no": "2020070620455448400097477"},
        },
        "detail": {
            "app_auth_token": "202007BBbf2c01e84b464234910c43ff65c54X09",
            "user_id": MERCHANT_PID,
            "re_expires_in": 32140800,
            "auth_time": int(NOW * 1000),
            "app_refresh_token": "202007BBd81538093e464582934c51dfb9d18X09",
            "auth_app_id": MERCHANT_APP,
            "app_id": ISV,
            "expires_in": 31536000,
            "app_auth_code": "aae0477c3c014c44b11b240fbebbbX09",
        },
        "error": {},
    }
    form = {
        "notify_id": "2020070600222205656083451410597730",
        "notify_type": "open_app_auth_notify",
        "status": "execute_auth",
        "notify_time": china_time(NOW - 5),
        "charset": "utf-8",
        "version": "1.0",
        "app_id": ISV,
        "auth_app_id": MERCHANT_APP,
        "sign_type": "RSA2",
        "biz_content": json.dumps(biz),
    }
    notice = channel().parse_auth_notice({}, signed(form))
    assert (notice.kind, notice.auth_app_id, notice.user_id) == ("changed", MERCHANT_APP, MERCHANT_PID)
    assert notice.grant is not None and notice.grant.expires_at == NOW + 31536000
    with pytest.raises(CallbackRejected):
        channel().parse_auth_notice({}, signed(form | {"status": "something_new"}))
    with pytest.raises(CallbackRejected):
        channel().parse_auth_notice({}, signed(form, key="forger"))
    with pytest.raises(CallbackRejected):
        channel().parse_auth_notice({}, signed(form | {"app_id": "2021000000000999"}))
    with pytest.raises(CallbackRejected):
        channel().parse_auth_notice({}, signed(form | {"notify_time": china_time(NOW - 49 * 3600)}))


def test_the_cancel_message_falls_back_to_its_envelope_ids() -> None:
    form = {
        "notify_id": "2798c9cf5f88f24bb7ab6a94733cab1m3l",
        "msg_method": "alipay.open.auth.appauth.cancelled",
        "utc_timestamp": str(int(NOW * 1000)),
        "app_id": ISV,
        "msg_app_id": MERCHANT_APP,
        "msg_uid": MERCHANT_PID,
        "version": "1.1",
        "charset": "utf-8",
        "sign_type": "RSA2",
        "biz_content": "{}",
    }
    notice = channel().parse_auth_notice({}, signed(form))
    assert (notice.kind, notice.auth_app_id, notice.user_id, notice.grant) == (
        "cancelled",
        MERCHANT_APP,
        MERCHANT_PID,
        None,
    )
    with pytest.raises(CallbackRejected):  # a trade notify is not an authorization notice
        channel().parse_auth_notice(
            {},
            signed(
                {"notify_id": "1", "notify_type": "trade_status_sync", "app_id": ISV, "sign_type": "RSA2"}
            ),
        )


def test_configuration_rules_of_the_modes() -> None:
    sub = SubMerchant("bind-1", "m-1", MERCHANT_PID, MERCHANT_APP, app_auth_token="201912BB…")
    with pytest.raises(ConfigurationError):
        channel("direct", sub)  # a merchant's own account acts for no one else
    with pytest.raises(ConfigurationError):
        channel("provider", SubMerchant("bind-1", "m-1", MERCHANT_PID, MERCHANT_APP))  # no token
    with pytest.raises(ConfigurationError):
        channel("direct").exchange_app_auth_code("aae0477c3c014c44b11b240fbebbbX09")
    with pytest.raises(BadRequest):
        channel().exchange_app_auth_code("")
    assert channel("provider").carried_fields["callback"] == frozenset({"amount", "appid"})
    assert channel("direct").carried_fields["callback"] == frozenset({"amount", "mchid", "appid"})
