"""Alipay end to end through the real handlers: every product against the Alipay sandbox
(which verifies our RSA2 signatures as Alipay does and signs its answers and notifies), refunds,
closes, notifies accepted and rejected, the bill, and fallback from WeChat Pay to Alipay."""

from __future__ import annotations

import base64
import json
from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
import requests
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from paymux.channels.base import ChannelAccount
from sandbox.alipay import SandboxStateError
from tests.integration.conftest import Alipay, World, callback_event, notification_bodies
from tests.integration.test_callback_rejections import listed_exceptions
from tests.integration.test_refunds import get_refund, refund, wait_until
from tests.support import invoke, load_event, run_sweeper

SHANGHAI = timezone(timedelta(hours=8))
DOWN = "http://127.0.0.1:9"  # nothing listens: connection refused


def create(world: World, method: str = "alipay.qr", **overrides: Any) -> dict[str, Any]:
    status, created = world.create(method=method, **overrides)
    assert status == 201, created
    return created


def paid(world: World, alipay: Alipay, amount: int = 1999) -> dict[str, Any]:
    created = create(world, amount=amount)
    alipay.sandbox.pay(alipay.app_id, world.out_trade_no(created["id"]))
    wait_until(lambda: world.d.payments.get(created["id"]).status == "SUCCESS")
    return created


def test_qr_payment_from_precreate_to_notify_and_merchant_notification(world: World, alipay: Alipay):
    created = create(world, amount=8888)
    assert created["status"] == "PROCESSING" and created["action"]["type"] == "qr_code"
    out_trade_no = world.out_trade_no(created["id"])
    assert created["action"]["code_url"] == alipay.sandbox.trades[out_trade_no]["qr_code"]
    assert alipay.sandbox.trades[out_trade_no]["total_amount"] == "88.88"  # yuan at Alipay
    # Not scanned yet: Alipay has no trade, so a synchronous query changes nothing.
    assert world.get(created["id"], query="sync=true")[1]["status"] == "PROCESSING"
    alipay.sandbox.scan(alipay.app_id, out_trade_no)
    assert world.get(created["id"], query="sync=true")[1]["status"] == "PROCESSING"  # WAIT_BUYER_PAY

    alipay.sandbox.pay(alipay.app_id, out_trade_no)
    assert alipay.sandbox.wait_for_notifications(timeout=10)
    (attempt,) = alipay.sandbox.notify_log
    assert (attempt.status, attempt.body.strip()) == (200, "success")  # acknowledged the Alipay way
    payment = world.d.payments.get(created["id"])
    assert (
        payment.status == "SUCCESS"
        and payment.channel_trade_no == alipay.sandbox.trades[out_trade_no]["trade_no"]
    )
    world.run_notifier()
    (sent,) = notification_bodies(world.merchant_endpoint)
    assert (sent["type"], sent["data"]["object"]["status"]) == ("payment.succeeded", "SUCCESS")


def test_a_replayed_notify_is_acknowledged_with_no_second_effect(world: World, alipay: Alipay):
    created = paid(world, alipay)
    alipay.sandbox.wait_for_notifications(timeout=10)
    genuine = world.catcher.received[-1]
    version = world.d.payments.get(created["id"]).version
    reply = invoke(
        "channel_callback", callback_event(alipay.account_id, genuine["headers"], genuine["body"], "alipay")
    )
    assert (reply["statusCode"], reply["body"]) == (200, "success")
    assert world.d.payments.get(created["id"]).version == version


