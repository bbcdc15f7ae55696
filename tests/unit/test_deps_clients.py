"""Deps builds an AWS client only when an invocation uses it: the stores that can read a secret
(merchants, channel accounts, bindings) build no Secrets Manager client until a secret is read,
so an invocation that reads none (an admin read, the sweep planner) never pays for one
(bench/cold_start.py charges each function the clients its first invocation builds)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from paymux.deps import Deps
from tests.unit.test_config import settings


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)  # a local stack of the session, if any
    with mock_aws():
        yield boto3.client("secretsmanager", region_name="us-east-1")


def test_stores_build_secrets_manager_on_their_first_secret_read(aws: Any) -> None:
    d = Deps(settings=settings(PAYMUX_PUBLIC_BASE_URL="https://pay.example.com"))
    _stores = (d.merchants, d.channel_config, d.bindings)
    assert "secretsmanager" not in vars(d)  # the stores exist; no client for secrets yet

    aws.create_secret(Name="paymux/dev/channel/wx-1", SecretString='{"mchid": "1900000001"}')
    assert d.channel_config.credentials("wx-1") == {"mchid": "1900000001"}
    assert "secretsmanager" in vars(d)  # built by the read, once, and shared by the stores
    aws.create_secret(Name="paymux/dev/binding/b-1", SecretString='{"app_auth_token": "t"}')
    client = vars(d)["secretsmanager"]
    assert d.bindings.read_secret("b-1") == {"app_auth_token": "t"}
    assert vars(d)["secretsmanager"] is client


def test_clients_share_one_session_so_a_second_client_reloads_no_endpoint_data(aws: Any) -> None:
    d = Deps(settings=settings(PAYMUX_PUBLIC_BASE_URL="https://pay.example.com"))
    first, second, third = d.dynamodb, d.secretsmanager, d.sqs
    assert first._loader is second._loader is third._loader  # one botocore loader, one data cache
    assert d.dynamodb is first  # built once per container
