"""Callbacks that must change nothing: forged, tampered, stale, wrong key, wrong amount,
unknown order. Crafted by the test with its own trusted key (tests/wechat_notices.py)."""

import json

import pytest

from paymux.channels.base import ChannelAccount
from paymux.services.exceptions import list_exceptions
from tests.integration.conftest import World, callback_event
from tests.keys import apiv3_key as random_apiv3_key
from tests.keys import keypair
from tests.support import invoke
from tests.wechat_notices import notice, sign_headers, transaction

TEST_SERIAL = "5157F09EFDC096DE15EBE81A47057A7232F1B8E1"


@pytest.fixture
def trusted(world: World):
    """Adds a platform key the test holds to the account's trusted keys."""
    store = world.d.channel_config
    account = store.account(world.account_id)
    credentials = dict(store.credentials(world.account_id))
    key = keypair("test-platform")
    credentials["platform_certificates"] = [
        *credentials["platform_certificates"],
        {"serial_no": TEST_SERIAL, "public_key_pem": key.public_pem},
    ]
    store.put_account(account, credentials)
    return key.private_key, credentials["apiv3_key"]


def _created(world: World):
    status, created = world.create(amount=2500)
    assert status == 201
    return created


def _send(world: World, headers, body, account=None):
    response = invoke("channel_callback", callback_event(account or world.account_id, headers, body))
    return response["statusCode"]


def _unchanged(world: World, created) -> None:
    payment = world.d.payments.get(created["id"])
    assert payment.status == "PROCESSING"
    assert payment.version == created["version"]
    assert world.run_notifier()["count"] == 0


def _tx(world: World, created, **overrides):
    values = {
        "appid": world.appid,
        "mchid": world.mchid,
        "out_trade_no": world.out_trade_no(created["id"]),
        "total": 2500,
        "now": world.clock(),
    }
    return transaction(**{**values, **overrides})


def test_a_genuine_crafted_callback_is_accepted(world: World, trusted):
    key, apiv3 = trusted
    created = _created(world)
    headers, body = notice(
        _tx(world, created), signing_key=key, serial=TEST_SERIAL, apiv3_key=apiv3, timestamp=world.clock()
    )
    assert _send(world, headers, body) == 204
    assert world.d.payments.get(created["id"]).status == "SUCCESS"


def _genuine(world: World, created, key, apiv3, **overrides):
    values = {
        "signing_key": key,
        "serial": TEST_SERIAL,
        "apiv3_key": apiv3,
        "timestamp": world.clock(),
        **overrides,
    }
    return notice(_tx(world, created), **values)


def _signtest(world: World, created, key, apiv3):
    headers, body = _genuine(world, created, key, apiv3)
    return {**headers, "Wechatpay-Signature": "WECHATPAY/SIGNTEST/" + headers["Wechatpay-Signature"]}, body


def _tampered(world: World, created, key, apiv3):
    headers, body = _genuine(world, created, key, apiv3)
    return headers, body.replace(b"TRANSACTION.SUCCESS", b"TRANSACTION.SUCCESS ")


UNTRUSTWORTHY = {
    "forged signature": lambda w, c, k, a: _genuine(w, c, keypair("attacker").private_key, a),
    "tampered body": _tampered,
    "stale timestamp": lambda w, c, k, a: _genuine(w, c, k, a, timestamp=w.clock() - 301),
    "wrong decryption key": lambda w, c, k, a: _genuine(w, c, k, random_apiv3_key()),
    "signtest probe": _signtest,
}


@pytest.mark.parametrize("case", list(UNTRUSTWORTHY))
def test_untrustworthy_callbacks_are_rejected_with_nothing_changed(world: World, trusted, case):
    key, apiv3 = trusted
    created = _created(world)
    headers, body = UNTRUSTWORTHY[case](world, created, key, apiv3)
    assert _send(world, headers, body) == 401
    _unchanged(world, created)


