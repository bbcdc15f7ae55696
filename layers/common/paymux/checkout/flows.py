"""What the payer's requests do: show the page, choose a method, come back from WeChat's
authorization, go back to the merchant. Each returns a page or a redirect (paymux.checkout.web)."""

from __future__ import annotations

from urllib.parse import quote

from paymux.api.http import Request
from paymux.checkout import page as pages
from paymux.checkout.choose import PayerContext, choose, open_session
from paymux.checkout.models import SESSION_ID
from paymux.checkout.offer import offered, wallet_method
from paymux.checkout.returns import signed_return_url
from paymux.checkout.sessions import current_payment, page_base, refresh, sessions
from paymux.checkout.text import method_name, t
from paymux.checkout.usage import ordered
from paymux.checkout.wallet import device_of, h5_type_of, wallet_of
from paymux.checkout.web import Answer, form_values
from paymux.checkout.wechat_oauth import authorize_url, oauth_state, openid_for, state_appid
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


def _oauth_url(d: Deps, session: CheckoutSession, request: Request) -> str:
    """WeChat's authorize URL in the payer appid of the best JSAPI route now, that appid in a
    state bound to the session (paymux.checkout.wechat_oauth), or "" when none can take it."""
    if "wechat.jsapi" not in session.methods or wallet_of(request.header("user-agent")) != "wechat":
        return ""
    keys = d.merchants.signing_keys(session.app_id)
    try:
        route, _ = rank_routes(d, ["wechat.jsapi"], session.merchant_id, d.clock())[0]
    except ChannelError:  # no JSAPI account can take it now: the page offers the others
        return ""
    if not keys:
        return ""
    back = f"{page_base(d, request.domain)}/checkout/{session.session_id}/wechat"
    state = oauth_state(keys[0].secret, session.session_id, route.payer_appid)
    return authorize_url(route, back, state)


def _list(
    d: Deps, session: CheckoutSession, request: Request, lang: str, *, exclude: str = "", note: str = ""
) -> Answer:
    payer = payer_of(request)
    methods = [m for m in offered(session.methods, payer.wallet, payer.device) if m != exclude]
    methods = ordered(d, session.merchant_id, payer.device, methods)
    first = wallet_method(payer.wallet)
    methods.sort(key=lambda m: m != first)  # the wallet the page is open in comes first
    frame = _frame(d, session, lang)
    oauth = _oauth_url(d, session, request) if "wechat.jsapi" in methods else ""
    methods = [m for m in methods if m != "wechat.jsapi" or oauth]
    content = pages.notice(note) if note else ""
    content += pages.choices(frame, methods, oauth_url=oauth, wallet=payer.wallet)
    if payer.device == "desktop" and any(
        wallet_method(w) in session.methods for w in ("wechat", "alipay", "unionpay")
    ):
        content += pages.aggregated_code(frame, f"{session.url}?via=qr")
    return pages.render(frame, content, path=f"/checkout/{session.session_id}")


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
    if request.query.get("via") == "qr" and wallet_method(payer.wallet) in session.methods:
        if payer.wallet == "wechat":
            oauth = _oauth_url(d, session, request)
            if not oauth:  # no JSAPI account can take it now (or none): the methods, not a loop
                return _list(d, session, request, lang)
            return oauth
        return start(d, request, lang, session, wallet_method(payer.wallet), payer)
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
    return start(d, request, lang, session, method, payer_of(request))


def start(
    d: Deps, request: Request, lang: str, session: CheckoutSession, method: str, payer: PayerContext
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
    return next_step(d, session, payment, lang)


def next_step(d: Deps, session: CheckoutSession, payment: Payment, lang: str) -> Answer:
    action = payment.action
    kind = action.get("type")
    path, status_url = f"/checkout/{session.session_id}", f"/checkout/{session.session_id}/status"
    if kind == "qr_code":
        return f"{path}?lang={lang}"  # the page shows the code (a reload shows it again)
    if kind == "redirect":
        if payment.method == "wechat.h5":  # WeChat's page goes back to redirect_url when done
            return h5_url_back(str(action["url"]), f"{session.url}?view=status&lang={lang}")
        return str(action["url"])
    if kind == "form_post":
        url, fields = str(action["url"]), {str(k): str(v) for k, v in action["fields"].items()}
        frame = _frame(d, session, lang, (pages.origin_of(url),))
        return pages.render(frame, pages.form_post_view(frame, url, fields), path=path)
    if kind == "wechat_jsapi":
        frame = _frame(d, session, lang)
        return pages.render(frame, pages.jsapi_view(frame, action), path=path, status_url=status_url)
    raise ValidationFailed(f"{payment.method} cannot be paid on this page")


def wechat_return(d: Deps, request: Request, lang: str) -> Answer:
    """GET /checkout/{id}/wechat?code=…&state=…: back from WeChat's authorization. The code is
    exchanged in the appid the state names (the one the authorization was asked in), and the
    payment is created on a route of that appid only."""
    session = open_session(d, request.path_id("session_id", SESSION_ID))
    secrets = [k.secret for k in d.merchants.signing_keys(session.app_id)]
    try:
        appid = state_appid(secrets, session.session_id, request.query.get("state", ""))
    except ValidationFailed as exc:
        raise NotFound("no such authorization") from exc
    try:
        ranked = rank_routes(d, ["wechat.jsapi"], session.merchant_id, d.clock(), appid)
        openid = openid_for(d, ranked[0][0], request.query.get("code", ""))
    except ChannelError:  # a code used before (a reload) or refused, or the app has no route
        return f"/checkout/{session.session_id}?lang={lang}"  # back to the page, to ask again
    return start(d, request, lang, session, "wechat.jsapi", payer_of(request, openid, appid))


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
