"""A retried transaction neither applies twice nor misreports: the SDK's own retry of a
TransactWriteItems whose response was lost after it committed (read timeout) must not turn a
brand-new order into "200 existing", and every transaction carries a ClientRequestToken derived
from its operation, so real DynamoDB answers such a retry as the success it was."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ReadTimeoutError
from botocore.retries import standard

from paymux.errors import IllegalTransition
from paymux.store.payments import Outcome
from tests.integration.conftest import World


class LostResponse:
    """A botocore `before-send` hook: the first TransactWriteItems whose body mentions `marker`
    is really sent (and commits in moto), then its response is "lost" as a read timeout, so
    botocore's standard retry re-sends the very same request. Records every body sent."""

    def __init__(self, world: World, marker: str) -> None:
        self._session = world.d.dynamodb._endpoint.http_session
        self._marker = marker
        self.fired = False
        self.bodies: list[dict[str, Any]] = []

    def __call__(self, request: Any, **_: Any) -> Any:
        body = request.body.decode() if isinstance(request.body, bytes) else str(request.body)
        self.bodies.append(json.loads(body))
        if self.fired or self._marker not in body:
            return None  # botocore sends it normally
        self.fired = True
        response = self._session.send(request)
        assert response.status_code == 200, response.content  # committed
        raise ReadTimeoutError(endpoint_url=request.url)


@pytest.fixture
def lose_first_create_response(world: World, monkeypatch: pytest.MonkeyPatch) -> Iterator[LostResponse]:
    # botocore's backoff before the retry is real time; the retry itself is what is under test.
    monkeypatch.setattr(standard.ExponentialBackoff, "delay_amount", lambda self, context: 0)
    hook = LostResponse(world, "MORDER#")
    events = world.d.dynamodb.meta.events
    events.register_first("before-send.dynamodb.TransactWriteItems", hook)
    try:
        yield hook
    finally:
        events.unregister("before-send.dynamodb.TransactWriteItems", hook)


def test_sdk_retry_after_a_committed_create_answers_201(world: World, lose_first_create_response):
    order_no = "ORD-RETRY-1"
    status, body = world.create(merchant_order_no=order_no)

    assert lose_first_create_response.fired
    assert status == 201, body  # not 200 "existing": this request wrote the order itself
    assert body["status"] == "PROCESSING" and body["action"]["code_url"]
    payment = world.d.payments.get(body["id"])
    assert payment is not None and payment.attempt_count == 1
    payments = world.d.dynamodb.scan(
        TableName=world.d.settings.table,
        FilterExpression="begins_with(PK, :p) AND SK = :sk",
        ExpressionAttributeValues={":p": {"S": "PAY#"}, ":sk": {"S": "PAY"}},
    )["Items"]
    assert [p["payment_id"]["S"] for p in payments] == [body["id"]]  # exactly one payment
    attempts = world.d.dynamodb.scan(
        TableName=world.d.settings.table,
        FilterExpression="begins_with(PK, :p) OR attribute_exists(attempt)",
        ExpressionAttributeValues={":p": {"S": "ATTEMPT#"}},
    )["Items"]
    assert len(attempts) == 1  # the first attempt, kept on the creation event
    assert world.d.payments.get_attempt(payment.out_trade_no)["payment_id"] == body["id"]
    assert [o["out_trade_no"] for o in world.sandbox.orders.values()] == [payment.out_trade_no]
    events = [e["type"] for e in world.d.payments.events(body["id"])]
    assert events == ["payment.created", "payment.submitted"]


def test_every_transaction_carries_a_token_derived_from_its_operation(
    world: World, lose_first_create_response
):
    status, created = world.create(merchant_order_no="ORD-RETRY-2")
    assert status == 201
    payment = world.d.payments.get(created["id"])
    assert payment is not None
    # The same logical operation sent again by the application (not by the SDK) ... (with a
    # further item: a change of the payment and its event alone is no transaction)
    outcome = Outcome("payment.note", "test", {"n": 1})
    note = [{"PK": "NOTE#retry", "SK": "NOTE"}]
    world.d.payments.transition(payment, payment.status, {"updated_at": 5.0}, outcome, extra_puts=note)
    with pytest.raises(IllegalTransition):  # moto ignores the token; DynamoDB would answer success
        world.d.payments.transition(payment, payment.status, {"updated_at": 5.0}, outcome, extra_puts=note)
    # ... and a different operation on the same payment and version.
    with pytest.raises(IllegalTransition):
        world.d.payments.transition(payment, payment.status, {"updated_at": 6.0}, outcome, extra_puts=note)

    sent = lose_first_create_response.bodies
    assert len(sent) == 5  # create, its SDK retry, the operation twice, the other one
    tokens = [b.get("ClientRequestToken") for b in sent]
    assert all(t and len(t) <= 36 for t in tokens), tokens
    assert tokens[0] == tokens[1] and sent[0]["TransactItems"] == sent[1]["TransactItems"]
    assert tokens[2] == tokens[3]  # derived from the operation, not drawn per call
    assert len({tokens[0], tokens[2], tokens[4]}) == 3  # distinct operations never share one


def test_sdk_retry_counts_the_payer_once(world: World, lose_first_create_response):
    from paymux.domain.payer_limits import PayerLimits

    world.d.merchants.set_payer_limits(world.app_id, PayerLimits(("openid",), daily_count=1))
    status, body = world.create(merchant_order_no="ORD-RETRY-3", payer={"openid": "o-retry"})
    assert lose_first_create_response.fired
    assert status == 201, body  # neither "200 existing" nor "limit reached" by its own retry
    (counter,) = world.d.dynamodb.scan(
        TableName=world.d.settings.table,
        FilterExpression="begins_with(PK, :p)",
        ExpressionAttributeValues={":p": {"S": "PAYERDAY#"}},
    )["Items"]
    assert counter["count"] == {"N": "1"}
    status, body = world.create(payer={"openid": "o-retry"})
    assert (status, body["error"]["code"]) == (422, "payer_daily_count_exceeded")
