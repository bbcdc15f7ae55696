"""What the payer's requests do: show the page, choose a method, come back from a wallet's
authorization (WeChat's or Alipay's, for their JSAPI), go back to the merchant. Each returns a
page or a redirect (paymux.checkout.web)."""

from __future__ import annotations

from urllib.parse import quote

from paymux.api.http import Request
from paymux.checkout import alipay_oauth, wechat_oauth
from paymux.checkout import page as pages
from paymux.checkout.choose import PayerContext, choose, open_session
from paymux.checkout.models import SESSION_ID
from paymux.checkout.oauth_state import NONCE, NONCE_COOKIE, new_nonce, nonce_cookie, oauth_state, state_appid
from paymux.checkout.offer import WALLET_METHODS, offered, wallet_method
from paymux.checkout.returns import signed_return_url
from paymux.checkout.sessions import current_payment, page_base, refresh, sessions
from paymux.checkout.text import method_name, t
from paymux.checkout.usage import ordered
from paymux.checkout.wallet import device_of, h5_type_of, wallet_of
from paymux.checkout.web import Answer, WithCookie, form_values
from paymux.deps import Deps
from paymux.domain.payment import Payment
from paymux.domain.states import OPEN_PAYMENT_STATES
from paymux.errors import ChannelError, Conflict, NotFound, ValidationFailed
from paymux.services.payments import rank_routes
from paymux.store.checkout_sessions import COMPLETED, EXPIRED, CheckoutSession


def payer_of(request: Request, openid: str = "", appid: str = "") -> PayerContext:
    agent = request.header("user-agent")
    return PayerContext(
        device_of(agent), wallet_of(agent), request.source_ip, h5_type_of(agent), openid, appid
    )


def _frame(d: Deps, session: CheckoutSession, lang: str, origins: tuple[str, ...] = ()) -> pages.Frame:
    return pages.Frame(lang, d.merchants.app(session.app_id), session, origins)


# The in-wallet methods: the wallet, its authorize-URL builder and the query name of its code.
OAUTH = {
    "wechat.jsapi": ("wechat", wechat_oauth.authorize_url, "code"),
    "alipay.jsapi": ("alipay", alipay_oauth.authorize_url, "auth_code"),
}


def browser_nonce(request: Request) -> str:
    """The nonce the payer's browser already holds (kept, so that two tabs or a reload do not
    break each other's authorization), or a new one."""
    held = request.cookie(NONCE_COOKIE)
    return held if NONCE.fullmatch(held) else new_nonce()


def _with_nonce(answer: Answer, nonce: str, started: bool) -> Answer:
    """`answer` with the nonce's cookie when it starts (or links to) an authorization."""
    return (
        WithCookie(answer, nonce_cookie(nonce)) if started and not isinstance(answer, WithCookie) else answer
    )


def _oauth_url(d: Deps, session: CheckoutSession, request: Request, method: str, nonce: str) -> str:
    """The wallet's authorize URL in the payer app of the best route of `method` now, that app
    in a state bound to the session and the browser's `nonce` (paymux.checkout.oauth_state),
    or "" when none can take it or the page is not open in that wallet."""
    wallet, authorize, _ = OAUTH[method]
    if method not in session.methods or wallet_of(request.header("user-agent")) != wallet:
        return ""
    keys = d.merchants.signing_keys(session.app_id)
    try:
        route, _ = rank_routes(d, [method], session.merchant_id, d.clock())[0]
    except ChannelError:  # no account can take it now: the page offers the others
        return ""
    if not keys:
        return ""
    back = f"{page_base(d, request.domain)}/checkout/{session.session_id}/{wallet}"
    state = oauth_state(keys[0].secret, wallet, session.session_id, route.payer_appid, nonce, d.clock())
    return authorize(route, back, state)


