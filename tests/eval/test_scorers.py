"""Scorers: each built-in on passing and failing outputs, argument checks, custom Python scorers, the LLM judge."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from aiwell.errors import UserError
from aiwell.eval.scorers import (
    SCORERS,
    AssertionSpec,
    ScoreContext,
    ScorerError,
    ScoreResult,
    extract_number,
    get_scorer,
    normalise_label,
    parse_verdict,
    predicted_label,
    score_sample,
    scorer,
    scorer_specs,
)
from aiwell.eval.suite import Case
from aiwell.eval.targets import TargetOutput, TargetSpec

FULL = Path(__file__).resolve().parent.parent / "fixtures" / "eval" / "suites" / "full"


def _case(expected: Any = None, **extra: Any) -> Case:
    return Case.model_validate({"id": "c1", "input": "question?", "expected": expected,
                                "assert": [{"type": "is-json"}], **extra})


def _spec(**data: Any) -> AssertionSpec:
    spec = AssertionSpec.model_validate(data)
    spec.bind(FULL)
    return spec


def score(spec: AssertionSpec | dict[str, Any], text: str, *, expected: Any = None, latency_s: float = 0.1,
          judge: Any = None) -> ScoreResult:
    """Score one output with one assertion."""
    one = spec if isinstance(spec, AssertionSpec) else _spec(**spec)
    output = TargetOutput(text=text, latency_s=latency_s)
    return asyncio.run(score_sample(_case(expected), output, [one], judge=judge))[0]


def passes(spec: dict[str, Any], text: str, **kw: Any) -> bool:
    """Whether the output passes the assertion."""
    return score(spec, text, **kw).passed


# --- registry --------------------------------------------------------------------------------------------------


def test_unknown_scorer_lists_the_known_ones() -> None:
    with pytest.raises(ValidationError, match="unknown scorer 'contain'; known scorers: contains, equals"):
        AssertionSpec.model_validate({"type": "contain", "value": "x"})
    with pytest.raises(UserError) as info:
        get_scorer("nope")
    assert info.value.hint is not None and "llm-judge" in info.value.hint


def test_all_built_ins_are_registered() -> None:
    assert {"equals", "contains", "not-contains", "regex", "is-json", "json-schema", "jsonpath-equals", "number",
            "length", "latency", "label", "python", "llm-judge"} <= set(SCORERS)


@pytest.fixture
def custom_scorer() -> Iterator[None]:
    @scorer("shouts")
    def shouts(case: Case, output: TargetOutput, spec: AssertionSpec, ctx: ScoreContext) -> ScoreResult:
        return ScoreResult(name=spec.type, passed=output.text.isupper(), value=None, reason="", args=spec.args)

    yield
    del SCORERS["shouts"]


def test_a_registered_scorer_is_usable_by_name(custom_scorer: None) -> None:
    assert passes({"type": "shouts"}, "HELLO")
    assert not passes({"type": "shouts"}, "hello")


def test_results_record_name_and_args() -> None:
    result = score({"type": "contains", "value": "4", "ignore_case": True}, "it is 4")
    assert (result.name, result.args, result.value) == ("contains", {"value": "4", "ignore_case": True}, 1.0)
    assert result.to_log() == {"name": "contains", "passed": True, "value": 1.0, "reason": "found"}
    specs = [_spec(type="contains", value="4"), _spec(type="length", max=5), _spec(type="contains", value="4")]
    assert scorer_specs(specs) == [{"name": "contains", "args": {"value": "4"}},
                                   {"name": "length", "args": {"max": 5}}]


# --- text ------------------------------------------------------------------------------------------------------


def test_equals() -> None:
    assert passes({"type": "equals", "value": "Paris"}, "  Paris\n")
    assert not passes({"type": "equals", "value": "Paris"}, "paris")
    assert passes({"type": "equals", "value": "Paris", "ignore_case": True}, "paris")
    assert not passes({"type": "equals", "value": "Paris", "strip": False}, "Paris ")
    assert passes({"type": "equals"}, "Lima", expected="Lima")
    assert passes({"type": "equals", "value": {"a": [1, 2]}}, '```json\n{"a": [1, 2]}\n```')
    assert passes({"type": "equals", "value": 4}, "4")
    assert not passes({"type": "equals", "value": 4}, "four")


def test_contains_and_not_contains() -> None:
    assert passes({"type": "contains", "value": "4"}, "2 + 2 = 4")
    assert passes({"type": "contains", "value": 4}, "2 + 2 = 4")  # YAML numbers are matched as text
    assert not passes({"type": "contains", "value": "PARIS"}, "paris")
    assert passes({"type": "contains", "value": "PARIS", "ignore_case": True}, "paris")
    assert passes({"type": "contains", "value": ["a", "b"]}, "a and b")
    assert not passes({"type": "contains", "value": ["a", "z"]}, "a and b")
    assert passes({"type": "contains", "value": ["x", "b"], "any": True}, "a and b")
    result = score({"type": "contains", "value": ["a", "z"]}, "a and b")
    assert "missing ['z']" in result.reason
    assert passes({"type": "not-contains", "value": "sorry"}, "Paris")
    assert not passes({"type": "not-contains", "value": "SORRY", "ignore_case": True}, "sorry, no")
    assert not passes({"type": "not-contains", "value": ["x", "no"]}, "sorry, no")


def test_regex() -> None:
    assert passes({"type": "regex", "value": r"\b4\b"}, "answer: 4.")
    assert not passes({"type": "regex", "value": r"^4$"}, "answer: 4")
    assert passes({"type": "regex", "value": "paris", "ignore_case": True}, "PARIS")
    assert not passes({"type": "regex", "value": r"\d", "full": True}, "12")
    assert passes({"type": "regex", "value": r"\d+", "full": True}, "12")
    assert passes({"type": "regex", "value": "^b$", "multiline": True}, "a\nb")


# --- JSON ------------------------------------------------------------------------------------------------------


def test_is_json() -> None:
    assert passes({"type": "is-json"}, '{"a": 1}')
    assert passes({"type": "is-json"}, '```json\n{"a": 1}\n```')
    assert not passes({"type": "is-json", "fences": False}, '```json\n{"a": 1}\n```')
    assert not passes({"type": "is-json"}, "{a: 1}")


SCHEMA = {"type": "object", "required": ["city", "population"],
          "properties": {"city": {"type": "string"}, "population": {"type": "integer", "minimum": 0}}}


def test_json_schema() -> None:
    assert passes({"type": "json-schema", "value": SCHEMA}, '{"city": "Lima", "population": 10}')
    result = score({"type": "json-schema", "value": SCHEMA}, '{"city": "Lima", "population": -1}')
    assert not result.passed and "$.population" in result.reason
    assert not passes({"type": "json-schema", "schema": SCHEMA}, "not json")


def test_json_schema_without_jsonschema_says_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "jsonschema", None)
    with pytest.raises(ValidationError, match="pip install jsonschema"):
        AssertionSpec.model_validate({"type": "json-schema", "value": SCHEMA})


def test_jsonpath_equals() -> None:
    text = '{"answer": {"city": "Lima", "n": 2.0, "ok": true}}'
    assert passes({"type": "jsonpath-equals", "path": "$.answer.city", "value": "Lima"}, text)
    assert passes({"type": "jsonpath-equals", "path": "$.answer.n", "value": 2}, text)
    assert passes({"type": "jsonpath-equals", "path": "$.answer.ok", "value": True}, text)
    assert passes({"type": "jsonpath-equals", "path": "$.answer.city", "ignore_case": True}, text, expected="lima")
    assert not passes({"type": "jsonpath-equals", "path": "$.answer.city", "value": "Quito"}, text)
    assert "no key 'x'" in score({"type": "jsonpath-equals", "path": "$.x", "value": 1}, text).reason


# --- numbers, lengths, latency ---------------------------------------------------------------------------------


def test_extract_number() -> None:
    assert extract_number("It is 1,250.5 metres") == 1250.5
    assert extract_number("about -3e2 or so") == -300.0
    assert extract_number("x = .5") == 0.5
    assert extract_number("none") is None


def test_number_within_tolerance() -> None:
    assert passes({"type": "number", "value": 4}, "The answer is 4.")
    assert not passes({"type": "number", "value": 4}, "The answer is 4.2")
    assert passes({"type": "number", "value": 4, "tolerance": 0.25}, "The answer is 4.2")
    assert passes({"type": "number", "value": 100, "rel_tolerance": 0.05}, "about 104")
    assert passes({"type": "number", "tolerance": 1}, "3", expected="4")  # CSV: expected is text
    assert passes({"type": "number", "value": 10, "path": "$.total"}, '{"total": 10.0}')
    result = score({"type": "number", "value": 4}, "The answer is 4.2")
    assert result.value == 4.2
    assert score({"type": "number", "value": 4}, "no idea").reason == "no number in output"


def test_length_bounds() -> None:
    assert passes({"type": "length", "max": 5}, "hello")
    assert not passes({"type": "length", "max": 4}, "hello")
    assert passes({"type": "length", "min": 2, "max": 3, "unit": "words"}, "two words")
    result = score({"type": "length", "min": 3, "unit": "words"}, "two words")
    assert not result.passed and result.value == 2.0


def test_latency_bound() -> None:
    assert passes({"type": "latency", "max_s": 1.0}, "x", latency_s=0.5)
    result = score({"type": "latency", "value": 1.0}, "x", latency_s=1.5)
    assert not result.passed and result.value == 1.5


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"type": "regex", "value": "("}, "bad regex"),
        ({"type": "regex"}, "needs value"),
        ({"type": "json-schema", "value": {"type": "nonsense"}}, "invalid JSON Schema"),
        ({"type": "json-schema"}, "needs value"),
        ({"type": "jsonpath-equals", "value": 1}, "needs path"),
        ({"type": "jsonpath-equals", "path": "$..x", "value": 1}, "unsupported JSONPath"),
        ({"type": "number", "value": "four"}, "must be a number"),
        ({"type": "number", "value": 4, "tolerance": -1}, "≥ 0"),
        ({"type": "length"}, "min and/or max"),
        ({"type": "length", "max": 3, "unit": "tokens"}, "chars or words"),
        ({"type": "latency"}, "max_s"),
        ({"type": "label", "value": "x", "labels": ["a", "b"]}, "not one of labels"),
        ({"type": "python", "function": "no_colon"}, "pkg.module:function"),
        ({"type": "llm-judge"}, "needs rubric"),
        ({"type": "llm-judge", "rubric": "r", "judge_repeats": 0}, "judge_repeats"),
        ({"type": "llm-judge", "rubric": "r", "scale": "1-10"}, "scale"),
        ({"type": "llm-judge", "rubric": "r", "threshold": 9}, "threshold"),
        ({"type": "llm-judge", "rubric": "r", "judge": {"type": "http"}}, "needs url"),
        ({"type": "contains", "value": {"a": 1}}, "text or a list"),
    ],
)
def test_bad_arguments_are_refused_when_the_spec_is_built(data: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        AssertionSpec.model_validate(data)


# --- labels ----------------------------------------------------------------------------------------------------


def test_label_normalisation_and_extraction() -> None:
    assert normalise_label('  "**Positive**." ') == "positive"
    assert predicted_label("Negative", ["positive", "negative"]) == "negative"
    assert predicted_label("The sentiment is NEGATIVE.", ["positive", "negative"]) == "negative"
    assert predicted_label("positive or negative", ["positive", "negative"]) is None
    assert predicted_label("Neutral-ish", None) == "neutral-ish"


def test_label_match() -> None:
    labels = ["positive", "negative", "neutral"]
    assert passes({"type": "label", "labels": labels}, "Positive.", expected="positive")
    assert passes({"type": "label", "labels": labels}, "I'd say it is positive", expected="Positive")
    assert not passes({"type": "label", "labels": labels, "extract": False}, "I'd say it is positive",
                      expected="positive")
    assert not passes({"type": "label", "labels": labels}, "negative", expected="positive")
    assert "no single label" in score({"type": "label", "labels": labels}, "hmm", expected="positive").reason
    assert passes({"type": "label", "value": "spam"}, " SPAM ")


# --- custom Python scorers -------------------------------------------------------------------------------------


def test_python_scorers_returning_bool_number_and_dict() -> None:
    assert passes({"python": "helpers.fns:mentions_city"}, "It's Lima", expected="lima")
    assert not passes({"type": "python", "function": "helpers.fns:mentions_city"}, "Quito", expected="lima")
    result = score({"type": "python", "value": "helpers.fns:overlap"}, "new york", expected="new york city")
    assert result.passed and result.value == pytest.approx(2 / 3)
    assert not passes({"type": "python", "value": "helpers.fns:overlap", "threshold": 0.9}, "new york",
                      expected="new york city")
    result = score({"python": "helpers.fns:verdict"}, "Paris!")
    assert (result.passed, result.value, result.reason) == (True, 0.5, "looked for Paris")


def test_python_scorer_failures_are_scorer_errors() -> None:
    with pytest.raises(ScorerError, match="returned str"):
        score({"python": "helpers.fns:bad_return"}, "x")
    with pytest.raises(ScorerError, match="scorer bug") as info:
        score({"python": "helpers.fns:raises"}, "x")
    assert info.value.kind == "scorer" and not info.value.retryable


# --- LLM judge -------------------------------------------------------------------------------------------------


class FakeJudge:
    """A judge target that replies from a list, one reply per judge repeat, and records the prompts."""

    def __init__(self, replies: list[str]) -> None:
        self.replies = replies
        self.prompts: list[tuple[str, int]] = []

    async def call(self, case: Case, repeat: int) -> TargetOutput:
        self.prompts.append((str(case.input), repeat))
        return TargetOutput(text=self.replies[repeat % len(self.replies)])

    def key(self) -> str:
        return "fake-judge"


def test_parse_verdict() -> None:
    assert parse_verdict("reasoning...\nVERDICT: PASS", "pass-fail", 3).passed is True
    assert parse_verdict("Verdict: pass... wait. **VERDICT: FAIL**", "pass-fail", 3).passed is False
    assert parse_verdict("FAIL", "pass-fail", 3).passed is False
    assert parse_verdict("could pass or fail", "pass-fail", 3).passed is None
    four = parse_verdict("Good.\nSCORE: 4", "1-5", 3)
    assert (four.passed, four.score) == (True, 4.0)
    assert parse_verdict("2", "1-5", 3).passed is False
    assert parse_verdict("SCORE: 9", "1-5", 3).passed is None
    assert parse_verdict("no idea", "1-5", 3).passed is None


def test_judge_prompt_and_majority_of_repeats() -> None:
    judge = FakeJudge(["VERDICT: PASS", "VERDICT: FAIL", "VERDICT: PASS"])
    spec = _spec(type="llm-judge", rubric="Names the capital correctly.", judge_repeats=3)
    result = score(spec, "Lima is the capital.", expected="Lima", judge=judge)
    assert result.passed and result.value == pytest.approx(2 / 3)
    assert result.verdicts is not None and [v.passed for v in result.verdicts] == [True, False, True]
    assert [r for _, r in judge.prompts] == [0, 1, 2]
    prompt = judge.prompts[0][0]
    assert "Names the capital correctly." in prompt and "Lima is the capital." in prompt
    assert "question?" in prompt and "[Expected]\nLima" in prompt
    assert len(result.to_log()["verdicts"]) == 3


def test_judge_tie_fails_and_unreadable_replies_are_set_aside() -> None:
    tie = score(_spec(type="llm-judge", rubric="r", judge_repeats=2), "x",
                judge=FakeJudge(["VERDICT: PASS", "VERDICT: FAIL"]))
    assert not tie.passed
    partly = score(_spec(type="llm-judge", rubric="r", judge_repeats=3), "x",
                   judge=FakeJudge(["VERDICT: PASS", "hmm", "VERDICT: PASS"]))
    assert partly.passed and "1 unreadable" in partly.reason
    with pytest.raises(ScorerError, match="unreadable"):
        score(_spec(type="llm-judge", rubric="r"), "x", judge=FakeJudge(["I cannot decide"]))


def test_judge_on_a_1_to_5_scale_with_threshold() -> None:
    judge = FakeJudge(["SCORE: 4", "SCORE: 3", "SCORE: 5"])
    result = score(_spec(type="llm-judge", rubric="r", scale="1-5", threshold=4, judge_repeats=3), "x", judge=judge)
    assert result.passed and result.value == pytest.approx(4.0)
    assert "Score the output from 1 (worst) to 5 (best)" in judge.prompts[0][0]


def test_judge_with_custom_prompt() -> None:
    judge = FakeJudge(["PASS"])
    spec = _spec(type="llm-judge", rubric="be nice", prompt="R={{ rubric }} O={{ output }} V={{ vars.k }}")
    result = asyncio.run(score_sample(_case(vars={"k": "v"}), TargetOutput(text="hi"), [spec], judge=judge))[0]
    assert result.passed and judge.prompts[0][0] == "R=be nice O=hi V=v"


def test_judge_built_from_its_spec_measures_judge_noise() -> None:
    judge_spec = {"type": "python", "function": "helpers.fns:judge_alternating"}
    spec = _spec(type="llm-judge", rubric="r", judge_repeats=4, judge=judge_spec)
    result = score(spec, "some output")
    assert result.verdicts is not None and [v.passed for v in result.verdicts] == [True, False, True, False]
    assert not result.passed and result.value == 0.5
    # The suite-level judge is used when the assertion has none of its own.
    suite_judge = AssertionSpec.model_validate({"type": "llm-judge", "rubric": "r", "judge_repeats": 3})
    suite_judge.bind(FULL, TargetSpec.model_validate(judge_spec))
    assert score(suite_judge, "x").value == pytest.approx(2 / 3)


def test_judge_without_a_target_is_a_scorer_error() -> None:
    with pytest.raises(ScorerError, match="no judge target"):
        score(_spec(type="llm-judge", rubric="r"), "x")


def test_score_sample_keeps_assertion_order() -> None:
    specs = [_spec(type="contains", value="a"), _spec(type="length", max=1), _spec(type="is-json")]
    results = asyncio.run(score_sample(_case(), TargetOutput(text="abc"), specs))
    assert [(r.name, r.passed) for r in results] == [("contains", True), ("length", False), ("is-json", False)]
