"""The checkout page's HTML, server-rendered, mobile first, in the payer's language. Every
value is escaped; the one style sheet and the one script are inline and allowed by hash in
the Content-Security-Policy returned with the page (paymux.checkout.assets)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html import escape
from urllib.parse import urlsplit

from paymux.checkout.assets import SCRIPT, csp_hash, style_for
from paymux.checkout.qr import qr_svg
from paymux.checkout.text import WALLET_NAMES, method_name, t
from paymux.checkout.usage import SHANGHAI
from paymux.store.checkout_sessions import CheckoutSession
from paymux.store.merchants import MerchantApp

QR_WALLETS = {"wechat.native": "wechat", "alipay.qr": "alipay", "unionpay.qr": "unionpay"}
STATES = ("open", "paid", "expired", "failed", "closed", "gave_up")
_LOGO_PREFIXES = ("data:image/png;base64,", "data:image/svg+xml;base64,")


@dataclass(frozen=True, slots=True)
class Page:
    html: str
    csp: str
    status: int = 200


@dataclass(frozen=True, slots=True)
class Frame:
    """What every page shows around its content: the merchant, the language and the session."""

    lang: str
    merchant: MerchantApp | None
    session: CheckoutSession | None = None
    form_origins: tuple[str, ...] = field(default_factory=tuple)


def _yuan(fen: int) -> str:
    return f"¥{fen // 100:,}.{fen % 100:02d}"


def _local_time(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M (UTC+8)")


def _header(frame: Frame) -> str:
    app = frame.merchant
    name = escape(app.name or app.merchant_id) if app else ""
    logo = app.logo if app and app.logo.startswith(_LOGO_PREFIXES) and len(app.logo) < 65536 else ""
    image = f'<img src="{escape(logo)}" alt="">' if logo else ""
    return f"<header>{image}<div><div>{escape(t(frame.lang, 'pay_to'))}</div><h1>{name}</h1></div></header>"


def _summary(frame: Frame) -> str:
    session = frame.session
    if session is None:
        return ""
    lang = frame.lang
    return (
        f"<p class='amount' data-amount='{session.amount}'>{_yuan(session.amount)}</p>"
        f"<p>{escape(session.subject)}</p>"
        f"<p class='muted'>{escape(t(lang, 'order'))}: {escape(session.merchant_order_no)}<br>"
        f"{escape(t(lang, 'expires'))} {_local_time(session.expires_at)}</p>"
    )


def _language_switch(frame: Frame, path: str) -> str:
    other = "en" if frame.lang == "zh-CN" else "zh-CN"
    label = escape(t(frame.lang, "language"))
    return f"<nav><a id='lang' hreflang='{other}' href='{escape(path)}?lang={other}'>{label}</a></nav>"


def render(frame: Frame, content: str, *, path: str, status_url: str = "", status: int = 200) -> Page:
    style = style_for(frame.merchant.brand_color if frame.merchant else "")
    polling = f" data-status-url='{escape(status_url)}'" if status_url else ""
    html = (
        f"<!doctype html><html lang='{frame.lang}'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width,initial-scale=1'>"
        "<meta name='referrer' content='no-referrer'>"
        f"<title>{escape(t(frame.lang, 'title'))}</title><style>{style}</style></head>"
        f"<body><main id='checkout'{polling}>{_header(frame)}{_summary(frame)}{content}"
        f"{_language_switch(frame, path)}</main><script>{SCRIPT}</script></body></html>"
    )
    form_action = " ".join(("'self'", *frame.form_origins))
    csp = (
        f"default-src 'none'; script-src {csp_hash(SCRIPT)}; style-src {csp_hash(style)}; "
        f"img-src 'self' data:; connect-src 'self'; form-action {form_action}; "
        "base-uri 'none'; frame-ancestors 'none'"
    )
    return Page(html, csp, status)


def _choice(frame: Frame, method: str, links: dict[str, str], wallet: str) -> str:
    lang, session = frame.lang, frame.session
    assert session is not None  # narrowing: a choice is always of a session  # nosec B101
    name = escape(method_name(lang, method))
    if method in links:  # a wallet's authorization first (JSAPI)
        return f"<li><a class='button' data-method='{method}' href='{escape(links[method])}'>{name}</a></li>"
    if wallet == "wechat" and method.startswith("alipay."):
        guidance = escape(t(lang, "alipay_in_wechat"))
        return f"<li data-method='{method}' class='notice'><strong>{name}</strong><br>{guidance}</li>"
    return (
        f"<li><form method='post' action='/checkout/{session.session_id}/pay?lang={lang}'>"
        f"<input type='hidden' name='method' value='{method}'>"
        f"<button type='submit' data-method='{method}'>{name}</button></form></li>"
    )


def choices(
    frame: Frame,
    methods: list[str],
    *,
    links: dict[str, str] | None = None,
    wallet: str = "",
    heading: str = "",
) -> str:
    """The methods as buttons (a form post each), or as links where `links` names one."""
    items = "".join(_choice(frame, m, links or {}, wallet) for m in methods)
    title = escape(heading or t(frame.lang, "choose"))
    return f"<section id='methods'><h2>{title}</h2><ul>{items}</ul></section>"


def aggregated_code(frame: Frame, url: str) -> str:
    """One code for the session that any wallet can scan: the page recognises the wallet."""
    return (
        f"<section id='aggregated'><h2>{escape(t(frame.lang, 'aggregated'))}</h2>"
        f"<div class='qr' data-qr='{escape(url)}'>{qr_svg(url)}</div></section>"
    )


def notice(text: str) -> str:
    return f"<p class='notice' role='alert' id='notice'>{escape(text)}</p>"


def states(frame: Frame) -> str:
    """One block per status the script may show; only the current one is visible."""
    assert frame.session is not None  # nosec B101
    lang, back = frame.lang, f"/checkout/{frame.session.session_id}/return"
    words = {"open": "waiting", "paid": "paid", "expired": "expired", "failed": "failed", "closed": "closed"}
    blocks = []
    for state in STATES:
        text = t(lang, words.get(state, state))
        kind = "paid" if state == "paid" else "bad" if state in ("expired", "failed") else ""
        link = (
            f"<a class='button primary' id='back' href='{back}'>{escape(t(lang, 'back'))}</a>"
            if state in ("paid", "expired")
            else ""
        )
        hidden = "" if state == "open" else " hidden"
        blocks.append(
            f"<div data-state='{state}'{hidden}><p class='state {kind}'>{escape(text)}</p>{link}</div>"
        )
    return f"<section id='status' aria-live='polite'>{''.join(blocks)}</section>"


def qr_view(frame: Frame, method: str, code_url: str) -> str:
    wallet = WALLET_NAMES[frame.lang][QR_WALLETS[method]]
    return (
        f"<section id='pay' data-method='{method}'>"
        f"<h2>{escape(t(frame.lang, 'scan_with', wallet=wallet))}</h2>"
        f"<div class='qr' data-qr='{escape(code_url)}'>{qr_svg(code_url)}</div></section>{states(frame)}"
    )


def jsapi_view(frame: Frame, parameters: dict[str, str]) -> str:
    """WeChat's JSAPI parameters for WeixinJSBridge (a data block: never executed as script)."""
    fields = ("appId", "timeStamp", "nonceStr", "package", "signType", "paySign")
    data = json.dumps({k: parameters[k] for k in fields}, separators=(",", ":")).replace("<", "\\u003c")
    rows = "".join(f"<dt>{k}</dt><dd>{escape(parameters[k])}</dd>" for k in fields if k != "paySign")
    return (
        f"<script type='application/json' id='jsapi'>{data}</script>"
        f"<section id='pay' data-method='wechat.jsapi'>"
        f"<h2>{escape(method_name(frame.lang, 'wechat.jsapi'))}</h2>"
        f"<p class='muted'>{escape(t(frame.lang, 'open_wechat'))}</p><dl>{rows}</dl></section>{states(frame)}"
    )


