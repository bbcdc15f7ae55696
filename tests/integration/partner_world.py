"""Provider mode through the real stack: a merchant bound (admin API) to paymux's WeChat Pay
service-provider account or Alipay third-party application, each at its real sandbox, and
what a merchant does through the signed API. Shared by the partner lifecycle and the
funds-never-pooled tests."""

from __future__ import annotations

import copy
import json
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest

from paymux.channels.base import ChannelAccount
from paymux.services.reconciliation import default_day, reconcile_day
from paymux.store.merchants import MerchantApp
from sandbox.alipay import AlipaySandbox, GeneratedApp
from tests.alipay_isv_support import isv_account, isv_credentials, merchant
from tests.integration.conftest import World
from tests.integration.test_refunds import wait_until
from tests.support import invoke, load_event, response_json
from tests.wechat_partner import (
    SUB_A,
    SUB_A_APPID,
    SUB_B,
    provider_account,
    provider_credentials,
    register_partners,
)

OPERATOR = "arn:aws:sts::123456789012:assumed-role/paymux-operators/ops-e2e"


def admin(function: str, body: Any = None, binding_id: str = "") -> tuple[int, Any]:
    """An admin endpoint called the way API Gateway calls it (IAM-authorized operator)."""
    event = copy.deepcopy(load_event(f"{function}.json"))
    if binding_id:
        event["pathParameters"] = {"binding_id": binding_id}
    event["body"] = json.dumps(body) if body is not None else ""
    event["requestContext"]["authorizer"]["iam"]["userArn"] = OPERATOR
    return response_json(invoke(function, event))


@dataclass
class Shop:
    """A paymux merchant app with no direct account: it is paid only through its binding."""

    world: World
    app_id: str
    secret: str
    merchant_id: str
    binding: dict[str, Any]

    def call(self, template: str, **kwargs: Any) -> tuple[int, Any]:
        return self.world.call(template, app_id=self.app_id, secret=self.secret, **kwargs)

    def create(self, method: str, amount: int = 2000, **extra: Any) -> dict[str, Any]:
        body = {
            "amount": amount,
            "currency": "CNY",
            "method": method,
            "subject": "Coffee beans 1kg",
            "merchant_order_no": "ORD-" + secrets.token_hex(6),
            "notify_url": self.world.notify_url,
            **extra,
        }
        status, created = self.call("create_payment.json", body=body)
        assert status == 201, created
        return created

    def refund(self, payment_id: str, amount: int) -> dict[str, Any]:
        status, refund = self.call(
            "refund_payment.json",
            path=f"/v1/payments/{payment_id}/refunds",
            path_params={"payment_id": payment_id},
            body={"amount": amount, "merchant_refund_no": "RF-" + secrets.token_hex(5)},
        )
        assert status == 201, refund
        return refund

    def refund_status(self, refund_id: str) -> str:
        status, body = self.call(
            "get_refund.json", path=f"/v1/refunds/{refund_id}", path_params={"refund_id": refund_id}
        )
        assert status == 200, body
        return str(body["status"])

    def wait_paid(self, payment_id: str) -> None:
        wait_until(lambda: self.world.d.payments.get(payment_id).status == "SUCCESS")


def new_shop(world: World, name: str) -> tuple[str, str, str]:
    suffix = secrets.token_hex(3)
    app_id, secret, merchant_id = (
        f"app_{name}_{suffix}",
        "sk_" + secrets.token_hex(16),
        f"mch_{name}_{suffix}",
    )
    world.d.merchants.put_app(MerchantApp(app_id=app_id, merchant_id=merchant_id, name=name), secret)
    return app_id, secret, merchant_id


def bind(world: World, name: str, doc: dict[str, Any]) -> Shop:
    """A new merchant bound through the admin API (POST /admin/bindings)."""
    app_id, secret, merchant_id = new_shop(world, name)
    status, binding = admin("admin_create_binding", {"merchant_id": merchant_id, **doc})
    assert status == 201, binding
    assert binding["created_by"] == OPERATOR and binding["enabled"] is True
    return Shop(world, app_id, secret, merchant_id, binding)


@dataclass
class WeChatPartner:
    world: World
    account: ChannelAccount
    a: Shop  # bound to SUB_A (with its own app: sub_appid)
    b: Shop  # bound to SUB_B


@pytest.fixture
def wx_partner(world: World) -> WeChatPartner:
    """paymux's 服务商 account at the World's WeChat sandbox with two merchants bound."""
    register_partners(world.sandbox)
    account = provider_account(world.sandbox, f"wx-sp-{secrets.token_hex(3)}")
    world.d.channel_config.put_account(account, provider_credentials(world.sandbox))
    a = bind(world, "a", {"account_id": account.account_id, "sub_mchid": SUB_A, "sub_appid": SUB_A_APPID})
    b = bind(world, "b", {"account_id": account.account_id, "sub_mchid": SUB_B})
    return WeChatPartner(world, account, a, b)


@dataclass
class AlipayIsv:
    world: World
    sandbox: AlipaySandbox
    account: ChannelAccount
    a: Shop
    b: Shop
    identities: dict[str, GeneratedApp]

    def authorize(self, identity: GeneratedApp) -> str:
        """The merchant authorizes paymux's application at Alipay: a fresh app_auth_code."""
        self.sandbox.register_app(identity.app)
        return self.sandbox.app_auth.authorize(self.account.appid, identity.app.app_id)


@pytest.fixture
def ali_isv(world: World) -> Iterator[AlipayIsv]:
    """paymux's third-party application at a fresh Alipay sandbox; two merchants authorize it
    and are bound (admin API) from their codes."""
    sandbox = AlipaySandbox(clock=world.clock, notify_time_scale=0.001)
    sandbox.start()
    try:
        account = isv_account(sandbox, f"ali-isv-{secrets.token_hex(3)}")
        world.d.channel_config.put_account(account, isv_credentials(sandbox))
        identities = {"a": merchant(1), "b": merchant(2)}
        shops = {}
        for name, identity in identities.items():
            sandbox.register_app(identity.app)
            code = sandbox.app_auth.authorize(account.appid, identity.app.app_id)
            shops[name] = bind(world, name, {"account_id": account.account_id, "alipay_auth_code": code})
        yield AlipayIsv(world, sandbox, account, shops["a"], shops["b"], identities)
    finally:
        sandbox.stop()


def reconcile_paid_day(world: World, paid_at: float) -> tuple[date, dict[str, Any]]:
    day = default_day(paid_at + 86400)
    return day, reconcile_day(world.d, day).to_dict()


def binding_run(summary: dict[str, Any], account_id: str, binding_id: str) -> dict[str, Any]:
    (run,) = [
        a for a in summary["accounts"] if a["account_id"] == account_id and a["binding_id"] == binding_id
    ]
    return run
