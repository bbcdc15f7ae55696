"""Person-facing pages: the order list, a "scan and pay" page per QR code, the gateway
cashier (what the browser sees after the merchant's auto-POST form), and the auto-POST form
that takes the browser back to the merchant's ``frontUrl``."""

from __future__ import annotations

from collections.abc import Mapping
from html import escape

import segno

from sandbox.unionpay.store import Transaction
from sandbox.unionpay.times import cst

_STYLE = """
body{font-family:system-ui,sans-serif;margin:2rem;color:#222}
table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.3rem .6rem;text-align:left}
.state{font-weight:bold}.qr{margin:1rem 0}button{font-size:1.1rem;margin-right:1rem;padding:.4rem 1rem}
.pay{background:#d7000f;color:#fff;border:0}.note{color:#666}
"""
KINDS = {("01", "07"): "QR (merchant shows)", ("01", "06"): "payer code", ("01", "01"): "gateway"}


def page(title: str, content: str) -> str:
    return (
        "<!doctype html><html lang='zh-CN'><head><meta charset='utf-8'>"
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head>"
        f"<body><h1>{escape(title)}</h1>{content}</body></html>"
    )


def yuan(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"


def state(txn: Transaction) -> str:
    if txn.orig_resp_code is None:
        return "awaiting the payer"
    if txn.txn_type == "01" and txn.undone:
        return f"{txn.orig_resp_code} (undone)"
    return f"{txn.orig_resp_code} {txn.orig_resp_msg}"


def pay_link(txn: Transaction) -> str:
    if txn.qr_code:
        return f"/sandbox/qr?code={txn.pay_token}"
    return f"/sandbox/gateway?code={txn.pay_token}" if txn.front_url else ""


def render_index(transactions: list[Transaction]) -> str:
    rows = "".join(
        "<tr>"
        f"<td>{escape(txn.mer_id)}</td><td>{escape(txn.order_id)}</td>"
        f"<td>{escape(txn.txn_type)}/{escape(txn.txn_sub_type)}</td><td>{yuan(txn.amount)}</td>"
        f"<td class='state'>{escape(state(txn))}</td><td>{cst(txn.created_at):%Y-%m-%d %H:%M:%S}</td>"
        f"<td>{f'<a href={escape(pay_link(txn), quote=True)}>open</a>' if pay_link(txn) else ''}</td>"
        "</tr>"
        for txn in sorted(transactions, key=lambda t: t.created_at, reverse=True)
    )
    table = (
        "<table><tr><th>merId</th><th>orderId</th><th>txnType</th><th>amount (CNY)</th>"
        f"<th>state</th><th>created</th><th></th></tr>{rows}</table>"
        if transactions
        else "<p class='note'>No transactions yet.</p>"
    )
    return page("UnionPay ACP sandbox", table)


def _actions(txn: Transaction, action: str) -> str:
    if txn.orig_resp_code is not None:
        return ""
    return (
        f"<form method='post' action='{action}'>"
        f"<input type='hidden' name='code' value='{escape(txn.pay_token)}'><p>"
        "<button class='pay' name='action' value='pay'>Pay</button>"
        "<button name='action' value='nothing'>Do nothing</button></p></form>"
    )


def _summary(txn: Transaction, message: str | None) -> str:
    notice = f"<p><strong>{escape(message)}</strong></p>" if message else ""
    return (
        f"{notice}<p>¥ {yuan(txn.amount)} · {escape(txn.mer_id)} · {escape(txn.order_id)}</p>"
        f"<p class='state'>{escape(state(txn))}</p>"
    )


def render_qr_page(txn: Transaction, message: str | None = None) -> str:
    qr = f"<div class='qr'>{segno.make(txn.qr_code, error='m').svg_inline(scale=5)}</div>"
    content = (
        f"{_summary(txn, message)}{qr}<p class='note'>{escape(txn.qr_code)}</p>"
        f"{_actions(txn, '/sandbox/pay')}<p><a href='/sandbox/'>all orders</a></p>"
    )
    return page("云闪付 · scan and pay (sandbox)", content)


def render_cashier(txn: Transaction, message: str | None = None) -> str:
    channel = "PC" if txn.channel_type == "07" else "mobile (WAP)"
    content = (
        f"{_summary(txn, message)}<p class='note'>{channel} gateway · card 622609******0048 · "
        f"pay before {escape(txn.pay_timeout or 'no payTimeout')}</p>"
        f"{_actions(txn, '/sandbox/gateway/pay')}<p><a href='/sandbox/'>all orders</a></p>"
    )
    return page("银联在线支付 · sandbox cashier", content)


def render_refused(resp_code: str, resp_msg: str) -> str:
    """What the browser shows when a front request is refused."""
    return page(
        "银联在线支付 · request refused",
        f"<p>respCode <span class='state'>{escape(resp_code)}</span></p><p>{escape(resp_msg)}</p>",
    )


def _attribute(value: str) -> str:
    """Escaped for an attribute; CR and LF as character references, which the HTML parser
    does not normalise, so that ``signPubKeyCert`` reaches the merchant with its CRLFs."""
    return escape(value, quote=True).replace("\r", "&#13;").replace("\n", "&#10;")


def render_auto_post(url: str, fields: Mapping[str, str]) -> str:
    """A form the browser submits at once: the front notify, back to the merchant."""
    inputs = "".join(
        f"<input type='hidden' name='{_attribute(key)}' value='{_attribute(value)}'>"
        for key, value in fields.items()
    )
    return (
        "<!doctype html><html><head><meta charset='utf-8'><title>返回商户</title></head>"
        "<body onload='document.forms[0].submit()'>"
        f"<form id='front_notify' method='post' action='{escape(url, quote=True)}'>{inputs}"
        "<noscript><button>返回商户</button></noscript></form></body></html>"
    )


def render_not_found(code: str) -> str:
    return page("Unknown payment code", f"<p>No order has the code {escape(code)}.</p>")
