"""The merchant signature scheme, its published test vector, and every rejection path."""

from dataclasses import dataclass, field

import pytest

from paymux.api import auth
from paymux.api.http import Request
from paymux.errors import AuthenticationFailed
from paymux.store.merchants import MerchantApp, SigningKey

NOW = 1_764_316_800
SECRET = "sk_test_51a7c0ffee"


def test_published_vector():
    """docs/authentication.md and every SDK use this vector (checked independently with
    `openssl dgst -sha256 -hmac`)."""
    body = b'{"amount":1}'
    args = ("POST", "/v1/payments?expand=action", "1764316800", "n0nce-0000000000", body)
    assert auth.string_to_sign(*args) == (
        "PAYMUX-HMAC-SHA256\nPOST\n/v1/payments?expand=action\n1764316800\nn0nce-0000000000\n"
        "c2b11e657e12fd177359627ca89412018e2274d0873cfbfcf1fc50f685582e9e\n"
    )
    assert (
        auth.sign("sk_test_51a7c0ffee", *args)
        == "bac52af3d29936987ee19364285ed533935fc4140c7a94dfbcefe9213079ea24"
    )


@dataclass
class FakeMerchants:
    keys: list[SigningKey] = field(default_factory=lambda: [SigningKey(SECRET, None)])
    app_obj: MerchantApp | None = field(default_factory=lambda: MerchantApp("app_1", "mch_1"))

    def app(self, app_id):
        return self.app_obj if self.app_obj and app_id == self.app_obj.app_id else None

    def signing_keys(self, app_id):
        return self.keys


@dataclass
class FakeNonces:
    seen: set = field(default_factory=set)

    def claim(self, app_id, nonce, now):
        if (app_id, nonce) in self.seen:
            return False
        self.seen.add((app_id, nonce))
        return True


def signed_request(
    secret=SECRET, ts=NOW, nonce="abcdefghijklmnop", body=b"{}", path="/v1/payments", query="", app_id="app_1"
):
    full = f"{path}?{query}" if query else path
    sig = auth.sign(secret, "POST", full, str(ts), nonce, body)
    header = f'PAYMUX-HMAC-SHA256 app_id="{app_id}",timestamp="{ts}",nonce="{nonce}",signature="{sig}"'
    return Request("POST", path, query, {"authorization": header}, body, {}, {}, "", "", "")


def test_valid_request_authenticates_once_and_replay_is_refused():
    merchants, nonces = FakeMerchants(), FakeNonces()
    request = signed_request()
    assert auth.authenticate(request, merchants, nonces, NOW).merchant_id == "mch_1"
    with pytest.raises(AuthenticationFailed) as err:
        auth.authenticate(request, merchants, nonces, NOW)
    assert err.value.code == "replayed_request" and err.value.status == 401


@pytest.mark.parametrize(("skew", "ok"), [(-300, True), (300, True), (-301, False), (301, False)])
def test_freshness_window_is_300_seconds(skew, ok):
    request = signed_request(ts=NOW + skew)
    if ok:
        auth.authenticate(request, FakeMerchants(), FakeNonces(), NOW)
    else:
        with pytest.raises(AuthenticationFailed) as err:
            auth.authenticate(request, FakeMerchants(), FakeNonces(), NOW)
        assert err.value.code == "stale_request"


def test_forged_signature_does_not_burn_the_nonce():
    nonces = FakeNonces()
    with pytest.raises(AuthenticationFailed) as err:
        auth.authenticate(signed_request(secret="wrong"), FakeMerchants(), nonces, NOW)
    assert err.value.code == "invalid_signature"
    assert nonces.seen == set()


def test_body_query_and_path_are_all_signed():
    good = signed_request(body=b'{"amount":1}', query="a=1")
    for tampered in (
        Request(good.method, good.path, good.raw_query, good.headers, b'{"amount":2}', {}, {}, "", "", ""),
        Request(good.method, good.path, "a=2", good.headers, good.body, {}, {}, "", "", ""),
        Request(good.method, "/v1/payments/x", good.raw_query, good.headers, good.body, {}, {}, "", "", ""),
        Request("GET", good.path, good.raw_query, good.headers, good.body, {}, {}, "", "", ""),
    ):
        with pytest.raises(AuthenticationFailed):
            auth.authenticate(tampered, FakeMerchants(), FakeNonces(), NOW)


def test_rotation_overlap_accepts_old_and_new_key():
    merchants = FakeMerchants(keys=[SigningKey("new", None), SigningKey(SECRET, NOW + 3600)])
    auth.authenticate(signed_request(secret="new", nonce="n" * 16), merchants, FakeNonces(), NOW)
    auth.authenticate(signed_request(secret=SECRET, nonce="m" * 16), merchants, FakeNonces(), NOW)


