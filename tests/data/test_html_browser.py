"""The data report's HTML in a real browser (the session's one chromium, `chromium_browser`): a histogram for every
column, reference and current overlaid on the same bins when drift is measured, personal data masked, no request
anywhere and no dialog."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aiwell.data import ProfileOptions, profile_paths
from aiwell.data.render import render_html
from browser import open_offline
from data.datagen import AS_OF, clean_table, write_parquet


def test_drift_report_overlays_reference_and_current(chromium_browser: Any, tmp_path: Path) -> None:
    reference = write_parquet(clean_table(3000, seed=3), tmp_path / "reference.parquet")
    current = write_parquet(clean_table(3000, seed=5, score_shift=1.0, segment_p=(0.7, 0.1, 0.1, 0.1)),
                            tmp_path / "current.parquet")
    document = profile_paths([str(current)], ProfileOptions(reference=str(reference), label="churned",
                                                            as_of=AS_OF)).document
    page, requests, dialogs = open_offline(chromium_browser, render_html(document), tmp_path / "drift.html")
    try:
        assert page.title() == "Data readiness — aiwell"
        assert page.locator("#scorecard tr.facet").count() == 9
        drifted = page.locator("#findings tr.finding", has_text="drift")
        assert drifted.count() >= 2
        sections = {page.locator("section.dataset").nth(i).get_attribute("data-path"): page.locator(
            "section.dataset").nth(i) for i in range(page.locator("section.dataset").count())}
        assert set(sections) == {str(current), str(reference)}
        current_rows = sections[str(current)].locator("tr.column")
        assert current_rows.count() == 9
        measured = {d["column"] for d in document["drift"]}
        assert measured >= {"age", "credit_score", "tenure_months", "segment", "region", "comment", "churned"}
        for index in range(current_rows.count()):
            row = current_rows.nth(index)
            name = row.get_attribute("data-column")
            # Every column has a chart; where drift is measured, both sides on the same bins.
            references = row.locator("svg.histogram rect.reference")
            currents = row.locator("svg.histogram rect.current")
            if name in measured:
                assert references.count() == currents.count() > 0, name
            else:
                assert references.count() == 0 and row.locator("svg.histogram rect.values").count() > 0, name
            assert row.locator("svg.histogram").bounding_box()["height"] > 20
        score = sections[str(current)].locator("tr.column[data-column='credit_score'] svg.histogram")
        heights = [float(score.locator("rect.current").nth(i).get_attribute("height") or 0)
                   for i in range(score.locator("rect.current").count())]
        reference_heights = [float(score.locator("rect.reference").nth(i).get_attribute("height") or 0)
                             for i in range(score.locator("rect.reference").count())]
        # The current scores were shifted up by one standard deviation: its mass sits in higher bins.
        def centre(values: list[float]) -> float:
            return sum(i * v for i, v in enumerate(values)) / sum(values)
        assert centre(heights) > centre(reference_heights) + 1
        reference_rows = sections[str(reference)].locator("tr.column")
        for index in range(reference_rows.count()):
            assert reference_rows.nth(index).locator("svg.histogram rect.values").count() > 0
        assert page.locator(".legend").count() == 1
        page.screenshot(path=str(tmp_path / "drift.png"), full_page=True)
        assert (tmp_path / "drift.png").stat().st_size > 10_000
    finally:
        page.close()
    assert [r for r in requests if not r.startswith("file://")] == []
    assert dialogs == []


def test_personal_data_is_masked_in_the_page(chromium_browser: Any, data_dir: Path, tmp_path: Path) -> None:
    document = profile_paths([str(data_dir / "planted.parquet")], ProfileOptions(as_of=AS_OF)).document
    page, requests, _ = open_offline(chromium_browser, render_html(document, verbose=True), tmp_path / "planted.html")
    try:
        text = page.locator("body").inner_text()
        assert "CREDIT_CARD" in text and "EMAIL_ADDRESS" in text
        assert "4111111111111111" not in text and "@example.com" not in text
        assert "GB82WEST12345698765432" not in text
        rows = page.locator("section.dataset tr.column")
        assert rows.count() == 18
        charted = sum(1 for i in range(rows.count()) if rows.nth(i).locator("svg.histogram rect").count())
        assert charted == rows.count()
    finally:
        page.close()
    assert [r for r in requests if not r.startswith("file://")] == []
