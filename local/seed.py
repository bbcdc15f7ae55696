"""Seeding paymux channel accounts that point at the WeChat Pay, Alipay, UnionPay and Huifu sandboxes:
what an operator does for a real account, with the sandbox's keys (used by the demo, the tests
and the bench)."""

from __future__ import annotations

import base64

from paymux.channels.base import AccountMode, ChannelAccount
from paymux.deps import Deps
from paymux.services import bindings
from sandbox.alipay import AlipaySandbox, GeneratedApp
from sandbox.huifu import GeneratedSysId, HuifuSandbox
from sandbox.unionpay import GeneratedMerchant as UnionPayIdentity
from sandbox.unionpay import UnionPaySandbox
from sandbox.wechat import SandboxSubMerchant, WeChatSandbox
from sandbox.wechat.merchant import GeneratedMerchant

SEED_ACTOR = "local:seed"
UNIONPAY_PRODUCTS = (
    "unionpay.qr",
    "unionpay.barcode",
    "unionpay.gateway",
    "unionpay.wap",
    "unionpay.app",
    "unionpay.b2b",
)
WECHAT_PRODUCTS = (
    "wechat.native",
    "wechat.jsapi",
    "wechat.mini_program",
    "wechat.h5",
    "wechat.app",
    "wechat.barcode",
)


def seed_wechat_account(
    d: Deps,
    sandbox: WeChatSandbox,
    identity: GeneratedMerchant,
    account_id: str,
    owner: str = "",
    mode: AccountMode = "direct",
) -> ChannelAccount:
    """Registers the merchant at the sandbox and configures the matching paymux account, with
    both the platform certificate and the WeChat Pay public key trusted: a direct account of
    `owner` (without one it takes no payment), or a provider account (`mode="provider"`)."""
    sandbox.register_merchant(identity.merchant)
    cert = sandbox.platform_certificates[0]
    account = ChannelAccount(
        account_id=account_id,
        provider="wechat",
        products=WECHAT_PRODUCTS,
        mchid=identity.merchant.mchid,
        appid=identity.merchant.appids[0],
        base_url=sandbox.base_url,
        mode=mode,
        owner=owner,
    )
    credentials = {
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
        # the official account's AppSecret: the checkout's WeChat OAuth (JSAPI's openid)
        "oauth_app_secret": sandbox.web_authorization.app_secret(identity.merchant.appids[0]),
        # wechat.barcode (API v2): the v2 key and the API client certificate (mutual TLS)
        "apiv2_key": identity.merchant.apiv2_key.decode(),
        "merchant_cert_pem": identity.certificate_pem.decode(),
    }
    d.channel_config.put_account(account, credentials)
    return account


ALIPAY_PRODUCTS = ("alipay.qr", "alipay.page", "alipay.wap", "alipay.app", "alipay.jsapi", "alipay.barcode")
ALIPAY_PRODUCTS = (*ALIPAY_PRODUCTS, "alipay.mini_program")  # inside an Alipay mini program


def seed_alipay_account(
    d: Deps,
    sandbox: AlipaySandbox,
    identity: GeneratedApp,
    account_id: str,
    owner: str = "",
    mode: AccountMode = "direct",
) -> ChannelAccount:
    """Registers the application at the Alipay sandbox and configures the matching paymux
    account: the app's private key signs, the sandbox's Alipay public key verifies."""
    sandbox.register_app(identity.app)
    account = ChannelAccount(
        account_id=account_id,
        provider="alipay",
        products=ALIPAY_PRODUCTS,
        mchid=identity.app.pid,
        appid=identity.app.app_id,
        base_url=sandbox.gateway_url,
        mode=mode,
        owner=owner,
    )
    credentials = {
        "app_private_key_pem": identity.private_key_pem.decode(),
        "alipay_public_key_pem": sandbox.alipay_public_key_pem.decode(),
    }
    d.channel_config.put_account(account, credentials)
    return account


def seed_wechat_partner(
    d: Deps,
    sandbox: WeChatSandbox,
    identity: GeneratedMerchant,
    account_id: str,
    merchant_id: str,
    sub_mchid: str,
) -> dict[str, object]:
    """WeChat Pay service-provider (服务商) mode: the provider account `identity` (generated
    with ``service_provider=True``) and `sub_mchid` onboarded under it at the sandbox; the
    provider-mode paymux account and the binding of `merchant_id` to that sub-merchant."""
    seed_wechat_account(d, sandbox, identity, account_id, mode="provider")
    sandbox.register_sub_merchant(SandboxSubMerchant(sub_mchid, identity.merchant.mchid))
    doc = {"merchant_id": merchant_id, "account_id": account_id, "sub_mchid": sub_mchid}
    return bindings.create_binding(d, doc, actor=SEED_ACTOR)


