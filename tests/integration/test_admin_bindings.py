"""The operators' binding endpoints (/v1/admin/bindings, IAM-authorized) through the real
handlers: create, list, get, disable, each audited; what is refused (typed 4xx, nothing
written); and a new binding reaching the payment container within its 60 s cache."""

from __future__ import annotations

import copy
import json
import logging
import secrets
from typing import Any

import pytest

from paymux.channels.base import ChannelAccount
from paymux.deps import Deps, set_deps
from paymux.store.bindings import CACHE_SECONDS
from paymux.store.merchants import MerchantApp
from tests.integration.conftest import World
from tests.integration.partner_channel import PartnerPlatform, install
from tests.support import api_event, invoke, load_event, response_json

OPERATOR = "arn:aws:sts::123456789012:assumed-role/paymux-operators/ops-bob"


def admin(
    world: World, function: str, body: Any = None, binding_id: str = "", query: str = ""
) -> tuple[int, Any]:
    """One call as the admin functions' own container (a Deps of their own, cold cache)."""
    event = copy.deepcopy(load_event(f"{function}.json"))
    event["pathParameters"] = {"binding_id": binding_id} if binding_id else None
    event["queryStringParameters"] = dict(p.split("=") for p in query.split("&")) if query else None
    event["body"] = json.dumps(body) if body is not None else ""
    event["requestContext"]["authorizer"]["iam"]["userArn"] = OPERATOR
    set_deps(Deps(settings=world.d.settings, clock=world.clock))
    try:
        return response_json(invoke(function, event))
    finally:
        set_deps(world.d)


@pytest.fixture
def provider_account(world: World) -> ChannelAccount:
    account = ChannelAccount(
        f"sp-{secrets.token_hex(3)}",
        "wechat",
        ("wechat.native", "wechat.jsapi"),
        "1900009999",
        "wxsp1",
        "https://api.mch.weixin.qq.com",
        priority=1,
        mode="provider",
    )
    world.d.channel_config.put_account(account, {})
    install(world.d, account.account_id, PartnerPlatform())
    return account


def test_create_list_get_disable_are_audited(world: World, provider_account: ChannelAccount, caplog):
    caplog.set_level(logging.INFO, logger="paymux")
    doc = {
        "merchant_id": "mch_x",
        "account_id": provider_account.account_id,
        "sub_mchid": "1600000001",
        "sub_appid": "wxsub1",
        "products": ["wechat.native"],
        "weight": 2,
    }
    status, created = admin(world, "admin_create_binding", doc)
    assert status == 201, created
    assert (created["object"], created["version"], created["created_by"], created["enabled"]) == (
        "binding",
        1,
        OPERATOR,
        True,
    )
    assert admin(world, "admin_get_binding", binding_id=created["binding_id"]) == (200, created)
    status, listed = admin(world, "admin_list_bindings", query="merchant_id=mch_x")
    assert (status, [b["binding_id"] for b in listed["data"]]) == (200, [created["binding_id"]])
    assert admin(world, "admin_list_bindings", query="merchant_id=mch_other")[1]["data"] == []
    status, disabled = admin(
        world, "admin_update_binding", {"enabled": False, "version": 1}, created["binding_id"]
    )
    assert (status, disabled["enabled"], disabled["version"], disabled["updated_by"]) == (
        200,
        False,
        2,
        OPERATOR,
    )
    audits = [
        json.loads(r.getMessage()) for r in caplog.records if r.getMessage().startswith('{"account_id"')
    ]
    assert [(a["audit"], a["actor"]) for a in audits] == [
        ("binding.created", OPERATOR),
        ("binding.updated", OPERATOR),
    ]
    assert audits[1]["changes"] == {"enabled": [True, False]}


@pytest.mark.parametrize(
    ("changes", "status", "code"),
    [
        ({"sub_mchid": ""}, 422, "validation_failed"),
        ({"products": ["alipay.qr"]}, 422, "validation_failed"),
        ({"weight": "2"}, 422, "validation_failed"),
        ({"colour": "red"}, 422, "validation_failed"),
        ({"account_id": "nope"}, 422, "validation_failed"),
    ],
)
def test_bad_bindings_are_refused_and_nothing_is_written(world, provider_account, changes, status, code):
    doc = {
        "merchant_id": "mch_x",
        "account_id": provider_account.account_id,
        "sub_mchid": "1600000001",
        **changes,
    }
    got, body = admin(world, "admin_create_binding", doc)
    assert (got, body["error"]["code"]) == (status, code)
    assert world.d.bindings.records() == []


