"""The AWS clients a function's first invocation really builds, in a fresh container (Deps), and
the stores it uses are the ones bench/cold_start.py charges it: the operators' reads and the
sweep planner build no Secrets Manager client, the docs and the $default route none at all, the
report download only S3; a merchant API call builds DynamoDB and Secrets Manager (its signing
key). A store imports its module on first use, so the bench must charge each store used."""

from __future__ import annotations

import copy
import json
from typing import Any

import boto3
import pytest

from bench import cold_start
from paymux.deps import Deps, set_deps
from tests.integration.conftest import World
from tests.support import invoke, load_event


class RecordingDeps(Deps):
    """A fresh container that notes every client it builds."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.built: list[str] = []

    def _client(self, service: str, **options: Any) -> Any:
        self.built.append(service)
        return super()._client(service, **options)


def _stream_failure(world: World) -> dict[str, Any]:
    arn = world.d.dynamodb.describe_table(TableName=world.d.settings.table)["Table"]["LatestStreamArn"]
    streams = boto3.client("dynamodbstreams", region_name="us-east-1")
    (shard, *_) = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]
    first = shard["SequenceNumberRange"]["StartingSequenceNumber"]
    body: dict[str, Any] = json.loads(load_event("stats_repair.json")["Records"][0]["body"])
    body["DDBStreamBatchInfo"].update(
        shardId=shard["ShardId"], startSequenceNumber=first, endSequenceNumber=first, streamArn=arn
    )
    return body


def _event(function: str, world: World) -> dict[str, Any]:
    if function == "unrouted":
        event = copy.deepcopy(load_event("api_docs.json"))
        event.update(routeKey="$default", rawPath="/v1/nothing-here")
        event["requestContext"].update(routeKey="$default")
        event["requestContext"]["http"]["path"] = "/v1/nothing-here"
        return event
    event = copy.deepcopy(load_event(f"{function}.json"))
    if function == "stats_repair":  # a failure record of the world's stream: its first record
        return {"Records": [{**event["Records"][0], "body": json.dumps(_stream_failure(world))}]}
    if "account_id" in (event.get("pathParameters") or {}):
        event["pathParameters"]["account_id"] = world.account_id
        event["rawPath"] = event["rawPath"].replace("wx-main", world.account_id)
    return event


@pytest.mark.parametrize(
    "function",
    [
        "api_docs",
        "unrouted",
        "admin_get_channel_account",
        "admin_list_channel_accounts",
        "admin_get_binding",
        "admin_list_bindings",
        "admin_get_reconciliation_report",
        "sweeper",
        "stats_stream",
        "stats_repair",
    ],
)
def test_a_first_invocation_builds_the_clients_the_bench_charges(world: World, function: str) -> None:
    fresh = RecordingDeps(settings=world.d.settings, clock=world.clock)
    set_deps(fresh)
    response = invoke(function, _event(function, world))
    assert "errorMessage" not in response and response.get("statusCode", 200) < 500
    assert not response.get("batchItemFailures")  # the stream and repair events are handled
    charged = set(cold_start.clients_for(function))
    if function == "sweeper":  # an idle run sends nothing; one with due work sends to SweepQueue
        assert set(fresh.built) <= charged and "secretsmanager" not in fresh.built
    else:
        assert set(fresh.built) == charged
    assert len(fresh.built) == len(set(fresh.built))  # each client once
    assert _stores_used(fresh) == set(cold_start.stores_for(function))


def _stores_used(d: Deps) -> set[str]:
    return set(vars(d)) & set(cold_start.STORES)  # a cached_property is kept in the instance


def test_a_merchant_call_builds_dynamodb_and_secrets_manager(world: World) -> None:
    fresh = RecordingDeps(settings=world.d.settings, clock=world.clock)
    set_deps(fresh)
    status, _ = world.call(
        "get_payment.json",
        path="/v1/payments/pay_01M8D88BM0W9XDCGTJG46AZJGY",
        path_params={"payment_id": "pay_01M8D88BM0W9XDCGTJG46AZJGY"},
    )
    assert status == 404  # authenticated (the merchant's key read), then nothing found
    assert sorted(fresh.built) == sorted(cold_start.clients_for("get_payment"))
    assert _stores_used(fresh) == set(cold_start.stores_for("get_payment"))
