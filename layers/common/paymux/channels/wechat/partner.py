"""WeChat Pay service-provider (服务商) mode: paymux's provider account (sp_mchid, sp_appid) acts
for one bound sub-merchant (sub_mchid, optional sub_appid). Pure mapping, no I/O; the names and
paths are WeChat's partner API (docs/channels.md, "WeChat Pay service-provider mode").

How a merchant's `payer.openid` is sent: WeChat takes the payer of a JSAPI / mini-program order
either as `sp_openid` (the payer's openid under the provider's sp_appid) or as `sub_openid` (under
the sub-merchant's sub_appid; then sub_appid is required). paymux decides it by the binding: a
binding with a sub_appid (the sub-merchant's own official account or mini program) sends the
openid as `sub_openid`, one without sends it as `sp_openid`. The front end signs with the same
app: appId is the sub_appid when there is one, else the sp_appid."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import quote

from paymux.channels.base import (
    CHECKED_FIELDS,
    ChannelAccount,
    CreateRequest,
    RefundRequest,
    RefundResult,
    SubMerchant,
    TradeResult,
)
from paymux.channels.wechat import transform
from paymux.errors import CallbackRejected, ConfigurationError

# A partner Transaction (query answer, decrypted TRANSACTION.* callback) always names sp_mchid,
# sp_appid and sub_mchid; every partner bill row has 商户号, 公众账号ID and 特约商户号. sub_appid
# only when the order had one, so it is compared when present.
CARRIED_FIELDS: dict[str, frozenset[str]] = {
    "callback": CHECKED_FIELDS | {"sub_mchid"},
    "query": CHECKED_FIELDS | {"sub_mchid"},
    "statement": CHECKED_FIELDS | {"sub_mchid"},
}


@dataclass(frozen=True, slots=True)
class PartnerIds:
    sp_mchid: str
    sp_appid: str
    sub_mchid: str
    sub_appid: str = ""

    @property
    def payer_appid(self) -> str:
        """The app the payer pays in (and the front-end parameters are signed for)."""
        return self.sub_appid or self.sp_appid


def partner_ids(account: ChannelAccount, sub_merchant: SubMerchant | None, operation: str) -> PartnerIds:
    """The ids of a call for a sub-merchant; a provider-mode channel without one cannot make it."""
    if sub_merchant is None or not sub_merchant.sub_mchid:
        raise ConfigurationError(
            f"WeChat Pay provider account {account.account_id} cannot {operation} without a bound "
            "sub-merchant (sub_mchid)"
        )
    return PartnerIds(account.mchid, account.appid, sub_merchant.sub_mchid, sub_merchant.sub_appid)


def _identity(ids: PartnerIds) -> dict[str, Any]:
    body: dict[str, Any] = {"sp_appid": ids.sp_appid, "sp_mchid": ids.sp_mchid}
    if ids.sub_appid:
        body["sub_appid"] = ids.sub_appid
    body["sub_mchid"] = ids.sub_mchid
    return body


def order_body(request: CreateRequest, ids: PartnerIds) -> dict[str, Any]:
    """The direct body with appid/mchid replaced by the partner fields, and the payer's openid
    sent as sub_openid (binding with sub_appid) or sp_openid (module docstring)."""
    body = transform.order_body(request, appid=ids.sp_appid, mchid=ids.sp_mchid)
    del body["appid"], body["mchid"]
    payer = body.pop("payer", None)
    partner = _identity(ids) | body
    if payer is not None:
        kind = "sub_openid" if ids.sub_appid else "sp_openid"
        partner["payer"] = {kind: payer["openid"]}
    return partner


def create_path(endpoint: str) -> str:
    return f"/v3/pay/partner/transactions/{endpoint}"


def query_path(out_trade_no: str, ids: PartnerIds) -> str:
    return (
        f"/v3/pay/partner/transactions/out-trade-no/{quote(out_trade_no)}"
        f"?sp_mchid={ids.sp_mchid}&sub_mchid={ids.sub_mchid}"
    )


def close_path(out_trade_no: str) -> str:
    return f"/v3/pay/partner/transactions/out-trade-no/{quote(out_trade_no)}/close"


def close_body(ids: PartnerIds) -> dict[str, Any]:
    return {"sp_mchid": ids.sp_mchid, "sub_mchid": ids.sub_mchid}


def refund_body(request: RefundRequest, ids: PartnerIds) -> dict[str, Any]:
    return {"sub_mchid": ids.sub_mchid} | transform.refund_body(request)


def refund_query_path(out_refund_no: str, ids: PartnerIds) -> str:
    return f"/v3/refund/domestic/refunds/{quote(out_refund_no)}?sub_mchid={ids.sub_mchid}"


def bill_path(bill_date: str, sub_mchid: str) -> str:
    """One sub-merchant's trade bill; without sub_mchid, the provider's bill of all of them."""
    path = f"/v3/bill/tradebill?bill_date={bill_date}"
    return path + (f"&sub_mchid={sub_mchid}" if sub_mchid else "") + "&bill_type=ALL"


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def trade_result(transaction: dict[str, Any], message: Literal["callback", "query"]) -> TradeResult:
    """A partner Transaction: mchid/appid are the provider's (checked against the account),
    sub_mchid/sub_appid the sub-merchant's (checked against the binding)."""
    direct = transform.trade_result(transaction, message)
    return TradeResult(
        out_trade_no=direct.out_trade_no,
        state=direct.state,
        amount=direct.amount,
        currency=direct.currency,
        channel_trade_no=direct.channel_trade_no,
        paid_at=direct.paid_at,
        mchid=_text(transaction.get("sp_mchid")),
        appid=_text(transaction.get("sp_appid")),
        raw_state=direct.raw_state,
        carries=CARRIED_FIELDS[message],
        sub_mchid=_text(transaction.get("sub_mchid")),
        sub_appid=_text(transaction.get("sub_appid")),
    )


