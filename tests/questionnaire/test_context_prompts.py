"""A full questionnaire session asks the workload context first (environment, purpose) when the answers file does
not state it, saves each value in the file's `context:` block in place, and the review reads it."""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path

from rich.console import Console

from aiwell.model import DesignArea
from aiwell.questionnaire import load_questions
from aiwell.questionnaire.answers import load_answers, render_answers_file
from aiwell.questionnaire.catalog import Question
from aiwell.questionnaire.interactive import QUIT, SKIP, PlainPrompter, run_session

CATALOG = load_questions()


class Scripted:
    """Answers the context prompts from a list, then quits at the first question."""

    def __init__(self, context: list[str]) -> None:
        self.context = context
        self.offered: list[list[str]] = []

    def ask(self, question: Question, default: Sequence[str] | None) -> list[str] | str:
        return QUIT

    def choose(self, options: Sequence[str]) -> str:
        self.offered.append(list(options))
        return self.context.pop(0)


def _console() -> Console:
    return Console(file=io.StringIO(), width=100)


def _context(path: Path) -> dict[str, str]:
    return {key: setting.value for key, setting in load_answers(path, CATALOG).context.items()}


def test_a_full_session_asks_the_context_first_and_saves_it_in_place(tmp_path: Path) -> None:
    path = tmp_path / "answers.yaml"
    path.write_text("# my own comment\n" + render_answers_file(CATALOG), encoding="utf-8")
    prompter = Scripted(["production", "serving"])
    run_session(path, CATALOG, prompter, _console())
    assert prompter.offered[0] == ["production", "staging", "test", "development", "sandbox"]
    assert prompter.offered[1] == ["serving", "training", "batch-scoring", "exploration"]
    assert _context(path) == {"environment": "production", "workload-purpose": "serving"}
    assert path.read_text(encoding="utf-8").startswith("# my own comment\n")   # edited in place
    # Stated now: the next session does not ask again.
    again = Scripted([])
    run_session(path, CATALOG, again, _console())
    assert again.offered == []


def test_skipping_leaves_the_context_unknown_and_areas_skip_the_context(tmp_path: Path) -> None:
    path = tmp_path / "answers.yaml"
    run_session(path, CATALOG, Scripted([SKIP, "training"]), _console())
    assert _context(path) == {"workload-purpose": "training"}
    limited = Scripted([])
    run_session(tmp_path / "other.yaml", CATALOG, limited, _console(), areas=[DesignArea.TESTING])
    assert limited.offered == []


def test_quitting_at_the_context_stops_the_session(tmp_path: Path) -> None:
    path = tmp_path / "answers.yaml"
    summary = run_session(path, CATALOG, Scripted([QUIT]), _console())
    assert summary.quit and summary.asked == 0 and _context(path) == {}


def test_plain_prompts_for_a_context_value() -> None:
    lines = iter(["9", "2"])
    written: list[str] = []
    prompter = PlainPrompter(read=lambda _prompt: next(lines), write=written.append)
    assert prompter.choose(["production", "staging"]) == "staging"
    assert "  1) production" in written and any("Please give a number" in line for line in written)


def test_a_file_without_a_context_block_gets_one(tmp_path: Path) -> None:
    from aiwell.questionnaire.answers import save_context

    path = tmp_path / "answers.yaml"
    path.write_text("schema: aiwell.answers/1\nanswers:\n  Q-AD-01: defined\n", encoding="utf-8")
    save_context(path, CATALOG, "environment", "staging")
    assert _context(path) == {"environment": "staging"}
    assert load_answers(path, CATALOG).get("Q-AD-01").choices == ("defined",)  # type: ignore[union-attr]
