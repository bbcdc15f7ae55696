"""GET /console: the console's one page, in zh-CN or en (`?lang=`, else Accept-Language). It
holds no data: the script signs in and reads everything from /console/api/* with the token.
The one style sheet and the one script are inline and allowed by hash in the
Content-Security-Policy; nothing is loaded from elsewhere (no CDN, no web font, no library). The
dashboard's charts are SVG drawn on the server and shown as `data:` images (img-src), which
cannot script."""

from __future__ import annotations

import json
from html import escape
from typing import Any

from paymux.checkout.assets import csp_hash
from paymux.checkout.web import SECURITY_HEADERS
from paymux.console.charts import CHARTS
from paymux.console.login import password_policy
from paymux.console.script import SCRIPT
from paymux.console.text import TEXT, language, t

STYLE = """
*{box-sizing:border-box}
body{margin:0;color:#1d2330;background:#f4f6f9;
font-family:system-ui,-apple-system,"PingFang SC","Noto Sans CJK SC","Microsoft YaHei",sans-serif}
header{display:flex;align-items:center;gap:1rem;padding:.6rem 1rem;background:#1d2330;color:#fff}
header h1{font-size:1.05rem;margin:0}header a{color:#cfe0ff}
nav{display:flex;gap:.8rem;align-items:center;flex:1}nav span{margin-left:auto;opacity:.8}
main{max-width:64rem;margin:0 auto;padding:1rem}
section{background:#fff;border-radius:.5rem;padding:1rem;margin-bottom:1rem}
form{display:flex;flex-wrap:wrap;gap:.6rem;align-items:end;margin-bottom:.8rem}
label{display:flex;flex-direction:column;font-size:.8rem;gap:.2rem}
input,select,button{font:inherit;padding:.35rem .5rem}
button{background:#1f6feb;color:#fff;border:0;border-radius:.3rem;cursor:pointer}
table{border-collapse:collapse;width:100%;font-size:.85rem;margin-bottom:.8rem}
th,td{border-bottom:1px solid #e3e6ea;padding:.3rem .4rem;text-align:left}
td input{width:5rem}
#tiles{display:grid;grid-template-columns:repeat(auto-fill,minmax(9rem,1fr));gap:.6rem;margin-bottom:1rem}
.tile{background:#f4f6f9;border-radius:.4rem;padding:.6rem}.tile small{display:block;color:#57606a}
.tile strong{font-size:1.3rem}
figure{margin:0 0 1rem}figcaption{font-weight:600;margin-bottom:.3rem}
figure img{display:block;width:100%;max-width:45rem;height:auto}
#message{color:#cf222e;min-height:1.2rem}
"""
STATUSES = ("", "PENDING", "PROCESSING", "SUCCESS", "FAILED", "CLOSED", "REFUNDED")
CSP = (
    f"default-src 'none'; script-src {csp_hash(SCRIPT)}; style-src {csp_hash(STYLE)}; "
    "img-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)


def _field(lang: str, name: str, kind: str = "text", key: str = "") -> str:
    return f"<label>{escape(t(lang, key or name))}<input name='{name}' type='{kind}' id='f-{name}'></label>"


def _views(lang: str) -> str:
    def x(key: str) -> str:
        return escape(t(lang, key))

    status = "".join(f"<option value='{s}'>{s or '—'}</option>" for s in STATUSES)
    charts = "".join(
        f"<figure><figcaption>{x(key)}</figcaption><img id='chart-{key}' alt='{x(key)}'></figure>"
        for key in CHARTS
    )
    return (
        f"<section id='view-dashboard' class='view' hidden><h2>{x('dashboard')}</h2><form id='dash-form'>"
        f"<label>{x('day')}<input type='date' id='dash-day' name='day'></label><button>{x('load')}</button>"
        f"</form><div id='tiles'></div>{charts}</section>"
        f"<section id='view-payments' class='view' hidden><h2>{x('payments')}</h2><form id='pay-form'>"
        f"{_field(lang, 'id', key='payment_id')}{_field(lang, 'merchant_order_no')}"
        f"{_field(lang, 'merchant_id')}{_field(lang, 'day', 'date')}"
        f"<label>{x('status')}<select name='status'>{status}</select></label><button>{x('search')}</button>"
        f"</form><table id='pay-table'></table><button type='button' id='pay-older' hidden>{x('older')}"
        "</button><div id='pay-detail'></div></section>"
        f"<section id='view-exceptions' class='view' hidden><h2>{x('exceptions')}</h2>"
        "<table id='exc-table'></table></section>"
        f"<section id='view-reconciliation' class='view' hidden><h2>{x('reconciliation')}</h2>"
        f"<form id='rec-form'><label>{x('from')}<input type='date' id='rec-from'></label>"
        f"<label>{x('to')}<input type='date' id='rec-to'></label><button>{x('load')}</button></form>"
        "<table id='rec-table'></table></section>"
        f"<section id='view-accounts' class='view' hidden><h2>{x('accounts')}</h2>"
        f"<table id='acc-table'></table><h3>{x('binding')}</h3><table id='bind-table'></table></section>"
        f"<section id='view-audit' class='view' hidden><h2>{x('audit')}</h2><form id='audit-form'>"
        f"<label>{x('day')}<input type='date' id='audit-day' name='day'></label>{_field(lang, 'actor')}"
        f"{_field(lang, 'target')}<button>{x('load')}</button></form><p>{x('audit_hint')}</p>"
        "<table id='audit-table'></table>"
        f"<button id='audit-more' type='button' hidden>{x('more')}</button></section>"
    )


def _new_password(lang: str) -> str:
    """The screen a temporary password leads to, the pool's policy stated (console.login)."""

    def x(key: str) -> str:
        return escape(t(lang, key))

    policy = password_policy()
    rules = "".join(
        f"<li data-rule='{name}'>{escape(t(lang, 'policy_' + name).format(n=value))}</li>"
        for name, value in policy.items()
        if value
    )
    return (
        f"<section id='new-password' hidden><h2>{x('new_password_title')}</h2><p>{x('new_password_why')}</p>"
        f"<p>{x('policy_intro')}</p><ul id='policy'>{rules}</ul><form id='new-password-form'>"
        f"<label>{x('new_password')}<input name='new_password' type='password' id='f-new-password'"
        f" autocomplete='new-password' minlength='{policy['minimum_length']}'></label>"
        f"<label>{x('confirm_password')}<input name='confirm' type='password' id='f-confirm-password'"
        " autocomplete='new-password'></label>"
        f"<button>{x('set_password')}</button></form></section>"
    )


def console_html(lang: str) -> str:
    def x(key: str) -> str:
        return escape(t(lang, key))

    other = "en" if lang == "zh-CN" else "zh-CN"
    links = "".join(
        f"<a href='#{view}' data-view='{view}'>{x(view)}</a>"
        for view in ("dashboard", "payments", "exceptions", "reconciliation", "accounts", "audit")
    )
    words = json.dumps(TEXT[lang], ensure_ascii=False).replace("<", "\\u003c")
    return (
        f"<!doctype html><html lang='{lang}'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width,initial-scale=1'>"
        f"<meta name='referrer' content='no-referrer'><title>{x('title')}</title><style>{STYLE}</style>"
        f"</head><body><header><h1>{x('title')}</h1><nav id='nav' hidden>{links}<span id='who'></span>"
        f"<button id='signout' type='button'>{x('sign_out')}</button></nav>"
        f"<a id='lang' hreflang='{other}' href='/console?lang={other}'>{x('language')}</a></header><main>"
        f"<section id='login'><form id='login-form'>{_field(lang, 'username')}"
        f"{_field(lang, 'password', 'password')}<button>{x('sign_in')}</button></form></section>"
        f"{_new_password(lang)}{_views(lang)}<p id='message' role='status'></p></main>"
        f"<script type='application/json' id='i18n'>{words}</script><script>{SCRIPT}</script></body></html>"
    )


def console_page(query: dict[str, str], accept_language: str) -> dict[str, Any]:
    lang = language(query.get("lang", ""), accept_language)
    headers = {"Content-Type": "text/html; charset=utf-8", "Content-Security-Policy": CSP, **SECURITY_HEADERS}
    return {"statusCode": 200, "headers": headers, "body": console_html(lang), "isBase64Encoded": False}
