"""A service-provider (partner) channel for the funds tests, standing in for WeChat Pay's
partner APIs and Alipay's third-party applications until their clients arrive: one provider
account (its mchid/appid and its signing key) acting for many sub-merchants, each with its own
trades. Its callbacks are signed with the provider's key, as the real ones are, so a callback
genuinely signed for sub-merchant A verifies on the provider account whatever order it names.

It follows the agreed contract (COMMON.md, issue 11): built with `sub_merchant=` it places,
queries, closes, refunds and fetches bills for that sub-merchant; without one it can only
parse callbacks (ConfigurationError otherwise); results carry sub_mchid/sub_appid."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from paymux.channels.base import (
    CallbackEvent,
    ChannelAccount,
    CreateRequest,
    CreateResult,
    HttpReply,
    RefundRequest,
    RefundResult,
    RefundState,
    StatementFile,
    StatementRow,
    StatementSummary,
    SubMerchant,
    TradeResult,
    TradeState,
)
from paymux.clock import iso
from paymux.errors import CallbackRejected, ChannelError, ConfigurationError

PRODUCTS = frozenset({"wechat.native", "wechat.jsapi"})


@dataclass
class PartnerPlatform:
    """The provider's side: trades per (sub_mchid, out_trade_no), and every call it was sent."""

    key: bytes = b"provider-signing-key"
    trades: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    refunds: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    calls: list[tuple[str, str, str]] = field(default_factory=list)  # (operation, sub_mchid, number)

    def sign(self, body: bytes) -> dict[str, str]:
        return {"x-partner-signature": hmac.new(self.key, body, hashlib.sha256).hexdigest()}

    def paid_callback(self, sub_mchid: str, out_trade_no: str, amount: int, sub_appid: str = "") -> bytes:
        """A PAID notice as the provider sends it: for `sub_mchid`, naming `out_trade_no`."""
        doc = {
            "id": f"EV-{sub_mchid}-{out_trade_no}",
            "out_trade_no": out_trade_no,
            "sub_mchid": sub_mchid,
            "sub_appid": sub_appid,
            "amount": amount,
            "state": "PAID",
        }
        return json.dumps(doc).encode()

    def pay(self, sub_mchid: str, out_trade_no: str) -> bytes:
        """The payer pays the sub-merchant's trade; the callback body the provider sends."""
        trade = self.trades[(sub_mchid, out_trade_no)]
        trade["state"] = TradeState.PAID
        return self.paid_callback(sub_mchid, out_trade_no, trade["amount"], trade["sub_appid"])