def test_partial_and_full_refunds_are_synchronous_and_idempotent(world: World, alipay: Alipay):
    created = paid(world, alipay, amount=1000)
    out_trade_no = world.out_trade_no(created["id"])
    status, first = refund(world, created["id"], 300, merchant_refund_no="RF-ALI-1")
    assert status == 201 and first["status"] == "SUCCESS"  # Alipay refunds synchronously
    assert refund(world, created["id"], 300, merchant_refund_no="RF-ALI-1")[1]["id"] == first["id"]
    status, rest = refund(world, created["id"], 700)
    assert status == 201 and rest["status"] == "SUCCESS"
    assert alipay.sandbox.wait_for_notifications(timeout=10)
    # One payment notify and one per refund, each acknowledged at once with no second effect.
    assert [a.body.strip() for a in alipay.sandbox.notify_log] == ["success"] * 3
    refunded = [world.d.refunds.get(r["id"]).out_refund_no for r in (first, rest)]
    assert [a.form.get("out_biz_no", "") for a in alipay.sandbox.notify_log] == ["", *refunded]
    _, payment = world.get(created["id"])
    assert (payment["status"], payment["amount_refunded"], payment["amount_refundable"]) == (
        "REFUNDED",
        1000,
        0,
    )
    at_alipay = {no: r for (trade, no), r in alipay.sandbox.refunds.items() if trade == out_trade_no}
    assert sorted(r["refund_amount"] for r in at_alipay.values()) == ["3.00", "7.00"]
    assert alipay.sandbox.trades[out_trade_no]["trade_status"] == "TRADE_CLOSED"  # fully refunded
    assert get_refund(world, first["id"])[1]["status"] == "SUCCESS"
    # answered SUCCESS synchronously, then notified: each refund's success is one event, and the
    # payment's SUCCESS → REFUNDED one more
    kinds = [e["type"] for e in world.d.payments.events(created["id"])]
    assert (kinds.count("refund.succeeded"), kinds.count("payment.refunded")) == (2, 1), kinds
    status, over = refund(world, created["id"], 1)
    assert (status, over["error"]["code"]) == (409, "payment_not_refundable")  # it is REFUNDED now


def test_close_before_and_after_the_scan(world: World, alipay: Alipay):
    unscanned = create(world)
    status, closed = world.close(unscanned["id"])
    assert status == 200 and closed["status"] == "CLOSED"  # nothing existed at Alipay to close
    scanned = create(world)
    out_trade_no = world.out_trade_no(scanned["id"])
    alipay.sandbox.scan(alipay.app_id, out_trade_no)
    status, closed = world.close(scanned["id"])
    assert status == 200 and closed["status"] == "CLOSED"
    assert alipay.sandbox.trades[out_trade_no]["trade_status"] == "TRADE_CLOSED"


@pytest.mark.parametrize("method", ["alipay.qr", "alipay.wap"])
def test_a_payment_after_an_early_close_is_refunded_and_surfaced(world: World, alipay: Alipay, method: str):
    """Alipay cannot close a trade it does not have yet (a QR code nobody scanned, a cashier URL
    nobody opened): a payer who pays after the merchant closed it, before its time_expire, gets
    the money back automatically, and operators see it."""
    from paymux.domain.refund import automatic_refund_id, out_refund_no

    created = create(world, method=method, return_url="https://shop.example.com/paid")
    out_trade_no = world.out_trade_no(created["id"])
    assert world.close(created["id"])[1]["status"] == "CLOSED"
    if method == "alipay.wap":
        assert requests.get(created["action"]["url"], timeout=5).status_code == 200
    alipay.sandbox.pay(alipay.app_id, out_trade_no)
    refund_id = automatic_refund_id(out_trade_no)
    refund_no = out_refund_no(refund_id)
    wait_until(lambda: getattr(world.d.refunds.get(refund_id), "status", None) == "SUCCESS")
    assert alipay.sandbox.wait_for_notifications(timeout=10)
    assert alipay.sandbox.refunds[(out_trade_no, refund_no)]["refund_amount"] == "19.99"
    assert alipay.sandbox.trades[out_trade_no]["trade_status"] == "TRADE_CLOSED"  # fully refunded
    payment = world.d.payments.get(created["id"])
    assert (payment.status, payment.amount_refunded) == ("CLOSED", 0)
    events = [e["type"] for e in world.d.payments.events(created["id"])]
    assert events.count("payment.paid_after_close") == 1
    response = invoke(
        "list_exceptions",
        {
            "rawPath": "/v1/admin/exceptions",
            "queryStringParameters": {"kind": "paid_after_terminal"},
            "requestContext": {"http": {"method": "GET"}},
        },
    )
    (listed,) = json.loads(response["body"])["data"]  # one record, however often Alipay sends it
    assert listed["subject"] == created["id"] and listed["detail"]["amount"] == 1999


