"""An Alipay third-party application (provider-mode account) and merchants that authorized it,
against the Alipay sandbox: for channel tests and for the end-to-end tests with bindings.

    account = isv_account(sandbox, "ali-isv")                 # ChannelAccount, mode "provider"
    credentials = isv_credentials(sandbox)                   # what Secrets Manager would hold
    sub, grant = bind_merchant(sandbox, account, merchant(1), "bind-1", "merchant-1")
    channel = AlipayChannel(account, credentials, RequestsHttpClient(), clock, sub_merchant=sub)

`bind_merchant` goes the real way: the merchant authorizes paymux's application at the sandbox,
and the application exchanges the app_auth_code (alipay.open.auth.token.app). The grant's
`secret_value()` is the binding secret's JSON."""

from __future__ import annotations

from functools import cache
from typing import Any

from paymux.channels.alipay.authorization import AppAuthGrant
from paymux.channels.alipay.client import AlipayChannel
from paymux.channels.base import ChannelAccount, SubMerchant
from paymux.channels.http import RequestsHttpClient
from paymux.clock import Clock
from sandbox.alipay import AlipaySandbox, GeneratedApp, generate_app

ISV_APP_ID = "2021009000000001"
ISV_PID = "2088009000000001"
PRODUCTS = ("alipay.qr", "alipay.page", "alipay.wap", "alipay.app")


@cache
def isv_identity() -> GeneratedApp:
    """paymux's own third-party application (第三方应用) and its key pair."""
    return generate_app(app_id=ISV_APP_ID, pid=ISV_PID, seller_email="isv@paymux.example")


@cache
def merchant(number: int) -> GeneratedApp:
    """A merchant's own Alipay application (the one that authorizes paymux's)."""
    return generate_app(
        app_id=f"20210010{number:08d}", pid=f"20880010{number:08d}", seller_email=f"m{number}@shop.example"
    )


def isv_account(sandbox: AlipaySandbox, account_id: str = "ali-isv") -> ChannelAccount:
    """Registers the application at the sandbox; the provider-mode account paymux configures."""
    sandbox.register_app(isv_identity().app)
    return ChannelAccount(
        account_id=account_id,
        provider="alipay",
        products=PRODUCTS,
        mchid=ISV_PID,
        appid=ISV_APP_ID,
        base_url=sandbox.gateway_url,
        mode="provider",
    )


def isv_credentials(sandbox: AlipaySandbox) -> dict[str, Any]:
    return {
        "app_private_key_pem": isv_identity().private_key_pem.decode(),
        "alipay_public_key_pem": sandbox.alipay_public_key_pem.decode(),
    }


def bind_merchant(
    sandbox: AlipaySandbox,
    account: ChannelAccount,
    identity: GeneratedApp,
    binding_id: str,
    merchant_id: str,
    clock: Clock,
) -> tuple[SubMerchant, AppAuthGrant]:
    """The merchant authorizes the application; its code is exchanged for its tokens."""
    sandbox.register_app(identity.app)
    code = sandbox.app_auth.authorize(account.appid, identity.app.app_id)
    application = AlipayChannel(account, isv_credentials(sandbox), RequestsHttpClient(), clock)
    grant = application.exchange_app_auth_code(code)
    sub = SubMerchant(
        binding_id=binding_id,
        merchant_id=merchant_id,
        sub_mchid=grant.user_id,
        sub_appid=grant.auth_app_id,
        app_auth_token=grant.app_auth_token,
    )
    return sub, grant
