"""The console in a real browser: Debian's Chromium driven by Playwright (as tests/browser does
for the checkout), against the console world (world.py). Screenshots go to docs/images/."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
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


@pytest.fixture
def in_browser(tmp_path: Path) -> Callable[[Callable[[Any], None]], None]:
    """Runs a test's steps with a fresh browser profile (no token carried over, downloads
    accepted) in a thread of its own with its own Playwright: Playwright's sync API refuses a
    second instance on a thread where one runs (the checkout's session-wide one, tests/browser)."""

    def run(steps: Callable[[Any], None]) -> None:
        def in_thread() -> None:
            with playwright_sync.sync_playwright() as playwright:
                context = playwright.chromium.launch_persistent_context(
                    str(tmp_path / "profile"),
                    executable_path=str(CHROMIUM),
                    headless=True,
                    args=FLAGS,
                    locale="zh-CN",
                    viewport={"width": 1280, "height": 900},
                    accept_downloads=True,
                )
                try:
                    steps(context)
                finally:
                    context.close()
                    shutil.rmtree(tmp_path / "profile", ignore_errors=True)

        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="console-browser") as pool:
            pool.submit(in_thread).result()

    return run
