"""Acquirer mode (accessType 1): an acquirer signs with its own certificate for the merIds it
onboarded, and everything UnionPay sends back names both."""

from __future__ import annotations

import base64
import io
import zipfile
import zlib
from collections.abc import Callable
from datetime import date

import pytest
from unionpay_sandbox_client import (
    ACQ_INS_CODE,
    SUB_MER_ID,
    AcpClient,
    FakeClock,
    NotifyReceiver,
    Trust,
    at_beijing,
    parse_answer,
)

from sandbox.unionpay import GeneratedMerchant, UnionPaySandbox, generate_merchant


@pytest.fixture(scope="module")
def acquirer() -> GeneratedMerchant:
    return generate_merchant(ACQ_INS_CODE)


def test_an_acquirer_applies_pays_refunds_and_downloads_for_its_merchant(
    make_unionpay: Callable[..., UnionPaySandbox],
    acquirer: GeneratedMerchant,
    make_notify_receiver: Callable[..., NotifyReceiver],
) -> None:
    clock = FakeClock(at_beijing(2026, 4, 1, 10))
    sb = make_unionpay(clock=clock)
    sb.register_acquirer(ACQ_INS_CODE, [SUB_MER_ID], acquirer, name="特约商户甲")
    receiver = make_notify_receiver()
    client = AcpClient(sb, acquirer, clock, acq_ins_code=ACQ_INS_CODE)
    answer = client.apply_qr("ACQORDER001", 1200, receiver.url, mer_id=SUB_MER_ID)
    assert (answer["respCode"], answer["accessType"], answer["acqInsCode"]) == ("00", "1", ACQ_INS_CODE)
    assert answer["merId"] == SUB_MER_ID
    sb.pay("ACQORDER001")
    (notify,) = receiver.wait_for(1)
    assert Trust.of(sb).verifies(notify.form, at=clock.now)
    assert (notify.form["accessType"], notify.form["acqInsCode"], notify.form["merId"]) == (
        "1",
        ACQ_INS_CODE,
        SUB_MER_ID,
    )
    txn_time = sb.transaction("ACQORDER001")["txnTime"]
    assert client.query("ACQORDER001", txn_time, mer_id=SUB_MER_ID)["origRespCode"] == "00"
    refund = client.refund("ACQREFUND01", notify.form["queryId"], 200, receiver.url, mer_id=SUB_MER_ID)
    assert refund["respCode"] == "00"
    clock.now = at_beijing(2026, 4, 2, 10)
    file_answer = client.file("0401", mer_id=SUB_MER_ID)
    raw = zlib.decompress(base64.b64decode(file_answer["fileContent"]))
    archive = zipfile.ZipFile(io.BytesIO(raw))
    lines = archive.read(f"INN26040188ZM_{SUB_MER_ID}").split(b"\r\n")[:-1]
    assert len(lines) == 2 and {len(line) for line in lines} == {607}
    assert all(line[4:15].decode().strip() == ACQ_INS_CODE for line in lines)  # field 2
    summary = archive.read(f"RD201026040101_{SUB_MER_ID}").decode("gbk")
    assert f"收单机构:{ACQ_INS_CODE}" in summary and "商户名称:特约商户甲" in summary
    assert sb.statement_rows(SUB_MER_ID, date(2026, 4, 1))[1]["orderId"] == "ACQREFUND01"


def test_an_acquirer_may_not_act_for_a_merchant_it_did_not_onboard(
    make_unionpay: Callable[..., UnionPaySandbox], acquirer: GeneratedMerchant
) -> None:
    sb = make_unionpay()
    sb.register_acquirer(ACQ_INS_CODE, [SUB_MER_ID], acquirer)
    client = AcpClient(sb, acquirer, acq_ins_code=ACQ_INS_CODE)
    answer = client.apply_qr("ACQORDER002", 100, "http://127.0.0.1:9/n", mer_id="898110000000009")
    assert answer["respCode"] == "32" and not sb.transactions
    sb.add_sub_merchant(ACQ_INS_CODE, "898110000000009")
    assert (
        client.apply_qr("ACQORDER002", 100, "http://127.0.0.1:9/n", mer_id="898110000000009")["respCode"]
        == "00"
    )


def test_a_merchants_own_certificate_does_not_sign_as_the_acquirer(
    make_unionpay: Callable[..., UnionPaySandbox],
    acquirer: GeneratedMerchant,
    unionpay_identity: GeneratedMerchant,
) -> None:
    sb = make_unionpay(unionpay_identity)
    sb.register_acquirer(ACQ_INS_CODE, [SUB_MER_ID], acquirer)
    client = AcpClient(sb, unionpay_identity, acq_ins_code=ACQ_INS_CODE)
    fields = client.envelope(
        SUB_MER_ID, txnType="00", txnSubType="00", bizType="000000", orderId="ACQORDER003"
    )
    answer = parse_answer(client.post_raw("/gateway/api/queryTrans.do", client.sign(fields)).text)
    assert answer["respCode"] == "11"
    unknown = AcpClient(sb, acquirer, acq_ins_code="48029999")
    fields = unknown.envelope(
        SUB_MER_ID, txnType="00", txnSubType="00", bizType="000000", orderId="ACQORDER003"
    )
    assert (
        parse_answer(unknown.post_raw("/gateway/api/queryTrans.do", unknown.sign(fields)).text)["respCode"]
        == "31"
    )
