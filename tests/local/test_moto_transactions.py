"""TransactWriteItems with the local stack's item-level rollback (local/moto_transactions.py)
against moto's own whole-table snapshot: the same transactions, successes and each kind of
failure, give the same responses, the same errors and the same tables and index queries."""

from __future__ import annotations

from typing import Any

import pytest
from moto.dynamodb.models.dynamo_type import Item

from tests.local.moto_pair import HUGE, Outcome, Pair, Side, key, moto_url, n, order, pair, s, seed

__all__ = ["moto_url", "pair"]  # fixtures


def scenarios(orders: str, counters: str) -> list[tuple[str, list[dict[str, Any]]]]:
    """Each transaction, in order; later ones run on what the earlier ones left."""

    def put(item: dict[str, Any], **extra: Any) -> dict[str, Any]:
        return {"Put": {"TableName": orders, "Item": item, **extra}}

    def update(pk: str, expression: str, values: dict[str, Any], table: str = orders, **extra: Any) -> Any:
        target = {"id": s(pk)} if table == counters else key(pk)
        body = {"TableName": table, "Key": target, "UpdateExpression": expression}
        return {"Update": {**body, "ExpressionAttributeValues": values, **extra}}

    def delete(pk: str, **extra: Any) -> dict[str, Any]:
        return {"Delete": {"TableName": orders, "Key": key(pk), **extra}}

    def check(pk: str, condition: str, **extra: Any) -> dict[str, Any]:
        return {
            "ConditionCheck": {"TableName": orders, "Key": key(pk), "ConditionExpression": condition, **extra}
        }

    all_old = {"ReturnValuesOnConditionCheckFailure": "ALL_OLD"}
    return [
        (
            "every kind of operation succeeds",
            [
                put(order("D", "OPEN", "004")),
                update("A", "SET status_key = :p ADD amount :five", {":p": s("PAID"), ":five": n(5)}),
                delete("C"),
                check("B", "attribute_exists(pk)"),
                update("y", "ADD n :one", {":one": n(1)}, table=counters),  # ADD creates the item
            ],
        ),
        (
            "a condition check fails mid-way, returning the item",
            [
                put(order("E", "OPEN", "005")),
                update("B", "SET status_key = :p", {":p": s("PAID")}),  # moves B in the index
                check("D", "attribute_not_exists(pk)", **all_old),
                delete("A"),
                update("z", "ADD n :one", {":one": n(1)}, table=counters),
            ],
        ),
        (
            "several conditions fail, on a missing item, a Put and an Update",
            [
                check("NOPE", "attribute_exists(pk)", **all_old),
                put(order("B", "OPEN", "002"), ConditionExpression="attribute_not_exists(pk)", **all_old),
                update(
                    "A",
                    "SET amount = :v",
                    {":v": n(1), ":big": n(1000)},
                    ConditionExpression="amount > :big",
                    **all_old,
                ),
                put(order("F", "OPEN", "006")),
            ],
        ),
        (
            "a Delete's condition fails after an unconditional Delete",
            [
                delete("D", ConditionExpression="attribute_exists(pk)"),
                delete(
                    "B",
                    ConditionExpression="amount = :v",
                    ExpressionAttributeValues={":v": n(999)},
                    **all_old,
                ),
            ],
        ),
        (
            "two operations on one item",
            [
                put(order("F", "OPEN", "006")),
                update("B", "SET note = :t", {":t": s("first")}),
                delete("B"),
            ],
        ),
        (
            "an item over the size limit",
            [put(order("G", "OPEN", "007")), put(order("H", "OPEN", "008", big=s(HUGE)))],
        ),
        (
            "an update grows an item over the limit after changing it",
            [
                put(order("I", "OPEN", "009")),
                update("B", "SET note = :t, big = :h", {":t": s("x"), ":h": s(HUGE)}),
            ],
        ),
        (
            "an update grows a missing item over the limit after creating it",
            [put(order("J", "OPEN", "010")), update("K", "SET big = :h", {":h": s(HUGE)})],
        ),
        (
            "an update reads an attribute a missing item does not have",
            [
                update("counted", "ADD n :one", {":one": n(1)}, table=counters),
                update("L", "SET grand_total = missing_attr + :one", {":one": n(1)}),
            ],
        ),
        (
            "an operation names a table that does not exist",
            [put(order("M", "OPEN", "011")), {"Delete": {"TableName": f"{orders}-missing", "Key": key("B")}}],
        ),
        (
            "a key without its range key",
            [put(order("N", "OPEN", "012")), {"Delete": {"TableName": orders, "Key": {"pk": s("B")}}}],
        ),
        (
            "the tables still take transactions after the failures",
            [
                update("B", "ADD amount :one", {":one": n(1)}),
                put(order("O", "PAID", "013")),
                delete("Z03"),
                update("R", "SET status_key = :o, seq = :q", {":o": s("OPEN"), ":q": s("016")}),  # a new item
            ],
        ),
    ]


