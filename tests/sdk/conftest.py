"""The SDK tests' shared local stack (tests/sdk/world.py): started once for tests/sdk and
stopped when the package is done, so its pollers never run on into other packages' tests
(tracemalloc-measured ones count every thread's allocations)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.sdk.world import World, sdk_world


@pytest.fixture(scope="package")
def world() -> Iterator[World]:
    with sdk_world() as running:
        yield running
