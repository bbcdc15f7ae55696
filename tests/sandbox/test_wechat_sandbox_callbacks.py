"""Callbacks: signed and encrypted as WeChat does, retried on its schedule."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from datetime import datetime, timedelta

from wechat_sandbox_helpers import (
    APPID,
    MCHID,
    CallbackReceiver,
    RawSigner,
    client,
    native_order,
    verifies,
)
from wechatpayv3.utils import aes_decrypt

from sandbox.wechat import GeneratedMerchant, WeChatSandbox
from tests.support import wait_until

NATIVE = "/v3/pay/transactions/native"


def place(sb: WeChatSandbox, identity: GeneratedMerchant, out_trade_no: str, url: str) -> None:
    signer = RawSigner(identity, sb.base_url)
    response = signer.send("POST", NATIVE, native_order(out_trade_no, total=2500, notify_url=url))
    assert response.status_code == 200


def decrypt(identity: GeneratedMerchant, body: str) -> dict:
    resource = json.loads(body)["resource"]
    plaintext = aes_decrypt(
        resource["nonce"],
        resource["ciphertext"],
        resource["associated_data"],
        identity.merchant.apiv3_key.decode(),
    )
    assert plaintext is not None, "the resource did not decrypt with the APIv3 key"
    return json.loads(plaintext)


def test_payment_callback_verifies_and_decrypts_to_the_transaction(
    sb: WeChatSandbox,
    identity: GeneratedMerchant,
    make_receiver: Callable[..., CallbackReceiver],
) -> None:
    # Given a Native order whose notify_url is a live receiver
    receiver = make_receiver()
    place(sb, identity, "ORDER_CB_0001", receiver.url)
    # When the payer pays
    sb.pay(MCHID, "ORDER_CB_0001", openid="oUpF8uMuAJO_M2pxb1Q9zNjWeS6o")
    # Then one callback arrives, signed with the WeChat Pay public key
    (callback,) = receiver.wait_for(1)
    assert callback.headers["Wechatpay-Serial"] == sb.public_key_id
    assert callback.headers["Wechatpay-Signature-Type"] == "WECHATPAY2-SHA256-RSA2048"
    assert verifies(sb, callback.headers, callback.body)
    event = json.loads(callback.body)
    assert event["id"].startswith("EV-")
    assert event["event_type"] == "TRANSACTION.SUCCESS"
    assert event["resource_type"] == "encrypt-resource"
    assert event["summary"] == "支付成功"
    assert datetime.fromisoformat(event["create_time"]).utcoffset() == timedelta(hours=8)
    resource = event["resource"]
    assert resource["algorithm"] == "AEAD_AES_256_GCM"
    assert (resource["original_type"], resource["associated_data"]) == ("transaction", "transaction")
    assert len(resource["nonce"]) == 12
    # And the resource is the Transaction the query returns
    transaction = decrypt(identity, callback.body)
    assert transaction["trade_state"] == "SUCCESS"
    assert transaction["out_trade_no"] == "ORDER_CB_0001"
    assert (transaction["appid"], transaction["mchid"]) == (APPID, MCHID)
    assert transaction["amount"]["total"] == 2500
    assert transaction["amount"]["payer_total"] == 2500
    assert transaction["payer"]["openid"] == "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"
    assert transaction["transaction_id"] == sb.orders["ORDER_CB_0001"]["transaction_id"]
    assert sb.wait_for_callbacks(5)
    (attempt,) = sb.callback_log
    assert (attempt.status, attempt.delivered, attempt.event_id) == (200, True, event["id"])


def test_wechatpayv3_callback_parser_accepts_the_callback(
    sb: WeChatSandbox,
    identity: GeneratedMerchant,
    make_receiver: Callable[..., CallbackReceiver],
) -> None:
    receiver = make_receiver()
    place(sb, identity, "ORDER_CB_0002", receiver.url)
    sb.pay(MCHID, "ORDER_CB_0002")
    (callback,) = receiver.wait_for(1)
    parsed = client(sb, identity).callback(callback.headers, callback.body)
    assert parsed is not None
    assert parsed["resource"]["trade_state"] == "SUCCESS"
    assert parsed["resource"]["out_trade_no"] == "ORDER_CB_0002"


def test_failed_delivery_is_retried_with_the_same_event_until_200(
    sb: WeChatSandbox,
    identity: GeneratedMerchant,
    make_receiver: Callable[..., CallbackReceiver],
) -> None:
    receiver = make_receiver(statuses=[500, 404])
    place(sb, identity, "ORDER_CB_0003", receiver.url)
    sb.pay(MCHID, "ORDER_CB_0003")
    calls = receiver.wait_for(3)
    assert sb.wait_for_callbacks(10)
    assert [call.answered for call in calls] == [500, 404, 200]
    assert len({json.loads(call.body)["id"] for call in calls}) == 1
    assert len({call.body for call in calls}) == 1  # the same notification, re-sent
    assert all(verifies(sb, call.headers, call.body) for call in calls)
    log = sb.callback_log
    assert [(a.attempt, a.status, a.delivered) for a in log] == [
        (0, 500, False),
        (1, 404, False),
        (2, 200, True),
    ]


def test_204_counts_as_delivered_and_other_2xx_does_not(
    sb: WeChatSandbox,
    identity: GeneratedMerchant,
    make_receiver: Callable[..., CallbackReceiver],
) -> None:
    receiver = make_receiver(statuses=[202, 204])
    place(sb, identity, "ORDER_CB_0004", receiver.url)
    sb.pay(MCHID, "ORDER_CB_0004")
    assert sb.wait_for_callbacks(10)
    assert [(a.status, a.delivered) for a in sb.callback_log] == [(202, False), (204, True)]


def test_delivery_gives_up_after_the_last_retry(
    make_sandbox: Callable[..., WeChatSandbox],
    identity: GeneratedMerchant,
    make_receiver: Callable[..., CallbackReceiver],
) -> None:
    sb = make_sandbox(callback_retry_delays=(0.01,) * 15, callback_time_scale=1.0)
    receiver = make_receiver(statuses=[503] * 100)
    place(sb, identity, "ORDER_CB_0005", receiver.url)
    sb.pay(MCHID, "ORDER_CB_0005")
    assert sb.wait_for_callbacks(20)
    assert [a.attempt for a in sb.callback_log] == list(range(16))  # 1 delivery + 15 retries
    assert not any(a.delivered for a in sb.callback_log)
    assert len(receiver.received) == 16


def test_unreachable_receiver_is_logged_without_status(
    make_sandbox: Callable[..., WeChatSandbox], identity: GeneratedMerchant
) -> None:
    sb = make_sandbox(callback_retry_delays=(0.01,) * 15, callback_time_scale=1.0)
    place(sb, identity, "ORDER_CB_0006", "http://127.0.0.1:9/closed-port")
    sb.pay(MCHID, "ORDER_CB_0006")
    assert sb.wait_for_callbacks(30)
    assert len(sb.callback_log) == 16
    first = sb.callback_log[0]
    assert (first.status, first.delivered) == (None, False)
    assert first.error


def test_stop_cancels_pending_retries(
    make_sandbox: Callable[..., WeChatSandbox],
    identity: GeneratedMerchant,
    make_receiver: Callable[..., CallbackReceiver],
) -> None:
    sb = make_sandbox(callback_retry_delays=(3600,), callback_time_scale=1.0)
    receiver = make_receiver(statuses=[500])
    place(sb, identity, "ORDER_CB_0007", receiver.url)
    sb.pay(MCHID, "ORDER_CB_0007")
    receiver.wait_for(1)
    assert wait_until(lambda: len(sb.callback_log) == 1)
    assert not sb.wait_for_callbacks(0.2)  # a retry is pending, an hour away
    sb.stop()
    assert sb.wait_for_callbacks(0)
    assert len(sb.callback_log) == 1


def test_pay_does_not_wait_for_a_slow_receiver(
    sb: WeChatSandbox,
    identity: GeneratedMerchant,
    make_receiver: Callable[..., CallbackReceiver],
) -> None:
    release = threading.Event()
    receiver = make_receiver(hold=release)
    place(sb, identity, "ORDER_CB_0008", receiver.url)
    transaction = sb.pay(MCHID, "ORDER_CB_0008")  # returns while the receiver still holds
    assert transaction["trade_state"] == "SUCCESS"
    assert not sb.wait_for_callbacks(0.2)
    release.set()
    assert sb.wait_for_callbacks(5)
    assert [a.status for a in sb.callback_log] == [200]


def test_both_mode_callbacks_alternate_between_the_two_keys(
    make_sandbox: Callable[..., WeChatSandbox],
    identity: GeneratedMerchant,
    make_receiver: Callable[..., CallbackReceiver],
) -> None:
    sb = make_sandbox(key_mode="both")
    receiver = make_receiver()
    for n in range(4):
        place(sb, identity, f"ORDER_BOTH_{n:03d}", receiver.url)
        sb.pay(MCHID, f"ORDER_BOTH_{n:03d}")
    calls = receiver.wait_for(4)
    serials = [call.headers["Wechatpay-Serial"] for call in calls]
    assert set(serials) == {sb.public_key_id, sb.platform_certificates[0]["serial_no"]}
    assert serials.count(sb.public_key_id) == 2
    assert all(verifies(sb, call.headers, call.body) for call in calls)


def test_sign_test_probe_carries_a_signature_that_never_verifies(
    sb: WeChatSandbox,
    identity: GeneratedMerchant,
    make_receiver: Callable[..., CallbackReceiver],
) -> None:
    receiver = make_receiver(statuses=[401])
    place(sb, identity, "ORDER_PROBE_1", receiver.url)
    attempt = sb.sign_test_probe(MCHID, "ORDER_PROBE_1")
    (probe,) = receiver.received
    assert probe.headers["Wechatpay-Signature"].startswith("WECHATPAY/SIGNTEST/")
    assert not verifies(sb, probe.headers, probe.body)
    assert client(sb, identity).callback(probe.headers, probe.body) is None
    assert (attempt.probe, attempt.status, attempt.delivered) == (True, 401, False)
    assert sb.wait_for_callbacks(1)
    assert len(sb.callback_log) == 1  # probes are not retried
