"""What the payer's page or app needs to start a WeChat Pay JSAPI / mini-program / APP payment,
signed with the merchant's (or, in provider mode, the service provider's) API key. `appid` is the
app the payer pays in: the account's appid directly, the sub_appid (else sp_appid) in provider
mode; `partnerid` (APP) is the mchid directly and the sub_mchid in provider mode."""

from __future__ import annotations

import secrets
from typing import Any

from cryptography.hazmat.primitives.asymmetric import rsa

from paymux.channels.wechat import signing


def jsapi_parameters(
    private_key: rsa.RSAPrivateKey, now: float, appid: str, prepay_id: str
) -> dict[str, Any]:
    """What the page passes to WeixinJSBridge `getBrandWCPayRequest` (JSAPI) or the mini
    program to `wx.requestPayment` (paySign)."""
    timestamp, nonce = str(int(now)), secrets.token_hex(16)
    package = f"prepay_id={prepay_id}"
    return {
        "type": "wechat_jsapi",
        "prepay_id": prepay_id,
        "appId": appid,
        "timeStamp": timestamp,
        "nonceStr": nonce,
        "package": package,
        "signType": "RSA",
        "paySign": signing.pay_sign(private_key, appid, timestamp, nonce, package),
    }


def app_parameters(
    private_key: rsa.RSAPrivateKey, now: float, appid: str, partnerid: str, prepay_id: str
) -> dict[str, Any]:
    """What the merchant's app passes to the WeChat OpenSDK PayReq; the signed fourth line is
    the bare prepay_id."""
    timestamp, nonce = str(int(now)), secrets.token_hex(16)
    return {
        "type": "wechat_app",
        "prepay_id": prepay_id,
        "appid": appid,
        "partnerid": partnerid,
        "prepayid": prepay_id,
        "package": "Sign=WXPay",
        "noncestr": nonce,
        "timestamp": timestamp,
        "sign": signing.pay_sign(private_key, appid, timestamp, nonce, prepay_id),
    }