def _list(
    d: Deps, session: CheckoutSession, request: Request, lang: str, *, exclude: str = "", note: str = ""
) -> Answer:
    payer = payer_of(request)
    methods = [m for m in offered(session.methods, payer.wallet, payer.device) if m != exclude]
    methods = ordered(d, session.merchant_id, payer.device, methods)
    first = wallet_method(payer.wallet, methods)
    methods.sort(key=lambda m: m != first)  # the wallet the page is open in comes first
    frame, nonce = _frame(d, session, lang), browser_nonce(request)
    links = {m: _oauth_url(d, session, request, m, nonce) for m in OAUTH if m in methods}
    methods = [m for m in methods if m not in OAUTH or links[m]]
    content = pages.notice(note) if note else ""
    content += pages.choices(frame, methods, links=links, wallet=payer.wallet)
    if payer.device == "desktop" and any(wallet_method(w, session.methods) for w in WALLET_METHODS):
        content += pages.aggregated_code(frame, f"{session.url}?via=qr")
    page = pages.render(frame, content, path=f"/checkout/{session.session_id}")
    return _with_nonce(page, nonce, any(links.values()))


def h5_url_back(h5_url: str, back: str) -> str:
    """WeChat Pay H5's h5_url with `redirect_url` (url-encoded, as WeChat documents it): where
    WeChat's page sends the payer when they finish or cancel, or after about 5 s."""
    return f"{h5_url}{'&' if '?' in h5_url else '?'}redirect_url={quote(back, safe='')}"


def status_view(d: Deps, request: Request, lang: str) -> Answer:
    """GET /checkout/{id}?view=status: where WeChat H5 comes back to. WeChat sends the payer
    back also before the payment is done, so the view never concludes from one look: it polls
    (paid, or failed/closed/expired), and offers the methods again."""
    found = sessions(d).get(request.path_id("session_id", SESSION_ID))
    if found is None:
        raise NotFound("no such checkout session")
    session = refresh(d, found)
    frame = _frame(d, session, lang)
    path = f"/checkout/{session.session_id}"
    content = pages.status_view(frame, path)
    return pages.render(frame, content, path=path, status_url=f"{path}/status")


def show(d: Deps, request: Request, lang: str) -> Answer:
    """GET /checkout/{id}: the methods, or the code of the method being paid. Opened from the
    aggregated code (`?via=qr`) inside a wallet, the wallet's own method starts at once;
    `?view=status` is the status of the payment under way."""
    if request.query.get("view") == "status":
        return status_view(d, request, lang)
    session = open_session(d, request.path_id("session_id", SESSION_ID))
    payer = payer_of(request)
    method = wallet_method(payer.wallet, session.methods)
    if request.query.get("via") == "qr" and method:
        if method in OAUTH:
            nonce = browser_nonce(request)
            oauth = _oauth_url(d, session, request, method, nonce)
            if not oauth:  # no JSAPI account can take it now (or none): the methods, not a loop
                return _list(d, session, request, lang)
            return _with_nonce(oauth, nonce, True)
        return start(d, request, lang, session, method, payer)
    payment = current_payment(d, session)
    if (
        payment is not None
        and payment.status in OPEN_PAYMENT_STATES
        and payment.action.get("type") == "qr_code"
    ):
        frame = _frame(d, session, lang)
        others = [m for m in offered(session.methods, payer.wallet, payer.device) if m != payment.method]
        content = pages.qr_view(frame, payment.method, str(payment.action["code_url"]))
        content += pages.choices(frame, others, heading=t(lang, "other_methods")) if others else ""
        return pages.render(
            frame,
            content,
            path=f"/checkout/{session.session_id}",
            status_url=f"/checkout/{session.session_id}/status",
        )
    return _list(d, session, request, lang)


def pay(d: Deps, request: Request, lang: str) -> Answer:
    """POST /checkout/{id}/pay (method=…): the choice, then what the payer does next."""
    session = open_session(d, request.path_id("session_id", SESSION_ID))
    method = form_values(request).get("method", "")
    return start(d, request, lang, session, method, payer_of(request), posted=True)


def start(
    d: Deps,
    request: Request,
    lang: str,
    session: CheckoutSession,
    method: str,
    payer: PayerContext,
    *,
    posted: bool = False,
) -> Answer:
    try:
        payment = choose(d, session, method, payer, request.domain)
    except ValidationFailed:
        raise
    except ChannelError:  # the channel is down or refused: the merchant's other methods
        note = t(lang, "unavailable", method=method_name(lang, method))
        return _list(
            d, sessions(d).get(session.session_id) or session, request, lang, exclude=method, note=note
        )
    except Conflict:
        return _list(d, session, request, lang, note=t(lang, "busy"))
    return next_step(d, session, payment, lang, posted=posted)


