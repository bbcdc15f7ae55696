"""Property test: random interleavings of merchant calls (create, refund, close, sync query),
payer and channel actions (pay, refund outcomes incl. ABNORMAL), callbacks (lost, duplicated,
late, out of order), faults (timeouts before and after the channel applied a call, transient
refusals) and sweeper runs, against the real services on the moto stack and a model channel.

Invariants, after every step and again once the world has been left to settle:
- money refunded never exceeds money paid;
- no order or refund ends in a state the channel disagrees with;
- every terminal order has exactly one effective merchant notification."""

from __future__ import annotations

import json
import os
import secrets
from collections import Counter
from dataclasses import replace
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from local.stack import LocalStack
from paymux.api.models import CreatePaymentRequest, CreateRefundRequest
from paymux.channels.base import Channel, ChannelAccount, RefundState, SubMerchant, TradeState
from paymux.config import Settings
from paymux.deps import Deps, set_deps
from paymux.domain.states import PaymentStatus, RefundStatus
from paymux.errors import PaymuxError
from paymux.services import payments, refunds
from paymux.services.callbacks import handle_callback
from paymux.services.exceptions import list_exceptions
from paymux.store.merchants import MerchantApp
from tests.integration.conftest import drain, wipe_table
from tests.integration.model_channel import (
    NEXT_CALL,
    NEXT_CREATE,
    NEXT_REFUND,
    ModelChannel,
    ModelChannelState,
)
from tests.support import FakeClock, run_sweeper, working_hours_now

ACCOUNT = ChannelAccount(
    account_id="model-1",
    provider="wechat",
    products=("wechat.native",),
    mchid="1900000001",
    appid="wxmodel00000001",
    base_url="https://model.invalid",
)
BASE_URL = "https://api.paymux.example"
MAX_PAYMENTS = 3  # few orders, so that random steps reach deep paths (paid, refunded, abnormal)
MAX_REFUNDS = 5
PAYMENT_OUTCOMES = {"payment.succeeded", "payment.failed", "payment.closed"}


