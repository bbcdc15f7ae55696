"""The sandbox's service-provider (服务商) side, driven by hand-signed requests (RawSigner) and
read with wechatpayv3's own verification and decryption: field rules, the sp/sub relationship
(403 NO_AUTH 受理关系不存在), a sub-merchant never reaching another's orders, partner callbacks
with sp_*/sub_* ids and bills per sub-merchant."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
import requests
from wechat_sandbox_helpers import CallbackReceiver, RawSigner, verifies
from wechatpayv3.utils import aes_decrypt

from sandbox.wechat import GeneratedMerchant, WeChatSandbox
from tests.wechat_partner import (
    OTHER_SP_MCHID,
    SP_APPID,
    SP_MCHID,
    SUB_A,
    SUB_A_APPID,
    SUB_B,
    SUB_OF_OTHER_SP,
    provider_identity,
    register_partners,
)

CST = timezone(timedelta(hours=8))
OPENID = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"
NO_RELATIONSHIP = {"code": "NO_AUTH", "message": "受理关系不存在"}


@pytest.fixture
def partner_sb(make_sandbox: Callable[..., WeChatSandbox]) -> WeChatSandbox:
    sb = make_sandbox(key_mode="public_key")
    register_partners(sb)
    return sb


@pytest.fixture
def sp(partner_sb: WeChatSandbox) -> RawSigner:
    return RawSigner(provider_identity(), partner_sb.base_url)


def order(out_trade_no: str, sub_mchid: str = SUB_A, **extra: Any) -> dict[str, Any]:
    return {
        "sp_appid": SP_APPID,
        "sp_mchid": SP_MCHID,
        "sub_mchid": sub_mchid,
        "description": "Image形象店-深圳腾大-QQ公仔",
        "out_trade_no": out_trade_no,
        "notify_url": "http://127.0.0.1:9/notify",
        "amount": {"total": 100, "currency": "CNY"},
    } | extra


def post(sp: RawSigner, path: str, payload: dict[str, Any]) -> requests.Response:
    return sp.send("POST", path, payload, mchid=SP_MCHID)


def get(sp: RawSigner, path: str) -> requests.Response:
    return sp.send("GET", path, mchid=SP_MCHID)


def answer(response: requests.Response) -> tuple[int, dict[str, Any]]:
    return response.status_code, {k: v for k, v in response.json().items() if k != "detail"}


def test_a_partner_order_names_the_provider_and_the_sub_merchant(
    partner_sb: WeChatSandbox, sp: RawSigner
) -> None:
    response = post(sp, "/v3/pay/partner/transactions/native", order("PARTNER0001"))
    assert response.status_code == 200, response.text
    assert verifies(partner_sb, response.headers, response.text)
    assert response.json()["code_url"].startswith("weixin://wxpay/bizpayurl?pr=")
    query = get(
        sp, f"/v3/pay/partner/transactions/out-trade-no/PARTNER0001?sp_mchid={SP_MCHID}&sub_mchid={SUB_A}"
    )
    assert query.status_code == 200
    body = query.json()
    assert (body["sp_mchid"], body["sp_appid"], body["sub_mchid"], body["trade_state"]) == (
        SP_MCHID,
        SP_APPID,
        SUB_A,
        "NOTPAY",
    )
    assert "mchid" not in body and "appid" not in body


@pytest.mark.parametrize(
    ("path", "payload"),
    [
        ("/v3/pay/partner/transactions/native", order("PARTNER0002", sub_mchid=SUB_OF_OTHER_SP)),
        ("/v3/pay/partner/transactions/native", order("PARTNER0003", sub_mchid="1999999999")),
        (
            "/v3/pay/partner/transactions/out-trade-no/PARTNER0004/close",
            {"sp_mchid": SP_MCHID, "sub_mchid": SUB_OF_OTHER_SP},
        ),
    ],
)
def test_a_sub_merchant_of_another_provider_is_refused(
    sp: RawSigner, path: str, payload: dict[str, Any]
) -> None:
    assert answer(post(sp, path, payload)) == (403, NO_RELATIONSHIP)


def test_queries_refunds_and_bills_for_an_unbound_sub_merchant_are_refused(sp: RawSigner) -> None:
    base = "/v3/pay/partner/transactions"
    assert answer(
        get(sp, f"{base}/out-trade-no/PARTNER0005?sp_mchid={SP_MCHID}&sub_mchid={SUB_OF_OTHER_SP}")
    ) == (
        403,
        NO_RELATIONSHIP,
    )
    refund = {"sub_mchid": SUB_OF_OTHER_SP, "out_trade_no": "PARTNER0005", "out_refund_no": "R1"}
    refund["amount"] = {"refund": 1, "total": 100, "currency": "CNY"}
    assert answer(post(sp, "/v3/refund/domestic/refunds", refund)) == (403, NO_RELATIONSHIP)
    assert answer(get(sp, f"/v3/refund/domestic/refunds/R1?sub_mchid={SUB_OF_OTHER_SP}")) == (
        403,
        NO_RELATIONSHIP,
    )
    today = datetime.now(CST).date().isoformat()
    assert answer(get(sp, f"/v3/bill/tradebill?bill_date={today}&sub_mchid={SUB_OF_OTHER_SP}")) == (
        403,
        NO_RELATIONSHIP,
    )


def test_the_other_provider_cannot_reach_this_providers_sub_merchants(partner_sb: WeChatSandbox) -> None:
    other = RawSigner(provider_identity(OTHER_SP_MCHID, "wx7777777777777777"), partner_sb.base_url)
    payload = order("PARTNER0006") | {"sp_mchid": OTHER_SP_MCHID, "sp_appid": "wx7777777777777777"}
    response = other.send("POST", "/v3/pay/partner/transactions/native", payload, mchid=OTHER_SP_MCHID)
    assert answer(response) == (403, NO_RELATIONSHIP)


def test_a_direct_merchant_may_not_use_the_partner_api(raw: RawSigner, identity: GeneratedMerchant) -> None:
    payload = order("PARTNER0007") | {"sp_mchid": identity.merchant.mchid}
    response = raw.send("POST", "/v3/pay/partner/transactions/native", payload)
    assert response.status_code == 403 and response.json()["code"] == "NO_AUTH"


@pytest.mark.parametrize(
    ("payload", "status", "code"),
    [
        (order("PARTNER0010") | {"sp_mchid": OTHER_SP_MCHID}, 400, "PARAM_ERROR"),
        (order("PARTNER0011") | {"sp_appid": "wx0000000000000000"}, 400, "APPID_MCHID_NOT_MATCH"),
        (order("PARTNER0012") | {"sub_appid": "wx0000000000000000"}, 400, "APPID_MCHID_NOT_MATCH"),
        (order("PARTNER0013", sub_mchid=SUB_B) | {"sub_appid": SUB_A_APPID}, 400, "APPID_MCHID_NOT_MATCH"),
        ({k: v for k, v in order("PARTNER0014").items() if k != "sub_mchid"}, 400, "PARAM_ERROR"),
        ({k: v for k, v in order("PARTNER0015").items() if k != "sp_appid"}, 400, "PARAM_ERROR"),
    ],
)
def test_partner_order_fields_are_checked(
    sp: RawSigner, payload: dict[str, Any], status: int, code: str
) -> None:
    response = post(sp, "/v3/pay/partner/transactions/native", payload)
    assert (response.status_code, response.json()["code"]) == (status, code)


@pytest.mark.parametrize(
    "payload",
    [
        order("PARTNER0020"),  # no payer
        order("PARTNER0021") | {"payer": {}},  # neither sp_openid nor sub_openid
        order("PARTNER0022", sub_mchid=SUB_B) | {"payer": {"sub_openid": OPENID}},  # sub_openid, no sub_appid
        order("PARTNER0023") | {"payer": {"openid": OPENID}},  # the direct field
    ],
)
def test_a_jsapi_payer_is_sp_openid_or_sub_openid_with_its_sub_appid(
    sp: RawSigner, payload: dict[str, Any]
) -> None:
    response = post(sp, "/v3/pay/partner/transactions/jsapi", payload)
    assert (response.status_code, response.json()["code"]) == (400, "PARAM_ERROR")


def test_a_jsapi_order_with_sub_openid_is_accepted(partner_sb: WeChatSandbox, sp: RawSigner) -> None:
    payload = order("PARTNER0024") | {"sub_appid": SUB_A_APPID, "payer": {"sub_openid": OPENID}}
    response = post(sp, "/v3/pay/partner/transactions/jsapi", payload)
    assert response.status_code == 200 and response.json()["prepay_id"].startswith("wx")
    partner_sb.pay(SP_MCHID, "PARTNER0024")
    payer = partner_sb.orders["PARTNER0024"]["payer"]
    assert payer["sub_openid"] == OPENID and payer["sp_openid"] != OPENID


def test_another_sub_merchant_of_the_same_provider_never_sees_the_order(
    partner_sb: WeChatSandbox, sp: RawSigner
) -> None:
    assert post(sp, "/v3/pay/partner/transactions/native", order("PARTNER0030")).status_code == 200
    partner_sb.pay(SP_MCHID, "PARTNER0030")
    query = f"/v3/pay/partner/transactions/out-trade-no/PARTNER0030?sp_mchid={SP_MCHID}&sub_mchid={SUB_B}"
    assert answer(get(sp, query))[0] == 404 and get(sp, query).json()["code"] == "ORDER_NOT_EXIST"
    refund = {"sub_mchid": SUB_B, "out_trade_no": "PARTNER0030", "out_refund_no": "R30"}
    refund["amount"] = {"refund": 1, "total": 100, "currency": "CNY"}
    assert post(sp, "/v3/refund/domestic/refunds", refund).status_code == 404
    assert "R30" not in partner_sb.refunds
    close = post(
        sp,
        "/v3/pay/partner/transactions/out-trade-no/PARTNER0030/close",
        {"sp_mchid": SP_MCHID, "sub_mchid": SUB_B},
    )
    assert close.status_code == 204  # like an unknown order: nothing is closed
    assert partner_sb.orders["PARTNER0030"]["trade_state"] == "SUCCESS"
    accepted = post(sp, "/v3/refund/domestic/refunds", refund | {"sub_mchid": SUB_A})
    assert accepted.status_code == 200 and accepted.json()["status"] == "PROCESSING"
    assert get(sp, f"/v3/refund/domestic/refunds/R30?sub_mchid={SUB_B}").status_code == 404
    assert get(sp, f"/v3/refund/domestic/refunds/R30?sub_mchid={SUB_A}").status_code == 200


def test_a_providers_refund_and_refund_query_need_sub_mchid(partner_sb: WeChatSandbox, sp: RawSigner) -> None:
    assert post(sp, "/v3/pay/partner/transactions/native", order("PARTNER0040")).status_code == 200
    partner_sb.pay(SP_MCHID, "PARTNER0040")
    refund = {
        "out_trade_no": "PARTNER0040",
        "out_refund_no": "R40",
        "amount": {"refund": 1, "total": 100, "currency": "CNY"},
    }
    response = post(sp, "/v3/refund/domestic/refunds", refund)
    assert (response.status_code, response.json()["code"]) == (400, "PARAM_ERROR")
    assert "R40" not in partner_sb.refunds
    response = get(sp, "/v3/refund/domestic/refunds/R40")
    assert (response.status_code, response.json()["code"]) == (400, "PARAM_ERROR")


def _decrypted(sb: WeChatSandbox, received: Any) -> dict[str, Any]:
    assert verifies(sb, received.headers, received.body)
    resource = json.loads(received.body)["resource"]
    plain = aes_decrypt(
        resource["nonce"],
        resource["ciphertext"],
        resource["associated_data"],
        provider_identity().merchant.apiv3_key.decode(),
    )
    assert plain is not None, "the callback is not encrypted with the provider's APIv3 key"
    decoded: dict[str, Any] = json.loads(plain)
    return decoded


def test_partner_callbacks_carry_the_sp_and_sub_ids(
    partner_sb: WeChatSandbox, sp: RawSigner, make_receiver: Callable[..., CallbackReceiver]
) -> None:
    receiver = make_receiver()
    payload = order("PARTNER0050", notify_url=receiver.url) | {"sub_appid": SUB_A_APPID}
    payload["payer"] = {"sub_openid": OPENID}
    assert post(sp, "/v3/pay/partner/transactions/jsapi", payload).status_code == 200
    partner_sb.pay(SP_MCHID, "PARTNER0050")
    transaction = _decrypted(partner_sb, receiver.wait_for(1)[0])
    assert (transaction["sp_appid"], transaction["sp_mchid"]) == (SP_APPID, SP_MCHID)
    assert (transaction["sub_appid"], transaction["sub_mchid"]) == (SUB_A_APPID, SUB_A)
    assert transaction["payer"]["sub_openid"] == OPENID and transaction["payer"]["sp_openid"]
    assert "mchid" not in transaction and "appid" not in transaction

    refund = {
        "sub_mchid": SUB_A,
        "out_trade_no": "PARTNER0050",
        "out_refund_no": "R50",
        "notify_url": receiver.url,
    }
    refund["amount"] = {"refund": 40, "total": 100, "currency": "CNY"}
    assert post(sp, "/v3/refund/domestic/refunds", refund).status_code == 200
    notice = _decrypted(partner_sb, receiver.wait_for(2)[1])
    assert (notice["sp_mchid"], notice["sub_mchid"], notice["refund_status"]) == (SP_MCHID, SUB_A, "SUCCESS")
    assert notice["amount"]["refund"] == 40 and "mchid" not in notice


def test_bills_per_sub_merchant_and_of_all_of_them(partner_sb: WeChatSandbox, sp: RawSigner) -> None:
    for number, sub in (("PARTNER0060", SUB_A), ("PARTNER0061", SUB_B)):
        assert (
            post(sp, "/v3/pay/partner/transactions/native", order(number, sub_mchid=sub)).status_code == 200
        )
        partner_sb.pay(SP_MCHID, number)
    today = datetime.now(CST).date().isoformat()

    def bill(query: str) -> list[list[str]]:
        applied = get(sp, f"/v3/bill/tradebill?bill_date={today}{query}")
        assert applied.status_code == 200, applied.text
        url = applied.json()["download_url"].removeprefix(partner_sb.base_url)
        lines = get(sp, url).content.decode().splitlines()
        header = lines[0].split(",")
        rows = [
            dict(zip(header, (v.lstrip("`") for v in line.split(",")), strict=True)) for line in lines[1:-2]
        ]
        return [[row["商户订单号"], row["商户号"], row["特约商户号"]] for row in rows]

    assert bill(f"&sub_mchid={SUB_B}") == [["PARTNER0061", SP_MCHID, SUB_B]]
    assert sorted(bill("")) == [["PARTNER0060", SP_MCHID, SUB_A], ["PARTNER0061", SP_MCHID, SUB_B]]


def test_query_by_transaction_id_is_per_sub_merchant_too(partner_sb: WeChatSandbox, sp: RawSigner) -> None:
    assert post(sp, "/v3/pay/partner/transactions/native", order("PARTNER0070")).status_code == 200
    transaction_id = partner_sb.pay(SP_MCHID, "PARTNER0070")["transaction_id"]
    base = f"/v3/pay/partner/transactions/id/{transaction_id}?sp_mchid={SP_MCHID}"
    found = get(sp, f"{base}&sub_mchid={SUB_A}")
    assert found.status_code == 200 and found.json()["out_trade_no"] == "PARTNER0070"
    assert found.json()["sub_mchid"] == SUB_A and found.json()["transaction_id"] == transaction_id
    assert get(sp, f"{base}&sub_mchid={SUB_B}").status_code == 404
    missing = get(sp, f"/v3/pay/partner/transactions/id/{transaction_id}?sp_mchid={SP_MCHID}")
    assert (missing.status_code, missing.json()["code"]) == (400, "PARAM_ERROR")


def test_out_trade_no_is_unique_per_provider_across_its_sub_merchants(sp: RawSigner) -> None:
    first = post(sp, "/v3/pay/partner/transactions/native", order("PARTNER0080"))
    assert first.status_code == 200
    assert post(sp, "/v3/pay/partner/transactions/native", order("PARTNER0080")).json() == first.json()
    again = post(sp, "/v3/pay/partner/transactions/native", order("PARTNER0080", sub_mchid=SUB_B))
    assert (again.status_code, again.json()["code"]) == (400, "INVALID_REQUEST")