def test_closing_a_paid_trade_reports_it_paid(world: World, alipay: Alipay):
    created = create(world)
    world.catcher.forward = False  # the notify is lost
    alipay.sandbox.pay(alipay.app_id, world.out_trade_no(created["id"]))
    status, body = world.close(created["id"])
    assert status == 409 and body["error"]["code"] == "payment_already_paid"
    assert world.d.payments.get(created["id"]).status == "SUCCESS"


@pytest.mark.parametrize("method", ["alipay.page", "alipay.wap"])
def test_page_and_wap_pay_are_signed_gateway_urls_alipay_accepts(world: World, alipay: Alipay, method: str):
    created = create(world, method=method, return_url="https://shop.example.com/paid")
    action = created["action"]
    assert action["type"] == "redirect" and action["url"].startswith(alipay.sandbox.gateway_url + "?")
    params = dict(parse_qsl(urlsplit(action["url"]).query))
    assert (
        params["method"]
        == {"alipay.page": "alipay.trade.page.pay", "alipay.wap": "alipay.trade.wap.pay"}[method]
    )
    cashier = requests.get(action["url"], timeout=5)  # what the payer's browser does
    assert cashier.status_code == 200 and "19.99" in cashier.text and "isv." not in cashier.text
    alipay.sandbox.pay(alipay.app_id, world.out_trade_no(created["id"]))
    wait_until(lambda: world.d.payments.get(created["id"]).status == "SUCCESS")
    # The same URL with a changed amount is refused by Alipay: our signature covers it.
    refused = requests.get(action["url"].replace("19.99", "0.01"), timeout=5).text
    assert "isv.invalid-signature" in refused and "0.01" not in [
        t["total_amount"] for t in alipay.sandbox.trades.values()
    ]


def test_app_pay_order_string_is_paid_by_the_alipay_app(world: World, alipay: Alipay):
    created = create(world, method="alipay.app")
    assert created["action"]["type"] == "alipay_app"
    alipay.sandbox.pay_app_order(created["action"]["order_string"])
    wait_until(lambda: world.d.payments.get(created["id"]).status == "SUCCESS")


# -- notifies that must not be believed ---------------------------------------------------------


def _sign(form: dict[str, str], key: rsa.RSAPrivateKey) -> dict[str, str]:
    content = "&".join(f"{k}={v}" for k, v in sorted(form.items()) if k not in ("sign", "sign_type") and v)
    signature = key.sign(content.encode(), padding.PKCS1v15(), hashes.SHA256())
    return form | {"sign": base64.b64encode(signature).decode()}


def _forged(form: dict[str, str], alipay: Alipay, world: World) -> dict[str, str]:
    return _sign(form, rsa.generate_private_key(public_exponent=65537, key_size=2048))


def _app_key(form: dict[str, str], alipay: Alipay, world: World) -> dict[str, str]:
    key = serialization.load_pem_private_key(alipay.app_private_key_pem, password=None)
    assert isinstance(key, rsa.RSAPrivateKey)
    return _sign(form, key)  # the application's own key, not Alipay's


def _tampered(form: dict[str, str], alipay: Alipay, world: World) -> dict[str, str]:
    return form | {"total_amount": "0.01"}


def _rsa1(form: dict[str, str], alipay: Alipay, world: World) -> dict[str, str]:
    return form | {"sign_type": "RSA"}


def _stale(form: dict[str, str], alipay: Alipay, world: World) -> dict[str, str]:
    world.clock.advance(49 * 3600)  # genuine, but older than any resend of Alipay's
    return form


def _no_sign(form: dict[str, str], alipay: Alipay, world: World) -> dict[str, str]:
    return {k: v for k, v in form.items() if k != "sign"}


