"""Answers as review results: one result per question, with the question's id (`Q-AD-01`) and no resource.

A good answer passes, another answer fails, an unanswered question is unknown, and a question answered
not-applicable is not applicable. Each answered result carries its `QuestionAnswer` (the choices and the credit
they earn in scores). A person's answer wins over an inferred one; an inferred answer says what it rests on.
"""

from __future__ import annotations

from collections.abc import Mapping

from aiwell.model import Location, QuestionAnswer, Result, Status
from aiwell.questionnaire.answers import Answer
from aiwell.questionnaire.catalog import NOT_APPLICABLE, Question, QuestionCatalog


def _labels(question: Question, choices: tuple[str, ...]) -> str:
    if not choices:
        return "none of the choices"
    return "; ".join(choice.label for choice in question.all_choices if choice.id in choices)


def question_result(question: Question, answer: Answer | None, *, answers_file: str | None = None) -> Result:
    """The result of one question for its answer (None: no entry)."""
    location = Location(answers_file, answer.line) if answers_file and answer is not None and answer.line else None

    def result(status: Status, message: str, recorded: QuestionAnswer | None = None) -> Result:
        return Result(rule=question.info, status=status, resource_id="", resource_type="", resource_name="",
                      message=message, location=location, answer=recorded)

    if answer is None or answer.choices is None:
        return result(Status.UNKNOWN, "not answered")
    choices = answer.choices
    credit = question.credit(choices)
    recorded = QuestionAnswer(choices=choices, credit=round(credit, 4), inferred=answer.inferred)
    inferred = f" (inferred from {answer.inferred})" if answer.inferred else ""
    if choices == (NOT_APPLICABLE,):
        return result(Status.NOT_APPLICABLE, f"does not apply: {question.not_applicable}{inferred}", recorded)
    if question.passes(choices):
        return result(Status.PASS, f"answered: {_labels(question, choices)}{inferred}", recorded)
    good = "; ".join(question.good_labels())
    missing = ""
    if question.multi:
        absent = [c.label for c in question.choices if c.id in question.good and c.id not in choices]
        missing = f"; missing: {'; '.join(absent)}"
    return result(Status.FAIL, f"answered: {_labels(question, choices)} (credit {round(100 * credit)}%){missing}; "
                               f"good: {good}{inferred}", recorded)


def merge_answers(given: Mapping[str, Answer], inferred: Mapping[str, Answer]) -> dict[str, Answer]:
    """The answers to score: a person's answer wins; an inferred one fills a question left unanswered, and an
    inferred entry in the file is replaced by fresher evidence for the same question."""
    merged = dict(inferred)
    for question_id, answer in given.items():
        if (answer.answered and answer.inferred is None) or question_id not in merged:
            merged[question_id] = answer
    return merged


def questionnaire_results(catalog: QuestionCatalog, answers: Mapping[str, Answer], *,
                          answers_file: str | None = None) -> list[Result]:
    """One result per question of the catalog, in catalog order."""
    return [question_result(question, answers.get(question.id), answers_file=answers_file)
            for question in catalog.questions]


__all__ = ["merge_answers", "question_result", "questionnaire_results"]