def refund_result(refund: dict[str, Any]) -> RefundResult:
    """A refund answer or a decrypted partner REFUND.* callback (which names sp_mchid and
    sub_mchid); sub_mchid is "" where the message does not say."""
    direct = transform.refund_result(refund)
    return RefundResult(
        out_refund_no=direct.out_refund_no,
        state=direct.state,
        amount=direct.amount,
        channel_refund_no=direct.channel_refund_no,
        succeeded_at=direct.succeeded_at,
        raw_status=direct.raw_status,
        sub_mchid=_text(refund.get("sub_mchid")),
    )


def check_provider(resource: dict[str, Any], sp_mchid: str) -> None:
    """A decrypted partner callback names the provider it is for; another provider's is refused."""
    named = resource.get("sp_mchid")
    if named is not None and named != sp_mchid:
        raise CallbackRejected(
            "WeChat Pay partner callback names another service provider (sp_mchid)",
            reason="merchant_mismatch",
        )


class PartnerRoutes:
    """Provider mode: the partner paths and bodies, for one sub-merchant (or none: then only
    callbacks and the provider-wide bill; the other calls raise ConfigurationError)."""

    carried_fields = CARRIED_FIELDS

    def __init__(self, account: ChannelAccount, sub_merchant: SubMerchant | None) -> None:
        self._account = account
        self._sub_merchant = sub_merchant

    def _ids(self, operation: str) -> PartnerIds:
        return partner_ids(self._account, self._sub_merchant, operation)

    def create(self, request: CreateRequest, endpoint: str) -> tuple[str, dict[str, Any], str, str]:
        """(path, body, the payer's appid, the APP partnerid: the sub_mchid)."""
        ids = self._ids("create orders")
        return create_path(endpoint), order_body(request, ids), ids.payer_appid, ids.sub_mchid

    def query_path(self, out_trade_no: str) -> str:
        return query_path(out_trade_no, self._ids("query orders"))

    def close(self, out_trade_no: str) -> tuple[str, dict[str, Any]]:
        return close_path(out_trade_no), close_body(self._ids("close orders"))

    def refund_body(self, request: RefundRequest) -> dict[str, Any]:
        return refund_body(request, self._ids("refund"))

    def refund_query_path(self, out_refund_no: str) -> str:
        return refund_query_path(out_refund_no, self._ids("query refunds"))

    def abnormal_refund_extra(self) -> dict[str, Any]:
        return {"sub_mchid": self._ids("re-issue refunds").sub_mchid}

    def bill_path(self, bill_date: str) -> str:
        return bill_path(bill_date, self._sub_merchant.sub_mchid if self._sub_merchant else "")

    def check_callback(self, resource: dict[str, Any]) -> None:
        check_provider(resource, self._account.mchid)

    @staticmethod
    def trade_result(transaction: dict[str, Any], message: Literal["callback", "query"]) -> TradeResult:
        return trade_result(transaction, message)

    @staticmethod
    def refund_result(refund: dict[str, Any]) -> RefundResult:
        return refund_result(refund)
