"""The per-payer limit setting and what one create takes: configuration validated, the first
configured identifier present counts, its digest (never the identifier) keys an Asia/Shanghai
day's counter, and what no counter could admit is refused before anything is written."""

from datetime import UTC, datetime

import pytest

from paymux.domain.payer_limits import PayerLimits, counter_expiry, payer_charge
from paymux.errors import PayerLimitExceeded, ValidationFailed

# 2026-11-30 23:30 in Asia/Shanghai is 15:30 UTC: still the 30th there
LATE_EVENING = datetime(2026, 11, 30, 15, 30, tzinfo=UTC).timestamp()


@pytest.mark.parametrize(
    "raw",
    [
        {"key": "email", "daily_count": 1},
        {"key": [], "daily_count": 1},
        {"key": ["openid", "openid"], "daily_count": 1},
        {"key": "openid"},
        {"key": "openid", "daily_count": 0},
        {"key": "openid", "daily_amount": True},
        {"key": "openid", "daily_count": "5"},
        {"key": "openid", "daily_count": 5, "weekly_count": 9},
    ],
)
def test_invalid_settings_are_refused(raw):
    with pytest.raises(ValueError, match="payer_limits"):
        PayerLimits.parse(raw)


def test_a_setting_round_trips():
    limits = PayerLimits.parse({"key": ["card_token", "client_ip"], "daily_amount": 100_000})
    assert limits == PayerLimits(("card_token", "client_ip"), None, 100_000)
    assert PayerLimits.parse(limits.to_config()) == limits
    assert PayerLimits.parse({"key": "openid", "daily_count": 3}).keys == ("openid",)


def test_the_first_configured_identifier_present_counts_on_the_shanghai_day():
    limits = PayerLimits(("openid", "client_ip"), daily_count=5)
    charge = payer_charge(limits, "mch_1", {"client_ip": "203.0.113.7"}, 100, LATE_EVENING)
    prefix, merchant, kind, digest, day = charge.counter.split("#")
    assert (prefix, merchant, kind, day) == ("PAYERDAY", "mch_1", "client_ip", "2026-11-30")
    assert len(digest) == 64 and "203.0.113.7" not in charge.counter
    other = payer_charge(limits, "mch_1", {"openid": "o1", "client_ip": "203.0.113.7"}, 100, LATE_EVENING)
    assert other.counter.split("#")[2] == "openid"
    # expires two days after the Shanghai day ends (2026-12-01 00:00 +08:00 = 11-30 16:00 UTC)
    assert charge.expires_at == counter_expiry(charge.counter)
    assert charge.expires_at == datetime(2026, 12, 2, 16, 0, tzinfo=UTC).timestamp()


def test_digests_differ_by_merchant_and_kind():
    limits = PayerLimits(("openid", "buyer_id"), daily_count=5)
    a = payer_charge(limits, "mch_1", {"openid": "x"}, 1, LATE_EVENING).counter
    b = payer_charge(limits, "mch_2", {"openid": "x"}, 1, LATE_EVENING).counter
    c = payer_charge(limits, "mch_1", {"buyer_id": "x"}, 1, LATE_EVENING).counter
    assert len({a.split("#")[3], b.split("#")[3], c.split("#")[3]}) == 3


def test_no_configured_identifier_is_a_422_naming_the_fields():
    with pytest.raises(ValidationFailed) as raised:
        payer_charge(PayerLimits(("buyer_id",), daily_count=5), "mch_1", {"openid": "o1"}, 1, LATE_EVENING)
    assert raised.value.details == [{"field": "payer.buyer_id", "message": "one of these is required"}]


def test_an_amount_no_counter_could_admit_is_refused_at_once():
    with pytest.raises(PayerLimitExceeded) as raised:
        payer_charge(PayerLimits(("openid",), daily_amount=500), "mch_1", {"openid": "o1"}, 501, LATE_EVENING)
    assert (raised.value.status, raised.value.code) == (422, "payer_daily_amount_exceeded")
