"""The HTML report: golden, self-contained, and in a real browser (Debian's chromium through Playwright, one
launch for the session): it renders the scores and findings, the filters work, no dialog fires, no request
leaves the page, hostile names show as text. Screenshots are kept under the test's tmp path."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from aiwell.report import Report
from aiwell.reporters import render_html
from golden_files import REGEN, assert_golden


def test_matches_golden() -> None:
    assert_golden("report.html")


def test_self_contained() -> None:
    page = render_html(REGEN.sample_report(governed=True), trend=[("2026-11-01", {"overall": 30.0}),
                                                                  ("2026-12-01", {"overall": 44.8})])
    # Nothing to fetch: no src or external href, no @import or url() in the styles.
    assert re.search(r"\bsrc\s*=", page) is None
    assert re.search(r"<link\b", page) is None
    assert re.search(r"url\(|@import", page) is None
    assert "default-src 'none'" in page


def _open(browser: Any, html: str, path: Path) -> tuple[Any, list[str], list[str]]:
    path.write_text(html, encoding="utf-8")
    page = browser.new_page()
    requests: list[str] = []
    dialogs: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(path.as_uri())
    return page, requests, dialogs


def _shown(page: Any) -> int:
    return int(page.locator("#f-count").inner_text())


def test_renders_and_filters(chromium_browser: Any, tmp_path: Path) -> None:
    report = REGEN.sample_report(governed=True)
    trend = [("2026-10-01", {"overall": 20.0, "security": 10.0}), ("2026-11-01", {"overall": 35.0, "security": 30.0}),
             ("2026-12-01", {"overall": 44.8, "security": 50.0})]
    page, requests, dialogs = _open(chromium_browser, render_html(report, trend=trend), tmp_path / "report.html")
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        assert page.locator("#overall-score").inner_text() == f"{report.scores.overall.score:.1f}"
        assert page.locator("svg.scores").count() == 2
        assert page.locator("svg.scores rect.bar").count() >= 5
        assert page.locator("#trend polyline").count() == 2
        assert page.locator("#top-actions li").count() == 5
        assert page.locator("#not-analysed li").count() == 2
        open_findings = sum(1 for r in report.listed_results if r.rule.id != "AIW000" and r.suppression is None
                            and r.status.value in ("fail", "unknown"))
        assert _shown(page) == open_findings
        page.select_option("#f-pillar", "reliability")
        assert _shown(page) == 2
        assert page.locator("article.rule:visible").count() == 2
        page.select_option("#f-pillar", "all")
        page.select_option("#f-severity", "medium")
        assert page.locator("article.rule:visible h3").all_inner_texts() == [
            "AID002 · Model deployment upgrades its model version automatically",
            "AIS005 · AI Services account sends no logs to Log Analytics",
            "MLC003 · ML compute cluster never scales to zero"]
        page.select_option("#f-severity", "all")
        page.select_option("#f-status", "suppressed")
        assert _shown(page) == 1
        page.select_option("#f-status", "pass")
        assert _shown(page) == report.summary.passed
        page.select_option("#f-status", "all")
        page.select_option("#f-area", "data-platform")
        assert _shown(page) == 5
        page.select_option("#f-area", "all")
        page.fill("#f-resource", "chat-search")
        assert _shown(page) == 3
        assert set(page.locator("tr.finding:visible .name").all_inner_texts()) == {"chat-search"}
        page.fill("#f-resource", "")
        page.locator("#rule-AIS002 summary").click()
        assert "disableLocalAuth: true" in page.locator("#rule-AIS002 pre").first.inner_text() + \
            page.locator("#rule-AIS002 pre").nth(1).inner_text()
        page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
        page.emulate_media(media="print")
        assert page.locator("#filters").is_hidden()
        page.pdf(path=str(tmp_path / "report.pdf"), format="A4")
        assert (tmp_path / "report.png").stat().st_size > 10_000
    finally:
        page.close()
    assert errors == []
    assert [url for url in requests if not url.startswith("file://")] == []
    assert dialogs == []


def test_hostile_names_show_as_text(chromium_browser: Any, tmp_path: Path, hostile_report: Report) -> None:
    page, requests, dialogs = _open(chromium_browser, render_html(hostile_report), tmp_path / "hostile.html")
    try:
        names = page.locator("tr.finding .name").all_inner_texts()
        assert "<img src=x onerror=alert(1)>" in names
        assert '"><script>alert(1)</script>' in names
        assert page.locator("#findings img, #findings svg[onload], #findings script").count() == 0
        assert page.locator("script").count() == 1
        assert "\\x1b[31mred" in page.locator("#findings").inner_text()
        page.select_option("#f-status", "all")
        page.fill("#f-resource", "<img")
        assert set(page.locator("tr.finding:visible .name").all_inner_texts()) == {"<img src=x onerror=alert(1)>"}
        page.screenshot(path=str(tmp_path / "hostile.png"), full_page=True)
    finally:
        page.close()
    assert [url for url in requests if not url.startswith("file://")] == []
    assert dialogs == []