@pytest.mark.parametrize("spoil", [_forged, _app_key, _tampered, _rsa1, _stale, _no_sign])
def test_untrustworthy_notifies_are_refused_with_nothing_changed(world: World, alipay: Alipay, spoil):
    created = create(world)
    world.catcher.forward = False  # capture the genuine notify without applying it
    alipay.sandbox.pay(alipay.app_id, world.out_trade_no(created["id"]))
    wait_until(lambda: world.catcher.received)
    genuine = dict(parse_qsl(world.catcher.received[0]["body"].decode(), keep_blank_values=True))
    before = world.d.payments.get(created["id"])
    body = urlencode(spoil(genuine, alipay, world)).encode()
    headers = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}
    reply = invoke("channel_callback", callback_event(alipay.account_id, headers, body, "alipay"))
    assert (reply["statusCode"], reply["body"]) == (401, "fail")
    after = world.d.payments.get(created["id"])
    assert (after.status, after.version) == (before.status, before.version)
    assert world.queued_messages() == []


def test_a_genuine_notify_with_the_wrong_amount_is_refused_and_recorded_for_operators(
    world: World, alipay: Alipay
):
    created = create(world, amount=1999)
    world.catcher.forward = False
    alipay.sandbox.pay(alipay.app_id, world.out_trade_no(created["id"]))
    wait_until(lambda: world.catcher.received)
    genuine = dict(parse_qsl(world.catcher.received[0]["body"].decode(), keep_blank_values=True))
    forged_by_alipay = alipay.sandbox.sign_notify(
        genuine | {"total_amount": "0.01", "receipt_amount": "0.01"}
    )
    headers = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}
    body = urlencode(forged_by_alipay).encode()
    reply = invoke("channel_callback", callback_event(alipay.account_id, headers, body, "alipay"))
    assert (reply["statusCode"], reply["body"]) == (500, "fail")  # not acknowledged: Alipay keeps it
    assert world.d.payments.get(created["id"]).status == "PROCESSING"
    response = invoke(
        "list_exceptions",
        {
            "rawPath": "/v1/admin/exceptions",
            "queryStringParameters": {"kind": "trade_mismatch"},
            "requestContext": {"http": {"method": "GET"}},
        },
    )
    (listed,) = json.loads(response["body"])["data"]
    assert listed["subject"] == world.out_trade_no(created["id"])
    assert "amount 1 != 1999" in listed["detail"]["reason"]


def test_a_genuine_notify_on_another_accounts_path_is_refused(world: World, alipay: Alipay):
    created = create(world)
    world.catcher.forward = False
    alipay.sandbox.pay(alipay.app_id, world.out_trade_no(created["id"]))
    wait_until(lambda: world.catcher.received)
    genuine = world.catcher.received[0]
    other = ChannelAccount(
        "ali-other", "alipay", ("alipay.qr",), "2088999999999999", "2021999999999999", DOWN
    )
    world.d.channel_config.put_account(other, dict(world.d.channel_config.credentials(alipay.account_id)))
    reply = invoke(
        "channel_callback", callback_event("ali-other", genuine["headers"], genuine["body"], "alipay")
    )
    # Verified with ali-other's key, but it names another app: not acknowledged, and recorded.
    assert (reply["statusCode"], reply["body"]) == (500, "fail")
    assert world.d.payments.get(created["id"]).status == "PROCESSING"
    (listed,) = listed_exceptions("trade_mismatch")
    assert f"app id {alipay.app_id} != 2021999999999999" in listed["detail"]["reason"]


# -- the bill -----------------------------------------------------------------------------------


def test_the_alipay_bill_is_downloaded_parsed_archived_and_matched(world: World, alipay: Alipay):
    for account in world.d.channel_config.accounts():
        if account.account_id != alipay.account_id and account.enabled:
            world.d.channel_config.put_account(replace(account, enabled=False), None)
    first = paid(world, alipay, amount=1000)
    paid(world, alipay, amount=250)
    status, partial = refund(world, first["id"], 300)
    assert status == 201 and partial["status"] == "SUCCESS"
    day = datetime.fromtimestamp(world.clock(), SHANGHAI).date()
    summary = invoke("reconcile", load_event("reconcile.json") | {"date": day.isoformat()})
    assert summary["failed_accounts"] == []
    (account,) = [a for a in summary["accounts"] if a["account_id"] == alipay.account_id]
    assert account["counts"]["payment"]["matched"] == 2 and account["counts"]["refund"]["matched"] == 1
    key = f"statements/alipay/{alipay.account_id}/{day}.zip"
    assert key in summary["statements"]
    archived = world.d.s3.get_object(Bucket=world.d.settings.bucket, Key=key)
    assert archived["Body"].read()[:2] == b"PK"  # the zip as Alipay served it


