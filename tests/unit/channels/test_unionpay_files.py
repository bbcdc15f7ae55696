"""UnionPay file transfer (txnType 76): the unsigned request fields and what each answer means."""

from __future__ import annotations

import base64
import hashlib
import zlib
from datetime import UTC, date, datetime

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from paymux.channels.statement import StatementInvalid, StatementNotReady
from paymux.channels.unionpay.certificates import verify_message
from paymux.channels.unionpay.files import Access, file_request, read_file_answer
from paymux.channels.unionpay.form import parse_form
from paymux.channels.unionpay.signing import SigningKey
from paymux.channels.unionpay.statement import parse_statement_zip
from paymux.errors import CallbackRejected, ChannelError, ChannelUnavailable
from tests.unionpay_keys import sign_as_unionpay, unionpay_chain, unionpay_merchant
from tests.unionpay_statement_files import SAMPLE_MER_ID, SAMPLE_ZIP

# 2015-09-06 02:30:00 UTC = 10:30:00 Beijing, the morning after the settle day
NOW = datetime(2015, 9, 6, 2, 30, tzinfo=UTC).timestamp()


def answer(code: str, **fields: str) -> dict[str, str]:
    return {"version": "5.1.0", "txnType": "76", "respCode": code, "respMsg": "msg"} | fields


def test_a_direct_merchants_request_asks_for_the_settle_day_in_mmdd_at_beijing_time() -> None:
    assert file_request(SAMPLE_MER_ID, date(2015, 9, 5), NOW) == {
        "version": "5.1.0",
        "encoding": "UTF-8",
        "signMethod": "01",
        "txnType": "76",
        "txnSubType": "01",
        "bizType": "000000",
        "accessType": "0",
        "channelType": "07",
        "merId": SAMPLE_MER_ID,
        "settleDate": "0905",
        "txnTime": "20150906103000",
        "fileType": "00",
    }


def test_an_acquirers_request_names_its_institution_and_is_unsigned() -> None:
    new_year = datetime(2015, 12, 31, 16, 0, 1, tzinfo=UTC).timestamp()  # 2016-01-01 00:00:01 Beijing
    fields = file_request("898111148990001", date(2015, 12, 31), new_year, Access("48021000"))
    assert (fields["accessType"], fields["acqInsCode"], fields["merId"]) == (
        "1",
        "48021000",
        "898111148990001",
    )
    assert (fields["settleDate"], fields["txnTime"]) == ("1231", "20160101000001")
    assert not {"certId", "signature", "signPubKeyCert"} & set(fields)


def test_answer_00_is_the_zip_unpacked_from_file_content() -> None:
    wire = base64.b64encode(zlib.compress(SAMPLE_ZIP.read_bytes())).decode()
    assert read_file_answer(answer("00", fileContent=wire, fileName="802310048993424_20150905.zip")) == (
        SAMPLE_ZIP.read_bytes()
    )
    assert read_file_answer(answer("00", fileContent="")) is None  # no file for that day
    with pytest.raises(StatementInvalid):
        read_file_answer(answer("00", fileContent="%%%"))


def test_answer_98_means_not_ready_yet() -> None:
    with pytest.raises(StatementNotReady) as caught:
        read_file_answer(answer("98", respMsg="文件不存在"))
    assert caught.value.code == "statement_not_ready"
    assert isinstance(caught.value, ChannelUnavailable)  # the day is asked again later


@pytest.mark.parametrize("code", ["03", "04", "05", "06", ""])
def test_unknown_or_busy_answers_are_unavailable_not_refused(code: str) -> None:
    with pytest.raises(ChannelUnavailable) as caught:
        read_file_answer(answer(code))
    assert not isinstance(caught.value, StatementNotReady)


@pytest.mark.parametrize("code", ["10", "11", "31", "32", "99"])
def test_other_answers_are_a_refusal_with_their_code(code: str) -> None:
    with pytest.raises(ChannelError) as caught:
        read_file_answer(answer(code))
    assert not isinstance(caught.value, ChannelUnavailable)
    assert caught.value.channel_code == code


def test_an_answer_to_another_transaction_is_not_a_file() -> None:
    with pytest.raises(ChannelUnavailable, match="not a file transfer answer"):
        read_file_answer(answer("00", txnType="01", fileContent="eJwDAAAAAAE="))


def test_the_request_signed_by_the_merchant_key_verifies_with_its_certificate() -> None:
    merchant = unionpay_merchant()
    key = SigningKey.from_pkcs12(merchant.pfx, merchant.password)
    signed = key.sign(file_request(SAMPLE_MER_ID, date(2015, 9, 5), NOW))
    assert signed["certId"] == merchant.cert_id and signed["settleDate"] == "0905"
    text = "&".join(f"{k}={signed[k]}" for k in sorted(signed) if k != "signature")
    digest = hashlib.sha256(text.encode()).hexdigest().encode()
    public = merchant.certificate.public_key()
    assert isinstance(public, rsa.RSAPublicKey)
    public.verify(base64.b64decode(signed["signature"]), digest, padding.PKCS1v15(), hashes.SHA256())


def test_a_signed_answer_verifies_then_unpacks_into_the_sample_statement() -> None:
    wire = base64.b64encode(zlib.compress(SAMPLE_ZIP.read_bytes())).decode()
    fields = answer("00", merId=SAMPLE_MER_ID, settleDate="0905", fileType="00", fileContent=wire)
    signed = sign_as_unionpay(fields | {"fileName": "802310048993424_20150905.zip"})
    received = parse_form("&".join(f"{k}={v}" for k, v in signed.items()))  # answers are not url-encoded
    answered = datetime(2025, 9, 6, 2, 30, tzinfo=UTC).timestamp()  # within the test chain's validity
    verify_message(received, unionpay_chain().trust(), at=answered)  # the client's step, before reading
    raw_zip = read_file_answer(received)
    assert raw_zip is not None
    bill = parse_statement_zip(raw_zip, SAMPLE_MER_ID, settle_date=date(2015, 9, 5))
    assert (len(bill.rows), bill.summary.payment_total) == (8, 1_322_700)
    tampered = received | {"fileContent": base64.b64encode(zlib.compress(raw_zip + b"\0")).decode()}
    with pytest.raises(CallbackRejected):
        verify_message(tampered, unionpay_chain().trust(), at=answered)
