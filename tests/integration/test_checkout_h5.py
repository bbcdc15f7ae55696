"""WeChat Pay H5 from the hosted checkout on a phone's own browser: the payer is sent to WeChat's
h5_url with `redirect_url` (url-encoded, as WeChat documents it) back to the page's status view,
which polls the payment and is there paid or not (WeChat also sends the payer back early)."""

from __future__ import annotations

import html
import re
from urllib.parse import parse_qs, quote, urlsplit

from paymux.checkout.sessions import sessions
from tests.integration.conftest import World
from tests.integration.test_checkout_page import choose, page, status
from tests.integration.test_checkout_sessions import create, session_body

SAFARI = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.0 Mobile/15E148 Safari/604.1"
)


def test_wechat_h5_goes_back_to_the_status_view_through_redirect_url(world: World) -> None:
    session_id = create(world, session_body(methods=["wechat.h5", "alipay.wap"]))[1]["id"]
    chosen = choose(session_id, "wechat.h5", agent=SAFARI, language="en")
    # a page that follows the link, not a 303: the form's CSP form-action would block that
    assert chosen["statusCode"] == 200 and "Location" not in chosen["headers"]
    found = re.search(r"id='channel-link' href='([^']+)'", chosen["body"])
    assert found is not None
    location = html.unescape(found.group(1))
    stored = sessions(world.d).get(session_id)
    assert stored is not None
    payment = world.d.payments.get(stored.payment_id)
    assert payment is not None and payment.method == "wechat.h5" and payment.payer["h5_type"] == "iOS"
    h5_url = str(payment.action["url"])
    back = f"{stored.url}?view=status&lang=en"
    assert location == f"{h5_url}&redirect_url={quote(back, safe='')}"  # WeChat's own h5_url, kept
    query = parse_qs(urlsplit(location).query)
    assert query["redirect_url"] == [back] and query["prepay_id"]
    shown = page(session_id, agent=SAFARI, query=urlsplit(back).query)
    assert shown["statusCode"] == 200
    body = shown["body"]
    assert "data-view='status'" in body and f"data-status-url='/checkout/{session_id}/status'" in body
    assert "<html lang='en'>" in body and "Waiting for the payment" in body
    assert status(session_id)["state"] == "open"
    world.sandbox.pay(world.mchid, payment.out_trade_no)
    world.sandbox.wait_for_callbacks(timeout=10)
    assert status(session_id)["state"] == "paid"
    after = page(session_id, agent=SAFARI, query=urlsplit(back).query)  # still the status, not a 410
    assert after["statusCode"] == 200 and "data-view='status'" in after["body"]
    assert page("cs_01KB0000000000000000000000", query="view=status")["statusCode"] == 404