def test_a_day_without_trades_has_no_alipay_bill(world: World, alipay: Alipay):
    channel = world.d.channel(world.d.channel_config.account(alipay.account_id))
    assert channel.fetch_statement(date(2020, 1, 1)) is None


# -- fallback from one method to another ---------------------------------------------------------


def _wechat_down(world: World) -> None:
    current = world.d.channel_config.account(world.account_id)
    world.d.channel_config.put_account(replace(current, base_url=DOWN), None)


def test_wechat_down_falls_back_to_alipay_qr_only_when_the_request_allows_it(world: World, alipay: Alipay):
    _wechat_down(world)
    status, body = world.create(method="wechat.native")
    assert status == 503 and body["error"]["details"][0]["status"] == "PENDING"  # not allowed: no fallback

    created = create(world, method="wechat.native", fallback_methods=["alipay.qr"])
    assert created["method"] == "alipay.qr" and created["action"]["type"] == "qr_code"
    payment = world.d.payments.get(created["id"])
    assert (payment.account_id, payment.attempt_count) == (alipay.account_id, 2)
    attempt = world.d.payments.get_attempt(payment.out_trade_no)
    assert attempt["product"] == "alipay.qr"
    assert attempt["routing"] == {
        "fallback_from": world.account_id,
        "cause": "channel_unavailable",
        "fallback_from_method": "wechat.native",
    }
    alipay.sandbox.pay(alipay.app_id, payment.out_trade_no)
    wait_until(lambda: world.d.payments.get(created["id"]).status == "SUCCESS")


def test_a_method_without_any_usable_account_goes_straight_to_the_allowed_fallback(
    world: World, alipay: Alipay
):
    current = world.d.channel_config.account(world.account_id)
    world.d.channel_config.put_account(replace(current, enabled=False), None)  # the incident response
    created = create(world, method="wechat.native", fallback_methods=["alipay.qr"])
    assert created["method"] == "alipay.qr" and created["action"]["type"] == "qr_code"
    payment = world.d.payments.get(created["id"])
    assert (payment.account_id, payment.attempt_count) == (alipay.account_id, 1)
    attempt = world.d.payments.get_attempt(payment.out_trade_no)
    assert attempt["product"] == "alipay.qr" and attempt["routing"]["fallback_from_method"] == "wechat.native"


def test_inputs_a_fallback_method_needs_are_checked_before_anything_is_written(world: World, alipay: Alipay):
    body = {"method": "wechat.h5", "fallback_methods": ["alipay.wap"], "payer": {"client_ip": "203.0.113.7"}}
    status, answer = world.create(merchant_order_no="ORD-NEEDS-RETURN", **body)
    assert status == 422 and answer["error"]["details"] == [
        {"field": "return_url", "message": "required by alipay.wap"}
    ]
    status, answer = world.create(method="wechat.jsapi")
    assert status == 422 and answer["error"]["details"][0]["field"] == "payer.openid"
    status, _ = world.call(
        "get_payment_by_merchant_order_no.json", query="merchant_order_no=ORD-NEEDS-RETURN"
    )
    assert status == 404  # nothing was written: the order number is still free
    status, created = world.create(
        merchant_order_no="ORD-NEEDS-RETURN", return_url="https://s.example.com/r", **body
    )
    assert status == 201 and created["method"] == "wechat.h5"


def test_a_fallback_method_of_another_family_is_refused(world: World, alipay: Alipay):
    status, body = world.create(method="wechat.native", fallback_methods=["alipay.wap"])
    assert status == 422 and body["error"]["details"][0]["field"] == "fallback_methods"
    assert "alipay.qr" in body["error"]["details"][0]["message"]


# -- compensation: lost notifies, expiry, the merchant's resend schedule, double success ----------