def test_a_direct_account_cannot_be_bound_and_a_sub_merchant_belongs_to_one_merchant(world, provider_account):
    doc = {"merchant_id": "mch_x", "account_id": world.account_id, "sub_mchid": "1600000001"}
    status, body = admin(world, "admin_create_binding", doc)
    assert (status, body["error"]["code"]) == (422, "binding_account_not_provider")
    doc["account_id"] = provider_account.account_id
    assert admin(world, "admin_create_binding", doc)[0] == 201
    assert admin(world, "admin_create_binding", doc)[1]["error"]["code"] == "binding_exists"
    # another merchant claiming the same sub-merchant would have its payments paid to it
    status, body = admin(world, "admin_create_binding", {**doc, "merchant_id": "mch_y"})
    assert (status, body["error"]["code"]) == (409, "sub_merchant_bound")
    assert [b.merchant_id for b in world.d.bindings.records()] == ["mch_x"]
    status, body = admin(
        world, "admin_update_binding", {"merchant_id": "mch_y"}, world.d.bindings.records()[0].binding_id
    )
    assert status == 422 and body["error"]["details"][0]["field"] == "merchant_id"
    assert admin(world, "admin_get_binding", binding_id="bnd_none")[0] == 404


def test_a_new_binding_reaches_payments_when_their_cache_expires(
    world: World, provider_account: ChannelAccount
):
    merchant_id, app_id, secret = "mch_new", "app_new", "sk_" + secrets.token_hex(8)
    world.d.merchants.put_app(MerchantApp(app_id=app_id, merchant_id=merchant_id), secret)

    def create() -> tuple[int, Any]:
        body = {
            "amount": 10,
            "currency": "CNY",
            "method": "wechat.native",
            "subject": "s",
            "merchant_order_no": "O-" + secrets.token_hex(4),
            "notify_url": world.notify_url,
        }
        return response_json(
            invoke(
                "create_payment",
                api_event("create_payment.json", app_id=app_id, secret=secret, now=world.clock(), body=body),
            )
        )

    assert create()[0] == 503  # no account of its own, no binding: nothing to route to
    doc = {"merchant_id": merchant_id, "account_id": provider_account.account_id, "sub_mchid": "1600000002"}
    assert admin(world, "admin_create_binding", doc)[0] == 201
    assert create()[0] == 503  # the payment container's cache is still warm
    world.clock.advance(CACHE_SECONDS + 1)
    status, created = create()
    assert status == 201 and world.d.payments.get(created["id"]).sub_mchid == "1600000002"


def test_an_oauth_app_secret_is_set_kept_in_secrets_manager_and_shown_masked(
    world: World, provider_account: ChannelAccount, caplog
) -> None:
    caplog.set_level(logging.INFO, logger="paymux")
    doc = {"merchant_id": "mch_x", "account_id": provider_account.account_id, "sub_mchid": "1600000001"}
    status, created = admin(world, "admin_create_binding", {**doc, "sub_appid": "wxsub1"})
    assert status == 201 and created["oauth_app_secret"] is None and created["has_secret"] is False
    binding_id = created["binding_id"]
    for bad in ("short", "x" * 65, "has space in it 0123456789", 12345678901234567890, None):
        got, body = admin(world, "admin_update_binding", {"oauth_app_secret": bad, "weight": 3}, binding_id)
        assert (got, body["error"]["details"][0]["field"]) == (422, "oauth_app_secret"), body
    assert world.d.bindings.record(binding_id).version == 1  # nothing written

    secret = secrets.token_hex(16)  # WeChat's AppSecret: 32 letters and digits
    status, updated = admin(
        world, "admin_update_binding", {"oauth_app_secret": secret, "version": 1}, binding_id
    )
    assert (status, updated["oauth_app_secret"], updated["has_secret"], updated["version"]) == (
        200,
        "********",
        True,
        2,
    )
    assert admin(world, "admin_get_binding", binding_id=binding_id) == (200, updated)
    assert world.d.bindings.read_secret(binding_id) == {"oauth_app_secret": secret}
    assert secret not in caplog.text and secret not in json.dumps(updated)
    audits = [
        json.loads(r.getMessage()) for r in caplog.records if r.getMessage().startswith('{"account_id"')
    ]
    # the log's own redaction masks the key's value as well
    assert set(audits[-1]["changes"]) == {"oauth_app_secret"} and audits[-1]["secret_replaced"]
    # a later change keeps it; a second secret replaces it
    admin(world, "admin_update_binding", {"weight": 4}, binding_id)
    assert world.d.bindings.read_secret(binding_id) == {"oauth_app_secret": secret}
    other = secrets.token_hex(16)
    assert admin(world, "admin_update_binding", {"oauth_app_secret": other}, binding_id)[0] == 200
    assert world.d.bindings.read_secret(binding_id) == {"oauth_app_secret": other}


def test_only_a_wechat_binding_takes_an_oauth_app_secret(world: World) -> None:
    account = ChannelAccount(
        f"sp-{secrets.token_hex(3)}", "alipay", ("alipay.qr",), "2088", "app1", "https://x", mode="provider"
    )
    world.d.channel_config.put_account(account, {})
    doc = {"merchant_id": "mch_x", "account_id": account.account_id, "sub_mchid": "2088000000000001"}
    status, created = admin(world, "admin_create_binding", doc)
    assert status == 201, created
    got, body = admin(world, "admin_update_binding", {"oauth_app_secret": "a" * 32}, created["binding_id"])
    assert (got, body["error"]["details"][0]["field"]) == (422, "oauth_app_secret"), body
    assert world.d.bindings.record(created["binding_id"]).version == 1
