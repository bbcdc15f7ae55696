"""``WeChatSandbox``: a local WeChat Pay API v3 server, its keys, its payers and its callbacks."""

from __future__ import annotations

import itertools
import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from types import MappingProxyType
from typing import Any, Literal
from urllib.parse import quote

from sandbox.common.http import ServingThread
from sandbox.common.lifecycle import ServedSandbox
from sandbox.wechat import resources
from sandbox.wechat.abnormal import AbnormalRefundApi
from sandbox.wechat.api import PaymentApi
from sandbox.wechat.auth import ResponseSigner
from sandbox.wechat.bill_api import BillApi
from sandbox.wechat.callbacks import (
    WECHAT_RETRY_DELAYS,
    CallbackAttempt,
    CallbackDispatcher,
)
from sandbox.wechat.certificates import CertificateApi
from sandbox.wechat.crypto import (
    SigningKey,
    new_platform_key,
    new_wechatpay_public_key,
    random_alnum,
    utc_datetime,
)
from sandbox.wechat.errors import ApiError, SandboxStateError
from sandbox.wechat.merchant import MerchantRegistry, SandboxMerchant, SandboxSubMerchant
from sandbox.wechat.micropay_api import MicropayApi, PayerCodes
from sandbox.wechat.misreports import Change, Misreports
from sandbox.wechat.notices import NoticeFactory
from sandbox.wechat.oauth import WebAuthorization
from sandbox.wechat.partner_api import PartnerApi
from sandbox.wechat.server import KeyPolicy, SandboxApp
from sandbox.wechat.store import Order, Refund, SandboxStore, cst

KeyMode = Literal["platform_cert", "public_key", "both"]
KEY_MODES: frozenset[str] = frozenset({"platform_cert", "public_key", "both"})
_DAY = 86400.0