@pytest.mark.parametrize(
    ("header", "code"),
    [
        ("", "missing_signature"),
        ("Bearer abc", "missing_signature"),
        ('PAYMUX-HMAC-SHA256 app_id="app_1",timestamp="1"', "malformed_signature"),
    ],
)
def test_malformed_headers(header, code):
    request = Request(
        "GET", "/v1/payments", "", {"authorization": header} if header else {}, b"", {}, {}, "", "", ""
    )
    with pytest.raises(AuthenticationFailed) as err:
        auth.authenticate(request, FakeMerchants(), FakeNonces(), NOW)
    assert err.value.code == code


def test_unknown_or_suspended_app_looks_like_a_bad_signature():
    for merchants in (
        FakeMerchants(app_obj=None),
        FakeMerchants(app_obj=MerchantApp("app_1", "mch_1", status="suspended")),
    ):
        with pytest.raises(AuthenticationFailed) as err:
            auth.authenticate(signed_request(), merchants, FakeNonces(), NOW)
        assert err.value.code == "invalid_signature"


@dataclass
class CountingMerchants(FakeMerchants):
    """Counts lookups: a header the parser refuses must never reach the merchant store."""

    lookups: int = 0

    def app(self, app_id):
        self.lookups += 1
        return super().app(app_id)


def _with_header(request: Request, header: str) -> Request:
    return Request(
        request.method, request.path, "", {"authorization": header}, request.body, {}, {}, "", "", ""
    )


def _authenticate_header(header: str) -> tuple[str, int]:
    merchants = CountingMerchants()
    request = _with_header(signed_request(), header)
    with pytest.raises(AuthenticationFailed) as err:
        auth.authenticate(request, merchants, FakeNonces(), NOW)
    return err.value.code, merchants.lookups


@pytest.mark.parametrize(
    "junk",
    [
        ',extra="1"',
        ",",
        " ",
        ', signature="' + "0" * 64 + '"',
        "garbage",
        ',app_id="app_1"',
    ],
)
def test_junk_after_a_valid_header_is_refused_before_any_lookup(junk):
    valid = signed_request().header("authorization")
    assert auth.authenticate(_with_header(signed_request(), valid), FakeMerchants(), FakeNonces(), NOW)
    assert _authenticate_header(valid + junk) == ("malformed_signature", 0)


@pytest.mark.parametrize("size", [1025, 10 * 1024, 1024 * 1024])
def test_oversized_headers_are_refused_before_parsing(size, monkeypatch):
    """Bounded: the length cap comes first, so the pair grammar never runs on a long header
    (counted: the compiled pattern is never asked)."""
    valid = signed_request().header("authorization")
    header = valid + " " * (size - len(valid))
    calls = []
    real = auth._PAIR

    class Counting:
        def fullmatch(self, text):
            calls.append(len(text))
            return real.fullmatch(text)

    monkeypatch.setattr(auth, "_PAIR", Counting())
    assert _authenticate_header(header) == ("malformed_signature", 0)
    assert calls == []


@pytest.mark.parametrize(
    "header",
    [
        'PAYMUX-HMAC-SHA256 app_id="app_1",app_id="app_1",nonce="abcdefghijklmnop",signature="{sig}"',
        'PAYMUX-HMAC-SHA256 app_id="app_1",timestamp="{ts}",nonce="abcdefghijklmnop",sig="{sig}"',
        'PAYMUX-HMAC-SHA256 app_id="app_1",timestamp="²",nonce="abcdefghijklmnop",signature="{sig}"',
        'PAYMUX-HMAC-SHA256 app_id="app_1",timestamp="{ts}",nonce="abcdefghijklmnop",signature="xyz"',
        'PAYMUX-HMAC-SHA256 app_id="app 1",timestamp="{ts}",nonce="abcdefghijklmnop",signature="{sig}"',
        'PAYMUX-HMAC-SHA256 app_id="app_1",,timestamp="{ts}",nonce="abcdefghijklmnop",signature="{sig}"',
        'PAYMUX-HMAC-SHA256 app_id="app_1"timestamp="{ts}",nonce="abcdefghijklmnop",signature="{sig}",',
    ],
)
def test_every_pair_once_with_its_own_grammar(header):
    sig = auth.sign(SECRET, "POST", "/v1/payments", str(NOW), "abcdefghijklmnop", b"{}")
    assert _authenticate_header(header.format(ts=NOW, sig=sig)) == ("malformed_signature", 0)


def test_pairs_in_any_order_with_a_space_after_commas():
    sig = auth.sign(SECRET, "POST", "/v1/payments", str(NOW), "abcdefghijklmnop", b"{}")
    header = (
        f'PAYMUX-HMAC-SHA256 signature="{sig}", nonce="abcdefghijklmnop", timestamp="{NOW}", app_id="app_1"'
    )
    assert auth.authenticate(_with_header(signed_request(), header), FakeMerchants(), FakeNonces(), NOW)
