"""Every transaction goes through `store.dynamo.transact`, with a ClientRequestToken derived from
its operation: deterministic for the same operation and items, distinct otherwise, within
DynamoDB's 36 characters; a token that met other items is a typed conflict."""

import boto3
import pytest
from botocore.stub import ANY, Stubber

from paymux.errors import IllegalTransition
from paymux.store.dynamo import request_token, transact

ITEMS = [{"Put": {"TableName": "t", "Item": {"PK": {"S": "PAY#1"}, "SK": {"S": "PAY"}}}}]
OTHER = [{"Put": {"TableName": "t", "Item": {"PK": {"S": "PAY#2"}, "SK": {"S": "PAY"}}}}]


def test_token_is_derived_from_table_operation_and_items():
    token = request_token("t", "payment.create#pay_1", ITEMS)
    assert len(token) <= 36
    assert token == request_token("t", "payment.create#pay_1", [dict(i) for i in ITEMS])
    assert token != request_token("t", "payment.create#pay_1", OTHER)
    assert token != request_token("t", "payment.create#pay_2", ITEMS)
    assert token != request_token("other", "payment.create#pay_1", ITEMS)


def _client():
    return boto3.client("dynamodb", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")


def test_transact_sends_the_token():
    client = _client()
    with Stubber(client) as stub:
        expected = {"TransactItems": ITEMS, "ClientRequestToken": request_token("t", "op", ITEMS)}
        stub.add_response("transact_write_items", {}, expected)
        transact(client, "t", "op", ITEMS)
        stub.assert_no_pending_responses()


def test_a_token_that_met_other_items_is_a_typed_conflict():
    client = _client()
    with Stubber(client) as stub:
        stub.add_client_error(
            "transact_write_items",
            service_error_code="IdempotentParameterMismatchException",
            expected_params={"TransactItems": ITEMS, "ClientRequestToken": ANY},
        )
        with pytest.raises(IllegalTransition) as raised:
            transact(client, "t", "op", ITEMS)
    assert raised.value.status == 409
    assert isinstance(raised.value.__cause__, client.exceptions.IdempotentParameterMismatchException)
