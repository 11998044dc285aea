"""`aiwell review --answers FILE`: the answers become results (Q- ids, no resource), scores over all nine design
areas and a questionnaire summary; questions left unanswered are counted, shown and fail the gate unless
`--allow-unanswered`."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from aiwell.model import DesignArea
from aiwell.questionnaire import load_questions
from cli_run import run_cli

ROOT = Path(__file__).resolve().parent.parent.parent
EXAMPLE = ROOT / "examples" / "ai-chat"
CATALOG = load_questions()
# A rule that passes on the example, so that the gate decides on the questionnaire alone.
PASSING_RULE = ("--rule", "AIS004")


def _best_answers(path: Path, *, leave_out: tuple[str, ...] = ()) -> Path:
    """An answers file answering every question (but `leave_out`) with its best choice (all good ones when
    several may be chosen)."""
    assert all(CATALOG.get(question_id) for question_id in leave_out)
    lines = ["schema: aiwell.answers/1", "answers:"]
    for question in CATALOG.questions:
        if question.id in leave_out:
            continue
        if question.multi:
            lines.append(f"  {question.id}: [{', '.join(question.good)}]")
        else:
            lines.append(f"  {question.id}: {max(question.choices, key=lambda choice: choice.score).id}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture(autouse=True)
def _wide_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "400")


def test_answers_join_the_json_report(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    answers = _best_answers(tmp_path / "answers.yaml", leave_out=("Q-TE-01",))
    code, out, err = run_cli(capsys, "review", str(EXAMPLE), "--answers", str(answers), "--format", "json")
    assert code == 1, err
    report = json.loads(out)
    questions = [r for r in report["results"] if r["rule_id"].startswith("Q-")]
    assert {r["rule_id"] for r in questions} == {q.id for q in CATALOG.questions}
    assert all("resource_id" not in r for r in questions)
    by_id = {r["rule_id"]: r for r in questions}
    assert by_id["Q-TE-01"]["status"] == "unknown" and by_id["Q-TE-01"]["answer"] is None
    assert by_id["Q-TE-02"]["answer"]["inferred"] is False
    assert set(report["scores"]["design_areas"]) == {area.value for area in DesignArea}
    assert report["scores"]["design_areas"]["personas"]["passed"] > 0   # only questions reach personas
    assert report["questionnaire"]["unanswered"] == 1
    assert report["questionnaire"]["questions"] == len(CATALOG.questions)
    schema = json.loads((ROOT / "src" / "aiwell" / "reporters" / "report.schema.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator(schema).validate(report)


def test_unanswered_questions_fail_the_gate_unless_allowed(capsys: pytest.CaptureFixture[str],
                                                           tmp_path: Path) -> None:
    complete = _best_answers(tmp_path / "complete.yaml")
    code, out, err = run_cli(capsys, "review", str(EXAMPLE), *PASSING_RULE, "--answers", str(complete))
    assert code == 0, out + err
    assert "unanswered" not in out.splitlines()[-1]

    partial = _best_answers(tmp_path / "partial.yaml", leave_out=("Q-TE-01", "Q-PER-01"))
    code, out, _ = run_cli(capsys, "review", str(EXAMPLE), *PASSING_RULE, "--answers", str(partial))
    assert code == 1
    assert "2 questions unanswered" in out.splitlines()[-1]
    assert "fail the gate (exit 1) unless --allow-unanswered" in out
    assert "Unanswered by design area: Testing 1, Personas 1 (--verbose lists them)" in out
    _, out, _ = run_cli(capsys, "review", str(EXAMPLE), *PASSING_RULE, "--answers", str(partial), "--verbose")
    assert "Testing: Q-TE-01" in out and "Personas: Q-PER-01" in out
    summary = tmp_path / "summary.md"
    code, out, _ = run_cli(capsys, "review", str(EXAMPLE), *PASSING_RULE, "--answers", str(partial),
                           "--allow-unanswered", "-o", f"markdown={summary}", "-o", "terminal")
    # Every report says the gate the exit code gives (the terminal and Markdown reports said exit 1 here before).
    allowed = "exit 0: no finding ≥ --fail-on high; 2 questions unanswered, allowed by --allow-unanswered"
    assert code == 0 and allowed in " ".join(out.split())
    assert f"✅ {allowed}" in summary.read_text(encoding="utf-8")
    # --quiet lists what gates: the unanswered questions, unless they are allowed.
    code, out, _ = run_cli(capsys, "review", str(EXAMPLE), *PASSING_RULE, "--answers", str(partial), "--quiet")
    assert code == 1 and sorted(line.split(": ", 1)[1].split()[0] for line in out.splitlines()) == [
        "Q-PER-01", "Q-TE-01"]
    assert run_cli(capsys, "review", str(EXAMPLE), *PASSING_RULE, "--answers", str(partial), "--quiet",
                   "--allow-unanswered")[:2] == (0, "")
    code, _, _ = run_cli(capsys, "review", str(EXAMPLE), *PASSING_RULE, "--answers", str(partial), "--fail-on", "none")
    assert code == 0
    # Without --answers the questionnaire is not part of the review, and nothing is unanswered.
    code, out, _ = run_cli(capsys, "review", str(EXAMPLE), *PASSING_RULE)
    assert code == 0 and "Process questions were not part of this review" in out


def test_pillar_limits_the_questions_counted(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    answers = _best_answers(tmp_path / "answers.yaml", leave_out=("Q-TE-01",))
    code, out, _ = run_cli(capsys, "review", str(EXAMPLE), "--answers", str(answers), "--pillar", "security",
                        "--format", "json")
    report = json.loads(out)
    security = [q for q in CATALOG.questions if any(p.value == "security" for p in q.pillars)]
    assert report["questionnaire"]["questions"] == len(security) < len(CATALOG.questions)
    assert {r["rule_id"] for r in report["results"] if r["rule_id"].startswith("Q-")} == {q.id for q in security}


def test_a_malformed_answers_file_stops_the_review(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "answers.yaml"
    path.write_text("schema: aiwell.answers/1\nanswers:\n  Q-AD-01: perfect\n", encoding="utf-8")
    code, out, err = run_cli(capsys, "review", str(EXAMPLE), "--answers", str(path))
    assert code == 2 and out == ""
    assert "answers.yaml:3:" in err and "Q-AD-01" in err and "Traceback" not in err
    code, _, err = run_cli(capsys, "review", str(EXAMPLE), "--answers", str(tmp_path / "missing.yaml"))
    assert code == 2 and "missing.yaml" in err


def test_the_question_list_fits_an_80_column_terminal(capsys: pytest.CaptureFixture[str],
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    code, out, _ = run_cli(capsys, "questionnaire", "list")
    assert code == 0
    assert "…" not in out and all(len(line) <= 80 for line in out.splitlines())
    assert all(question.id in out for question in CATALOG.questions)
    assert "operational-excellence" in out and "performance-efficiency" in out
