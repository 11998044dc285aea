"""Opening a report in the session's browser (`chromium_browser`, tests/conftest.py) for the HTML reports' tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def open_offline(browser: Any, html: str, path: Path) -> tuple[Any, list[str], list[str]]:
    """Write `html` to `path` and open it in a new page; returns the page and the lists the requests it makes and
    the dialogs it opens are recorded in (a self-contained report makes no request beyond its file, and no
    dialog)."""
    path.write_text(html, encoding="utf-8")
    page = browser.new_page()
    requests: list[str] = []
    dialogs: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(path.as_uri())
    return page, requests, dialogs
