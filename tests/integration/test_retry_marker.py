"""`Paymux-Should-Retry` from the real create handler: `true` exactly where the same request
with the same Idempotency-Key is safe and succeeds when sent again, `false` where it replays."""

from __future__ import annotations

import hashlib
import json
import secrets
from typing import Any

import pytest

from paymux.api.http import parse_event
from paymux.api.idempotency import KEY_TTL_SECONDS, idempotent
from paymux.errors import ChannelUnavailable, InProgress
from paymux.services import payment_submission
from paymux.store.dynamo import to_item
from tests.integration.conftest import World
from tests.support import api_event, response_json


def _body(world: World, **overrides: Any) -> dict[str, Any]:
    return {
        "amount": 1999,
        "currency": "CNY",
        "method": "wechat.native",
        "subject": "Coffee",
        "merchant_order_no": "ORD-" + secrets.token_hex(6),
        "notify_url": world.notify_url,
        **overrides,
    }


def _create(world: World, body: dict[str, Any], key: str) -> dict[str, Any]:
    return world.raw("create_payment.json", body=body, headers={"idempotency-key": key})


def test_a_key_still_in_use_says_true_and_the_retry_gets_the_first_answer(world: World) -> None:
    body, key = _body(world), "k-" + secrets.token_hex(8)
    raw = json.dumps(body).encode()  # as tests.support.api_event sends it
    fingerprint = hashlib.sha256(b"POST\n/v1/payments\n" + raw).hexdigest()
    record = {"PK": {"S": f"IDEM#{world.app_id}#{key}"}, "SK": {"S": "IDEM"}}
    now = world.clock()
    claim = {
        "state": "in_progress",
        "fingerprint": fingerprint,
        "claimed_at": now,
        "ttl": int(now + KEY_TTL_SECONDS),
    }
    world.d.dynamodb.put_item(TableName=world.d.settings.table, Item={**record, **to_item(claim)})

    busy = _create(world, body, key)
    assert busy["statusCode"] == 409
    assert json.loads(busy["body"])["error"]["code"] == "idempotency_key_in_use"
    assert (busy["headers"]["Paymux-Should-Retry"], busy["headers"]["Retry-After"]) == ("true", "1")
    assert list(world.sandbox.orders) == []  # nothing was done

    world.d.dynamodb.delete_item(TableName=world.d.settings.table, Key=record)  # the first one died
    status, created = response_json(_create(world, body, key))
    assert status == 201 and created["status"] == "PROCESSING"


def test_a_refused_request_says_false_and_its_replay_too(world: World) -> None:
    key = "k-" + secrets.token_hex(8)
    body = _body(world, amount=10**12)
    first = _create(world, body, key)
    again = _create(world, body, key)
    assert first["statusCode"] == again["statusCode"] == 422
    assert first["headers"]["Paymux-Should-Retry"] == again["headers"]["Paymux-Should-Retry"] == "false"
    assert again["headers"]["Idempotent-Replayed"] == "true" and "Retry-After" not in again["headers"]
    other = _create(world, _body(world), key)
    assert other["statusCode"] == 409 and other["headers"]["Paymux-Should-Retry"] == "false"
    assert json.loads(other["body"])["error"]["code"] == "idempotency_key_reused"


def test_an_unreachable_channel_says_true_and_the_same_request_again_submits_it_once(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = payment_submission.route_channel
    failures = [ChannelUnavailable("POST https://api.mch.weixin.qq.com failed: ReadTimeout")]

    class Unreachable:
        def __init__(self, channel: Any) -> None:
            self._channel = channel

        def create(self, request: Any) -> Any:
            if failures:
                raise failures.pop()
            return self._channel.create(request)

        def __getattr__(self, name: str) -> Any:
            return getattr(self._channel, name)

    monkeypatch.setattr(payment_submission, "route_channel", lambda d, route: Unreachable(real(d, route)))
    body, key = _body(world), "k-" + secrets.token_hex(8)
    lost = _create(world, body, key)
    assert lost["statusCode"] == 503 and lost["headers"]["Paymux-Should-Retry"] == "true"
    pending = json.loads(lost["body"])["error"]["details"][0]
    assert pending["status"] == "PENDING"

    status, payment = response_json(_create(world, body, key))  # what an SDK's retry sends
    assert status == 200 and payment["id"] == pending["payment_id"]
    stored = world.d.payments.get(payment["id"])
    assert stored is not None and stored.status.value == "PROCESSING" and stored.attempt_count == 1
    assert list(world.sandbox.orders) == [stored.out_trade_no]  # one order at the channel


def test_an_error_marked_true_inside_an_operation_leaves_the_key_free_for_the_retry(world: World) -> None:
    """A `true` error is never stored under the key: the retry it invites runs, not a replay."""
    signing = {"app_id": world.app_id, "secret": world.secret, "now": world.clock()}
    event = api_event("create_payment.json", body={"x": 1}, headers={"idempotency-key": "k-inner"}, **signing)
    request = parse_event(event)
    app = world.d.merchants.app(world.app_id)
    answers: list[Any] = [
        InProgress("checkout_session_busy", "another choice is being made"),
        (201, {"ok": 1}),
    ]

    def operation() -> Any:
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    with pytest.raises(InProgress):
        idempotent(world.d, app, request, operation)
    assert idempotent(world.d, app, request, operation) == (201, {"ok": 1}, {})
    assert answers == []  # the second call ran the operation
