"""sandbox/huifu checks every request as Huifu does (registered sys_id, its product_id, the
signature over the sorted data, a huifu_id it may act for, today's req_date, one req_seq_id
per day) and signs every answer; requests built here by hand, independently of paymux."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from email.message import Message
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization

from sandbox.huifu import HuifuSandbox, generate_sys_id
from sandbox.huifu.keys import new_key, public_pem, sign_text, sorted_json, verifies
from sandbox.huifu.orders import beijing

MERCHANT = generate_sys_id("6666000108854952")


@pytest.fixture
def sandbox() -> Iterator[HuifuSandbox]:
    with HuifuSandbox() as sb:  # its handler is called directly, as its server calls it
        sb.register(MERCHANT)
        yield sb


def _data(**changes: Any) -> dict[str, Any]:
    now = time.time()
    data = {"req_date": beijing(now, "%Y%m%d"), "req_seq_id": f"T{int(now * 1e6)}", "huifu_id": MERCHANT.sys_id,
            "trade_type": "D_NATIVE", "trans_amt": "1.00", "goods_desc": "测试"}  # fmt: skip
    return {**data, **changes}


def _post(sb: HuifuSandbox, data: dict[str, Any], key: Any = None, **envelope: Any) -> dict[str, Any]:
    body = {"sys_id": MERCHANT.sys_id, "product_id": MERCHANT.product_id, "data": data,
            "sign": sign_text(key or MERCHANT.key, sorted_json(data)), **envelope}  # fmt: skip
    status, _, payload = sb.handle("POST", "/v3/trade/payment/jspay", Message(), json.dumps(body).encode())
    assert status == 200
    answer = json.loads(payload)
    huifu_key = serialization.load_pem_public_key(sb.public_key_pem)
    assert verifies(
        huifu_key, sorted_json(answer["data"], drop_empty=False), answer["sign"]
    )  # every answer is signed
    return dict(answer["data"])


def test_a_genuine_request_makes_an_order_and_every_defect_is_refused(sandbox: HuifuSandbox) -> None:
    assert _post(sandbox, _data())["resp_code"] == "00000000"
    refused = {
        "another key": _post(sandbox, _data(), key=new_key()),
        "another product": _post(sandbox, _data(), product_id="OTHER"),
        "unknown sys_id": _post(sandbox, _data(), sys_id="6666000100000000"),
        "another merchant": _post(sandbox, _data(huifu_id="6666000100000001")),
        "yesterday": _post(sandbox, _data(req_date="20200101")),
        "another wallet": _post(sandbox, _data(trade_type="T_NATIVE")),
        "bad amount": _post(sandbox, _data(trans_amt="1")),
    }
    assert {name: a["resp_code"] for name, a in refused.items()} == {
        "another key": "10000000", "another product": "22000000", "unknown sys_id": "22000000",
        "another merchant": "22000002", "yesterday": "10000000", "another wallet": "10000000",
        "bad amount": "10000000",
    }  # fmt: skip
    again = _data()
    assert _post(sandbox, again)["resp_code"] == "00000000"
    assert _post(sandbox, again)["resp_desc"] == "请求流水号重复"


def test_a_provider_sys_id_acts_only_for_the_merchants_it_onboarded(sandbox: HuifuSandbox) -> None:
    provider = generate_sys_id("6666000100000099")
    sandbox.register(provider, ["6666000100000001"])

    def post(huifu_id: str) -> str:
        data = _data(huifu_id=huifu_id)
        body = {"sys_id": provider.sys_id, "product_id": provider.product_id, "data": data,
                "sign": sign_text(provider.key, sorted_json(data))}  # fmt: skip
        _, _, payload = sandbox.handle(
            "POST", "/v3/trade/payment/jspay", Message(), json.dumps(body).encode()
        )
        return str(json.loads(payload)["data"]["resp_code"])

    assert post("6666000100000001") == "00000000"
    assert post(MERCHANT.sys_id) == "22000002"  # another sys_id's merchant
    assert public_pem(provider.public_key) != public_pem(MERCHANT.public_key)
