"""Suites: the smallest suite as written, defaults and templates, case files, and errors that name file and line."""

from __future__ import annotations

import asyncio
import textwrap
from pathlib import Path

import pytest

from aiwell.errors import ConfigError, UserError
from aiwell.eval.scorers import score_sample
from aiwell.eval.suite import Case, Suite, SuiteError, load_suite
from aiwell.eval.targets import aclose_target

SUITES = Path(__file__).resolve().parent.parent / "fixtures" / "eval" / "suites"


def _write(tmp_path: Path, text: str, name: str = "suite.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def _error(tmp_path: Path, text: str) -> SuiteError:
    with pytest.raises(SuiteError) as info:
        load_suite(_write(tmp_path, text))
    return info.value


def _first_sample(suite: Suite, case: Case) -> list[bool]:
    async def go() -> list[bool]:
        target = suite.build_target()
        try:
            output = await target.call(case, 0)
        finally:
            await aclose_target(target)
        return [r.passed for r in await score_sample(case, output, case.assert_)]

    return asyncio.run(go())


def test_the_smallest_suite_loads_and_runs_as_written() -> None:
    suite = load_suite(SUITES / "smallest" / "suite.yaml")
    assert (suite.name, suite.repeats, suite.concurrency, suite.timeout_s) == ("arithmetic", 10, 8, 60.0)
    assert suite.target.type == "python" and suite.target.function == "mypkg.bot:answer"
    (case,) = suite.cases
    assert (case.id, case.input, case.tags, case.cluster) == ("add-1", "What is 2 + 2?", [], None)
    assert [(a.type, a.value) for a in case.assert_] == [("contains", "4")]
    assert suite.base_dir == SUITES / "smallest"
    assert _first_sample(suite, case) == [True]


def test_each_suite_imports_its_own_package() -> None:
    smallest = load_suite(SUITES / "smallest" / "suite.yaml")
    shadow = load_suite(SUITES / "shadow" / "suite.yaml")
    assert _first_sample(shadow, shadow.cases[0]) == [True]
    assert _first_sample(smallest, smallest.cases[0]) == [True]


def test_defaults_templates_and_case_files_are_merged() -> None:
    suite = load_suite(SUITES / "full" / "suite.yaml")
    assert (suite.repeats, suite.concurrency, suite.timeout_s, suite.rpm, suite.tpm) == (3, 4, 5.0, 600, None)
    by_id = {c.id: c for c in suite.cases}
    assert list(by_id) == ["fr", "jp", "pe", "cases.jsonl:3", "csv-fr", "cases.csv:3"]
    fr = by_id["fr"]
    assert fr.input == "What is the capital of France?"
    assert fr.vars == {"style": "short", "country": "France"}
    assert fr.tags == ["geo", "eu"] and fr.cluster == "europe" and fr.expected == "Paris"
    assert [a.type for a in fr.assert_] == ["length", "contains", "python"]
    assert fr.source == "suite.yaml:15"
    assert by_id["jp"].input == "Capital of Japan (short)?"  # the case's own prompt wins
    assert by_id["pe"].cluster == "americas" and by_id["pe"].source == "cases.jsonl:1"
    assert by_id["cases.jsonl:3"].tags == ["geo", "sa"]
    csv_fr = by_id["csv-fr"]
    assert csv_fr.vars == {"style": "short", "country": "France"} and csv_fr.expected == "Paris"
    assert csv_fr.tags == ["geo", "eu", "csv"] and csv_fr.cluster == "europe"
    assert [a.type for a in by_id["cases.csv:3"].assert_] == ["length", "label"]
    assert {s["name"] for s in suite.scorer_specs()} == {"length", "contains", "python", "regex", "not-contains",
                                                         "label"}
    for case in suite.cases:
        assert all(_first_sample(suite, case)), case.id


def test_chat_message_prompt_templates_and_structured_input(tmp_path: Path) -> None:
    path = _write(tmp_path, """
        name: chat
        target: {type: openai, endpoint: "http://127.0.0.1:1/v1", model: m, temperature: 0}
        prompt:
          - {role: system, content: "You are {{ persona }}."}
          - {role: user, content: "{{ question }}"}
        defaults: {assert: [{type: contains, value: ok}]}
        cases:
          - {id: a, vars: {persona: terse, question: "Hi?"}}
          - id: b
            input: {"messages": [{"role": "user", "content": "raw"}]}
            prompt: "{{ input.messages[0].content }}!"
        """)
    suite = load_suite(path)
    assert suite.cases[0].input == [{"role": "system", "content": "You are terse."},
                                    {"role": "user", "content": "Hi?"}]
    assert suite.cases[1].input == "raw!"
    assert suite.target.params == {"temperature": 0}


def test_case_model_accepts_the_yaml_key_assert() -> None:
    case = Case.model_validate({"id": 7, "input": "x", "assert": [{"type": "contains", "value": "x"}],
                                "tags": "a, b", "cluster": 3})
    assert (case.id, case.tags, case.cluster) == ("7", ["a", "b"], "3")
    assert case.model_dump(by_alias=True)["assert"][0]["type"] == "contains"


def test_suite_level_judge_is_bound_to_judge_assertions(tmp_path: Path) -> None:
    path = _write(tmp_path, """
        target: {type: python, function: "helpers.fns:echo"}
        judge: {type: python, function: "helpers.fns:judge_alternating"}
        cases:
          - id: j
            input: hello
            assert: [{type: llm-judge, rubric: "Says hello.", judge_repeats: 3}]
        """)
    # The helpers package lives beside the full suite; point the suite there by loading it from that folder.
    target = SUITES / "full" / f"judge-{tmp_path.name}.yaml"
    target.write_text(path.read_text(), encoding="utf-8")
    try:
        suite = load_suite(target)
    finally:
        target.unlink()
    assert suite.name == target.stem
    (case,) = suite.cases
    judge = suite.build_judge()
    assert judge is not None

    async def go() -> float | None:
        output = await suite.build_target().call(case, 0)
        return (await score_sample(case, output, case.assert_, judge=judge))[0].value

    assert asyncio.run(go()) == pytest.approx(2 / 3)


# --- errors ----------------------------------------------------------------------------------------------------


def test_suite_errors_are_user_errors() -> None:
    assert issubclass(SuiteError, ConfigError) and issubclass(SuiteError, UserError)


def test_undefined_template_variable_names_the_case_and_line(tmp_path: Path) -> None:
    error = _error(tmp_path, """
        name: t
        target: {type: python, function: "m:f"}
        prompt: "Q: {{ question }}"
        cases:
          - id: ok
            vars: {question: "1?"}
            assert: [{type: contains, value: x}]
          - id: broken
            vars: {qestion: "2?"}
            assert: [{type: contains, value: x}]
        """)
    assert "suite.yaml:9:" in error.message and "case broken" in error.message
    assert "'question' is undefined" in error.message


def test_unknown_scorer_points_at_the_assertion(tmp_path: Path) -> None:
    error = _error(tmp_path, """
        name: t
        target: {type: python, function: "m:f"}
        cases:
          - id: a
            input: x
            assert:
              - {type: contains, value: x}
              - {type: contain, value: y}
        """)
    assert "suite.yaml:9:" in error.message and "case a" in error.message
    assert "unknown scorer 'contain'" in error.message and "not-contains" in error.message


@pytest.mark.parametrize(
    ("body", "line", "message"),
    [
        ("name: t\ntarget: {type: python, function: 'm:f'}\ncases:\n  - id: a\n    input: x\n    asert: []\n",
         6, "unknown key 'asert'"),
        ("name: t\ntarget: {type: python, function: 'm:f'}\nrepeats: 0\ncases: [{id: a, input: x}]\n",
         3, "repeats"),
        ("name: t\ntarget: {type: python}\ncases: [{id: a, input: x, assert: [{type: is-json}]}]\n",
         2, "pkg.module:function"),
        ("name: t\ntarget: {type: python, function: 'm:f'}\ncases:\n  - {id: a, input: x\n",
         5, "not valid YAML"),
        ("name: t\ntarget: {type: python, function: 'm:f'}\ncases:\n  - {id: a, input: x}\n",
         4, "case a has no assertions"),
        ("name: t\ntarget: {type: python, function: 'm:f'}\ncases:\n  - {id: a, assert: [{type: is-json}]}\n",
         4, "case a has no input"),
        ("name: t\ntarget: {type: python, function: 'm:f'}\ndefaults: {assert: [{type: is-json}]}\ncases:\n"
         "  - {id: a, input: x}\n  - {id: a, input: y}\n", 6, "duplicate case id 'a' (first at suite.yaml:5)"),
        ("name: t\ntarget: {type: python, function: 'm:f'}\ncases:\n"
         "  - {id: a, input: x, assert: [{type: llm-judge, rubric: r}]}\n", 4, "llm-judge needs a judge target"),
        ("name: t\ntarget: {type: python, function: 'm:f'}\ncases:\n"
         "  - {id: a, input: x, assert: [{type: equals}]}\n", 4, "equals needs a value (or the case's expected)"),
        ("name: t\ntarget: {type: python, function: 'm:f'}\ncases:\n"
         "  - {id: a, input: x, expected: maybe, assert: [{type: label, labels: [yes, no]}]}\n", 4,
         "expected label 'maybe' is not one of labels"),
        ("name: t\ntarget: {type: python, function: 'm:f'}\ncases:\n"
         "  - {id: a, input: x, expected: many, assert: [{type: number}]}\n", 4, "numeric value or expected"),
        ("name: t\ntarget: {type: python, function: 'm:f'}\ncases:\n"
         "  - {id: a, input: x, assert: [{python: 'nowhere_mod:fn'}]}\n", 4, "cannot import nowhere_mod"),
        ("name: t\ntarget: {type: python, function: 'm:f'}\ncases: more.jsonl\n", None, "more.jsonl not found"),
        ("- just\n- a list\n", 1, "a suite is a mapping"),
        ("name: t\ntarget: {type: python, function: 'm:f'}\n", 1, "no cases"),
    ],
)
def test_mistakes_are_reported_with_file_and_line(tmp_path: Path, body: str, line: int | None,
                                                  message: str) -> None:
    error = _error(tmp_path, body)
    assert message in error.message
    assert error.file is not None and error.file.name == "suite.yaml"
    if line is not None:
        assert error.line == line, error.message


def test_bad_jsonl_line_is_reported_with_its_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "cases.jsonl").write_text('{"id": "a", "input": "x", "assert": [{"type": "is-json"}]}\n'
                                          '{"id": "b", "input": \n', encoding="utf-8")
    error = _error(tmp_path, "name: t\ntarget: {type: python, function: 'm:f'}\ncases: cases.jsonl\n")
    assert error.file == tmp_path / "cases.jsonl" and error.line == 2 and "not valid JSON" in error.message


