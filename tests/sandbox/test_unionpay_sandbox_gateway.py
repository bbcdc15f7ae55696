"""The B2C gateway (000201, PC 07 / WAP 08): the merchant page's form POST shows the cashier;
paying sends the back notify and takes the browser to frontUrl with a signed front notify."""

from __future__ import annotations

from collections.abc import Callable
from html.parser import HTMLParser

import pytest
import requests
from unionpay_sandbox_client import MER_ID, AcpClient, NotifyReceiver, Trust, beijing

from sandbox.unionpay import GeneratedMerchant, UnionPaySandbox

FRONT = "/gateway/api/frontTransReq.do"
FRONT_URL = "https://shop.example/unionpay/return"


class Forms(HTMLParser):
    """Every form of a page: its action and its inputs (entities decoded as a browser does)."""

    def __init__(self, page: str) -> None:
        super().__init__()
        self.forms: list[tuple[str, dict[str, str]]] = []
        self.feed(page)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "form":
            self.forms.append((values.get("action", ""), {}))
        elif tag == "input" and self.forms and "name" in values:
            self.forms[-1][1][values["name"]] = values.get("value", "")


def gateway_form(client: AcpClient, order_id: str, back_url: str, channel_type: str = "07") -> dict[str, str]:
    return client.sign(
        client.envelope(
            MER_ID, txnType="01", txnSubType="01", bizType="000201", channelType=channel_type,
            orderId=order_id, txnAmt="1999", currencyCode="156", frontUrl=FRONT_URL, backUrl=back_url,
            payTimeout=beijing(client.clock() + 900),
        )
    )  # fmt: skip


@pytest.mark.parametrize("channel_type", ["07", "08"])
def test_paying_on_the_cashier_returns_a_signed_front_notify_and_sends_the_back_notify(
    make_unionpay: Callable[..., UnionPaySandbox],
    unionpay_identity: GeneratedMerchant,
    make_notify_receiver: Callable[..., NotifyReceiver],
    channel_type: str,
) -> None:
    sb = make_unionpay(unionpay_identity)
    receiver = make_notify_receiver()
    client = AcpClient(sb, unionpay_identity)
    # Given the browser posting the merchant's signed form
    form = gateway_form(client, "GATEORDER01", receiver.url, channel_type)
    cashier = requests.post(sb.base_url + FRONT, data=form, timeout=10)
    assert cashier.status_code == 200 and "text/html" in cashier.headers["Content-Type"]
    (action, inputs), *_ = Forms(cashier.text).forms
    assert action == "/sandbox/gateway/pay" and "GATEORDER01" in cashier.text
    txn_time = sb.transaction("GATEORDER01")["txnTime"]
    assert client.query("GATEORDER01", txn_time)["respCode"] == "34"  # nothing submitted yet
    # When the payer pays
    paid = requests.post(sb.base_url + action, data={"code": inputs["code"], "action": "pay"}, timeout=10)
    # Then the browser gets an auto-POST form to frontUrl carrying the signed front notify
    ((target, front_notify),) = Forms(paid.text).forms
    assert target == FRONT_URL and "document.forms[0].submit()" in paid.text
    assert Trust.of(sb).verifies(front_notify)  # CRLF of signPubKeyCert survived the HTML
    assert (front_notify["respCode"], front_notify["respMsg"]) == ("00", "success")
    assert (front_notify["bizType"], front_notify["txnSubType"], front_notify["orderId"]) == (
        "000201",
        "01",
        "GATEORDER01",
    )
    assert front_notify["accNo"] and front_notify["payCardType"] == "01"
    # And the back notify, the proof of payment, goes to backUrl
    (back,) = receiver.wait_for(1)
    assert Trust.of(sb).verifies(back.form) and back.form["respMsg"] == "成功[0000000]"
    assert back.form["queryId"] == front_notify["queryId"]
    query = client.query("GATEORDER01", txn_time)
    assert (query["respCode"], query["origRespCode"]) == ("00", "00")


def test_a_refused_front_request_shows_the_resp_code(
    make_unionpay: Callable[..., UnionPaySandbox], unionpay_identity: GeneratedMerchant
) -> None:
    sb = make_unionpay(unionpay_identity)
    client = AcpClient(sb, unionpay_identity)
    form = gateway_form(client, "GATEORDER02", "http://127.0.0.1:9/n")
    tampered = form | {"txnAmt": "1"}
    page = requests.post(sb.base_url + FRONT, data=tampered, timeout=10)
    assert page.status_code == 200 and "respCode" in page.text and ">11<" in page.text
    assert not sb.transactions
    wrong_channel = client.sign({k: v for k, v in form.items() if k != "signature"} | {"channelType": "05"})
    assert ">10<" in requests.post(sb.base_url + FRONT, data=wrong_channel, timeout=10).text
    assert not sb.transactions


def test_a_gateway_order_without_front_url_is_refused(
    make_unionpay: Callable[..., UnionPaySandbox], unionpay_identity: GeneratedMerchant
) -> None:
    sb = make_unionpay(unionpay_identity)
    client = AcpClient(sb, unionpay_identity)
    form = {k: v for k, v in gateway_form(client, "GATEORDER03", "http://127.0.0.1:9/n").items()}
    form = client.sign({k: v for k, v in form.items() if k not in ("signature", "frontUrl")})
    page = requests.post(sb.base_url + FRONT, data=form, timeout=10).text
    assert ">13<" in page and "frontUrl" in page


def test_doing_nothing_on_the_cashier_leaves_the_order_unpaid(
    make_unionpay: Callable[..., UnionPaySandbox], unionpay_identity: GeneratedMerchant
) -> None:
    sb = make_unionpay(unionpay_identity)
    client = AcpClient(sb, unionpay_identity)
    requests.post(
        sb.base_url + FRONT, data=gateway_form(client, "GATEORDER04", "http://127.0.0.1:9/n"), timeout=10
    )
    code = sb.transaction("GATEORDER04")["sandbox_pay_path"].split("code=")[1]
    answer = requests.post(
        sb.base_url + "/sandbox/gateway/pay", json={"code": code, "action": "nothing"}, timeout=10
    )
    assert answer.json()["origRespCode"] is None
    assert sb.transaction("GATEORDER04")["origRespCode"] is None and sb.notify_log == []
