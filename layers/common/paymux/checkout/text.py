"""The page's words, in zh-CN and en (paymux.checkout.wallet.language_of picks one)."""

from __future__ import annotations

METHOD_NAMES = {
    "zh-CN": {
        "wechat.native": "微信支付（扫码）",
        "wechat.jsapi": "微信支付",
        "wechat.h5": "微信支付",
        "alipay.qr": "支付宝（扫码）",
        "alipay.wap": "支付宝",
        "alipay.page": "支付宝网页支付",
        "unionpay.qr": "云闪付（扫码）",
        "unionpay.wap": "银联 / 云闪付",
        "unionpay.gateway": "银行卡（银联网关）",
        "alipay.jsapi": "支付宝",
    },
    "en": {
        "wechat.native": "WeChat Pay (scan a QR code)",
        "wechat.jsapi": "WeChat Pay",
        "wechat.h5": "WeChat Pay",
        "alipay.qr": "Alipay (scan a QR code)",
        "alipay.wap": "Alipay",
        "alipay.page": "Alipay web checkout",
        "unionpay.qr": "UnionPay QuickPass (scan a QR code)",
        "unionpay.wap": "UnionPay",
        "unionpay.gateway": "Bank card (UnionPay)",
        "alipay.jsapi": "Alipay",
    },
}

TEXT = {
    "zh-CN": {
        "title": "收银台",
        "pay_to": "付款给",
        "order": "订单号",
        "choose": "选择支付方式",
        "expires": "请在此时间前完成支付：",
        "aggregated": "用微信、支付宝或云闪付扫码支付",
        "scan_with": "请使用{wallet}扫描二维码完成支付",
        "other_methods": "换一种支付方式",
        "waiting": "等待支付结果…",
        "paid": "支付成功",
        "expired": "订单已过期",
        "failed": "支付失败",
        "closed": "支付已关闭，请重新选择支付方式",
        "gave_up": "暂时无法获取支付结果，请刷新页面",
        "back": "返回商户",
        "unavailable": "{method}暂时不可用，请选择其他支付方式：",
        "busy": "请求正在处理，请稍后重试",
        "not_found_title": "收银台不存在",
        "not_found": "找不到这个支付页面，请回到商户重新下单。",
        "gone_title": "收银台已失效",
        "expired_page": "这个支付页面已过期，请回到商户重新下单。",
        "completed_page": "这笔订单已支付完成。",
        "error_title": "出错了",
        "error": "请求无法完成，请稍后重试。",
        "refused": "该支付方式不可用于此订单。",
        "alipay_in_wechat": "微信内无法打开支付宝。请点击右上角“…”，选择“在浏览器打开”后再用支付宝支付。",
        "open_wechat": "请在微信中打开此页面完成支付。",
        "open_alipay": "请在支付宝中打开此页面完成支付。",
        "redirecting": "正在跳转到支付页面…",
        "continue": "继续",
        "pay": "立即支付",
        "amount": "请输入付款金额（元）",
        "bad_amount": "金额无效：请输入 0.01 元到商户设定上限之间的金额。",
        "too_many": "此收款码当前请求过多，请一分钟后再试。",
        "language": "English",
    },
    "en": {
        "title": "Checkout",
        "pay_to": "Pay to",
        "order": "Order",
        "choose": "Choose how to pay",
        "expires": "Please pay before",
        "aggregated": "Scan with WeChat, Alipay or UnionPay",
        "scan_with": "Scan the QR code with {wallet} to pay",
        "other_methods": "Pay another way",
        "waiting": "Waiting for the payment…",
        "paid": "Payment completed",
        "expired": "This payment has expired",
        "failed": "The payment failed",
        "closed": "The payment was closed; please choose a method again",
        "gave_up": "No answer yet; please reload the page",
        "back": "Back to the merchant",
        "unavailable": "{method} is unavailable right now. Pay another way:",
        "busy": "Another request is in progress; please try again",
        "not_found_title": "Checkout not found",
        "not_found": "There is no such payment page. Please go back to the merchant and order again.",
        "gone_title": "Checkout no longer available",
        "expired_page": "This payment page has expired. Please go back to the merchant and order again.",
        "completed_page": "This order has already been paid.",
        "error_title": "Something went wrong",
        "error": "The request could not be completed. Please try again later.",
        "refused": "This payment method is not available for this order.",
        "alipay_in_wechat": "WeChat does not open Alipay. Tap ‘…’ at the top right, choose "
        "‘Open in browser’, then pay with Alipay there.",
        "open_wechat": "Open this page in WeChat to pay.",
        "open_alipay": "Open this page in Alipay to pay.",
        "redirecting": "Taking you to the payment page…",
        "continue": "Continue",
        "pay": "Pay now",
        "amount": "Amount to pay (yuan)",
        "bad_amount": "That amount cannot be paid here: enter from 0.01 yuan up to the shop's limit.",
        "too_many": "This payment code is taking too many payments right now: try again in a minute.",
        "language": "中文",
    },
}

WALLET_NAMES = {
    "zh-CN": {"wechat": "微信", "alipay": "支付宝", "unionpay": "云闪付"},
    "en": {"wechat": "WeChat", "alipay": "Alipay", "unionpay": "UnionPay"},
}


def t(lang: str, key: str, **values: str) -> str:
    return TEXT[lang][key].format(**values) if values else TEXT[lang][key]


def method_name(lang: str, method: str) -> str:
    return METHOD_NAMES[lang].get(method, method)
