"""Two attempts of one payment both paid: the payment keeps the first, the extra charge is
refunded automatically and once, and the payment's events say so."""

import json

from paymux.channels.wechat.signing import decrypt_resource
from paymux.domain.refund import automatic_refund_id, out_refund_no
from tests.integration.conftest import World, callback_event
from tests.integration.test_automatic_refunds import second_attempt
from tests.support import invoke


def test_a_second_paid_attempt_is_refunded_automatically(world: World):
    _, created = world.create(amount=3000)
    # An abandoned attempt that was paid after all: a second attempt exists at the channel too.
    first_no, second_no = second_attempt(world, created)
    world.sandbox.pay(world.mchid, second_no)
    world.sandbox.wait_for_callbacks(timeout=10)
    world.sandbox.pay(world.mchid, first_no)  # the payer pays the other one as well
    world.sandbox.wait_for_callbacks(timeout=10)

    payment = world.d.payments.get(created["id"])
    assert (payment.status, payment.out_trade_no, payment.amount_refunded) == ("SUCCESS", second_no, 0)
    refund_id = automatic_refund_id(first_no)
    refund_no = out_refund_no(refund_id)
    assert world.sandbox.refunds[refund_no]["amount"]["refund"] == 3000
    assert world.sandbox.orders[first_no]["trade_state"] == "REFUND"
    assert world.d.refunds.get(refund_id).status == "SUCCESS"  # settled by REFUND.SUCCESS
    events = [e["type"] for e in world.d.payments.events(created["id"])]
    assert events.count("payment.duplicate_charge") == 1

    # The channel retries the second success: nothing more is refunded or recorded.
    # Received in order: the second attempt's success, the first attempt's, the refund's.
    assert [c["headers"]["Content-Type"] for c in world.catcher.received].count("application/json") == 3
    paid_first = world.catcher.received[1]
    apiv3 = world.d.channel_config.credentials(world.account_id)["apiv3_key"].encode()
    resource = json.loads(paid_first["body"])["resource"]
    assert decrypt_resource(apiv3, resource)["out_trade_no"] == first_no
    assert (
        invoke(
            "channel_callback", callback_event(world.account_id, paid_first["headers"], paid_first["body"])
        )["statusCode"]
        == 204
    )
    invoke("channel_callback", callback_event(world.account_id, paid_first["headers"], paid_first["body"]))
    assert len([r for r in world.sandbox.refunds if r == refund_no]) == 1
    assert [e["type"] for e in world.d.payments.events(created["id"])].count("payment.duplicate_charge") == 1
