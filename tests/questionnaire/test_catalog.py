"""The questions catalog: coverage of the nine design areas and the overview's challenges, valid metadata,
scoring of answers, and clear errors for a broken definition."""

from __future__ import annotations

from pathlib import Path

import pytest

from aiwell.model import DesignArea
from aiwell.questionnaire import CHALLENGES, QuestionDefinitionError, load_questions
from aiwell.questionnaire.catalog import QUESTION_ID, load_questions_file

CATALOG = load_questions()


def test_at_least_80_questions_covering_all_nine_design_areas() -> None:
    assert len(CATALOG.questions) >= 80
    counts = {area: len(questions) for area, questions in CATALOG.by_area().items()}
    assert set(counts) == set(DesignArea)
    assert all(count >= 5 for count in counts.values()), counts


def test_every_challenge_of_the_overview_has_questions() -> None:
    covered = {challenge for question in CATALOG.questions for challenge in question.challenges}
    assert covered == set(CHALLENGES)


def test_ids_are_unique_stable_shaped_and_every_question_is_documented() -> None:
    ids = [question.id for question in CATALOG.questions]
    assert len(ids) == len(set(ids))
    for question in CATALOG.questions:
        assert QUESTION_ID.match(question.id)
        assert question.title.endswith("?"), question.id
        assert question.why and question.guidance and question.references, question.id
        assert question.good and set(question.good) <= {c.id for c in question.choices}
        assert question.waf, f"{question.id} names no WAF recommendation code"


def test_single_choice_credit_and_pass() -> None:
    question = CATALOG.get("Q-AD-01")  # maturity scale, good: defined, automated
    assert question is not None
    assert question.credit(["defined"]) == pytest.approx(0.67)
    assert question.passes(["defined"]) and question.passes(["automated"])
    assert not question.passes(["ad-hoc"]) and question.credit(["none"]) == 0


def test_multi_select_credit_is_the_share_of_scores_selected_and_passes_with_every_good_choice() -> None:
    question = CATALOG.get("Q-AD-10")  # gateway controls; good: auth, quotas, routing
    assert question is not None and question.multi
    assert question.credit(["auth", "quotas"]) == pytest.approx(0.45)
    assert not question.passes(["auth", "quotas"])
    assert question.passes(["auth", "quotas", "routing"])
    assert question.credit([]) == 0


def test_not_applicable_is_offered_where_a_question_may_not_apply() -> None:
    question = CATALOG.get("Q-TE-04")
    assert question is not None and question.not_applicable
    assert question.choice("not-applicable") is not None
    assert CATALOG.get("Q-AD-01").choice("not-applicable") is None  # type: ignore[union-attr]


@pytest.mark.parametrize(("entry", "message"), [
    ("id: Q-XX-1", "must look like Q-AD-01"),
    ("id: Q-AP-01", "starting Q-AD-"),
    ("id: Q-AD-01\n  waf: [SE:99]", "not a Well-Architected recommendation code"),
    ("id: Q-AD-01\n  good: [perfect]", "`good` must name some of the choices"),
    ("id: Q-AD-01\n  challenges: [time-travel]", "unknown challenge"),
])
def test_a_broken_definition_names_the_file_and_question(tmp_path: Path, entry: str, message: str) -> None:
    lines = {"design_area": "application-design", "pillars": "[security]", "severity": "low", "scale": "maturity",
             "good": "[defined]", "why": "x", "guidance": "y", "references": "[https://example.org]",
             "title": "Is it?"}
    body = "\n".join(f"  {key}: {value}" for key, value in lines.items() if f"{key}:" not in entry)
    path = tmp_path / "q.yaml"
    path.write_text("scales:\n  maturity:\n    - {id: none, label: n, score: 0}\n"
                    "    - {id: defined, label: d, score: 67}\nquestions:\n"
                    f"- {entry}\n{body}\n", encoding="utf-8")
    with pytest.raises(QuestionDefinitionError, match=message) as raised:
        load_questions_file(path)
    assert str(path) in str(raised.value)
