"""What `make dev` adds to the bare local stack: the WeChat Pay, Alipay, UnionPay and Huifu (e-CNY) sandboxes,
an account at each, a seeded demo merchant app, and a demo merchant server that receives notifications.
Prints the credentials and a copy-paste example."""

from __future__ import annotations

import json
import logging
import os
import secrets
from pathlib import Path

from local.console_users import demo_console_users
from local.demo_merchant import DemoMerchant
from local.seed import (
    seed_alipay_account,
    seed_huifu_account,
    seed_unionpay_account,
    seed_wechat_account,
    seed_wechat_partner,
)
from local.stack import LocalStack
from paymux.deps import deps, set_deps
from paymux.store.merchants import MerchantApp, StaticCode
from sandbox.alipay import AlipaySandbox, generate_app
from sandbox.huifu import HuifuSandbox, generate_sys_id
from sandbox.unionpay import UnionPaySandbox
from sandbox.unionpay import generate_merchant as generate_unionpay_merchant
from sandbox.wechat import WeChatSandbox, generate_merchant

log = logging.getLogger("local.demo")
STATE_FILE = Path(
    os.environ.get("PAYMUX_DEMO_STATE", Path(__file__).resolve().parent / ".state" / "demo.json")
)
DEMO_APP_ID = "app_demo"
STATIC_CODE_METHODS = (
    "wechat.native",
    "alipay.qr",
    "wechat.jsapi",
    "alipay.jsapi",
    "wechat.h5",
    "alipay.wap",
)
DEMO_MERCHANT_ID = "mch_demo"
DEMO_ACCOUNT_ID = "wx-demo"
DEMO_ALIPAY_ACCOUNT_ID = "ali-demo"
DEMO_UNIONPAY_ACCOUNT_ID = "up-demo"
DEMO_UNIONPAY_MER_ID = "777290058167151"  # the demo shop's own merId (direct mode)
DEMO_HUIFU_ACCOUNT_ID = "hf-demo"
DEMO_HUIFU_ID = "6666000108854952"  # the demo shop's own Huifu merchant (direct mode, e-CNY)
# a second shop paid through paymux's WeChat Pay service-provider account (its own sub_mchid)
DEMO_PARTNER_APP_ID = "app_demo_partner"
DEMO_PARTNER_MERCHANT_ID = "mch_demo_partner"
DEMO_SP_ACCOUNT_ID = "wx-sp-demo"
DEMO_SUB_MCHID = "1900000201"


