"""A gateway/WAP form is posted when the payer's browser gets there, possibly long after the
merchant signed it: the sandbox holds it to what UnionPay's gateway spec bounds a front consume
by, its payTimeout (and orderTimeout when sent), not to the back transactions' 15 minutes
around txnTime."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import requests
from unionpay_sandbox_client import MER_ID, AcpClient, FakeClock, beijing

from sandbox.unionpay import GeneratedMerchant, UnionPaySandbox

FRONT = "/gateway/api/frontTransReq.do"


def _form(client: AcpClient, order_id: str, **timing: str) -> dict[str, str]:
    return client.sign(
        client.envelope(
            MER_ID, txnType="01", txnSubType="01", bizType="000201", channelType="08", orderId=order_id,
            txnAmt="1999", currencyCode="156", frontUrl="https://shop.example/return",
            backUrl="http://127.0.0.1:9/n", **timing,
        )
    )  # fmt: skip


def _post(sb: UnionPaySandbox, form: dict[str, str]) -> str:
    page = requests.post(sb.base_url + FRONT, data=form, timeout=10)
    assert page.status_code == 200
    return page.text


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def client(
    make_unionpay: Callable[..., UnionPaySandbox], unionpay_identity: GeneratedMerchant, clock: FakeClock
) -> AcpClient:
    sb = make_unionpay(unionpay_identity, clock=clock)
    return AcpClient(sb, unionpay_identity, clock)


def test_a_form_posted_long_after_it_was_signed_is_taken_until_its_pay_timeout(
    client: AcpClient, clock: FakeClock
) -> None:
    form = _form(client, "LATEFORM0001", payTimeout=beijing(clock.now + 7200))
    clock.advance(20 * 60)  # the payer reaches the form 20 minutes later

    page = _post(client.sb, form)

    assert "/sandbox/gateway/pay" in page
    assert client.sb.transaction("LATEFORM0001")["txnTime"] == form["txnTime"]
    client.sb.pay("LATEFORM0001")
    query = client.query("LATEFORM0001", form["txnTime"])
    assert (query["respCode"], query["origRespCode"]) == ("00", "00")


def test_a_form_posted_after_its_pay_timeout_is_refused(client: AcpClient, clock: FakeClock) -> None:
    form = _form(client, "LATEFORM0002", payTimeout=beijing(clock.now + 1800))
    clock.advance(1801)

    page = _post(client.sb, form)

    assert ">01<" in page and "订单已超时" in page
    assert not client.sb.transactions


def test_an_order_timeout_bounds_the_form_from_its_txn_time(client: AcpClient, clock: FakeClock) -> None:
    late = _form(client, "LATEFORM0003", payTimeout=beijing(clock.now + 7200), orderTimeout="600000")
    on_time = _form(client, "LATEFORM0004", payTimeout=beijing(clock.now + 7200), orderTimeout="900000")
    clock.advance(601)  # past 600 000 ms, within 900 000 ms

    assert ">01<" in _post(client.sb, late)
    assert "/sandbox/gateway/pay" in _post(client.sb, on_time)
    assert list(client.sb.transactions) == [(MER_ID, "LATEFORM0004")]


def test_a_form_without_a_time_limit_keeps_the_back_window(client: AcpClient, clock: FakeClock) -> None:
    form = _form(client, "LATEFORM0005")
    clock.advance(901)

    assert ">10<" in (page := _post(client.sb, form)) and "txnTime无效" in page
    assert not client.sb.transactions


@pytest.mark.parametrize("timing", [{"orderTimeout": "ten minutes"}, {"orderTimeout": "0"}])
def test_a_malformed_order_timeout_is_a_format_error(client: AcpClient, timing: dict[str, str]) -> None:
    assert ">10<" in (page := _post(client.sb, _form(client, "LATEFORM0006", **timing)))
    assert "orderTimeout" in page
    assert not client.sb.transactions


def test_a_form_dated_ahead_of_the_clock_is_refused(client: AcpClient, clock: FakeClock) -> None:
    clock.advance(1000)
    form = _form(client, "LATEFORM0007", payTimeout=beijing(clock.now + 7200))
    clock.advance(-1000)

    assert "txnTime无效" in _post(client.sb, form)
    assert not client.sb.transactions
