"""``UnionPaySandbox``: a local UnionPay ACP 5.1.0 gateway, its trust chain, payers and notifies."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date
from types import MappingProxyType
from typing import Any

from cryptography import x509

from sandbox.common.http import ServingThread
from sandbox.common.lifecycle import ServedSandbox
from sandbox.unionpay.back_api import BackApi
from sandbox.unionpay.certificates import GeneratedMerchant, generate_chain
from sandbox.unionpay.file_api import FileApi
from sandbox.unionpay.front_api import FrontApi
from sandbox.unionpay.merchants import DEFAULT_FEE_RATE_BP, MerchantRegistry, SandboxMerchant
from sandbox.unionpay.messages import MessageSigner
from sandbox.unionpay.notify import UNIONPAY_NOTIFY_DELAYS, NotifyAttempt, NotifyDispatcher
from sandbox.unionpay.payments import Payments
from sandbox.unionpay.query_api import QueryApi
from sandbox.unionpay.server import Endpoints, GatewayApp
from sandbox.unionpay.statement import Layout
from sandbox.unionpay.store import Transaction, TransactionStore
from sandbox.unionpay.views import transaction_view

DEFAULT_TXN_TIME_TOLERANCE = 900.0  # seconds between txnTime and the sandbox clock
DEFAULT_FILE_READY_HOUR = 9  # a day's file is there from 09:00 Beijing time the next day


class UnionPaySandbox(ServedSandbox):
    """See ``sandbox/unionpay/README.md`` for the behaviour; the constructor builds the chain.
    ``base_url`` is the gateway base (``/gateway/api/...``); the file transfer is ``base_url + "/"``."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        clock: Callable[[], float] = time.time,
        notify_time_scale: float = 1.0,
        notify_retry_delays: Sequence[float] = UNIONPAY_NOTIFY_DELAYS,
        *,
        txn_time_tolerance: float = DEFAULT_TXN_TIME_TOLERANCE,
        file_ready_hour: int = DEFAULT_FILE_READY_HOUR,
        statement_layout: Layout = "official",
        auto_complete_refunds: bool = True,
    ) -> None:
        self._host, self._port = host, port
        self._clock = clock
        self._chain = generate_chain(min(clock(), time.time()))  # valid under both clocks
        self._store = TransactionStore()
        self._merchants = MerchantRegistry()
        self._signer = MessageSigner(self._chain)
        self._notifier = NotifyDispatcher(clock, notify_retry_delays, notify_time_scale)
        self._payments = Payments(self._store, self._merchants, clock, self._notifier, self._signer)
        self._payments.auto_complete_refunds = auto_complete_refunds
        self._files = FileApi(
            self._store, self._merchants, txn_time_tolerance, file_ready_hour, statement_layout
        )
        endpoints = Endpoints(
            store=self._store,
            merchants=self._merchants,
            signer=self._signer,
            payments=self._payments,
            back=BackApi(self._store, self._payments, txn_time_tolerance),
            query=QueryApi(self._store),
            files=self._files,
            front=FrontApi(self._store, self._signer, txn_time_tolerance),
            clock=clock,
        )
        self._app = GatewayApp(endpoints)
        self._http = ServingThread("unionpay-sandbox-http")
        self._stopped = False

    # lifecycle ----------------------------------------------------------------------------

    def start(self) -> None:
        if self._stopped:
            raise RuntimeError("a stopped sandbox cannot be started again; make a new one")
        if not self._http.start(self._host, self._port, self._app, logging.getLogger("sandbox.unionpay")):
            return
        self._notifier.start()

    def stop(self) -> None:
        """Stop serving and cancel every pending notify resend."""
        self._stopped = True
        self._notifier.stop()
        self._http.stop()

    # the trust chain ----------------------------------------------------------------------

    @property
    def root_pem(self) -> bytes:
        return self._chain.root_pem

    @property
    def middle_pem(self) -> bytes:
        return self._chain.middle_pem

    @property
    def sign_pub_key_cert(self) -> str:
        """The signing certificate as messages carry it (PEM, CRLF line ends)."""
        return self._chain.sign_pub_key_cert

    @property
    def signing_certificate(self) -> x509.Certificate:
        return self._chain.signing_certificate

    def sign(self, fields: Mapping[str, str]) -> dict[str, str]:
        """``fields`` signed exactly as UnionPay signs a message (signMethod, signPubKeyCert,
        signature added; empty values dropped): for tests of genuine but odd messages."""
        return self._signer.sign(fields)

    # merchants and acquirers --------------------------------------------------------------

    def register_merchant(
        self,
        identity: GeneratedMerchant | x509.Certificate,
        mer_id: str | None = None,
        *,
        name: str = "沙箱商户",
        fee_rate_bp: int = DEFAULT_FEE_RATE_BP,
    ) -> None:
        """A direct merchant (accessType 0): its merId and the certificate its certId names."""
        mer_id = mer_id or _identity_id(identity)
        self._merchants.register_merchant(identity, SandboxMerchant(mer_id, name, fee_rate_bp))

    def register_acquirer(
        self,
        acq_ins_code: str,
        sub_mer_ids: Iterable[str],
        identity: GeneratedMerchant | x509.Certificate,
        *,
        name: str = "沙箱特约商户",
        fee_rate_bp: int = DEFAULT_FEE_RATE_BP,
    ) -> None:
        """An acquirer (accessType 1) signing with ``identity`` for the merIds it onboarded."""
        self._merchants.register_acquirer(acq_ins_code, identity)
        for mer_id in sub_mer_ids:
            self.add_sub_merchant(acq_ins_code, mer_id, name=name, fee_rate_bp=fee_rate_bp)

    def add_sub_merchant(
        self,
        acq_ins_code: str,
        mer_id: str,
        *,
        name: str = "沙箱特约商户",
        fee_rate_bp: int = DEFAULT_FEE_RATE_BP,
    ) -> None:
        self._merchants.add_sub_merchant(
            acq_ins_code, SandboxMerchant(mer_id, name, fee_rate_bp, acq_ins_code)
        )

    # state --------------------------------------------------------------------------------

    @property
    def transactions(self) -> Mapping[tuple[str, str], dict[str, Any]]:
        """(merId, orderId) → the transaction as the sandbox holds it (read-only snapshot)."""
        return MappingProxyType({(t.mer_id, t.order_id): transaction_view(t) for t in self._store.all()})

    def transaction(self, order_id: str, mer_id: str | None = None) -> dict[str, Any]:
        return transaction_view(self._store.find(order_id, mer_id))

    # the payer's side ---------------------------------------------------------------------

    def pay(self, order_id: str, mer_id: str | None = None) -> dict[str, Any]:
        """The payer pays a QR code or a gateway form, or a payer-code consume whose result was
        unknown (03/04/05) ends paid: 00, and the back notify goes out."""
        return transaction_view(self._payments.pay(order_id, mer_id))

    def fail(self, order_id: str, mer_id: str | None = None, code: str = "30") -> dict[str, Any]:
        """The transaction fails with ``code``; no notify is sent (UnionPay sends none)."""
        return transaction_view(self._payments.fail(order_id, mer_id, code))

    def script_payer_code(self, qr_no: str, resp_code: str) -> None:
        """What a 01/06 consume with payer code ``qr_no`` answers: ``00`` paid (the default),
        ``03``/``04``/``05`` unknown until ``pay``/``fail``, any other code failed."""
        self._payments.script_payer_code(qr_no, resp_code)

    @property
    def auto_complete_refunds(self) -> bool:
        return self._payments.auto_complete_refunds

    @auto_complete_refunds.setter
    def auto_complete_refunds(self, value: bool) -> None:
        self._payments.auto_complete_refunds = value

    def complete_refunds(self, mer_id: str | None = None) -> list[str]:
        """Every refund still in progress (05) succeeds now and is notified; their orderIds."""
        return self._payments.complete_refunds(mer_id)

    # statements ---------------------------------------------------------------------------

    def set_file_ready(self, day: date, ready: bool | None = True) -> None:
        """Force ``day``'s statement ready, or not ready (98); None: back to the hour rule."""
        self._files.set_file_ready(day, ready)

    @property
    def statement_layout(self) -> Layout:
        return self._files.layout

    @statement_layout.setter
    def statement_layout(self, layout: Layout) -> None:
        self._files.layout = layout

    def statement_rows(self, mer_id: str, day: date) -> list[dict[str, Any]]:
        """The transactions the statement of ``day`` lists (booked on their settle date)."""
        return [transaction_view(txn) for txn in self._files.rows(mer_id, day)]

    # notifies -----------------------------------------------------------------------------

    @property
    def notify_log(self) -> list[NotifyAttempt]:
        return self._notifier.log

    def pending_notifies(self) -> list[tuple[float, str, int]]:
        """(due time on the sandbox clock, orderId, send number) of every resend waiting."""
        return [(due, n.form.get("orderId", ""), n.send) for due, n in self._notifier.pending()]

    def wait_for_notifies(self, timeout: float = 5.0) -> bool:
        """Block until no notify is pending or in flight (False when ``timeout`` ran out)."""
        return self._notifier.wait_idle(timeout)


def _identity_id(identity: GeneratedMerchant | x509.Certificate) -> str:
    if isinstance(identity, GeneratedMerchant):
        return identity.mer_id
    raise ValueError("name the merId when registering a bare certificate")


__all__ = ["Transaction", "UnionPaySandbox"]