def test_genuine_callback_with_wrong_amount_is_refused_and_recorded(world: World, trusted):
    key, apiv3 = trusted
    created = _created(world)
    headers, body = notice(
        _tx(world, created, total=1),
        signing_key=key,
        serial=TEST_SERIAL,
        apiv3_key=apiv3,
        timestamp=world.clock(),
    )
    assert _send(world, headers, body) == 500  # not acknowledged: WeChat keeps it while operators look
    _unchanged(world, created)
    exceptions = list_exceptions(world.d, limit=100)
    assert any(
        e["kind"] == "trade_mismatch" and "amount 1 != 2500" in json.dumps(e["detail"]) for e in exceptions
    )


def test_callback_on_another_accounts_path_is_rejected(world: World, trusted):
    key, apiv3 = trusted
    created = _created(world)
    # Disabled: never routed to, but its callbacks are still verified and handled.
    other = ChannelAccount(
        "wx-other",
        "wechat",
        ("wechat.native",),
        "1900000001",
        "wxother",
        "https://wechat.invalid",
        enabled=False,
    )
    world.d.channel_config.put_account(other, dict(world.d.channel_config.credentials(world.account_id)))
    headers, body = notice(
        _tx(world, created), signing_key=key, serial=TEST_SERIAL, apiv3_key=apiv3, timestamp=world.clock()
    )
    # Verified with wx-other's keys, but it names another merchant id: not acknowledged, recorded.
    assert _send(world, headers, body, account="wx-other") == 500
    _unchanged(world, created)
    (listed,) = listed_exceptions("trade_mismatch")
    assert f"merchant id {world.mchid} != 1900000001" in listed["detail"]["reason"]


def test_callback_for_an_unknown_order_of_the_right_merchant_is_acknowledged_and_recorded(
    world: World, trusted
):
    key, apiv3 = trusted
    tx = _tx(world, _created(world), out_trade_no="NOT-OURS-0001")
    headers, body = notice(tx, signing_key=key, serial=TEST_SERIAL, apiv3_key=apiv3, timestamp=world.clock())
    assert _send(world, headers, body) == 204  # money may have moved: recorded, never dropped
    (listed,) = listed_exceptions("unknown_order")
    assert listed["subject"] == "NOT-OURS-0001"


def listed_exceptions(kind: str) -> list[dict]:
    """What operators see (GET /v1/admin/exceptions) of `kind`."""
    response = invoke(
        "list_exceptions",
        {
            "rawPath": "/v1/admin/exceptions",
            "queryStringParameters": {"kind": kind},
            "requestContext": {"http": {"method": "GET"}},
        },
    )
    assert response["statusCode"] == 200
    return json.loads(response["body"])["data"]


def test_unknown_callback_path_is_404(world: World):
    headers = sign_headers(
        b"{}", signing_key=keypair("attacker").private_key, serial=TEST_SERIAL, timestamp=world.clock()
    )
    assert _send(world, headers, b"{}", account="no-such-account") == 404


def test_exceptions_are_listed_for_operators(world: World, trusted):
    key, apiv3 = trusted
    created = _created(world)
    headers, body = notice(
        _tx(world, created, total=1),
        signing_key=key,
        serial=TEST_SERIAL,
        apiv3_key=apiv3,
        timestamp=world.clock(),
    )
    _send(world, headers, body)
    _send(world, headers, body)  # the channel's retry is the same exception, recorded once
    response = invoke(
        "list_exceptions",
        {
            "rawPath": "/v1/admin/exceptions",
            "queryStringParameters": {"kind": "trade_mismatch"},
            "requestContext": {"http": {"method": "GET"}},
        },
    )
    listed = json.loads(response["body"])["data"]
    assert response["statusCode"] == 200 and len(listed) == 1
    assert (
        listed[0]["subject"] == world.out_trade_no(created["id"])
        and "amount 1 != 2500" in listed[0]["detail"]["reason"]
    )