def next_step(
    d: Deps, session: CheckoutSession, payment: Payment, lang: str, *, posted: bool = False
) -> Answer:
    """What the payer does next. A channel's page after the page's own form (`posted`) is a
    page that goes there (a link, followed by the script), never a 303: browsers apply the
    form's CSP form-action to the redirects that answer it, and the channel's origin is not
    'self' (Chromium blocked every H5/WAP choice so)."""
    action = payment.action
    kind = action.get("type")
    path, status_url = f"/checkout/{session.session_id}", f"/checkout/{session.session_id}/status"
    if kind == "qr_code":
        return f"{path}?lang={lang}"  # the page shows the code (a reload shows it again)
    if kind == "redirect":
        url = str(action["url"])
        if payment.method == "wechat.h5":  # WeChat's page goes back to redirect_url when done
            url = h5_url_back(url, f"{session.url}?view=status&lang={lang}")
        if not posted:
            return url
        frame = _frame(d, session, lang)
        return pages.render(frame, pages.redirect_view(frame, url), path=path)
    if kind == "form_post":
        url, fields = str(action["url"]), {str(k): str(v) for k, v in action["fields"].items()}
        frame = _frame(d, session, lang, (pages.origin_of(url),))
        return pages.render(frame, pages.form_post_view(frame, url, fields), path=path)
    if kind in ("wechat_jsapi", "alipay_jsapi"):
        frame = _frame(d, session, lang)
        view = pages.jsapi_view if kind == "wechat_jsapi" else pages.alipay_jsapi_view
        return pages.render(frame, view(frame, action), path=path, status_url=status_url)
    raise ValidationFailed(f"{payment.method} cannot be paid on this page")


def wallet_return(d: Deps, request: Request, lang: str, method: str) -> Answer:
    """Back from a wallet's authorization (`?code=` or `?auth_code=`, and `state`, in the query
    string): the code is exchanged in the app the state names (the one the authorization was
    asked in), and the payment is created on a route of that app only."""
    wallet, _, code_name = OAUTH[method]
    session = open_session(d, request.path_id("session_id", SESSION_ID))
    secrets = [k.secret for k in d.merchants.signing_keys(session.app_id)]
    state, nonce = request.query.get("state", ""), request.cookie(NONCE_COOKIE)
    try:
        appid = state_appid(secrets, wallet, session.session_id, state, nonce, d.clock())
    except ValidationFailed as exc:  # forged, of another browser (no or another nonce), expired
        raise NotFound("no such authorization") from exc
    exchange = wechat_oauth.openid_for if wallet == "wechat" else alipay_oauth.open_id_for
    try:
        route, _ = rank_routes(d, [method], session.merchant_id, d.clock(), appid)[0]
        payer_id = exchange(d, route, request.query.get(code_name, ""))
    except ChannelError:  # a code used before (a reload) or refused, or the app has no route
        return f"/checkout/{session.session_id}?lang={lang}"  # back to the page, to ask again
    return start(d, request, lang, session, method, payer_of(request, payer_id, appid))


def wechat_return(d: Deps, request: Request, lang: str) -> Answer:
    """GET /checkout/{id}/wechat?code=…&state=…"""
    return wallet_return(d, request, lang, "wechat.jsapi")


def alipay_return(d: Deps, request: Request, lang: str) -> Answer:
    """GET /checkout/{id}/alipay?auth_code=…&state=…"""
    return wallet_return(d, request, lang, "alipay.jsapi")


def back_to_merchant(d: Deps, request: Request, lang: str) -> Answer:
    """GET /checkout/{id}/return: the merchant's return_url with the signed query."""
    found = sessions(d).get(request.path_id("session_id", SESSION_ID))
    if found is None:
        raise NotFound("no such checkout session")
    session = refresh(d, found)
    status = {COMPLETED: "paid", EXPIRED: "expired"}.get(session.status, "open")
    keys = d.merchants.signing_keys(session.app_id)
    if not keys:
        raise NotFound("the merchant no longer takes payments")
    values = {
        "paymux_session_id": session.session_id,
        "paymux_merchant_order_no": session.merchant_order_no,
        "paymux_payment_id": session.payment_id,
        "paymux_status": status,
        "paymux_timestamp": str(int(d.clock())),
    }
    return signed_return_url(session.return_url, keys[0].secret, values)
