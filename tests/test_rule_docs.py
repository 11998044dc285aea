"""docs/rules/ is generated from the rule metadata and the questions catalog (`aiwell rules --docs docs/rules`);
this fails when a rule or question changed and the pages were not regenerated."""

from __future__ import annotations

from pathlib import Path

import pytest

from aiwell.questionnaire import load_questions
from aiwell.rule_docs import GENERATED_MARK, INDEX, QUESTIONNAIRE, render_rule_docs
from aiwell.rules import load_registry
from cli_run import run_cli

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs" / "rules"
CUSTOM = ROOT / "examples" / "custom-rules"
REGENERATE = "run `aiwell rules --docs docs/rules` and review the diff"


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code, out, _ = run_cli(capsys, *args)
    return code, out


def test_the_generated_docs_are_up_to_date() -> None:
    registry = load_registry()
    pages = render_rule_docs(registry.rules, load_questions())
    on_disk = {path.name: path.read_text(encoding="utf-8") for path in DOCS.glob("*.md")}
    assert sorted(on_disk) == sorted(pages), REGENERATE
    stale = [name for name, text in pages.items() if on_disk[name] != text]
    assert not stale, f"{REGENERATE}: {', '.join(stale[:10])}"


def test_every_rule_and_question_has_its_place() -> None:
    registry = load_registry()
    catalog = load_questions()
    pages = render_rule_docs(registry.rules, catalog)
    assert {f"{rule.id}.md" for rule in registry.rules} | {INDEX, QUESTIONNAIRE} == set(pages)
    for rule in registry.rules:
        page = pages[f"{rule.id}.md"]
        assert page.count(f"[{rule.id}]({rule.id}.md)") == 0 and f"# {rule.id} · {rule.name}" in page
        assert pages[INDEX].count(f"[{rule.id}]({rule.id}.md)") == len(rule.pillars) + 1   # pillars + area
        if rule.id != "AIW000":
            for section in ("## What it checks", "## Why it matters", "## Use instead", "## References"):
                assert section in page, (rule.id, section)
    for question in catalog.questions:
        assert f"### {question.id}\n" in pages[QUESTIONNAIRE]


def test_a_teams_rules_get_the_same_pages(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    target = tmp_path / "docs"
    target.mkdir()
    (target / "OLD001.md").write_text(f"<!-- {GENERATED_MARK} DIR` -->\n", encoding="utf-8")
    (target / "notes.md").write_text("written by a person\n", encoding="utf-8")
    code, out = _run(capsys, "rules", "--rules-dir", str(CUSTOM), "--docs", str(target))
    assert code == 0 and "Wrote 5 pages" in out and "removed 1 stale" in " ".join(out.split())
    assert sorted(path.name for path in target.glob("*.md")) == [
        "ORG001.md", "ORG002.md", "ORG003.md", "ORG004.md", "README.md", "notes.md"]
    page = (target / "ORG003.md").read_text(encoding="utf-8")
    assert "# ORG003 · region-not-allowed" in page and "## Use instead" in page