def setup(stack: LocalStack) -> None:
    sandbox_port = int(os.environ.get("PAYMUX_SANDBOX_PORT", "8701"))
    merchant_port = int(os.environ.get("PAYMUX_DEMO_MERCHANT_PORT", "8702"))
    secret = "sk_demo_" + secrets.token_hex(16)
    identity = generate_merchant(mchid="1900000109", appids=("wx8888888888888888",))
    alipay_port = int(os.environ.get("PAYMUX_ALIPAY_SANDBOX_PORT", "8703"))
    sandbox = WeChatSandbox(port=sandbox_port, key_mode="both")
    alipay = AlipaySandbox(port=alipay_port)
    alipay_identity = generate_app(app_id="2021000000000001", pid="2088000000000001")
    provider = generate_merchant(mchid="1230000109", appids=("wx7777777777777777",), service_provider=True)
    merchant = DemoMerchant(secret, port=merchant_port)
    unionpay_port = int(os.environ.get("PAYMUX_UNIONPAY_SANDBOX_PORT", "8704"))
    unionpay = UnionPaySandbox(port=unionpay_port)
    huifu = HuifuSandbox(port=int(os.environ.get("PAYMUX_HUIFU_SANDBOX_PORT", "8705")))

    def started(stack: LocalStack) -> None:
        sandbox.start()
        alipay.start()
        unionpay.start()
        huifu.start()
        merchant.start()
        set_deps(None)  # build from the stack's environment
        d = deps()
        static_code = StaticCode(  # the demo shop's printed code: /pay/<app id>
            f"{merchant.url}/notify", f"{merchant.url}/thanks", STATIC_CODE_METHODS, 100_000, "Demo shop"
        )
        d.merchants.put_app(
            MerchantApp(
                app_id=DEMO_APP_ID, merchant_id=DEMO_MERCHANT_ID, name="Demo shop", static_code=static_code
            ),
            secret,
        )
        seed_wechat_account(d, sandbox, identity, DEMO_ACCOUNT_ID, owner=DEMO_MERCHANT_ID)
        seed_alipay_account(d, alipay, alipay_identity, DEMO_ALIPAY_ACCOUNT_ID, owner=DEMO_MERCHANT_ID)
        unionpay_identity = generate_unionpay_merchant(DEMO_UNIONPAY_MER_ID)
        seed_unionpay_account(
            d, unionpay, unionpay_identity, DEMO_UNIONPAY_ACCOUNT_ID, owner=DEMO_MERCHANT_ID
        )
        seed_huifu_account(
            d, huifu, generate_sys_id(DEMO_HUIFU_ID), DEMO_HUIFU_ACCOUNT_ID, owner=DEMO_MERCHANT_ID
        )
        # the same secret, so that the one demo merchant server verifies both shops' notifications
        d.merchants.put_app(
            MerchantApp(
                app_id=DEMO_PARTNER_APP_ID, merchant_id=DEMO_PARTNER_MERCHANT_ID, name="Demo sub-merchant"
            ),
            secret,
        )
        seed_wechat_partner(
            d, sandbox, provider, DEMO_SP_ACCOUNT_ID, DEMO_PARTNER_MERCHANT_ID, DEMO_SUB_MCHID
        )
        console = demo_console_users(stack, DEMO_MERCHANT_ID)
        state = {
            "console_url": f"{stack.api_url}/console",
            "console_operator_password": console["operator"],
            "console_merchant_password": console["merchant"],
            "api_url": stack.api_url,
            "app_id": DEMO_APP_ID,
            "partner_app_id": DEMO_PARTNER_APP_ID,
            "secret": secret,
            "sandbox_url": sandbox.base_url,
            "alipay_sandbox_url": alipay.base_url,
            "unionpay_sandbox_url": unionpay.base_url,
            "huifu_sandbox_url": huifu.base_url,
            "merchant_url": merchant.url,
            "notify_url": f"{merchant.url}/notify",
            "static_code_url": f"{stack.api_url}/pay/{DEMO_APP_ID}",
        }
        STATE_FILE.parent.mkdir(parents=True, exist_ok=True)
        STATE_FILE.write_text(json.dumps(state, indent=2))
        print(banner(state), flush=True)

    stack.on_started.append(started)
    stack.on_stopped.append(
        lambda _stack: (merchant.stop(), sandbox.stop(), alipay.stop(), unionpay.stop(), huifu.stop())
    )


def banner(state: dict[str, str]) -> str:
    example = (
        f".venv/bin/python -m local.example --api {state['api_url']} --app-id {state['app_id']} "
        f"--secret {state['secret']} --notify-url {state['notify_url']} --sandbox-url {state['sandbox_url']}"
    )
    rule = "─" * 76
    return f"""
{rule}
 paymux local demo
 API            {state["api_url"]}
 app id         {state["app_id"]}
 secret         {state["secret"]}
 WeChat sandbox {state["sandbox_url"]}/sandbox/   (pay QR codes in a browser)
 Alipay sandbox {state["alipay_sandbox_url"]}/sandbox/   (methods alipay.qr/page/wap/app/jsapi)
 UnionPay       {state["unionpay_sandbox_url"]}/sandbox/   (unionpay.qr/barcode/gateway/wap/app/b2b)
 Huifu (e-CNY)  {state.get("huifu_sandbox_url", "")}   (ecny.qr: open code_url to pay; ecny.barcode)
 demo merchant  {state["notify_url"]}   (verifies and logs notifications)
 console        {state["console_url"]}   operator / {state["console_operator_password"]},
                merchant / {state["console_merchant_password"]} (sees {DEMO_MERCHANT_ID} only)

 Make a payment (create → pay in the sandbox → SUCCESS → merchant notified):

   {example}

 Add --no-pay to only create it, then pay the QR code yourself on the sandbox page; add
 --method alipay.qr --alipay-sandbox-url {state["alipay_sandbox_url"]} to pay with Alipay;
 use --app-id {state["partner_app_id"]} (same secret) for a shop paid through paymux's WeChat
 Pay service-provider account (服务商 mode, sub_mchid {DEMO_SUB_MCHID}).
{rule}
"""
