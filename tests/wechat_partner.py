"""WeChat Pay service-provider (服务商) set-up for tests: a provider identity at the sandbox with
two bound sub-merchants, the matching provider-mode ChannelAccount and its credentials, and the
SubMerchant of a binding. Meant for every test that needs provider mode (channel, sandbox and,
once bindings exist, the API end to end)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from paymux.channels.base import ChannelAccount, SubMerchant
from paymux.channels.http import RequestsHttpClient
from paymux.channels.registry import build_channel
from paymux.channels.wechat.client import WeChatPayChannel
from paymux.channels.wechat.transform import PRODUCTS
from sandbox.wechat import GeneratedMerchant, SandboxSubMerchant, WeChatSandbox, generate_merchant

SP_MCHID = "1230000109"
SP_APPID = "wx8888888888888888"
SUB_A = "1900000201"  # with its own app (sub_appid): payers are sub_openid
SUB_A_APPID = "wxd678efh567hg6999"
SUB_B = "1900000202"  # without an app: payers are sp_openid under the provider's app
OTHER_SP_MCHID = "1230000110"
SUB_OF_OTHER_SP = "1900000301"


@functools.cache
def provider_identity(mchid: str = SP_MCHID, appid: str = SP_APPID) -> GeneratedMerchant:
    return generate_merchant(mchid, (appid,), service_provider=True)


def register_partners(sandbox: WeChatSandbox, identity: GeneratedMerchant | None = None) -> GeneratedMerchant:
    """The provider with SUB_A (bound app SUB_A_APPID) and SUB_B; and another provider with
    its own sub-merchant SUB_OF_OTHER_SP (a relationship SP_MCHID does not have)."""
    identity = identity or provider_identity()
    sandbox.register_merchant(identity.merchant)
    sandbox.register_sub_merchant(SandboxSubMerchant(SUB_A, identity.merchant.mchid, (SUB_A_APPID,)))
    sandbox.register_sub_merchant(SandboxSubMerchant(SUB_B, identity.merchant.mchid))
    other = provider_identity(OTHER_SP_MCHID, "wx7777777777777777")
    sandbox.register_merchant(other.merchant)
    sandbox.register_sub_merchant(SandboxSubMerchant(SUB_OF_OTHER_SP, OTHER_SP_MCHID))
    return identity


def provider_account(sandbox: WeChatSandbox, account_id: str = "wx-sp") -> ChannelAccount:
    return ChannelAccount(
        account_id=account_id,
        provider="wechat",
        products=tuple(sorted(PRODUCTS)),
        mchid=SP_MCHID,
        appid=SP_APPID,
        base_url=sandbox.base_url,
        mode="provider",
    )


def provider_credentials(sandbox: WeChatSandbox, identity: GeneratedMerchant | None = None) -> dict[str, Any]:
    """The provider's key, certificate serial and APIv3 key; WeChat's public key and platform
    certificate (as a provider account's secret holds them)."""
    identity = identity or provider_identity()
    cert = sandbox.platform_certificates[-1]
    return {
        "merchant_private_key_pem": identity.private_key_pem.decode(),
        "merchant_cert_serial": identity.merchant.merchant_cert_serial,
        "apiv3_key": identity.merchant.apiv3_key.decode(),
        "platform_certificates": [
            {"serial_no": cert["serial_no"], "public_key_pem": cert["public_key_pem"].decode()}
        ],
        "wechatpay_public_key": {
            "id": sandbox.public_key_id,
            "public_key_pem": sandbox.public_key_pem.decode(),
        },
    }


def sub_merchant(sub_mchid: str = SUB_A, merchant_id: str = "m_a", binding_id: str = "") -> SubMerchant:
    """The binding of `merchant_id` to the provider account for `sub_mchid` (SUB_A has its app)."""
    sub_appid = SUB_A_APPID if sub_mchid == SUB_A else ""
    return SubMerchant(binding_id or f"b_{sub_mchid}", merchant_id, sub_mchid=sub_mchid, sub_appid=sub_appid)


def provider_channel(
    sandbox: WeChatSandbox, sub: SubMerchant | None = None, clock: Callable[[], float] | None = None
) -> WeChatPayChannel:
    """A provider-mode channel built the way the services build one (registry.build_channel)."""
    import time

    channel = build_channel(
        provider_account(sandbox),
        provider_credentials(sandbox),
        RequestsHttpClient(),
        clock or time.time,
        sub_merchant=sub,
    )
    assert isinstance(channel, WeChatPayChannel)
    return channel
