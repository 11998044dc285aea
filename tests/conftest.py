"""Shared fixtures. `chromium_browser`: one headless Debian chromium for the whole session, for the HTML reports'
browser tests (Playwright for Python; `.ci/run` installs chromium where it is missing). Every test runs with an
empty home directory (`_empty_home`)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests that use `chromium_browser` run last (otherwise in their order): Playwright's sync API keeps an event
    loop running in the main thread from the browser's launch to the session's end, and `asyncio.run()` (the eval
    tests') refuses to start beside it."""
    items.sort(key=lambda item: "chromium_browser" in getattr(item, "fixturenames", ()))


@pytest.fixture(autouse=True)
def _empty_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty home directory: what a test reviews never depends on the machine's own files there (the Bicep
    module cache `~/.bicep` that `bicep restore` fills is read when a Bicep file uses a registry module)."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("USERPROFILE", str(home))
    return home


@pytest.fixture(scope="session")
def chromium_browser() -> Iterator[Any]:
    """A Playwright `Browser` on /usr/bin/chromium, launched once per session."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium), as .ci/run does")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
