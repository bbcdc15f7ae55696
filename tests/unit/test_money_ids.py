import re

import pytest

from paymux.domain.ids import attempt_out_trade_no, new_payment_id, ulid, ulid_time
from paymux.domain.money import fen_to_yuan, yuan_to_fen


@pytest.mark.parametrize(
    ("fen", "yuan"), [(1, "0.01"), (100, "1.00"), (12345, "123.45"), (0, "0.00"), (-5, "-0.05")]
)
def test_fen_yuan_round_trip(fen, yuan):
    assert fen_to_yuan(fen) == yuan
    assert yuan_to_fen(yuan) == fen


@pytest.mark.parametrize("bad", ["0.001", "abc", "1e400", "NaN", ""])
def test_yuan_with_fractions_of_fen_or_garbage_is_refused(bad):
    with pytest.raises(ValueError):
        yuan_to_fen(bad)


def test_ulids_sort_by_time_and_are_unique():
    a, b = ulid(1_700_000_000.000), ulid(1_700_000_000.001)
    assert len(a) == 26 and a < b
    assert len({ulid(1.0) for _ in range(1000)}) == 1000


def test_out_trade_no_fits_every_channel():
    payment_id = new_payment_id(1_700_000_000)
    out = attempt_out_trade_no(payment_id, 3)
    assert out.endswith("03") and len(out) == 28
    assert re.fullmatch(r"[0-9A-Za-z]{8,32}", out)  # WeChat 6-32, UnionPay 8-40 alphanumeric
    with pytest.raises(ValueError):
        attempt_out_trade_no(payment_id, 100)


def test_an_ids_time_is_read_back_to_the_millisecond():
    now = 1_796_151_576.7649
    assert ulid_time(new_payment_id(now)) == 1_796_151_576.764
    assert ulid_time(ulid(now)) == 1_796_151_576.764
    for not_an_id in ("", "pay_", "pay_abc", "pay_" + "I" * 26, "pay_" + "0" * 27):
        assert ulid_time(not_an_id) is None
