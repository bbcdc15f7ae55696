"""Alipay's mini program payment (product `alipay.mini_program`, 小程序支付): inside an Alipay
mini program the payer's id comes from `my.getAuthCode` (the mini program) exchanged by the
merchant's server with `alipay.system.oauth.token` (channels/alipay/client.py payer_identity),
the server creates the trade with `alipay.trade.create` (product_code JSAPI_PAY, the mini
program scene) for that buyer, and the mini program calls `my.tradePay({tradeNO})`.

The buyer is `payer.openid`: the payer's open_id in the mini program (`buyer_open_id`), or a
`2088…` user_id of an application made before open_id (`buyer_id`), as for alipay.jsapi.
When a third-party application (ChannelAccount.mode "provider") places the order for a
merchant's mini program, `op_app_id` names that mini program (the appid whose cashier tradePay
opens): the authorizing merchant's application, SubMerchant.sub_appid. A direct account's
application is the mini program itself and sends none. Pure mapping; the I/O is client.py's."""

from __future__ import annotations

import re
from typing import Any

from paymux.channels.alipay import jsapi, transform
from paymux.channels.base import CreateRequest
from paymux.errors import BadRequest, ChannelError, ConfigurationError

PRODUCT = "alipay.mini_program"
APP_ID = re.compile(r"20[0-9]{14}")  # an Alipay application id: 16 digits


def trade_content(request: CreateRequest, op_app_id: str = "") -> dict[str, Any]:
    """biz_content of alipay.trade.create for the mini program; `op_app_id` in provider mode."""
    payer_id = str(request.payer.get("openid") or "")
    if not jsapi.OPEN_ID.fullmatch(payer_id):
        raise BadRequest(
            "alipay.mini_program needs payer.openid (the payer's open_id or user_id in the mini program)"
        )
    content = transform.biz_content(request) | jsapi.buyer(payer_id)
    if op_app_id:
        if not APP_ID.fullmatch(op_app_id):
            raise ConfigurationError(f"the mini program's appid {op_app_id!r} is not an Alipay app id")
        content["op_app_id"] = op_app_id
    return content


def action(answer: dict[str, Any]) -> dict[str, Any]:
    """What the mini program passes to my.tradePay: `tradeNO` is the trade_no."""
    trade_no = str(answer.get("trade_no") or "")
    if not trade_no:
        raise ChannelError("Alipay's trade.create answer has no trade_no")
    return {
        "type": "alipay_mini_program",
        "trade_no": trade_no,
        "out_trade_no": str(answer.get("out_trade_no", "")),
    }