def test_bad_case_in_jsonl_points_at_its_line(tmp_path: Path) -> None:
    (tmp_path / "cases.jsonl").write_text('{"id": "a", "input": "x", "assert": [{"type": "is-json"}]}\n'
                                          '{"id": "b", "input": "y", "assert": [{"type": "regex", "value": "("}]}\n',
                                          encoding="utf-8")
    error = _error(tmp_path, "name: t\ntarget: {type: python, function: 'm:f'}\ncases: [cases.jsonl]\n")
    assert error.line == 2 and "case b" in error.message and "bad regex" in error.message


def test_csv_cases_and_their_errors(tmp_path: Path) -> None:
    (tmp_path / "cases.csv").write_text('id,input,expected,vars.topic,assert\n'
                                        'a,What is 3+4?,7,math,"[{""type"": ""number""}]"\n'
                                        'b,x,,,not json\n', encoding="utf-8")
    error = _error(tmp_path, "name: t\ntarget: {type: python, function: 'm:f'}\ncases: cases.csv\n")
    assert error.line == 3 and "assert column is not a JSON list" in error.message
    (tmp_path / "cases.csv").write_text('id,input,expected,vars.topic,assert\n'
                                        'a,What is 3+4?,7,math,"[{""type"": ""number""}]"\n', encoding="utf-8")
    suite = load_suite(tmp_path / "suite.yaml")
    assert suite.cases[0].vars == {"topic": "math"} and suite.cases[0].expected == "7"


def test_unreadable_suite_file(tmp_path: Path) -> None:
    with pytest.raises(SuiteError, match="cannot read suite"):
        load_suite(tmp_path / "missing.yaml")
