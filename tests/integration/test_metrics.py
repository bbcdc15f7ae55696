"""The EMF documents the handlers write (stdout, one JSON document per dimension set): exactly
the metric catalogue of docs/operations.md, with dimension values from closed sets."""

import json
from collections import Counter
from typing import Any

import pytest

from paymux.channels.base import TradeResult, TradeState
from paymux.services.outcomes import apply_trade_result
from tests.integration.conftest import World, callback_event
from tests.integration.test_callback_rejections import (  # noqa: F401 - `trusted` is a fixture
    UNTRUSTWORTHY,
    _created,
    _genuine,
    _send,
    _tx,
    trusted,
)
from tests.integration.test_notifications import RecordingSQS, deliver_all, sqs  # noqa: F401 - fixture
from tests.integration.test_refunds import paid_payment, refund, wait_until
from tests.support import invoke
from tests.wechat_notices import notice

Metric = tuple[str, tuple[tuple[str, str], ...]]


def emitted(text: str) -> list[Metric]:
    """(name, dimensions besides service) of every metric value in the EMF documents of `text`."""
    found: list[Metric] = []
    for line in text.splitlines():
        if not line.startswith("{") or '"_aws"' not in line:
            continue
        doc: dict[str, Any] = json.loads(line)
        (directive,) = doc["_aws"]["CloudWatchMetrics"]
        assert directive["Namespace"] == "paymux" and doc["service"] == "paymux"
        sets = directive["Dimensions"]
        assert ["service"] in sets  # the aggregate every alarm reads
        names = max(sets, key=len)
        dims = tuple(sorted((k, doc[k]) for k in names if k != "service"))
        for metric in directive["Metrics"]:
            values = doc[metric["Name"]]
            found += [(metric["Name"], dims)] * (len(values) if isinstance(values, list) else 1)
    return found


def collected(capsys: pytest.CaptureFixture[str]) -> Counter[Metric]:
    return Counter(emitted(capsys.readouterr().out))


NATIVE = (("method", "wechat.native"), ("provider", "wechat"))


