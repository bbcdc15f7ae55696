"""Callback notifications as WeChat builds them: an ``EV-…`` event whose resource (a
Transaction or a refund notice) is AES-256-GCM-encrypted with the merchant's APIv3 key."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

from sandbox.wechat import resources
from sandbox.wechat.callbacks import Notification
from sandbox.wechat.crypto import SigningKey, aes_gcm_encrypt, random_alnum
from sandbox.wechat.merchant import SandboxMerchant
from sandbox.wechat.store import Order, Refund, cst, rfc3339

REFUND_EVENTS = {
    "SUCCESS": ("REFUND.SUCCESS", "退款成功"),
    "ABNORMAL": ("REFUND.ABNORMAL", "退款异常"),
}


class NoticeFactory:
    def __init__(
        self,
        clock: Callable[[], float],
        signing_key: Callable[[], SigningKey],
        describe: Callable[[Order], dict[str, Any]] = resources.transaction,
    ) -> None:
        self._clock = clock
        self._signing_key = signing_key
        self._describe = describe  # the Transaction a callback carries for an order
        self._sequence = itertools.count()

    def transaction(self, merchant: SandboxMerchant, order: Order) -> Notification:
        plaintext = resources.dumps(self._describe(order))
        return self._build(
            merchant, order.notify_url, "TRANSACTION.SUCCESS", "支付成功", "transaction", plaintext
        )

    def refund(self, merchant: SandboxMerchant, refund: Refund, url: str) -> Notification:
        event_type, summary = REFUND_EVENTS[refund.status]
        plaintext = resources.dumps(resources.refund_notice(refund))
        return self._build(merchant, url, event_type, summary, "refund", plaintext)

    def _build(
        self,
        merchant: SandboxMerchant,
        url: str,
        event_type: str,
        summary: str,
        original_type: str,
        plaintext: bytes,
    ) -> Notification:
        now = self._clock()
        nonce = random_alnum(12)
        # e.g. EV-2018022511223320873: the time, then a sequence number
        event_id = f"EV-{cst(now):%Y%m%d%H%M%S}{next(self._sequence) % 100000:05d}"
        event = {
            "id": event_id,
            "create_time": rfc3339(now),
            "resource_type": "encrypt-resource",
            "event_type": event_type,
            "summary": summary,
            "resource": {
                "original_type": original_type,
                "algorithm": "AEAD_AES_256_GCM",
                "ciphertext": aes_gcm_encrypt(merchant.apiv3_key, nonce, original_type, plaintext),
                "associated_data": original_type,
                "nonce": nonce,
            },
        }
        body = resources.dumps(event)
        return Notification(event_id, event_type, url, body, self._signing_key())
