"""The AWS-calls benchmark: capacity and cost arithmetic by hand, the botocore hooks against a stub,
and one real (untimed) run through the handlers, asserting only what must hold structurally."""

import json
from pathlib import Path

import boto3
import pytest
from botocore.stub import Stubber

from bench import aws_calls, pricing
from bench.__main__ import SECTIONS, main


def test_item_size_follows_the_documented_formula() -> None:
    assert pricing.item_size({"PK": {"S": "PAY#1"}}) == 2 + 5
    assert pricing.item_size({"amount": {"N": "1999"}}) == 6 + 3  # 4 digits -> 2 bytes, + 1
    assert pricing.number_size("100") == 2 and pricing.number_size("-0.50") == 2
    assert pricing.number_size("12345678901") == 7
    assert pricing.item_size({"ok": {"BOOL": True}, "n": {"NULL": True}}) == 2 + 1 + 1 + 1
    assert pricing.item_size({"m": {"M": {"a": {"S": "xy"}}}}) == 1 + 3 + (1 + 2 + 1)
    assert pricing.item_size({"l": {"L": [{"N": "1"}, {"BOOL": False}]}}) == 1 + 3 + (2 + 1) + (1 + 1)
    assert pricing.item_size({"s": {"SS": ["ab", "c"]}, "b": {"B": b"\x00\x01"}}) == 1 + 3 + 1 + 2
    assert pricing.item_size({"名": {"S": "é"}}) == 3 + 2  # UTF-8 bytes, names included


def test_write_and_read_units() -> None:
    assert [pricing.write_units(n) for n in (0, 1, 1024, 1025, 3000)] == [1, 1, 1, 2, 3]
    assert pricing.write_units(1025, transactional=True) == 4  # transactions cost double
    assert pricing.read_units(4096, consistent=True) == 1.0
    assert pricing.read_units(4097, consistent=True) == 2.0
    assert pricing.read_units(100, consistent=False) == 0.5  # eventually consistent: half
    assert pricing.read_units(9000, consistent=False) == 1.5
    assert pricing.read_units(100, consistent=True, transactional=True) == 2.0


KEYS_ONLY = pricing.Index("GSI1", ("GSI1PK", "GSI1SK"), "KEYS_ONLY")
INCLUDE = pricing.Index("GSI2", ("GSI2PK", "GSI2SK"), "INCLUDE", frozenset({"kind"}))
ALL = pricing.Index("GSI3", ("GSI3PK", "GSI3SK"))


def _item(**attrs: str) -> dict[str, dict[str, str]]:
    return {"PK": {"S": "PAY#1"}, "SK": {"S": "PAY"}} | {k: {"S": v} for k, v in attrs.items()}


def test_index_writes_follow_the_projection() -> None:
    due = _item(GSI1PK="DUE#1", GSI1SK="t1", blob="x" * 1500)
    assert KEYS_ONLY.write_units(None, due) == 1  # put: the entry is keys only, < 1 KB
    assert ALL.write_units(None, _item(GSI3PK="p", GSI3SK="s", blob="x" * 1500)) == 2  # the whole item
    assert KEYS_ONLY.write_units(due, due | {"blob": {"S": "y"}}) == 0  # nothing projected changed
    assert KEYS_ONLY.write_units(due, due | {"GSI1SK": {"S": "t2"}}) == 2  # key change: delete + put
    assert KEYS_ONLY.write_units(due, _item(blob="x")) == 1  # left the index: one delete
    assert KEYS_ONLY.write_units(_item(), _item(GSI1PK="DUE#1")) == 0  # no sort key: not in the index
    refund = _item(GSI2PK="P", GSI2SK="s", kind="merchant", status="PROCESSING")
    assert INCLUDE.write_units(refund, refund | {"status": {"S": "SUCCESS"}}) == 0
    assert INCLUDE.write_units(refund, refund | {"kind": {"S": "automatic"}}) == 1
    assert ALL.write_units(_item(GSI3PK="p", GSI3SK="s"), _item(GSI3PK="p", GSI3SK="s", a="b")) == 1


