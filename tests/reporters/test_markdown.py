"""Markdown for pull-request comments: golden, cut under the limit with every section closed and a note, and
nothing from the input rendered as Markdown or HTML."""

from __future__ import annotations

import re

from msgspec.structs import replace

from aiwell.model import Status
from aiwell.report import Report, build_report
from aiwell.reporters import render_markdown
from aiwell.reporters._text import utf16_length
from golden_files import REGEN, assert_golden


def test_matches_golden() -> None:
    assert_golden("report.md")
    assert_golden("report-empty.md")


def _many(count: int) -> Report:
    """The sample with each failure repeated on `count` resources of long names."""
    sample = REGEN.sample_report()
    results = []
    for result in sample.results:
        if result.status is Status.FAIL and result.rule.id != "AIW000":
            results += [replace(result, resource_id=f"{result.resource_id}-{n:05d}", resource_name=f"{'x' * 60}-{n}")
                        for n in range(count)]
        else:
            results.append(result)
    return build_report(sample.inputs, sample.resources, results, tool_version=sample.tool_version)


def test_cut_under_the_limit_with_sections_closed() -> None:
    report = _many(400)
    text = render_markdown(report)
    assert utf16_length(text) <= 65_000
    assert text.count("<details>") == text.count("</details>")
    note = re.search(r"_(\d+) rows left out to stay under 65,000 characters", text)
    assert note is not None
    shown = sum(1 for line in text.splitlines() if line.startswith(("| high", "| medium")))
    unknown_rows = sum(1 for r in report.listed_results if r.status is Status.UNKNOWN)
    failure_rows = sum(len([p for p in r.rule.pillars if p in report.pillars]) for r in report.listed_results
                       if r.status is Status.FAIL and r.rule.id != "AIW000")
    assert shown + int(note.group(1)) == failure_rows + unknown_rows
    # The summary, the scores and the inputs not analysed always come first and whole.
    assert text.index("| Pillar |") < text.index("### 2 inputs not analysed") < text.index("<details>")


def test_small_limit_still_closes_everything() -> None:
    text = render_markdown(_many(5), limit=4_000)
    assert utf16_length(text) <= 4_000
    assert text.count("<details>") == text.count("</details>")


def test_hostile_text_is_inert(hostile_report: Report) -> None:
    text = render_markdown(hostile_report)
    assert not any(char in text for char in ("\x1b", "\x00", "\x07", "\u202e"))
    # No raw HTML from the input outside code spans; our own tags are the only ones.
    unfenced = re.sub(r"^ *(`{3,})[^\n]*\n.*?^ *\1 *$", "", text, flags=re.MULTILINE | re.DOTALL)
    outside_code = re.sub(r"(`+)(?:(?!\1).)*\1", "", unfenced)
    assert set(re.findall(r"</?([a-zA-Z]+)", outside_code)) <= {"details", "summary", "b"}
    assert "](javascript:" not in outside_code.replace("\\]", "")
    assert re.search(r"@(?!\u2060)\w", outside_code) is None, "an @mention would ping someone"
    assert "`<img src=x onerror=alert(1)>`" in text
