"""The sandbox's in-app consume (appTransReq.do → tn) and its 企业网银 form (bizType 000202):
what each takes and what it refuses, as UnionPay's ACP demos send them."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import requests
from unionpay_sandbox_client import MER_ID, AcpClient, FakeClock, beijing

from sandbox.unionpay import GeneratedMerchant, UnionPaySandbox

APP = "/gateway/api/appTransReq.do"
FRONT = "/gateway/api/frontTransReq.do"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def client(
    make_unionpay: Callable[..., UnionPaySandbox], unionpay_identity: GeneratedMerchant, clock: FakeClock
) -> AcpClient:
    sb = make_unionpay(unionpay_identity, clock=clock)
    return AcpClient(sb, unionpay_identity, clock)


def _app(client: AcpClient, order_id: str, **override: str) -> dict[str, str]:
    fields = {
        "txnType": "01", "txnSubType": "01", "bizType": "000201", "channelType": "08",
        "orderId": order_id, "txnAmt": "1999", "currencyCode": "156", "backUrl": "http://127.0.0.1:9/n",
    } | override  # fmt: skip
    return client.post(APP, client.envelope(MER_ID, **fields))


def test_an_app_consume_answers_a_tn_and_is_paid_later(client: AcpClient) -> None:
    answer = _app(client, "APPORDER0001")

    assert answer["respCode"] == "00" and len(answer["tn"]) == 21 and answer["tn"].isdigit()
    view = client.sb.transaction("APPORDER0001")
    assert view["tn"] == answer["tn"] and view["origRespCode"] is None
    client.sb.pay("APPORDER0001")
    query = client.query("APPORDER0001", view["txnTime"])
    assert (query["respCode"], query["origRespCode"]) == ("00", "00")


@pytest.mark.parametrize(
    ("override", "code"),
    [({"bizType": "000000"}, "43"), ({"channelType": "07"}, "10"), ({"txnSubType": "07"}, "32")],
)
def test_an_app_consume_of_another_kind_is_refused(
    client: AcpClient, override: dict[str, str], code: str
) -> None:
    answer = _app(client, "APPORDER0002", **override)

    assert answer["respCode"] == code and "tn" not in answer
    assert not client.sb.transactions


def _b2b(client: AcpClient, order_id: str, **override: str) -> str:
    fields = {
        "txnType": "01", "txnSubType": "01", "bizType": "000202", "channelType": "07", "bizScene": "110001",
        "orderId": order_id, "txnAmt": "250000", "currencyCode": "156", "frontUrl": "https://shop.example/r",
        "backUrl": "http://127.0.0.1:9/n", "payTimeout": beijing(client.clock() + 900),
    } | override  # fmt: skip
    form = client.sign(client.envelope(MER_ID, **{k: v for k, v in fields.items() if v}))
    page = requests.post(client.sb.base_url + FRONT, data=form, timeout=10)
    assert page.status_code == 200
    return page.text


def test_a_b2b_form_is_taken_by_the_cashier(client: AcpClient) -> None:
    page = _b2b(client, "B2BORDER0001")

    assert "/sandbox/gateway/pay" in page
    assert client.sb.transaction("B2BORDER0001")["bizType"] == "000202"


@pytest.mark.parametrize("override", [{"bizScene": ""}, {"channelType": "08"}])
def test_a_b2b_form_without_its_scene_or_off_pc_is_refused(
    client: AcpClient, override: dict[str, str]
) -> None:
    page = _b2b(client, "B2BORDER0002", **override)

    assert "/sandbox/gateway/pay" not in page
    assert not client.sb.transactions
