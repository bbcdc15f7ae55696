"""The console in a real browser: Debian's Chromium driven by Playwright (as tests/browser does
for the checkout), against the console world (world.py). Screenshots go to docs/images/."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.console_browser.world import ConsoleWorld, console_world

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
IMAGES = ROOT / "docs" / "images"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]
if not CHROMIUM.exists():
    pytest.skip("no /usr/bin/chromium (apt-get install chromium fonts-noto-cjk)", allow_module_level=True)
playwright_sync = pytest.importorskip("playwright.sync_api")


@pytest.fixture(scope="session")
def world() -> Iterator[ConsoleWorld]:
    with console_world() as running:
        yield running


@pytest.fixture(scope="session")
def playwright() -> Iterator[Any]:
    with playwright_sync.sync_playwright() as running:
        yield running


@pytest.fixture
def context(playwright: Any, tmp_path: Path) -> Iterator[Any]:
    """A fresh browser profile per test (no token carried over), downloads accepted."""
    browser = playwright.chromium.launch_persistent_context(
        str(tmp_path / "profile"),
        executable_path=str(CHROMIUM),
        headless=True,
        args=FLAGS,
        locale="zh-CN",
        viewport={"width": 1280, "height": 900},
        accept_downloads=True,
    )
    yield browser
    browser.close()
    shutil.rmtree(tmp_path / "profile", ignore_errors=True)
