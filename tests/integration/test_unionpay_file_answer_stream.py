"""The sandbox's file transfer answer (txnType 76) read the two ways: streamed from disk
(UnionPayChannel.post_for_file, what fetch_statement uses) and whole in memory (post_signed,
form.parse_form + statement.unpack_file_content): the same verified fields, the same zip."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from paymux.channels.unionpay import download, files
from paymux.channels.unionpay.client import UnionPayChannel
from paymux.channels.unionpay.statement import unpack_file_content
from paymux.services.routes import attempt_route, route_channel
from tests.integration.conftest import World
from tests.integration.unionpay_world import UnionPayWorld, unionpay_beside


@pytest.fixture
def unionpay(world: World) -> Iterator[UnionPayWorld]:
    yield from unionpay_beside(world)


def test_the_streamed_answer_is_the_in_memory_parsers(unionpay: UnionPayWorld) -> None:
    paid = [unionpay.paid(method, amount=700 + n) for n, method in enumerate(("unionpay.qr", "unionpay.wap"))]
    payment = unionpay.world.d.payments.get(paid[0]["id"])
    assert payment is not None
    day = date.fromisoformat(payment.settle_date)
    unionpay.sandbox.set_file_ready(day, True)
    channel = route_channel(unionpay.world.d, attempt_route(unionpay.world.d, payment))
    assert isinstance(channel, UnionPayChannel)
    request = files.file_request(unionpay.mer_id, day, unionpay.world.clock())
    url = download.file_url(channel.account.base_url)

    in_memory = channel.post_signed(url, request)
    streamed = channel.post_for_file(url, request)

    try:
        assert in_memory["respCode"] == "00" and in_memory["fileContent"]
        assert streamed.fields == {k: v for k, v in in_memory.items() if k != "fileContent"}
        assert Path(streamed.zip_path).read_bytes() == unpack_file_content(in_memory["fileContent"])
    finally:
        os.unlink(streamed.zip_path)