def seed_unionpay_account(
    d: Deps,
    sandbox: UnionPaySandbox,
    identity: UnionPayIdentity,
    account_id: str,
    owner: str = "",
    mode: AccountMode = "direct",
) -> ChannelAccount:
    """Direct mode: `identity` is the merchant (its merId, mchid); provider mode: an acquirer
    (its acqInsCode, mchid), registered at the sandbox by the caller with its sub-merchants.
    The PKCS#12 signs; the sandbox's root and middle verify (test environment)."""
    if mode == "direct":
        sandbox.register_merchant(identity)
    account = ChannelAccount(
        account_id=account_id,
        provider="unionpay",
        products=UNIONPAY_PRODUCTS,
        mchid=identity.mer_id,
        appid="",
        base_url=sandbox.base_url,
        mode=mode,
        owner=owner,
    )
    credentials = {
        "signing_pfx": base64.b64encode(identity.pkcs12).decode("ascii"),
        "signing_pfx_password": identity.password,
        "root_cert": sandbox.root_pem.decode("ascii"),
        "middle_cert": sandbox.middle_pem.decode("ascii"),
        "environment": "test",
    }
    d.channel_config.put_account(account, credentials)
    return account


def seed_unionpay_acquirer(
    d: Deps,
    sandbox: UnionPaySandbox,
    identity: UnionPayIdentity,
    account_id: str,
    merchant_id: str,
    sub_mer_id: str,
) -> dict[str, object]:
    """Acquirer mode: the acquirer `identity` (mer_id = its acqInsCode) with `sub_mer_id`
    onboarded under it at the sandbox; the provider-mode account and `merchant_id`'s binding."""
    sandbox.register_acquirer(identity.mer_id, [sub_mer_id], identity)
    seed_unionpay_account(d, sandbox, identity, account_id, mode="provider")
    doc = {"merchant_id": merchant_id, "account_id": account_id, "sub_mchid": sub_mer_id}
    return bindings.create_binding(d, doc, actor=SEED_ACTOR)


HUIFU_PRODUCTS = ("ecny.qr", "ecny.barcode")


def seed_huifu_account(
    d: Deps,
    sandbox: HuifuSandbox,
    identity: GeneratedSysId,
    account_id: str,
    owner: str = "",
    mode: AccountMode = "direct",
    sub_merchants: tuple[str, ...] = (),
) -> ChannelAccount:
    """Huifu 斗拱 for e-CNY. Direct mode: `identity` is the merchant's own huifu_id (sys_id);
    provider mode: paymux's service-provider sys_id, with `sub_merchants` onboarded under it.
    The sys_id's private key signs; the sandbox's Huifu public key verifies."""
    sandbox.register(identity, sub_merchants)
    account = ChannelAccount(
        account_id=account_id,
        provider="huifu",
        products=HUIFU_PRODUCTS,
        mchid=identity.sys_id,
        appid="",
        base_url=sandbox.base_url,
        mode=mode,
        owner=owner,
    )
    credentials = {
        "product_id": identity.product_id,
        "merchant_private_key_pem": identity.private_key_pem.decode("ascii"),
        "huifu_public_key_pem": sandbox.public_key_pem.decode("ascii"),
    }
    d.channel_config.put_account(account, credentials)
    return account


def seed_huifu_provider(
    d: Deps,
    sandbox: HuifuSandbox,
    identity: GeneratedSysId,
    account_id: str,
    merchant_id: str,
    sub_huifu_id: str,
) -> dict[str, object]:
    """Service-provider mode: paymux's sys_id with `sub_huifu_id` onboarded under it, and
    `merchant_id`'s binding to that sub-merchant (the money is the sub-merchant's at Huifu)."""
    seed_huifu_account(d, sandbox, identity, account_id, mode="provider", sub_merchants=(sub_huifu_id,))
    doc = {"merchant_id": merchant_id, "account_id": account_id, "sub_mchid": sub_huifu_id}
    return bindings.create_binding(d, doc, actor=SEED_ACTOR)
