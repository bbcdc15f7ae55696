"""Huifu 斗拱's wire rules as paymux.channels.huifu implements them, cross-checked against the
sandbox's own implementation (sandbox/huifu/keys.py): the signed text, both signatures,
amounts and dates, what each answer means, and the bytes a request puts on the wire."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import pytest

from paymux.channels.base import ChannelAccount, CreateRequest, RefundState, SubMerchant, TradeState
from paymux.channels.http import HttpResponse
from paymux.channels.huifu import answers, signing, transform
from paymux.channels.huifu.client import HuifuEcnyChannel
from paymux.clock import CHINA
from paymux.domain.ids import attempt_out_trade_no, new_payment_id
from paymux.errors import CallbackRejected, ChannelError, ChannelUnavailable
from sandbox.huifu.keys import (
    generate_sys_id,
    new_key,
    private_pem,
    public_pem,
    sign_text,
    sorted_json,
    verifies,
)

NOW = datetime(2026, 12, 1, 15, 30, tzinfo=CHINA).timestamp()
NUMBER = attempt_out_trade_no(new_payment_id(NOW), 1)


def test_the_signed_text_is_sorted_compact_utf8_json_without_empty_values() -> None:
    data = {"trans_amt": "0.10", "goods_desc": "数字人民币", "huifu_id": "6666000108854952", "remark": ""}
    text = signing.canonical(data)
    assert text == '{"goods_desc":"数字人民币","huifu_id":"6666000108854952","trans_amt":"0.10"}'
    assert text == sorted_json(data)  # the sandbox's independent rule agrees


def test_a_request_signed_by_paymux_verifies_at_the_sandbox_and_an_answer_the_other_way() -> None:
    merchant, huifu = new_key(), new_key()
    data = {"req_seq_id": NUMBER, "huifu_id": "6666000108854952", "trans_amt": "19.99"}
    signature = signing.SigningKey(private_pem(merchant).decode()).sign(data)
    assert verifies(merchant.public_key(), sorted_json(data), signature)
    answer = {"resp_code": "00000000", "trans_stat": "S", "hf_seq_id": "0029000topD1", "remark": ""}
    key = signing.HuifuPublicKey(public_pem(huifu.public_key()).decode())
    as_it_came = sign_text(huifu, sorted_json(answer, drop_empty=False))
    key.verify_data(answer, as_it_came)  # no raise: an answer's empty values are signed too
    with pytest.raises(CallbackRejected):
        key.verify_data(answer, sign_text(huifu, sorted_json(answer)))  # not without them
    with pytest.raises(CallbackRejected) as refused:
        key.verify_data({**answer, "trans_stat": "F"}, as_it_came)
    assert refused.value.reason == "signature"
    with pytest.raises(CallbackRejected):
        key.verify_text("x", "not base64!")


def test_amounts_are_yuan_with_two_decimals_and_dates_are_the_numbers_beijing_issue_day() -> None:
    assert [transform.yuan(v) for v in (1999, 5, 100000)] == ["19.99", "0.05", "1000.00"]
    assert [transform.fen(v) for v in ("19.99", "19.9", "7", "1.234", "-1.00", "")] == [
        1999, 1990, 700, None, None, None,
    ]  # fmt: skip
    assert transform.attempt_date(NUMBER) == "20261201"
    assert transform.attempt_date("DUP" + NUMBER) == "20261201"  # an automatic refund's number


def _data(stat: str, code: str = "00000000", **extra: str) -> dict[str, str]:
    return {"resp_code": code, "huifu_id": "6666000108854952", "req_seq_id": NUMBER, "trans_amt": "12.34",
            "hf_seq_id": "0029000topD9", "trans_stat": stat, "end_time": "20261201153500", **extra}  # fmt: skip


@pytest.mark.parametrize(
    ("stat", "expired", "state"),
    [("S", False, TradeState.PAID), ("F", False, TradeState.FAILED), ("F", True, TradeState.CLOSED),
     ("P", False, TradeState.OPEN), ("P", True, TradeState.OPEN), ("I", False, TradeState.OPEN)],
)  # fmt: skip
def test_a_query_answer_is_read_by_its_trans_stat(stat: str, expired: bool, state: TradeState) -> None:
    trade = answers.query_trade(_data(stat), NUMBER, expired=expired)
    assert (trade.state, trade.amount, trade.mchid, trade.channel_trade_no) == (
        state, 1234, "6666000108854952", "0029000topD9",
    )  # fmt: skip


def test_query_codes_other_than_success_are_not_found_or_no_answer_never_a_failure() -> None:
    assert answers.query_trade(_data("", "23000001"), NUMBER, expired=True).state == TradeState.NOT_FOUND
    for code in ("91111119", "98888888", "99999999"):
        with pytest.raises(ChannelUnavailable):
            answers.query_trade(_data("", code), NUMBER, expired=False)
    with pytest.raises(ChannelUnavailable):
        answers.query_trade(_data("X"), NUMBER, expired=False)  # a trans_stat Huifu never wrote


def test_a_payer_code_answer_is_paid_failed_or_left_to_the_ladder() -> None:
    assert answers.payer_code_trade(_data("P", "00000100"), NUMBER) is None
    paid = answers.payer_code_trade(_data("S"), NUMBER)
    assert (
        paid is not None
        and paid.state == TradeState.PAID
        and paid.paid_at == datetime(2026, 12, 1, 15, 35, tzinfo=CHINA).timestamp()
    )
    refused = answers.payer_code_trade(_data("", "90000000"), NUMBER)
    assert refused is not None and refused.state == TradeState.FAILED
    with pytest.raises(ChannelError) as config:
        answers.payer_code_trade(_data("", "22000004"), NUMBER)
    assert config.value.retryable_elsewhere and not isinstance(config.value, ChannelUnavailable)
    with pytest.raises(ChannelUnavailable):
        answers.payer_code_trade(_data("", "99999999"), NUMBER)
    # a verified code Huifu documents no meaning of may have charged the code: the ladder asks
    assert answers.payer_code_trade(_data("", "30000009"), NUMBER) is None
    assert answers.payer_code_trade(_data("F", "90000001"), NUMBER) is None


@pytest.mark.parametrize(("expired", "state"), [(True, TradeState.CLOSED), (False, TradeState.FAILED)])
def test_a_notifys_failure_is_read_in_its_attempts_context_like_a_querys(
    expired: bool, state: TradeState
) -> None:
    failed = answers.stated(_data("F"), NUMBER, "callback", expired=False)
    assert failed.state == TradeState.FAILED
    assert answers.timed_out(failed, expired=expired).state == state
    paid = answers.stated(_data("S"), NUMBER, "callback", expired=False)
    assert answers.timed_out(paid, expired=True) == paid


def test_a_refund_of_another_pay_channel_is_not_believed() -> None:
    data = {"resp_code": "00000000", "org_req_seq_id": "R" * 26, "ord_amt": "1.00", "trans_stat": "S"}
    assert (
        answers.refund_result({**data, "pay_channel": "D"}, "R" * 26, queried=True).state
        == RefundState.SUCCESS
    )
    with pytest.raises(ChannelUnavailable):
        answers.refund_result({**data, "pay_channel": "T"}, "R" * 26, queried=True)


class _Recorder:
    """An HttpClient that records the request and answers as a Huifu signed with `key` would."""

    def __init__(self, key: Any, answer: Mapping[str, Any], status: int = 200, signed: bool = True) -> None:
        self.key, self.answer, self.status, self.signed = key, dict(answer), status, signed
        self.sent: list[dict[str, Any]] = []

    def request(self, method: str, url: str, *, headers: Mapping[str, str], body: bytes = b"",
                timeout: float = 10.0) -> HttpResponse:  # fmt: skip
        self.sent.append({"url": url, "body": json.loads(body)})
        envelope: dict[str, Any] = {"data": self.answer}
        if self.signed:
            envelope["sign"] = sign_text(self.key, sorted_json(self.answer, drop_empty=False))
        return HttpResponse(self.status, json.dumps(envelope).encode())


def _channel(http: _Recorder, merchant: Any, huifu: Any, mode: str = "direct") -> HuifuEcnyChannel:
    account = ChannelAccount("hf-1", "huifu", ("ecny.qr",), "6666000100000000", "", "https://huifu.test",
                             mode=mode)  # type: ignore[arg-type]  # fmt: skip
    credentials = {"product_id": "PAYMUX", "merchant_private_key_pem": private_pem(merchant).decode(),
                   "huifu_public_key_pem": public_pem(huifu.public_key()).decode()}  # fmt: skip
    sub = SubMerchant("b1", "mch_1", sub_mchid="6666000100000009") if mode == "provider" else None
    return HuifuEcnyChannel(account, credentials, http, lambda: NOW, sub_merchant=sub)  # type: ignore[arg-type]


REQUEST = CreateRequest(NUMBER, "ecny.qr", 1999, "CNY", "咖啡豆", "https://pay.test/cb", NOW + 7200)


@pytest.mark.parametrize("mode", ["direct", "provider"])
def test_the_create_puts_a_signed_envelope_on_the_wire_for_the_accounts_own_merchant(mode: str) -> None:
    merchant, huifu = generate_sys_id("6666000100000000").key, new_key()
    http = _Recorder(huifu, {"resp_code": "00000000", "qr_code": "https://qr.test/1", "trans_stat": "P"})

    result = _channel(http, merchant, huifu, mode).create(REQUEST)

    assert result.action == {"type": "qr_code", "code_url": "https://qr.test/1"}
    (sent,) = http.sent
    envelope = sent["body"]
    assert sent["url"] == "https://huifu.test/v3/trade/payment/jspay"
    assert (envelope["sys_id"], envelope["product_id"]) == ("6666000100000000", "PAYMUX")
    assert verifies(merchant.public_key(), sorted_json(envelope["data"]), envelope["sign"])
    own = "6666000100000009" if mode == "provider" else "6666000100000000"
    assert envelope["data"] | {"notify_url": ""} == {
        "req_date": "20261201", "req_seq_id": NUMBER, "huifu_id": own, "trade_type": "D_NATIVE",
        "trans_amt": "19.99", "goods_desc": "咖啡豆", "time_expire": "20261201173000", "notify_url": "",
    }  # fmt: skip


@pytest.mark.parametrize(
    "http",
    [
        _Recorder(new_key(), {"resp_code": "00000000", "qr_code": "x"}),  # signed by someone else
        _Recorder(None, {"resp_code": "00000000", "qr_code": "x"}, signed=False),
        _Recorder(None, {}, status=502, signed=False),
    ],
)
def test_an_answer_that_does_not_verify_is_no_answer(http: _Recorder) -> None:
    with pytest.raises(ChannelUnavailable):
        _channel(http, new_key(), new_key()).create(REQUEST)
