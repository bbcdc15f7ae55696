"""Person-facing pages: the trade list, the "scan" page of a QR order, the page/wap cashier,
the app-order page and the gateway's HTML error page. Forms post without any signature."""

from __future__ import annotations

from html import escape

import segno

from sandbox.alipay.store import WAIT_BUYER_PAY, Trade
from sandbox.alipay.times import alipay_time
from sandbox.alipay.validation import yuan

_STYLE = """
body{font-family:system-ui,sans-serif;margin:2rem;color:#222;max-width:60rem}
table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.3rem .6rem;text-align:left}
.state{font-weight:bold}.amount{font-size:2rem}.qr{margin:1rem 0}
button{font-size:1.1rem;margin-right:1rem;padding:.4rem 1.2rem}
.pay{background:#1677ff;color:#fff;border:0}.note{color:#666}.error{color:#c00}
textarea{width:100%;font-family:monospace}
"""


def page(title: str, content: str) -> str:
    return (
        "<!doctype html><html lang='zh-CN'><head><meta charset='utf-8'>"
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head>"
        f"<body><h1>{escape(title)}</h1>{content}</body></html>"
    )


def _link(trade: Trade) -> str:
    if trade.qr_code:
        return f"/sandbox/scan?code={trade.qr_code}"
    return f"/sandbox/cashier?token={trade.cashier_token}"


def render_index(trades: list[Trade]) -> str:
    rows = "".join(
        "<tr>"
        f"<td>{escape(t.app_id)}</td><td>{escape(t.out_trade_no)}</td><td>{escape(t.method)}</td>"
        f"<td>{yuan(t.total)}</td><td>{yuan(t.refunded)}</td>"
        f"<td class='state'>{escape(t.status or 'NOT SCANNED')}</td>"
        f"<td>{escape(alipay_time(t.requested_at))}</td>"
        f"<td><a href='{escape(_link(t))}'>{'scan' if t.qr_code else 'cashier'}</a></td>"
        "</tr>"
        for t in sorted(trades, key=lambda t: t.requested_at, reverse=True)
    )
    table = (
        "<table><tr><th>app_id</th><th>out_trade_no</th><th>method</th><th>amount (CNY)</th>"
        f"<th>refunded</th><th>trade_status</th><th>requested</th><th></th></tr>{rows}</table>"
        if trades
        else "<p class='note'>No orders yet.</p>"
    )
    return page("Alipay sandbox", f"{table}<p><a href='/sandbox/app'>pay an app order string</a></p>")


def _summary(trade: Trade, message: str | None) -> str:
    notice = f"<p><strong>{escape(message)}</strong></p>" if message else ""
    return (
        f"{notice}<p>{escape(trade.subject)}</p><p class='amount'>¥ {yuan(trade.total)}</p>"
        f"<p class='note'>{escape(trade.app_id)} · {escape(trade.out_trade_no)}"
        f" · {escape(trade.trade_no or '')}</p>"
        f"<p class='state'>{escape(trade.status or 'NOT SCANNED')}</p>"
    )


def _actions(action: str, field: str, value: str) -> str:
    return (
        f"<form method='post' action='{action}'>"
        f"<input type='hidden' name='{field}' value='{escape(value)}'>"
        "<label>buyer_id (optional) <input name='buyer_id' size='20' placeholder='2088…'></label><p>"
        "<button class='pay' name='action' value='pay'>Pay 付款</button>"
        "<button name='action' value='cancel'>Cancel 取消</button></p></form>"
    )


def render_scan(trade: Trade, qr_url: str, message: str | None = None) -> str:
    """The payer's phone after scanning a precreate QR code."""
    qr = f"<div class='qr'>{segno.make(qr_url, error='m').svg_inline(scale=4)}</div>"
    actions = _actions("/sandbox/scan", "code", trade.qr_code or "") if trade.status == WAIT_BUYER_PAY else ""
    content = f"{_summary(trade, message)}{actions}{qr}<p class='note'>{escape(qr_url)}</p>"
    return page("支付宝 · 扫码付款 (sandbox)", content + "<p><a href='/sandbox/'>all trades</a></p>")


def render_cashier(trade: Trade, message: str | None = None) -> str:
    """The page/wap cashier (收银台), also used for app orders opened from the trade list."""
    actions = (
        _actions("/sandbox/cashier", "token", trade.cashier_token) if trade.status == WAIT_BUYER_PAY else ""
    )
    return page(
        "支付宝 · 收银台 (sandbox)",
        f"{_summary(trade, message)}{actions}<p><a href='/sandbox/'>all trades</a></p>",
    )


def render_app(message: str | None = None, result: str | None = None) -> str:
    shown = f"<p><strong>{escape(message)}</strong></p>" if message else ""
    if result:
        shown += f"<pre>{escape(result)}</pre>"
    form = (
        "<form method='post' action='/sandbox/app'>"
        "<p>Paste the order string the merchant server gave its app (alipay.trade.app.pay):</p>"
        "<textarea name='order_string' rows='8'></textarea><p>"
        "<button class='pay' name='action' value='pay'>Pay 付款</button>"
        "<button name='action' value='cancel'>Cancel 取消</button></p></form>"
    )
    return page("支付宝 App (sandbox)", shown + form + "<p><a href='/sandbox/'>all trades</a></p>")


def render_gateway_error(sub_code: str | None, sub_msg: str | None) -> str:
    """What a browser sees when a page/wap payment request is refused (Alipay's wording)."""
    code = (sub_code or "").removeprefix("isv.")
    content = (
        f"<p class='error' data-sub-code='{escape(sub_code or '')}'>错误代码 {escape(code)} "
        f"错误原因: {escape(sub_msg or '')}</p>"
    )
    return page("支付宝 - 网上支付 (sandbox)", content)


def render_message(title: str, message: str) -> str:
    return page(title, f"<p>{escape(message)}</p><p><a href='/sandbox/'>all trades</a></p>")
