"""Each channel declares what its refund refusals mean; nothing is guessed."""

import pytest

from paymux.channels.alipay.transform import REFUND_ERRORS as ALIPAY
from paymux.channels.base import RefundErrorClass, RefundState, classify_refund_error
from paymux.channels.wechat.transform import REFUND_ERRORS as WECHAT
from paymux.channels.wechat.transform import refund_result

D, T, P = RefundErrorClass.DEFINITIVE, RefundErrorClass.TRANSIENT, RefundErrorClass.NEEDS_PERSON


@pytest.mark.parametrize(
    ("table", "code", "expected"),
    [
        (WECHAT, "FREQUENCY_LIMITED", T),
        (WECHAT, "HTTP_429", T),
        (WECHAT, "SYSTEM_ERROR", T),
        (WECHAT, "NOT_ENOUGH", T),
        (WECHAT, "USER_ACCOUNT_ABNORMAL", D),
        (WECHAT, "INVALID_REQUEST", D),
        (WECHAT, "PARAM_ERROR", D),
        (WECHAT, "SIGN_ERROR", P),
        (WECHAT, "SOMETHING_NEW", P),  # unknown: a person decides, never FAILED
        (ALIPAY, "ACQ.SYSTEM_ERROR", T),
        (ALIPAY, "aop.ACQ.SYSTEM_ERROR", T),
        (ALIPAY, "isp.unknow-error", T),  # by the isp.* prefix
        (ALIPAY, "ACQ.SELLER_BALANCE_NOT_ENOUGH", T),
        (ALIPAY, "ACQ.TRADE_HAS_FINISHED", D),
        (ALIPAY, "isv.invalid-signature", P),
        (ALIPAY, "ACQ.SOMETHING_NEW", P),
    ],
)
def test_refusals_are_classified_by_the_channels_table(table, code, expected):
    assert classify_refund_error(table, code, outcome_unknown=False) == expected


def test_no_answer_is_transient_whatever_the_code():
    assert classify_refund_error(WECHAT, "PARAM_ERROR", outcome_unknown=True) == T


def test_wechat_abnormal_is_not_a_failure():
    result = refund_result({"out_refund_no": "R1", "status": "ABNORMAL", "refund_id": "5030"})
    assert result.state == RefundState.ABNORMAL
    assert refund_result({"out_refund_no": "R1", "status": "CLOSED"}).state == RefundState.FAILED
