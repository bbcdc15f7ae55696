"""The audit listing's `next` cursor: only a key the same listing's query could have produced
reaches DynamoDB as an ExclusiveStartKey. moto accepts start keys real DynamoDB refuses (a hash
key other than the query's: ValidationException), so the validation itself is tested here, with
a table that records every query, and DynamoDB's refusal of a cursor is a 422 as well."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import pytest
from botocore.exceptions import ClientError

from paymux.console.audit import listing
from paymux.console.identity import ConsoleUser
from paymux.errors import ValidationFailed

OPERATOR = ConsoleUser(sub="sub-op", username="op", role="operator")
NOW = datetime(2026, 12, 2, 4, 0, tzinfo=UTC).timestamp()
GOOD_SK = "2026-12-02T03:59:58Z#01KBE0000000000000000000AB"


class Table:
    class exceptions:  # boto3 clients name it so
        ClientError = ClientError

    def __init__(self, refuse: bool = False) -> None:
        self.asked: list[dict[str, Any]] = []
        self.refuse = refuse

    def query(self, **kwargs: Any) -> dict[str, Any]:
        self.asked.append(kwargs)
        if self.refuse:
            error = {"Code": "ValidationException", "Message": "The provided starting key is invalid"}
            raise ClientError({"Error": error}, "Query")
        return {"Items": []}


def deps(table: Table) -> Any:
    return SimpleNamespace(dynamodb=table, settings=SimpleNamespace(table="paymux"), clock=lambda: NOW)


def cursor(partition: str, sort_key: Any, **extra: Any) -> str:
    raw = json.dumps({"partition": partition, "sk": sort_key, **extra}).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@pytest.mark.parametrize(
    ("query", "partition", "sort_key"),
    [
        ({}, "CAUDIT#2026-12-02", "x"),  # the cursor: PK would be CAUDIT#x
        ({}, "CAUDIT#2026-12-02", "2026-12-01T23:59:59Z#01KBE0000000000000000000AB"),  # another day
        ({"day": "2026-12-01"}, "CAUDIT#2026-12-01", GOOD_SK),  # today's key on yesterday's page
        ({}, "CAUDIT#2026-12-02", "2026-12-02T03:59:58Z#not-a-ulid"),
        ({}, "CAUDIT#2026-12-02", GOOD_SK + "x"),
        ({}, "CAUDIT#2026-12-02", "2026-12-02" + "#" * 30),
        ({"actor": "op", "day": "2026-12-01"}, "CAUDIT_BY#op", GOOD_SK),  # outside the day prefix
        ({"target": "acc_1", "day": "2026-12-01"}, "CAUDIT_ON#acc_1", GOOD_SK),
        ({"actor": "op"}, "CAUDIT_BY#op", "y"),
    ],
)
def test_a_cursor_its_listing_could_not_have_produced_is_a_422_and_no_query(
    query: dict[str, str], partition: str, sort_key: str
) -> None:
    table = Table()
    with pytest.raises(ValidationFailed) as refused:
        listing(deps(table), OPERATOR, {**query, "next": cursor(partition, sort_key)})
    assert refused.value.status == 422 and refused.value.details[0]["field"] == "next"
    assert table.asked == []


def test_a_cursor_with_other_keys_is_refused() -> None:
    table = Table()
    with pytest.raises(ValidationFailed):
        listing(deps(table), OPERATOR, {"next": cursor("CAUDIT#2026-12-02", GOOD_SK, PK="CAUDIT#x")})
    assert table.asked == []


@pytest.mark.parametrize(
    ("query", "partition", "start"),
    [
        ({}, "CAUDIT#2026-12-02", {"PK": "CAUDIT#2026-12-02", "SK": GOOD_SK}),
        (
            {"actor": "op", "day": "2026-12-02"},
            "CAUDIT_BY#op",
            {"PK": "CAUDIT#2026-12-02", "SK": GOOD_SK, "GSI1PK": "CAUDIT_BY#op", "GSI1SK": GOOD_SK},
        ),
        (
            {"target": "acc_1"},
            "CAUDIT_ON#acc_1",
            {"PK": "CAUDIT#2026-12-02", "SK": GOOD_SK, "GSI3PK": "CAUDIT_ON#acc_1", "GSI3SK": GOOD_SK},
        ),
    ],
)
def test_a_cursor_of_the_listing_gives_the_start_key_of_its_query(
    query: dict[str, str], partition: str, start: dict[str, str]
) -> None:
    table = Table()
    answer = listing(deps(table), OPERATOR, {**query, "next": cursor(partition, GOOD_SK)})
    assert answer["next"] is None
    (asked,) = table.asked
    assert asked["ExclusiveStartKey"] == {k: {"S": v} for k, v in start.items()}
    assert asked["ExpressionAttributeValues"][":pk"] == {"S": partition}


def test_dynamodbs_refusal_of_a_cursor_is_a_422_not_a_500() -> None:
    table = Table(refuse=True)
    with pytest.raises(ValidationFailed):
        listing(deps(table), OPERATOR, {"next": cursor("CAUDIT#2026-12-02", GOOD_SK)})
    with pytest.raises(ClientError):  # without a cursor it is not the caller's: it stays an error
        listing(deps(table), OPERATOR, {})