class PartnerChannel:
    provider = "wechat"
    amount_unit = "fen"
    products = PRODUCTS
    refund_errors: Mapping[str, Any] = {}
    carried_fields: Mapping[str, frozenset[str]] = {
        "callback": frozenset({"amount"}),
        "query": frozenset({"amount"}),
        "statement": frozenset(),
    }
    create_limits = ()
    refund_limits = ()

    def __init__(
        self, account: ChannelAccount, platform: PartnerPlatform, sub_merchant: SubMerchant | None = None
    ):
        self.account, self.platform, self.sub = account, platform, sub_merchant

    def _sub(self, operation: str, number: str) -> SubMerchant:
        if self.sub is None:
            raise ConfigurationError(f"{operation} of a provider account needs a sub-merchant")
        self.platform.calls.append((operation, self.sub.sub_mchid, number))
        return self.sub

    def _trade(
        self, sub: SubMerchant, out_trade_no: str, state: TradeState, amount: int | None
    ) -> TradeResult:
        return TradeResult(
            out_trade_no,
            state,
            amount=amount,
            currency="CNY" if amount is not None else "",
            channel_trade_no=f"T-{out_trade_no}" if state == TradeState.PAID else "",
            paid_at=None,
            mchid=self.account.mchid,
            appid=self.account.appid,
            raw_state=state.value,
            carries=frozenset({"amount"}),
            sub_mchid=sub.sub_mchid,
            sub_appid=sub.sub_appid,
        )

    def create(self, request: CreateRequest) -> CreateResult:
        sub = self._sub("create", request.out_trade_no)
        key = (sub.sub_mchid, request.out_trade_no)
        self.platform.trades.setdefault(
            key, {"amount": request.amount, "state": TradeState.OPEN, "sub_appid": sub.sub_appid}
        )
        return CreateResult(
            {"type": "qr_code", "code_url": f"partner://{sub.sub_mchid}/{request.out_trade_no}"}
        )

    def query(self, out_trade_no: str, *, context: object = None) -> TradeResult:
        sub = self._sub("query", out_trade_no)
        trade = self.platform.trades.get((sub.sub_mchid, out_trade_no))
        if trade is None:
            return TradeResult(out_trade_no, TradeState.NOT_FOUND, raw_state="NOT_FOUND", carries=frozenset())
        return self._trade(sub, out_trade_no, trade["state"], trade["amount"])

    def close(self, out_trade_no: str) -> None:
        sub = self._sub("close", out_trade_no)
        trade = self.platform.trades.get((sub.sub_mchid, out_trade_no))
        if trade is not None and trade["state"] == TradeState.OPEN:
            trade["state"] = TradeState.CLOSED

    def refund(self, request: RefundRequest) -> RefundResult:
        sub = self._sub("refund", request.out_refund_no)
        self.platform.refunds[(sub.sub_mchid, request.out_refund_no)] = {"amount": request.amount}
        return RefundResult(
            request.out_refund_no,
            RefundState.SUCCESS,
            request.amount,
            f"R-{request.out_refund_no}",
            raw_status="SUCCESS",
            sub_mchid=sub.sub_mchid,
        )

    def query_refund(self, out_refund_no: str, out_trade_no: str, *, context: object = None) -> RefundResult:
        sub = self._sub("query_refund", out_refund_no)
        refund = self.platform.refunds.get((sub.sub_mchid, out_refund_no))
        if refund is None:
            return RefundResult(out_refund_no, RefundState.NOT_FOUND)
        return RefundResult(out_refund_no, RefundState.SUCCESS, refund["amount"], sub_mchid=sub.sub_mchid)

    def parse_callback(self, headers: Mapping[str, str], body: bytes) -> CallbackEvent:
        """Verified with the provider's key (the same for every sub-merchant)."""
        expected = self.platform.sign(body)["x-partner-signature"]
        if not hmac.compare_digest(headers.get("x-partner-signature", ""), expected):
            raise CallbackRejected("bad signature")
        doc = json.loads(body)
        sub = SubMerchant("", "", doc["sub_mchid"], doc.get("sub_appid", ""))
        trade = self._trade(sub, doc["out_trade_no"], TradeState(doc["state"]), doc["amount"])
        return CallbackEvent(doc["id"], "payment", trade=trade)

    def callback_ack(self, error: Exception | None) -> HttpReply:
        return HttpReply(200 if error is None else 400, "" if error is None else '{"code":"FAIL"}')

    def download_statement(self, bill_date: date) -> Iterator[StatementRow]:
        raise NotImplementedError

    def fetch_statement(self, bill_date: date) -> StatementFile | None:
        """The sub-merchant's own bill: its paid trades alone."""
        sub = self._sub("fetch_statement", bill_date.isoformat())
        rows = tuple(
            StatementRow(
                out_trade_no=number,
                kind="payment",
                amount=t["amount"],
                fee=0,
                channel_trade_no=f"T-{number}",
                status="SUCCESS",
                occurred_at=iso(0),
                mchid=self.account.mchid,
                appid=self.account.appid,
                currency="CNY",
                carries=frozenset(),
                sub_mchid=sub.sub_mchid,
            )
            for (sub_mchid, number), t in self.platform.trades.items()
            if sub_mchid == sub.sub_mchid and t["state"] == TradeState.PAID
        )
        summary = StatementSummary(len(rows), sum(r.amount for r in rows), 0, 0)
        return StatementFile(json.dumps([r.out_trade_no for r in rows]).encode(), rows, summary)