def test_writes_are_billed_on_the_larger_image_and_double_in_a_transaction() -> None:
    big = _item(blob="y" * 1100)  # 2 + 5 + 2 + 3 + 4 + 1100 = 1116 bytes -> 2 KB
    update = {
        "TableName": "t",
        "Key": {"PK": {"S": "PAY#1"}, "SK": {"S": "PAY"}},
        "UpdateExpression": "SET a = :a",
    }
    params = {
        "TransactItems": [
            {"Put": {"TableName": "t", "Item": _item(GSI1PK="d", GSI1SK="s")}},
            {"Update": update},
            {"ConditionCheck": {"TableName": "t", "Key": {"PK": {"S": "X"}, "SK": {"S": "X"}}}},
        ]
    }
    put, upd, check = pricing.writes_of("TransactWriteItems", params)
    assert put.put and put.key == {"PK": {"S": "PAY#1"}, "SK": {"S": "PAY"}} and not upd.put
    put.after = _item(GSI1PK="d", GSI1SK="s")
    upd.before, upd.after = big, _item(blob="small")  # shrinking: billed on the larger, before
    check.before = check.after = _item()
    assert [w.units() for w in (put, upd, check)] == [2, 4, 2]
    assert pricing.priced([put, upd, check], (KEYS_ONLY,)) == {
        "wru": 8,
        "index_wru": 1,
        "puts": 1,
        "sizes": [put.size, 1116, check.size],
    }
    (single,) = pricing.writes_of("PutItem", {"TableName": "t", "Item": big})
    single.after = big
    assert single.units() == 2 and not single.transactional
    assert pricing.writes_of("GetItem", {"TableName": "t", "Key": {}}) == []


def test_units_of_reads() -> None:
    item = {"Item": {"PK": {"S": "z" * 5000}}}
    assert pricing.dynamodb_units("GetItem", {"ConsistentRead": True}, item)["rru"] == 2.0
    assert pricing.dynamodb_units("GetItem", {}, item)["rru"] == 1.0
    assert pricing.dynamodb_units("GetItem", {"ConsistentRead": True}, {})["rru"] == 1.0  # a miss
    page = {"Items": [{"a": {"S": "x" * 3000}}, {"a": {"S": "x" * 3000}}]}  # 6002 B: summed, then rounded
    assert pricing.dynamodb_units("Query", {"ConsistentRead": True}, page)["rru"] == 2.0
    assert pricing.dynamodb_units("Query", {"IndexName": "GSI1"}, page)["rru"] == 1.0  # GSIs: eventual
    batch = {"Responses": {"t": [{"a": {"S": "x" * 3000}}, {"a": {"S": "x" * 3000}}]}}
    assert pricing.dynamodb_units("BatchGetItem", {"RequestItems": {"t": {}}}, batch)["rru"] == 1.0  # 2 x 0.5


def test_the_template_projections_are_read() -> None:
    from local.template import load_template

    indexes = {
        i.name: i for i in pricing.table_indexes(load_template(aws_calls.staging.REPO / "template.yaml"))
    }
    assert set(indexes) == {"GSI1", "GSI2", "GSI3"}
    assert all(i.keys == (f"{n}PK", f"{n}SK") for n, i in indexes.items())


def test_cost_arithmetic_by_hand() -> None:
    usage = {
        "create": {"wru": 4, "index_wru": 2, "rru": 2, "sqs": 1, "secrets": 1},
        "query": {"api_requests": 1, "invocations": 1, "duration_ms": 100},
    }
    cost = pricing.cost_per_million(usage, {"create": 1, "query": 2})
    expected = {
        "dynamodb_writes": 4 * 0.625,
        "dynamodb_index_writes": 2 * 0.625,
        "dynamodb_reads": 2 * 0.125,
        "sqs": 0.40,
        "secretsmanager": 100 * 0.05,  # 1 call x 1M lifecycles = 100 x 10,000 calls
        "apigateway": 2 * 1.00,
        "lambda_requests": 2 * 0.20,
        "lambda_duration": 2 * 0.1 * 0.5 * 1_000_000 * 0.0000133334,  # 200 ms x 0.5 GB per lifecycle
    }
    assert cost == pytest.approx(expected | {"total": sum(expected.values())})
    run = {"wru": 3, "index_wru": 1, "rru": 1.0, "sqs_calls": 0, "secretsmanager_calls": 1}
    notify = pricing.usage_of("notify", run | {"invocations": [{"ms": 10.2}]})
    assert notify["sqs"] == pricing.SQS_POLLER_REQUESTS_PER_NOTIFY and notify["api_requests"] == 0
    assert notify["duration_ms"] == 11  # Lambda bills whole milliseconds
    assert pricing.lifecycle(0.05) == pytest.approx(
        {"create": 1, "callback": 1, "query": 2, "notify": 1.05, "refund": 0.05, "refund_callback": 0.05}
    )
    floor = pricing.cost_per_million({op: pricing.floor_usage(op) for op in usage}, {"create": 1, "query": 2})
    assert floor["total"] == pytest.approx(0.625 + 2 * 0.125)