def test_a_lost_notify_is_recovered_by_active_query(world: World, alipay: Alipay):
    created = create(world)
    world.catcher.forward = False  # every notify is lost
    alipay.sandbox.pay(alipay.app_id, world.out_trade_no(created["id"]))
    world.clock.advance(61)
    assert run_sweeper()["queried"] == 1
    payment = world.d.payments.get(created["id"])
    assert payment.status == "SUCCESS" and payment.paid_at is not None
    succeeded = [
        e["actor"] for e in world.d.payments.events(created["id"]) if e["type"] == "payment.succeeded"
    ]
    assert succeeded == ["active_query"]
    world.run_notifier()
    assert [b["type"] for b in notification_bodies(world.merchant_endpoint)] == ["payment.succeeded"]


def test_an_expired_unscanned_qr_code_is_closed_and_cannot_be_paid_after(world: World, alipay: Alipay):
    created = create(world, expires_in=60)
    out_trade_no = world.out_trade_no(created["id"])
    world.clock.advance(61)
    assert run_sweeper()["expired_closed"] == 1
    assert world.d.payments.get(created["id"]).status == "CLOSED"
    with pytest.raises(SandboxStateError):
        alipay.sandbox.pay(alipay.app_id, out_trade_no)  # Alipay refuses: time_expire passed
    assert world.d.payments.get(created["id"]).status == "CLOSED"


def test_a_notify_our_endpoint_fails_is_resent_by_alipay_and_then_applied(world: World, alipay: Alipay):
    created = create(world)
    world.catcher.forward = False  # paymux answers 500 "" to the first send
    alipay.sandbox.pay(alipay.app_id, world.out_trade_no(created["id"]))
    wait_until(lambda: len(alipay.sandbox.notify_log) >= 2)
    world.catcher.forward = True
    assert alipay.sandbox.wait_for_notifications(timeout=20)
    log = alipay.sandbox.notify_log
    assert log[-1].body.strip() == "success" and all(a.body.strip() != "success" for a in log[:-1])
    assert len({a.notify_id for a in log}) == 1  # one notification, resent
    assert world.d.payments.get(created["id"]).status == "SUCCESS"


def test_two_paid_attempts_on_alipay_refund_the_extra_charge_once(world: World, alipay: Alipay):
    from paymux.channels.base import CreateRequest
    from paymux.domain.ids import attempt_out_trade_no
    from paymux.domain.refund import automatic_refund_id, out_refund_no

    created = create(world, amount=3000)
    first = world.d.payments.get(created["id"])
    second_no = attempt_out_trade_no(first.payment_id, 2)
    account = world.d.channel_config.account(alipay.account_id)
    notify_url = f"{world.catcher.base_url}/v1/callbacks/alipay/{alipay.account_id}"
    world.d.channel(account).create(
        CreateRequest(second_no, "alipay.qr", 3000, "CNY", "second attempt", notify_url, first.expires_at)
    )
    attempt = {
        "out_trade_no": second_no,
        "payment_id": first.payment_id,
        "account_id": alipay.account_id,
        "provider": "alipay",
        "product": "alipay.qr",
        "created_at": world.clock(),
    }
    world.d.payments.add_attempt(first, attempt, {"out_trade_no": second_no, "attempt_count": 2})
    alipay.sandbox.pay(alipay.app_id, second_no)
    wait_until(lambda: world.d.payments.get(created["id"]).status == "SUCCESS")
    alipay.sandbox.pay(alipay.app_id, first.out_trade_no)  # the payer pays the other QR code too
    refund_id = automatic_refund_id(first.out_trade_no)
    refund_no = out_refund_no(refund_id)
    wait_until(lambda: getattr(world.d.refunds.get(refund_id), "status", None) == "SUCCESS")
    assert alipay.sandbox.wait_for_notifications(timeout=10)
    payment = world.d.payments.get(created["id"])
    assert (payment.status, payment.out_trade_no, payment.amount_refunded) == ("SUCCESS", second_no, 0)
    assert alipay.sandbox.refunds[(first.out_trade_no, refund_no)]["refund_amount"] == "30.00"
    assert alipay.sandbox.trades[first.out_trade_no]["trade_status"] == "TRADE_CLOSED"
    assert alipay.sandbox.trades[second_no]["trade_status"] == "TRADE_SUCCESS"
    events = [e["type"] for e in world.d.payments.events(created["id"])]
    assert events.count("payment.duplicate_charge") == 1