class ModelDeps(Deps):
    """The real container, with every account's channel client talking to the model."""

    def __init__(self, state: ModelChannelState, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.model = state
        self._client_for_model: ModelChannel | None = None

    def channel(self, account: ChannelAccount, sub_merchant: SubMerchant | None = None) -> Channel:
        if self._client_for_model is None:
            self._client_for_model = ModelChannel(account, self.model, self.clock)
        return self._client_for_model


class MoneyPaths(RuleBasedStateMachine):
    stack: LocalStack  # set by the test

    def __init__(self) -> None:
        super().__init__()
        self.clock = FakeClock(working_hours_now())
        self.model = ModelChannelState()
        settings_ = replace(Settings.from_env(), public_base_url=BASE_URL)
        self.d = ModelDeps(self.model, settings=settings_, clock=self.clock)
        set_deps(self.d)
        wipe_table(self.d)
        drain(self.d, self.stack)
        suffix = secrets.token_hex(4)
        self.app = MerchantApp(app_id=f"app_{suffix}", merchant_id=f"mch_{suffix}", name="Model shop")
        self.d.merchants.put_app(self.app, "sk_" + secrets.token_hex(16))
        self.d.channel_config.put_account(replace(ACCOUNT, owner=self.app.merchant_id), {})
        self.payment_ids: list[str] = []
        self.refund_ids: list[str] = []

    # -- helpers -----------------------------------------------------------------------------
    def _payment(self, index: int) -> Any:
        return self.d.payments.get(self.payment_ids[index % len(self.payment_ids)])

    def _quietly(self, call: Any) -> Any:
        """Merchant-facing errors (4xx, 502/503) are answers, not failures of the system."""
        try:
            return call()
        except PaymuxError as exc:
            assert exc.status < 500 or exc.code in {"channel_unavailable", "channel_rejected"}, exc
            return None

    @initialize(trade_on_scan=st.booleans(), amount=st.integers(min_value=1, max_value=3000))
    def channel_kind(self, trade_on_scan: bool, amount: int) -> None:
        """Which kind of channel, and a first order (every run has one to work on)."""
        self.model.trade_on_scan = trade_on_scan
        self.create(amount)

    # -- faults --------------------------------------------------------------------------
    @rule(
        fault=st.sampled_from(["lost_request", "lost_answer", "system_error", "refused", "no_permission"]),
        aim=st.sampled_from(["next call", "next create", "next refund", "a trade", "a refund"]),
        index=st.integers(0, 50),
    )
    def next_call_fails(self, fault: str, aim: str, index: int) -> None:
        """The next call of any kind fails, or the next create or refund placed, or the next call
        about one trade or refund the channel was asked about."""
        subjects = {"next call": [NEXT_CALL], "next create": [NEXT_CREATE], "next refund": [NEXT_REFUND]}.get(
            aim
        )
        if subjects is None and aim == "a trade":
            subjects = list(self.model.offered)
        elif subjects is None:
            local = [r.out_refund_no for r in self._local_refunds()]
            subjects = [*local, *(n for n in self.model.refunds if n not in local)]  # automatic ones too
        if subjects:
            self.model.faults[subjects[index % len(subjects)]] = fault  # type: ignore[assignment]

    # -- merchant ------------------------------------------------------------------------------
    @precondition(lambda self: len(self.payment_ids) < MAX_PAYMENTS)
    @rule(amount=st.integers(min_value=1, max_value=3000))
    def create(self, amount: int) -> None:
        request = CreatePaymentRequest(
            amount=amount,
            currency="CNY",
            method="wechat.native",
            subject="model",
            merchant_order_no="ORD-" + secrets.token_hex(6),
            notify_url="https://merchant.example.com/notify",
        )
        result = self._quietly(lambda: payments.create_payment(self.d, self.app, request, "ignored"))
        if result is not None:
            self.payment_ids.append(result[1].payment_id)
        else:
            found = self.d.payments.get_by_merchant_order_no(self.app.merchant_id, request.merchant_order_no)
            if found is not None:
                self.payment_ids.append(found.payment_id)

    @precondition(lambda self: self.payment_ids and len(self.refund_ids) < MAX_REFUNDS)
    @rule(index=st.integers(0, 50), share=st.sampled_from([1, 2, 3]))
    def refund(self, index: int, share: int) -> None:
        paid = [p for p in map(self.d.payments.get, self.payment_ids) if p.status == PaymentStatus.SUCCESS]
        if not paid:
            return
        payment = paid[index % len(paid)]
        request = CreateRefundRequest(
            amount=max(1, payment.amount // share), merchant_refund_no="RF-" + secrets.token_hex(6)
        )
        result = self._quietly(
            lambda: refunds.create_refund(self.d, self.app, payment.payment_id, request, "ignored")
        )
        if result is not None:
            self.refund_ids.append(result[1].refund_id)

    @precondition(lambda self: self.payment_ids)
    @rule(index=st.integers(0, 50))
    def close(self, index: int) -> None:
        payment = self._payment(index)
        self._quietly(lambda: payments.close_payment(self.d, self.app, payment.payment_id))

    @precondition(lambda self: self.payment_ids)
    @rule(index=st.integers(0, 50))
    def sync_query(self, index: int) -> None:
        payment = self._payment(index)
        self._quietly(lambda: payments.get_payment(self.d, self.app, payment.payment_id, sync=True))

    # -- payer and channel ---------------------------------------------------------------------
    @precondition(lambda self: self.model.offered)
    @rule(index=st.integers(0, 50))
    def payer_pays(self, index: int) -> None:
        trades = list(self.model.offered)  # creation order: replays pick the same one
        self.model.pay(trades[index % len(trades)], self.clock())

    @precondition(lambda self: self.model.refunds)
    @rule(index=st.integers(0, 50), outcome=st.sampled_from([RefundState.SUCCESS, RefundState.ABNORMAL]))
    def channel_settles_refund(self, index: int, outcome: RefundState) -> None:
        numbers = list(self.model.refunds)
        self.model.settle_refund(numbers[index % len(numbers)], outcome)

    @precondition(lambda self: self.model.callbacks)
    @rule(index=st.integers(0, 50), what=st.sampled_from(["deliver", "deliver_twice", "lose", "later"]))
    def callback(self, index: int, what: str) -> None:
        message = self.model.callbacks.pop(index % len(self.model.callbacks))
        if what == "lose":
            return
        if what == "later":
            self.model.callbacks.append(message)
            return
        for _ in range(2 if what == "deliver_twice" else 1):
            reply = self._deliver(message)
            assert reply.status in {204, 500}, reply  # 500: not applied yet, the channel resends

    def _deliver(self, message: dict[str, Any]) -> Any:
        return handle_callback(self.d, "wechat", ACCOUNT.account_id, {}, json.dumps(message).encode())

    @rule(minutes=st.sampled_from([1, 11, 31]))
    def sweep(self, minutes: int) -> None:
        self.clock.advance(minutes * 60)
        run_sweeper()

    # -- invariants ----------------------------------------------------------------------------
    def _local_refunds(self) -> list[Any]:
        """The merchant's refunds and the automatic ones (of charges a payment did not keep)."""
        automatic = [
            refund_id
            for payment_id in self.payment_ids
            for refund_id in self.d.payments.get(payment_id).automatic_refunds
        ]
        found = [self.d.refunds.get(r) for r in [*self.refund_ids, *automatic]]
        return [r for r in found if r is not None]

    @invariant()
    def refunded_never_exceeds_paid(self) -> None:
        for payment_id in self.payment_ids:
            payment = self.d.payments.get(payment_id)
            assert payment.amount_refunded <= payment.amount_refund_reserved <= payment.amount
            if payment.status not in {PaymentStatus.SUCCESS, PaymentStatus.REFUNDED}:
                assert payment.amount_refund_reserved == 0
        for trade in self.model.trades.values():
            done = sum(
                r.amount
                for r in self.model.refunds.values()
                if r.out_trade_no == trade.out_trade_no and r.state == RefundState.SUCCESS
            )
            paid = trade.amount if trade.state == TradeState.PAID else 0
            assert done <= paid

    @invariant()
    def never_ahead_of_the_channel(self) -> None:
        """A final local state is never one the channel does not (yet) hold."""
        for payment_id in self.payment_ids:
            payment = self.d.payments.get(payment_id)
            trade = self.model.trades.get(payment.out_trade_no)
            if payment.status in {PaymentStatus.SUCCESS, PaymentStatus.REFUNDED}:
                assert trade is not None and trade.state == TradeState.PAID
        for refund in self._local_refunds():
            at_channel = self.model.refunds.get(refund.out_refund_no)
            if refund.status == RefundStatus.SUCCESS:
                assert at_channel is not None and at_channel.state == RefundState.SUCCESS
            if refund.status == RefundStatus.FAILED:  # only a refusal: the channel holds nothing
                assert at_channel is None, (refund, at_channel)
            if refund.status == RefundStatus.ABNORMAL:
                assert at_channel is not None and at_channel.state != RefundState.PROCESSING

    @invariant()
    def one_outcome_notification_each(self) -> None:
        for payment_id in self.payment_ids:
            counts = self._notification_counts(payment_id)
            assert sum(counts[t] for t in PAYMENT_OUTCOMES) <= 1, counts
            assert all(n == 1 for n in counts.values()), counts

    def _notification_counts(self, payment_id: str) -> Counter[str]:
        counts: Counter[str] = Counter()
        for values in self.d.notifications.for_payment(payment_id):
            subject = json.loads(values["payload"])["data"]["object"]
            # a payment's outcomes are counted per payment, a refund's per refund
            counts[
                values["type"] + ("#" + subject["id"] if values["type"].startswith("refund.") else "")
            ] += 1
        return counts

    # -- the end: let the world settle, then the channel and paymux must agree ---------------------
    def teardown(self) -> None:
        try:
            self._settle_and_compare()
        finally:
            set_deps(None)

    def _settle_and_compare(self) -> None:
        """No more faults; the channel delivers every callback and settles every refund still
        in progress (an ABNORMAL one waits for a person); the sweeper runs past every expiry."""
        self.model.faults.clear()
        for _ in range(6):
            for number, at_channel in list(self.model.refunds.items()):
                if at_channel.state == RefundState.PROCESSING:
                    self.model.settle_refund(number, RefundState.SUCCESS)
            while self.model.callbacks:
                self._deliver(self.model.callbacks.pop(0))
            self.clock.advance(6 * 3600)
            run_sweeper()
        for payment_id in self.payment_ids:
            self._agrees_with_the_channel(self.d.payments.get(payment_id))
        for refund in self._local_refunds():
            at_channel = self.model.refunds.get(refund.out_refund_no)
            expected = RefundStatus(at_channel.state.value) if at_channel else RefundStatus.FAILED
            assert refund.status == expected, (refund, at_channel)
        callbacks = f"{BASE_URL}/v1/callbacks/wechat/{ACCOUNT.account_id}"
        assert all(url == callbacks for url in self.d.channel(ACCOUNT).notify_urls)  # type: ignore[attr-defined]

    def _agrees_with_the_channel(self, payment: Any) -> None:
        trade = self.model.trades.get(payment.out_trade_no)
        paid = trade is not None and trade.state == TradeState.PAID
        assert payment.status not in {PaymentStatus.PENDING, PaymentStatus.PROCESSING}, payment
        kept = payment.status in {PaymentStatus.SUCCESS, PaymentStatus.REFUNDED}
        # a charge after the order closed is refunded automatically, in full, at the channel; if the
        # channel refuses that refund for good, a person is told (never a guess, never silence)
        assert kept == paid or (paid and self._handled_unkept_charge(payment)), (payment, trade)
        if kept:
            refunded = sum(
                r.amount
                for r in self.model.refunds.values()
                if r.out_trade_no == payment.out_trade_no and r.state == RefundState.SUCCESS
            )
            assert payment.amount_refunded == refunded, (payment, self.model.refunds)
            assert (payment.status == PaymentStatus.REFUNDED) == (refunded == payment.amount)
        counts = self._notification_counts(payment.payment_id)
        assert sum(counts[t] for t in PAYMENT_OUTCOMES) == 1, counts

    def _handled_unkept_charge(self, payment: Any) -> bool:
        return self._automatically_refunded(payment.out_trade_no) or self._left_to_a_person(payment)

    def _left_to_a_person(self, payment: Any) -> bool:
        """The automatic refund of the charge FAILED at the channel, or went ABNORMAL there
        (the money left the merchant and did not reach the payer), and is an open exception of
        that kind: a person re-issues or settles it."""
        refund_id = f"re_DUP{payment.out_trade_no}"
        refund = self.d.refunds.get(refund_id)
        kinds = {RefundStatus.FAILED: "automatic_refund_failed", RefundStatus.ABNORMAL: "refund_abnormal"}
        kind = kinds.get(refund.status) if refund is not None else None
        if kind is None:
            return False
        return any(e.get("subject") == refund_id for e in list_exceptions(self.d, limit=200, kind=kind))

    def _automatically_refunded(self, out_trade_no: str) -> bool:
        """The whole charge went back at the channel (a charge after the order closed)."""
        trade = self.model.trades[out_trade_no]
        back = [r for r in self.model.refunds.values() if r.out_trade_no == out_trade_no]
        return sum(r.amount for r in back if r.state == RefundState.SUCCESS) == trade.amount


# Every sweep step runs the real path (planner, SQS, worker): more calls than the one-process
# sweep it replaced, so the whole property run needs longer than pytest's default 120 s.
@pytest.mark.timeout(900)
def test_money_paths_keep_their_invariants(stack: LocalStack) -> None:
    MoneyPaths.stack = stack
    run_state_machine_as_test(
        MoneyPaths,
        settings=settings(
            max_examples=int(os.environ.get("PAYMUX_PROPERTY_EXAMPLES", "25")),
            stateful_step_count=40,
            derandomize="PAYMUX_PROPERTY_EXAMPLES" not in os.environ,  # CI replays the same runs
            database=None,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )


pytestmark = pytest.mark.filterwarnings("ignore::hypothesis.errors.NonInteractiveExampleWarning")