def test_recorder_sees_calls_of_clients_made_after_it() -> None:
    session = boto3.Session(region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    recorder = aws_calls.Recorder(session)
    client = session.client("dynamodb")
    with Stubber(client) as stub:
        stub.add_response("put_item", {})
        stub.add_response("get_item", {"Item": {"PK": {"S": "a" * 5000}}})
        client.put_item(TableName="t", Item={"PK": {"S": "a"}})
        client.get_item(TableName="t", Key={"PK": {"S": "a"}}, ConsistentRead=True)
    recorder.close()
    with Stubber(client) as stub:  # unhooked: no longer recorded
        stub.add_response("put_item", {})
        client.put_item(TableName="t", Item={"PK": {"S": "b"}})
    summary = pricing.tally(recorder.calls)
    assert summary["calls"] == {"dynamodb.PutItem": 1, "dynamodb.GetItem": 1}
    assert (summary["wru"], summary["rru"], summary["dynamodb_calls"]) == (1, 2.0, 2)


@pytest.fixture(scope="module")
def measured(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, str]:
    out = tmp_path_factory.mktemp("bench") / "aws_calls.json"
    assert "aws_calls" in dict(SECTIONS)
    assert main(["aws_calls", "--calls-json", str(out)]) == 0
    return json.loads(out.read_text()), str(out)


def test_real_run_structure(measured: tuple[dict, str]) -> None:
    result, _ = measured
    ops = result["operations"]
    assert list(ops) == list(aws_calls.OPERATIONS)
    for op, o in ops.items():
        for kind in ("cold", "warm"):
            run = o[kind]
            assert run["dynamodb_calls"] >= 1, (op, kind)
            assert [i["function"] for i in run["invocations"]] == [o["function"]], (op, kind)
            assert run["wru"] + run["rru"] >= 1, (op, kind)
        assert o["warm"]["secretsmanager_calls"] == 0, op  # merchant and channel secrets are cached
        assert o["cold"]["secretsmanager_calls"] >= 1, op
        assert o["cold"]["dynamodb_calls"] >= o["warm"]["dynamodb_calls"], op
    for kind in ("cold", "warm"):
        txs = [c for c in ops["create"][kind]["sequence"] if c["call"] == "dynamodb.TransactWriteItems"]
        assert any(c["puts"] >= 3 for c in txs)  # payment, merchant order no, event (with the attempt)
        notify = ops["notify"][kind]
        updates = notify["calls"].get("dynamodb.UpdateItem", 0) + sum(
            1 for c in notify["sequence"] if len(c.get("sizes", [])) > c.get("puts", 0)
        )
        assert notify["sqs_calls"] + updates >= 1
    cost = result["cost_per_million_lifecycles_usd"]
    assert cost["floor"]["total"] < cost["warm"]["total"]
    assert cost["warm"]["secretsmanager"] == 0 < cost["cold"]["secretsmanager"]
    assert all(v >= 0 for k in cost for v in cost[k].values())


def test_real_run_prints_both_tables(measured: tuple[dict, str]) -> None:
    result, out = measured
    printed = "\n".join(aws_calls.format_calls(result) + pricing.format_costs(result))
    assert "AWS calls per operation" in printed and "cost per 1,000,000 payment lifecycles" in printed
    assert all(op in printed for op in aws_calls.OPERATIONS)
    assert Path(out).is_file()


def test_real_run_reports_units_per_lifecycle_and_item_sizes(measured: tuple[dict, str]) -> None:
    result, _ = measured
    units, mix = result["lifecycle_units"], result["lifecycle"]
    warm = {op: result["operations"][op]["warm"] for op in mix}
    assert units["index_wru"] == pytest.approx(sum(n * warm[op]["index_wru"] for op, n in mix.items()))
    assert units["wru"] >= mix["create"] + mix["callback"]  # at least one table write each
    sizes = result["item_sizes"]
    assert {"PAY/PAY", "PAY/EVT", "PAY/NTF", "MORDER/MORDER", "REFUND/REFUND"} <= set(sizes)
    assert all(0 < s["mean"] <= s["max"] for s in sizes.values())
    assert "write units per lifecycle" in "\n".join(aws_calls.format_sizes(result))