def status_view(frame: Frame, path: str) -> str:
    """The payment under way (back from a channel's page): its status, polled, and a way back
    to the methods."""
    lang = frame.lang
    label = escape(t(lang, "other_methods"))
    again = f"<p><a class='button' id='choose-again' href='{escape(path)}?lang={lang}'>{label}</a></p>"
    return f"<section id='pay' data-view='status'>{states(frame)}{again}</section>"


def alipay_jsapi_view(frame: Frame, action: dict[str, str]) -> str:
    """The trade_no for AlipayJSBridge tradePay (a data block: never executed as script)."""
    data = json.dumps({"tradeNO": action["trade_no"]}, separators=(",", ":")).replace("<", "\\u003c")
    return (
        f"<script type='application/json' id='alipay-jsapi'>{data}</script>"
        f"<section id='pay' data-method='alipay.jsapi'>"
        f"<h2>{escape(method_name(frame.lang, 'alipay.jsapi'))}</h2>"
        f"<p class='muted'>{escape(t(frame.lang, 'open_alipay'))}</p>"
        f"<dl><dt>tradeNO</dt><dd>{escape(action['trade_no'])}</dd></dl></section>{states(frame)}"
    )


def amount_form(frame: Frame, action: str) -> str:
    """The static code's page: the payer types the amount (yuan) and pays."""
    lang = frame.lang
    return (
        f"<section id='amount'><form method='post' action='{escape(action)}'>"
        f"<label for='amount-input'><h2>{escape(t(lang, 'amount'))}</h2></label>"
        "<input id='amount-input' name='amount' inputmode='decimal' autocomplete='off' required "
        "pattern='[0-9]{1,9}([.][0-9]{1,2})?' placeholder='0.00'>"
        f"<button class='primary' type='submit' id='pay-amount'>{escape(t(lang, 'pay'))}</button>"
        "</form></section>"
    )


def redirect_view(frame: Frame, url: str) -> str:
    """A channel's page: the script follows the link at once (a navigation, which form-action
    does not govern); without script the payer taps it."""
    label = escape(t(frame.lang, "continue"))
    return (
        f"<section id='pay'><p>{escape(t(frame.lang, 'redirecting'))}</p>"
        f"<a class='button primary' id='channel-link' href='{escape(url)}'>{label}</a></section>"
    )


def form_post_view(frame: Frame, url: str, fields: dict[str, str]) -> str:
    inputs = "".join(
        f"<input type='hidden' name='{escape(k)}' value='{escape(v)}'>" for k, v in fields.items()
    )
    return (
        f"<section id='pay'><p>{escape(t(frame.lang, 'redirecting'))}</p>"
        f"<form id='channel-form' method='post' action='{escape(url)}' accept-charset='UTF-8'>{inputs}"
        f"<button class='primary' type='submit'>{escape(t(frame.lang, 'continue'))}</button></form></section>"
    )


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def message_page(frame: Frame, title_key: str, text_key: str, status: int, path: str) -> Page:
    """404 / 410 / other refusals, in the payer's language, never a trace."""
    lang = frame.lang
    title, text = escape(t(lang, title_key)), escape(t(lang, text_key))
    content = f"<section id='message' data-status='{status}'><h2>{title}</h2><p>{text}</p></section>"
    return render(frame, content, path=path, status=status)
