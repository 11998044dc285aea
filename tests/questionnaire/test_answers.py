"""The answers file: written with every question, read back, edited in place, and refused with the line and
question when malformed; answers become results and scores."""

from __future__ import annotations

from pathlib import Path

import pytest

from aiwell.model import DesignArea, Status
from aiwell.questionnaire import load_questions
from aiwell.questionnaire.answers import AnswersError, load_answers, parse_answers, render_answers_file, save_answer
from aiwell.questionnaire.results import merge_answers, questionnaire_results
from aiwell.scoring import score_results

CATALOG = load_questions()


def _question(question_id: str):  # type: ignore[no-untyped-def]
    question = CATALOG.get(question_id)
    assert question is not None
    return question


def test_the_template_lists_every_question_unanswered_with_its_choices_as_comments(tmp_path: Path) -> None:
    path = tmp_path / "answers.yaml"
    path.write_text(render_answers_file(CATALOG), encoding="utf-8")
    text = path.read_text(encoding="utf-8")
    assert "#   statistical  " in text and "# Good: statistical, statistical-and-production." in text
    answers = load_answers(path, CATALOG)
    assert set(answers.answers) == {q.id for q in CATALOG.questions}
    assert not any(a.answered for a in answers.answers.values())


def test_saving_an_answer_edits_only_its_entry_and_drops_the_inferred_mark(tmp_path: Path) -> None:
    path = tmp_path / "answers.yaml"
    text = render_answers_file(CATALOG).replace("  Q-TE-01:\n    answer: null\n",
                                                "  Q-TE-01:\n    answer: small-set\n    inferred: from a report\n"
                                                "    note: my own note  # and a comment\n")
    path.write_text("# my comment at the top\n" + text, encoding="utf-8")
    save_answer(path, CATALOG, _question("Q-TE-01"), ["statistical"])
    save_answer(path, CATALOG, _question("Q-AD-10"), ["auth", "routing"])
    edited = path.read_text(encoding="utf-8")
    assert edited.startswith("# my comment at the top\n")
    assert "note: my own note  # and a comment" in edited and "inferred: from a report" not in edited
    answers = load_answers(path, CATALOG)
    assert answers.get("Q-TE-01").choices == ("statistical",)  # type: ignore[union-attr]
    assert answers.get("Q-TE-01").inferred is None  # type: ignore[union-attr]
    assert answers.get("Q-AD-10").choices == ("auth", "routing")  # type: ignore[union-attr]
    # Everything else is as it was.
    assert edited.count("answer: null") == text.count("answer: null") - 1


def test_saving_to_a_file_without_the_entry_adds_it(tmp_path: Path) -> None:
    path = tmp_path / "answers.yaml"
    path.write_text("schema: aiwell.answers/1\nanswers:\n  Q-AD-01: defined\n", encoding="utf-8")
    save_answer(path, CATALOG, _question("Q-AD-02"), ["documented"])
    save_answer(path, CATALOG, _question("Q-AD-01"), ["none"])
    answers = load_answers(path, CATALOG)
    assert answers.get("Q-AD-01").choices == ("none",)  # type: ignore[union-attr]
    assert answers.get("Q-AD-02").choices == ("documented",)  # type: ignore[union-attr]


@pytest.mark.parametrize(("text", "line", "message"), [
    ("schema: aiwell.answers/1\nanswers:\n  Q-AD-01:\n    answer: perfect\n", 4,
     "question Q-AD-01: 'perfect' is not one of its choices"),
    ("schema: aiwell.answers/1\nanswers:\n  Q-ZZ-99: {answer: none}\n", 3, "unknown question 'Q-ZZ-99'"),
    ("schema: aiwell.answers/1\nanswers:\n  Q-AD-01: none\n  Q-AD-01: defined\n", 4, "answered twice"),
    ("schema: aiwell.answers/1\nanswers:\n  Q-AD-01: [none, defined]\n", 3, "single-choice question"),
    ("schema: aiwell.answers/1\nanswers:\n  Q-AD-01:\n    answr: none\n", 4, "unknown key 'answr'"),
    ("schema: aiwell.answers/1\nanswers:\n  Q-AD-01: [none\n", 4, "not valid YAML"),
    ("schema: aiwell.answers/2\n", 1, "this aiwell reads aiwell.answers/1"),
])
def test_a_malformed_file_names_the_line_and_question(text: str, line: int, message: str) -> None:
    with pytest.raises(AnswersError) as raised:
        parse_answers(text, path="answers.yaml", catalog=CATALOG)
    assert f"answers.yaml:{line}:" in raised.value.message
    assert message in raised.value.message


def test_answers_become_results_and_questionnaire_scores_with_partial_credit() -> None:
    given = parse_answers("schema: aiwell.answers/1\nanswers:\n  Q-TE-01: statistical\n  Q-TE-02: under-50\n"
                          "  Q-TE-04: not-applicable\n", path="a.yaml", catalog=CATALOG).answers
    results = {r.rule.id: r for r in questionnaire_results(CATALOG, given, answers_file="a.yaml")}
    assert len(results) == len(CATALOG.questions)
    assert results["Q-TE-01"].status is Status.PASS and results["Q-TE-01"].resource_id == ""
    assert results["Q-TE-02"].status is Status.FAIL and "credit 25%" in results["Q-TE-02"].message
    assert results["Q-TE-04"].status is Status.NOT_APPLICABLE
    assert results["Q-TE-03"].status is Status.UNKNOWN and results["Q-TE-03"].message == "not answered"
    assert results["Q-TE-01"].location is not None and results["Q-TE-01"].location.line == 3
    testing = score_results(results.values()).design_areas[DesignArea.TESTING]
    # Q-TE-01 high 3 × 0.85 + Q-TE-02 high 3 × 0.25 → 3.3 / 6
    assert testing.score == 55.0 and testing.passed == 1 and testing.failed == 1
    assert testing.unknown == len(CATALOG.by_area()[DesignArea.TESTING]) - 3


def test_a_persons_answer_wins_over_an_inferred_one() -> None:
    given = parse_answers("schema: aiwell.answers/1\nanswers:\n  Q-TE-01: spot-checks\n"
                          "  Q-TE-02: {answer: under-50, inferred: old report}\n", path="a.yaml",
                          catalog=CATALOG).answers
    inferred = parse_answers("schema: aiwell.answers/1\nanswers:\n  Q-TE-01: {answer: statistical, inferred: x}\n"
                             "  Q-TE-02: {answer: under-100, inferred: new report}\n", path="b.yaml",
                             catalog=CATALOG).answers
    merged = merge_answers(given, inferred)
    assert merged["Q-TE-01"].choices == ("spot-checks",)
    assert merged["Q-TE-02"].inferred == "new report"


def test_a_file_rewritten_to_save_an_answer_keeps_its_context(tmp_path: Path) -> None:
    path = tmp_path / "answers.yaml"
    # Flow style can't be edited in place: the file is rewritten from what it holds.
    path.write_text("schema: aiwell.answers/1\ncontext: {environment: prod, workload-purpose: training}\n"
                    "answers: {Q-AD-01: defined}\n", encoding="utf-8")
    save_answer(path, CATALOG, _question("Q-AD-02"), ["documented"])
    answers = load_answers(path, CATALOG)
    assert {key: setting.value for key, setting in answers.context.items()} == {
        "environment": "production", "workload-purpose": "training"}
    assert answers.get("Q-AD-01").choices == ("defined",)  # type: ignore[union-attr]
    assert answers.get("Q-AD-02").choices == ("documented",)  # type: ignore[union-attr]
