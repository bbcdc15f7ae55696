"""The SDK tests' shared local stack (tests/sdk/world.py), started once per session."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.sdk.world import World, sdk_world


@pytest.fixture(scope="session")
def world() -> Iterator[World]:
    with sdk_world() as running:
        yield running
