"""A local stack built from the fixture template (echo handlers, short visibility timeout)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from local.stack import LocalStack

FIXTURES = Path(__file__).parent / "fixtures"
FIXTURE_TEMPLATE = FIXTURES / "template.yaml"


def _wait_for[T](probe: Callable[[], T], timeout: float = 10.0, interval: float = 0.05) -> T:
    """Poll `probe` until it returns something truthy; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"nothing after {timeout}s from {probe}")
        time.sleep(interval)


@pytest.fixture
def wait_for() -> Callable[..., Any]:
    """Bounded polling for what real time drives (SQS visibility timeouts, delays)."""
    return _wait_for


@pytest.fixture(scope="module")
def stack() -> Iterator[LocalStack]:
    """The fixture stack with its SQS poller running and its schedules off (tests drive them)."""
    local = LocalStack(api_port=0, moto_port=0, schedules=False, template_path=FIXTURE_TEMPLATE).start()
    try:
        yield local
    finally:
        local.stop()


@pytest.fixture
def table(stack: LocalStack) -> Any:
    return boto3.resource("dynamodb").Table(stack.env["PAYMUX_TABLE"])
