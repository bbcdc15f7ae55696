"""Direct mode (直连商户): the merchant's own account, its paths and bodies. Provider mode has
the same shape in channels/wechat/partner.py (PartnerRoutes); the client uses one or the other."""

from __future__ import annotations

from typing import Any, Literal
from urllib.parse import quote

from paymux.channels.base import ChannelAccount, CreateRequest, RefundRequest, RefundResult, TradeResult
from paymux.channels.wechat import transform


class DirectRoutes:
    carried_fields = transform.CARRIED_FIELDS

    def __init__(self, account: ChannelAccount) -> None:
        self._account = account

    def create(self, request: CreateRequest, endpoint: str) -> tuple[str, dict[str, Any], str, str]:
        """(path, body, the payer's appid, the APP partnerid: the mchid)."""
        appid, mchid = self._account.appid, self._account.mchid
        body = transform.order_body(request, appid=appid, mchid=mchid)
        return f"/v3/pay/transactions/{endpoint}", body, appid, mchid

    def query_path(self, out_trade_no: str) -> str:
        return f"/v3/pay/transactions/out-trade-no/{quote(out_trade_no)}?mchid={self._account.mchid}"

    def close(self, out_trade_no: str) -> tuple[str, dict[str, Any]]:
        path = f"/v3/pay/transactions/out-trade-no/{quote(out_trade_no)}/close"
        return path, {"mchid": self._account.mchid}

    @staticmethod
    def refund_body(request: RefundRequest) -> dict[str, Any]:
        return transform.refund_body(request)

    @staticmethod
    def refund_query_path(out_refund_no: str) -> str:
        return f"/v3/refund/domestic/refunds/{quote(out_refund_no)}"

    @staticmethod
    def abnormal_refund_extra() -> dict[str, Any]:
        return {}  # a direct merchant sends no sub_mchid

    @staticmethod
    def bill_path(bill_date: str) -> str:
        return f"/v3/bill/tradebill?bill_date={bill_date}&bill_type=ALL"

    @staticmethod
    def check_callback(resource: dict[str, Any]) -> None:
        """A direct callback's mchid/appid are compared with the account by the services."""

    @staticmethod
    def trade_result(transaction: dict[str, Any], message: Literal["callback", "query"]) -> TradeResult:
        return transform.trade_result(transaction, message)

    @staticmethod
    def refund_result(refund: dict[str, Any]) -> RefundResult:
        return transform.refund_result(refund)