def install(d: Any, account_id: str, platform: PartnerPlatform) -> Callable[..., Any]:
    """Makes `d` build a PartnerChannel for `account_id` (other accounts as before)."""
    original = d.channel

    def channel(account: ChannelAccount, sub_merchant: SubMerchant | None = None) -> Any:
        if account.account_id == account_id:
            return PartnerChannel(account, platform, sub_merchant)
        return original(account) if sub_merchant is None else original(account, sub_merchant=sub_merchant)

    d.channel = channel
    return channel


@dataclass(frozen=True)
class Grant:
    """The shape of paymux.channels.alipay.authorization.AppAuthGrant (contract)."""

    app_auth_token: str = field(repr=False)
    app_refresh_token: str = field(repr=False)
    user_id: str
    auth_app_id: str
    expires_at: float
    refresh_expires_at: float


@dataclass(frozen=True)
class Notice:
    """The shape of AuthNotice (contract)."""

    notify_id: str
    auth_app_id: str
    user_id: str
    kind: str


@dataclass
class IsvPlatform(PartnerPlatform):
    """Alipay's side of third-party-application authorizations: codes a merchant's consent
    gave, and tokens that expire."""

    clock: Callable[[], float] = lambda: 0.0
    codes: dict[str, tuple[str, str]] = field(default_factory=dict)  # code → (user_id, auth_app_id)
    issued: int = 0
    refreshable: dict[str, tuple[str, str]] = field(default_factory=dict)

    def grant(self, user_id: str, auth_app_id: str) -> Grant:
        self.issued += 1
        now = self.clock()
        self.refreshable[f"ref{self.issued}"] = (user_id, auth_app_id)
        return Grant(
            f"tok{self.issued}",
            f"ref{self.issued}",
            user_id,
            auth_app_id,
            now + 365 * 86400,
            now + 730 * 86400,
        )

    def auth_notice(self, user_id: str, auth_app_id: str, kind: str = "cancelled") -> bytes:
        doc = {
            "notify_id": f"N-{user_id}-{kind}",
            "user_id": user_id,
            "auth_app_id": auth_app_id,
            "kind": kind,
        }
        return json.dumps(doc).encode()


class IsvChannel(PartnerChannel):
    provider = "alipay"
    products = frozenset({"alipay.qr"})
    platform: IsvPlatform

    def exchange_app_auth_code(self, code: str) -> Grant:
        self.platform.calls.append(("exchange_app_auth_code", "", code))
        if code not in self.platform.codes:
            raise ChannelError("invalid app_auth_code", channel_code="invalid_auth_code")
        return self.platform.grant(*self.platform.codes.pop(code))

    def refresh_app_auth(self, app_refresh_token: str) -> Grant:
        self.platform.calls.append(("refresh_app_auth", "", app_refresh_token))
        user_id, auth_app_id = self.platform.refreshable[app_refresh_token]
        return self.platform.grant(user_id, auth_app_id)

    def parse_auth_notice(self, headers: Mapping[str, str], body: bytes) -> Notice:
        expected = self.platform.sign(body)["x-partner-signature"]
        if not hmac.compare_digest(headers.get("x-partner-signature", ""), expected):
            raise CallbackRejected("bad signature")
        return Notice(**json.loads(body))


def install_isv(d: Any, account_id: str, platform: IsvPlatform) -> None:
    original = d.channel

    def channel(account: ChannelAccount, sub_merchant: SubMerchant | None = None) -> Any:
        if account.account_id == account_id:
            return IsvChannel(account, platform, sub_merchant)
        return original(account) if sub_merchant is None else original(account, sub_merchant=sub_merchant)

    d.channel = channel
