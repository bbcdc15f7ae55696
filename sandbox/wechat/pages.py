"""Person-facing pages: the order list and a "scan and pay" page for one order."""

from __future__ import annotations

from html import escape
from urllib.parse import quote

import segno

from sandbox.wechat.bill import yuan
from sandbox.wechat.store import Order, rfc3339

_STYLE = """
body{font-family:system-ui,sans-serif;margin:2rem;color:#222}
table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.3rem .6rem;text-align:left}
.state{font-weight:bold}.qr{margin:1rem 0}button{font-size:1.1rem;margin-right:1rem;padding:.4rem 1rem}
.pay{background:#07c160;color:#fff;border:0}.note{color:#666}
"""


def _page(title: str, content: str) -> str:
    return (
        "<!doctype html><html lang='zh-CN'><head><meta charset='utf-8'>"
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head>"
        f"<body><h1>{escape(title)}</h1>{content}</body></html>"
    )


def _pay_link(order: Order) -> str:
    return f"/sandbox/pay?code={quote(order.pay_token, safe='')}"


def render_index(orders: list[Order]) -> str:
    rows = "".join(
        "<tr>"
        f"<td>{escape(order.mchid)}</td><td>{escape(order.out_trade_no)}</td>"
        f"<td>{escape(order.trade_type)}</td><td>{yuan(order.total)}</td>"
        f"<td class='state'>{escape(order.trade_state)}</td>"
        f"<td>{escape(rfc3339(order.created_at))}</td>"
        f"<td><a href='{escape(_pay_link(order))}'>open</a></td>"
        "</tr>"
        for order in sorted(orders, key=lambda o: o.created_at, reverse=True)
    )
    table = (
        "<table><tr><th>mchid</th><th>out_trade_no</th><th>type</th><th>amount (CNY)</th>"
        f"<th>state</th><th>created</th><th></th></tr>{rows}</table>"
        if orders
        else "<p class='note'>No orders yet.</p>"
    )
    return _page("WeChat Pay sandbox", table)


def render_pay_page(order: Order, message: str | None = None) -> str:
    code_url = order.prepay.get("code_url")
    qr = (
        f"<div class='qr'>{segno.make(code_url, error='m').svg_inline(scale=5)}</div>"
        f"<p class='note'>{escape(code_url)}</p>"
        if code_url
        else f"<p class='note'>prepay: {escape(order.pay_token)}</p>"
    )
    notice = f"<p><strong>{escape(message)}</strong></p>" if message else ""
    actions = ""
    if order.trade_state == "NOTPAY":
        actions = (
            "<form method='post' action='/sandbox/pay'>"
            f"<input type='hidden' name='code' value='{escape(order.pay_token)}'>"
            "<label>payer openid <input name='openid' size='32'></label><p>"
            "<button class='pay' name='action' value='pay'>Pay</button>"
            "<button name='action' value='nothing'>Do nothing</button></p></form>"
        )
    content = (
        f"{notice}<p>{escape(order.description)}</p>"
        f"<p>¥ {yuan(order.total)} · {escape(order.mchid)} · {escape(order.out_trade_no)}</p>"
        f"<p class='state'>{escape(order.trade_state)}</p>{qr}{actions}"
        "<p><a href='/sandbox/'>all orders</a></p>"
    )
    return _page("微信支付 · sandbox checkout", content)


def render_not_found(code: str) -> str:
    return _page("Unknown payment code", f"<p>No order has the code {escape(code)}.</p>")