EXPECTED = {  # what moto answers; the test checks the patch answers the same
    "every kind of operation succeeds": "ok",
    "a condition check fails mid-way, returning the item": [
        "None",
        "None",
        "ConditionalCheckFailed",
        "None",
        "None",
    ],
    "several conditions fail, on a missing item, a Put and an Update": [
        "ConditionalCheckFailed",
        "ConditionalCheckFailed",
        "ConditionalCheckFailed",
        "None",
    ],
    "a Delete's condition fails after an unconditional Delete": ["None", "ConditionalCheckFailed"],
    "two operations on one item": "ValidationException",
    "an item over the size limit": "ValidationException",
    "an update grows an item over the limit after changing it": "ValidationException",
    "an update grows a missing item over the limit after creating it": "ValidationException",
    "an update reads an attribute a missing item does not have": "ValidationException",
    "an operation names a table that does not exist": ["None", "ResourceNotFoundException"],
    "a key without its range key": "ValidationException",
    "the tables still take transactions after the failures": "ok",
}


def _kind(outcome: Outcome) -> Any:
    if outcome[0] == "ok":
        return "ok"
    if outcome[1] == "TransactionCanceledException":
        return [reason["Code"] for reason in outcome[3]]
    return outcome[1]


def test_transactions_give_moto_s_responses_errors_and_tables(pair: Pair) -> None:
    seed(pair)
    for name, entries in scenarios(pair.moto.orders, pair.moto.counters):
        before = pair.moto.contents()
        assert pair.patched.contents() == before, f"before {name!r}"

        outcome = pair.moto.transact(entries)

        assert pair.patched.transact(entries) == outcome, name
        assert _kind(outcome) == EXPECTED[name], name
        after = pair.moto.contents()
        assert pair.patched.contents() == after, f"after {name!r}"
        if outcome[0] == "error":
            assert after == before, f"{name!r} failed, so it changed nothing"
        else:
            assert after != before, f"{name!r} succeeded, so it changed something"


def _fill(side: Side, start: int, count: int) -> None:
    for first in range(start, start + count, 25):
        requests = [
            {"PutRequest": {"Item": order(f"F{i:05}", "OPEN", f"{i:05}", amount=n(i))}}
            for i in range(first, min(first + 25, start + count))
        ]
        side.client.batch_write_item(RequestItems={side.orders: requests})


def _items_copied(side: Side, monkeypatch: pytest.MonkeyPatch) -> int:
    """How many stored items one successful and one cancelled transaction deep-copy."""
    copied: list[Item] = []
    deepcopy = Item.__deepcopy__

    def counting(self: Item, memo: dict[int, Any]) -> Item:
        copied.append(self)
        return deepcopy(self, memo)

    with monkeypatch.context() as patch:
        patch.setattr(Item, "__deepcopy__", counting)
        for amount in (1, 2):  # the second one's condition fails
            entries = [
                {"Put": {"TableName": side.orders, "Item": order(f"NEW{amount}", "OPEN", "000")}},
                {
                    "Update": {
                        "TableName": side.orders,
                        "Key": key("F00000"),
                        "UpdateExpression": "SET amount = :a",
                        "ConditionExpression": "amount < :a",
                        "ExpressionAttributeValues": {":a": n(amount)},
                    }
                },
            ]
            side.transact(entries)
    return len(copied)


def test_a_transaction_copies_only_the_items_it_names(pair: Pair, monkeypatch: pytest.MonkeyPatch) -> None:
    copies: dict[str, list[int]] = {"moto": [], "patched": []}
    for size in (20, 400):
        for name, side in (("moto", pair.moto), ("patched", pair.patched)):
            _fill(side, len(side.contents()["orders"]), size - len(side.contents()["orders"]))
            assert len(side.contents()["orders"]) == size
            copies[name].append(_items_copied(side, monkeypatch))

    assert copies["patched"][0] == copies["patched"][1] <= 4  # F00000 twice, and update_item's old image
    assert copies["moto"][1] >= 2 * 400 > copies["moto"][0]  # the whole table, per transaction


def test_an_entry_with_two_operations_leaves_nothing_behind(pair: Pair) -> None:
    """moto raises this one after applying the entries before it, and keeps them; the patch
    restores them as well, as DynamoDB (which validates before writing) never wrote them."""
    seed(pair)
    before = pair.patched.contents()
    entries = [
        {"Put": {"TableName": pair.patched.orders, "Item": order("P", "OPEN", "014")}},
        {
            "Put": {"TableName": pair.patched.orders, "Item": order("Q", "OPEN", "015")},
            "Delete": {"TableName": pair.patched.orders, "Key": key("A")},
        },
    ]

    outcome = pair.patched.transact(entries)

    assert outcome[:3] == (
        "error",
        "ValidationException",
        "TransactItems can only contain one of Check, Put, Update or Delete",
    )
    assert pair.patched.contents() == before