def test_a_lifecycle_emits_exactly_its_metrics(world: World, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    status, paid = world.create(amount=1000)
    assert status == 201
    world.sandbox.pay(world.mchid, world.out_trade_no(paid["id"]))
    assert world.sandbox.wait_for_callbacks(timeout=10)
    assert world.run_notifier()["batchItemFailures"] == []
    _, closed = world.create()
    assert world.close(closed["id"])[0] == 200
    world.clock.advance(60)
    assert refund(world, paid["id"], 1000)[0] == 201
    wait_until(lambda: world.d.payments.get(paid["id"]).status == "REFUNDED")
    assert world.sandbox.wait_for_callbacks(timeout=10)  # the refund's own callback too
    world.merchant_endpoint.default = 500
    assert world.run_notifier()["count"] == 3  # payment.closed, refund.succeeded, payment.refunded
    assert invoke("channel_callback", callback_event("x", {}, b"{}", provider="paypal"))["statusCode"] == 404

    latency: Metric = ("NotificationLatency", ())
    assert collected(capsys) == {
        ("PaymentCreated", NATIVE): 2,
        ("PaymentSucceeded", NATIVE): 1,
        ("PaymentClosed", NATIVE): 1,
        ("CallbackAccepted", (("provider", "wechat"),)): 2,  # the payment's and the refund's
        ("RefundOutcome", (("outcome", "success"),)): 1,
        ("NotificationAttempts", (("result", "delivered"),)): 1,
        ("NotificationAttempts", (("result", "failed"),)): 3,
        latency: 4,
        ("CallbackRejected", (("provider", "other"), ("reason", "unknown_account"))): 1,
    }


def test_a_notification_that_is_never_delivered_is_counted_until_given_up(
    world: World,
    sqs: RecordingSQS,  # noqa: F811 - the fixture
    capsys: pytest.CaptureFixture[str],
) -> None:
    paid_payment(world, 800)
    assert world.sandbox.wait_for_callbacks(timeout=10)  # its handler has returned (and flushed)
    world.merchant_endpoint.default = 500
    capsys.readouterr()
    deliver_all(world, sqs)
    assert len(world.merchant_endpoint.received) == 11  # the first try and 10 retries
    assert collected(capsys) == {
        ("NotificationAttempts", (("result", "failed"),)): 10,
        ("NotificationAttempts", (("result", "gave_up"),)): 1,
        ("NotificationLatency", ()): 11,
    }


def test_failed_payments_and_refunds_are_counted(world: World, capsys: pytest.CaptureFixture[str]) -> None:
    _, unpaid = world.create()
    payment = world.d.payments.get(unpaid["id"])
    assert payment is not None
    failed = TradeResult(
        payment.out_trade_no,
        TradeState.FAILED,
        amount=payment.amount,
        mchid=world.mchid,
        appid=world.appid,
        raw_state="PAYERROR",
    )
    created = paid_payment(world, 800)
    assert world.sandbox.wait_for_callbacks(timeout=10)
    world.sandbox.fail_next_refunds(403, "USER_ACCOUNT_ABNORMAL", "退款请求失败")
    capsys.readouterr()
    assert apply_trade_result(world.d, payment, failed, "channel_callback").status == "FAILED"
    assert apply_trade_result(world.d, payment, failed, "channel_callback").status == "FAILED"  # once
    assert refund(world, created["id"], 800)[1]["status"] == "FAILED"
    assert collected(capsys) == {
        ("PaymentFailed", NATIVE): 1,
        ("RefundOutcome", (("outcome", "failed"),)): 1,
    }


REASONS = {
    "forged signature": "signature",
    "tampered body": "signature",
    "stale timestamp": "stale",
    "wrong decryption key": "decrypt",
    "signtest probe": "signature",
}


@pytest.mark.parametrize("case", list(UNTRUSTWORTHY))
def test_untrustworthy_callbacks_are_counted_by_reason(world: World, trusted, case, capsys) -> None:  # noqa: F811
    key, apiv3 = trusted
    created = _created(world)
    headers, body = UNTRUSTWORTHY[case](world, created, key, apiv3)
    capsys.readouterr()
    assert _send(world, headers, body) == 401
    assert collected(capsys) == {("CallbackRejected", (("provider", "wechat"), ("reason", REASONS[case]))): 1}


def test_verified_callbacks_that_are_not_applied_are_counted_by_reason(world: World, trusted, capsys) -> None:  # noqa: F811
    key, apiv3 = trusted
    created = _created(world)
    wrong_amount = notice(
        _tx(world, created, total=1),
        signing_key=key,
        serial="5157F09EFDC096DE15EBE81A47057A7232F1B8E1",
        apiv3_key=apiv3,
        timestamp=world.clock(),
    )
    other_merchant = _genuine(world, created, key, apiv3)
    unknown = notice(
        _tx(world, created, out_trade_no="NOT-OURS-0001"),
        signing_key=key,
        serial="5157F09EFDC096DE15EBE81A47057A7232F1B8E1",
        apiv3_key=apiv3,
        timestamp=world.clock(),
    )
    capsys.readouterr()
    assert _send(world, *wrong_amount) == 500
    assert _send(world, *unknown) == 204
    other = world.d.channel_config.account(world.account_id)
    assert other is not None
    world.d.channel_config.put_account(
        type(other)(**{**{f: getattr(other, f) for f in other.__dataclass_fields__}, "mchid": "1900000001"}),
        None,
    )
    world.d.channel_config._accounts.clear()
    assert _send(world, *other_merchant) == 500
    assert collected(capsys) == {
        ("CallbackRejected", (("provider", "wechat"), ("reason", "amount_mismatch"))): 1,
        ("CallbackRejected", (("provider", "wechat"), ("reason", "unknown_order"))): 1,
        ("CallbackRejected", (("provider", "wechat"), ("reason", "merchant_mismatch"))): 1,
        ("CallbackExceptions", ()): 3,  # each recorded for operators
    }