class WeChatSandbox(ServedSandbox):
    """See ``sandbox/wechat/README.md`` for the behaviour; the constructor only builds keys."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        key_mode: KeyMode = "platform_cert",
        clock: Callable[[], float] = time.time,
        callback_retry_delays: Sequence[float] = WECHAT_RETRY_DELAYS,
        callback_time_scale: float = 1.0,
        *,
        require_https_notify: bool = False,
        auto_complete_refunds: bool = True,
    ) -> None:
        if key_mode not in KEY_MODES:
            raise ValueError(f"key_mode must be one of {sorted(KEY_MODES)}")
        self._host, self._port = host, port
        self._key_mode: KeyMode = key_mode
        self._clock = clock
        self._auto_complete_refunds = auto_complete_refunds
        self._refund_faults: list[ApiError] = []
        self._faults_lock = threading.Lock()
        earliest = min(clock(), time.time()) - _DAY  # valid under both the clock and real time
        # Oldest first; the last one signs (WeChat signs with its newest platform certificate).
        self._platform_keys: list[SigningKey] = [new_platform_key(utc_datetime(earliest))]
        self._public_key = new_wechatpay_public_key(cst(clock()))
        self._store = SandboxStore()
        self._merchants = MerchantRegistry()
        self._signer = ResponseSigner(clock)
        self._callbacks = CallbackDispatcher(self._signer, clock, callback_retry_delays, callback_time_scale)
        self._callback_count = itertools.count()
        self._misreports = Misreports()
        self._notices = NoticeFactory(clock, self._callback_key, self._misreports.transaction)
        self._stopped = False
        self.web_authorization = WebAuthorization(clock)  # an official account's OAuth (JSAPI)
        self._http = ServingThread("wechat-sandbox-http")
        payments = PaymentApi(
            self._store,
            self._merchants,
            clock,
            self,
            require_https_notify=require_https_notify,
        )
        bills = BillApi(self._store, self._merchants, clock, lambda: self.base_url)
        certificates = CertificateApi(self._merchants, self._downloadable_certificates)
        partners = PartnerApi(
            self._store, self._merchants, clock, payments, require_https_notify=require_https_notify
        )
        abnormal = AbnormalRefundApi(self._store, self, clock, self._merchants)
        self._payer_codes = PayerCodes()
        self._micropay = MicropayApi(self._store, self._merchants, clock, self._payer_codes, lambda _: None)
        keys = KeyPolicy(self._response_key, self._accepted_serials, self._signer.headers)
        self._app = SandboxApp(
            partners.routes + payments.routes + bills.routes + certificates.routes + abnormal.routes,
            self._merchants,
            self._store,
            keys,
            clock,
            self._pay_from_page,
            self.web_authorization,
            self._micropay.handle,
        )

    # lifecycle ----------------------------------------------------------------------------

    def start(self) -> None:
        if self._stopped:
            raise RuntimeError("a stopped sandbox cannot be started again; make a new one")
        if not self._http.start(self._host, self._port, self._app, logging.getLogger("sandbox.wechat")):
            return
        self._callbacks.start()

    def stop(self) -> None:
        """Stop serving and cancel every pending callback retry."""
        self._stopped = True
        self._callbacks.stop()
        self._http.stop()

    # keys ---------------------------------------------------------------------------------

    @property
    def key_mode(self) -> KeyMode:
        return self._key_mode

    @property
    def _platform_key(self) -> SigningKey:
        """The platform certificate that signs answers and callbacks: the newest one."""
        return self._platform_keys[-1]

    @property
    def platform_certificates(self) -> list[dict[str, Any]]:
        """Every platform certificate, oldest first (the last one signs)."""
        return [
            {
                "serial_no": key.serial,
                "public_key_pem": key.public_key_pem,
                "certificate_pem": key.certificate_pem,
            }
            for key in self._platform_keys
        ]

    def rotate_platform_certificate(self) -> dict[str, Any]:
        """WeChat publishes a new platform certificate before the old one expires: from now on
        both are served by ``/v3/certificates`` and accepted as a request ``Wechatpay-Serial``,
        and the new one signs answers and callbacks. Returns the new certificate (as in
        ``platform_certificates``)."""
        valid_from = min(self._clock(), time.time()) - 60  # already valid under both clocks
        self._platform_keys = [*self._platform_keys, new_platform_key(utc_datetime(valid_from))]
        return self.platform_certificates[-1]

    def signature_headers(self, body: bytes, serial: str | None = None) -> dict[str, str]:
        """WeChat's signature headers over ``body``, by the key announced under ``serial`` (by
        default the signing platform certificate): for tests that craft their own callbacks."""
        keys = {key.serial: key for key in [*self._platform_keys, self._public_key]}
        key = self._platform_key if serial is None else keys.get(serial)
        if key is None:
            raise SandboxStateError(f"the sandbox has no key {serial}")
        return self._signer.headers(body, key)

    @property
    def public_key_id(self) -> str:
        return self._public_key.serial

    @property
    def public_key_pem(self) -> bytes:
        return self._public_key.public_key_pem

    def _downloadable_certificates(self) -> list[SigningKey]:
        return [] if self._key_mode == "public_key" else list(self._platform_keys)

    def _accepted_serials(self) -> set[str]:
        platform = {key.serial for key in self._platform_keys}
        return {
            "platform_cert": platform,
            "public_key": {self._public_key.serial},
            "both": platform | {self._public_key.serial},
        }[self._key_mode]

    def _response_key(self, requested_serial: str | None) -> SigningKey:
        if self._key_mode == "public_key":
            return self._public_key
        if self._key_mode == "both" and requested_serial == self._public_key.serial:
            return self._public_key
        return self._platform_key

    def _callback_key(self) -> SigningKey:
        if self._key_mode == "both":  # WeChat's switch period: either key may sign a callback
            return (self._platform_key, self._public_key)[next(self._callback_count) % 2]
        return self._public_key if self._key_mode == "public_key" else self._platform_key

    # merchants and state ------------------------------------------------------------------

    def register_merchant(self, merchant: SandboxMerchant) -> None:
        self._merchants.register(merchant)

    def register_sub_merchant(self, sub: SandboxSubMerchant) -> None:
        """Onboard a sub-merchant under its service provider (registered with
        ``service_provider=True``); the provider's partner calls for it are then accepted."""
        self._merchants.register_sub_merchant(sub)

    @property
    def orders(self) -> Mapping[str, dict[str, Any]]:
        """out_trade_no → the Transaction as a query returns it, plus sandbox-side fields."""
        return MappingProxyType({order.out_trade_no: _order_view(order) for order in self._store.orders()})

    @property
    def refunds(self) -> Mapping[str, dict[str, Any]]:
        """out_refund_no → the Refund as a refund query returns it."""
        return MappingProxyType(
            {refund.out_refund_no: resources.refund(refund) for refund in self._store.refunds()}
        )

    # the payer's side ---------------------------------------------------------------------

    def pay(self, mchid: str, out_trade_no: str, openid: str | None = None) -> dict[str, Any]:
        """The payer pays: the order becomes SUCCESS and TRANSACTION.SUCCESS is sent."""
        payer = openid or f"o{random_alnum(27)}"
        order = self._store.pay(mchid, out_trade_no, payer, self._clock())
        self._notify_transaction(order)
        return resources.transaction(order)

    def abandon(self, mchid: str, out_trade_no: str) -> None:
        """The payer walks away: nothing happens (a Native order stays NOTPAY until closed)."""
        if self._store.order(mchid, out_trade_no) is None:
            raise SandboxStateError(f"no order {out_trade_no} for merchant {mchid}")

    def _pay_from_page(self, mchid: str, out_trade_no: str, openid: str | None) -> Order:
        self.pay(mchid, out_trade_no, openid)
        order = self._store.order(mchid, out_trade_no)
        assert order is not None  # it was just paid
        return order

    def misreport(self, mchid: str, out_trade_no: str, change: Change | None) -> None:
        """Fault injection: from now on every Transaction the sandbox signs for this order (query
        answers, TRANSACTION.SUCCESS callbacks) is ``change(transaction)``, e.g. without
        ``amount`` or with another ``mchid``; ``None`` stops it. ``orders`` and the bill keep
        the truth."""
        self._misreports.set(mchid, out_trade_no, change)

    def reported_transaction(self, order: Order) -> dict[str, Any]:
        return self._misreports.transaction(self._micropay.queried(order))

    # payer codes (API v2 micropay; sandbox/wechat/micropay_api.py) --------------------------

    def script_payer_code(self, code: str, kind: str, queries: int = 3) -> None:
        """What the payer of `code` does: one of micropay_api.KINDS (`userpaying_then_paid`
        pays after `queries` v3 queries), instead of what its last two digits say."""
        self._payer_codes.script(code, kind, queries)

    def confirm_payer_code(self, mchid: str, out_trade_no: str) -> dict[str, Any]:
        """The payer of a waiting code (USERPAYING) enters the password: SUCCESS, with no
        notification (WeChat Pay sends none for payer codes); the next query tells."""
        return resources.transaction(self._store.settle_code(mchid, out_trade_no, self._clock()))

    def recall_next_reverses(self, times: int = 1) -> None:
        """The next `times` reverses answer SYSTEMERROR with recall=Y (call again)."""
        self._payer_codes.recalls = times

    # refunds ------------------------------------------------------------------------------

    @property
    def auto_complete_refunds(self) -> bool:
        """Whether an accepted refund succeeds at once (else it stays PROCESSING until
        ``complete_refunds`` or ``abnormal_refund``)."""
        return self._auto_complete_refunds

    @auto_complete_refunds.setter
    def auto_complete_refunds(self, value: bool) -> None:
        self._auto_complete_refunds = value

    def reissue_from_portal(self, mchid: str, out_refund_no: str) -> dict[str, Any]:
        """The merchant re-issues an ABNORMAL refund in WeChat's merchant portal (to its own
        bank account): PROCESSING again, with no API call and no callback yet."""
        return resources.refund(
            self._store.reissue_refund(mchid, out_refund_no, "OTHER_BALANCE", "商户基本账户")
        )

    def openid_app(self, openid: str) -> str | None:
        return self.web_authorization.app_of(openid)

    def refund_accepted(self, refund: Refund) -> None:
        """Called by the refund endpoint after it has built its PROCESSING answer."""
        if self._auto_complete_refunds:
            self._finish_refund(refund.mchid, refund.out_refund_no, "SUCCESS")

    def complete_refunds(self, mchid: str | None = None) -> list[str]:
        """Every PROCESSING refund (of ``mchid``, or of all merchants) succeeds now."""
        done = []
        for refund in self._store.refunds():
            if refund.status == "PROCESSING" and mchid in (None, refund.mchid):
                self._finish_refund(refund.mchid, refund.out_refund_no, "SUCCESS")
                done.append(refund.out_refund_no)
        return done

    def fail_next_refunds(self, status: int, code: str, message: str, times: int = 1) -> None:
        """The next ``times`` refund requests are refused with WeChat's ``status``/``code``
        (e.g. 429 FREQUENCY_LIMITED, 500 SYSTEM_ERROR, 403 NOT_ENOUGH) before anything is
        created, as WeChat refuses them."""
        with self._faults_lock:
            self._refund_faults.extend(ApiError(status, code, message) for _ in range(times))

    def refund_fault(self) -> ApiError | None:
        with self._faults_lock:
            return self._refund_faults.pop(0) if self._refund_faults else None

    def sensitive_key(self, serial: str) -> SigningKey | None:
        """The key a request's encrypted fields are for (its ``Wechatpay-Serial``)."""
        if serial not in self._accepted_serials():
            return None
        keys = {key.serial: key for key in [*self._platform_keys, self._public_key]}
        return keys.get(serial)

    def abnormal_refund(self, mchid: str, out_refund_no: str) -> dict[str, Any]:
        """The refund cannot reach the payer (e.g. a closed card): ABNORMAL + REFUND.ABNORMAL."""
        return resources.refund(self._finish_refund(mchid, out_refund_no, "ABNORMAL"))

    def _finish_refund(self, mchid: str, out_refund_no: str, status: str) -> Refund:
        refund = self._store.finish_refund(mchid, out_refund_no, status, self._clock())
        merchant = self._merchants.get(mchid)
        url = refund.notify_url or (merchant.refund_notify_url if merchant else None)
        if merchant is not None and url:
            self._callbacks.submit(self._notices.refund(merchant, refund, url))
        return refund

    # callbacks ----------------------------------------------------------------------------

    @property
    def callback_log(self) -> list[CallbackAttempt]:
        return self._callbacks.log

    def wait_for_callbacks(self, timeout: float = 5.0) -> bool:
        """Block until no callback is pending or in flight (False when ``timeout`` ran out)."""
        return self._callbacks.wait_idle(timeout)

    def sign_test_probe(self, mchid: str, out_trade_no: str) -> CallbackAttempt:
        """Send a WECHATPAY/SIGNTEST/ probe (a bad signature) to the order's notify_url now.
        A correct merchant answers 4xx/5xx; the probe is never retried."""
        order = self._store.order(mchid, out_trade_no)
        merchant = self._merchants.get(mchid)
        if order is None or merchant is None:
            raise SandboxStateError(f"no order {out_trade_no} for merchant {mchid}")
        notification = self._notices.transaction(merchant, order)
        return self._callbacks.deliver_once(replace(notification, probe=True))

    def _notify_transaction(self, order: Order) -> None:
        merchant = self._merchants.get(order.mchid)
        if merchant is not None:
            self._callbacks.submit(self._notices.transaction(merchant, order))


def _order_view(order: Order) -> dict[str, Any]:
    return resources.transaction(order) | {
        "description": order.description,
        "notify_url": order.notify_url,
        "trade_type": order.trade_type,
        "created_at": order.created_at,
        "refunded_amount": order.refunded,
        "prepay": dict(order.prepay),
        "sandbox_pay_path": f"/sandbox/pay?code={quote(order.pay_token, safe='')}",
    }
