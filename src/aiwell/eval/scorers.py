"""Scorers: the assertions a sample's output must meet. Each is registered by name (`@scorer("contains")`) and
produces a `ScoreResult` that records the scorer's name and arguments, so a run can be reproduced and re-scored.

A sample passes when all its assertions pass (the runner decides that); `ScoreResult.value` is the measurement where
there is one (the number found, the length, the latency, the judge's mean score) and 1.0 / 0.0 otherwise.

Built in: equals, contains, not-contains, regex, is-json, json-schema, jsonpath-equals, number, length, latency,
label, python (a custom function), llm-judge (a rubric sent to the suite's `judge:` target, optionally several
times per output so judge noise can be measured apart from generation noise), tool-call (the tool calls a chat
model asked for) and the retrieval assertions source-present and recall-at-k (the sources a RAG system returned).
The registry and the data they work on live in `specs`; this module registers the implementations on import.
"""


from __future__ import annotations

import asyncio
import contextlib
import inspect
import json
import math
import re
from collections.abc import Sequence
from typing import Any, Literal, cast

import jinja2
from pydantic import ValidationError

from aiwell.errors import UserError
from aiwell.eval._common import accepted_keywords, jsonpath_get, parse_jsonpath, render
from aiwell.eval.specs import (
    PYTHON_SCORER_KEYWORDS,
    SCORERS,
    AssertionSpec,
    Case,
    JudgeCall,
    JudgeVerdict,
    ScoreContext,
    Scorer,
    ScorerError,
    ScoreResult,
    Target,
    TargetError,
    TargetOutput,
    TargetSpec,
    ToolCall,
    check_assertion_for_case,
    get_scorer,
    scorer,
    scorer_specs,
)
from aiwell.eval.targets import aclose_target, build_target


async def score_sample(
    case: Case, output: TargetOutput, specs: Sequence[AssertionSpec], *, judge: Target | None = None,
    call_judge: JudgeCall | None = None,
) -> list[ScoreResult]:
    """Score one sample against its assertions, in order.

    `call_judge` is the runner's way of calling judges (shared concurrency, rate limits, retries, cache); without
    it `judge` (the suite's judge target) is called directly, and without that an llm-judge assertion builds one
    from its spec for this sample and closes it after. An assertion with `turn: N` scores that turn's reply of a
    multi-turn case. A scorer that can't decide raises ScorerError; a judge call that failed raises its
    TargetError.
    """
    results: list[ScoreResult] = []
    context = ScoreContext(judge=judge, call_judge=call_judge)
    for spec in specs:
        fn = get_scorer(spec.type).fn
        seen = _turn_output(output, spec)
        try:
            outcome = fn(case, seen, spec, context)
            result = await outcome if inspect.isawaitable(outcome) else outcome
        except (TargetError, UserError):
            raise
        except Exception as exc:  # a scorer's bug or a user's scorer failing: an errored sample, not a crash
            raise ScorerError(f"scorer {describe(spec)} raised {type(exc).__name__}: {exc}") from exc
        results.append(result)
    return results


def describe(spec: AssertionSpec) -> str:
    """How an assertion is named in messages: its type, and for a python scorer the function too."""
    if spec.type == "python":
        return f"python {spec.arg('function', spec.value)}"
    return spec.type


def _turn_output(output: TargetOutput, spec: AssertionSpec) -> TargetOutput:
    turn = spec.arg("turn")
    if turn is None or not output.turns:
        return output
    return output.model_copy(update={"text": output.turns[int(turn)]})


# --- helpers ---------------------------------------------------------------------------------------------------


def _result(spec: AssertionSpec, passed: bool, reason: str, value: float | None = None) -> ScoreResult:
    return ScoreResult(
        name=spec.type, passed=passed, value=(1.0 if passed else 0.0) if value is None else value, reason=reason,
        args=spec.args,
    )


def _expected(spec: AssertionSpec, case: Case) -> Any:
    return spec.value if spec.value is not None else case.expected


def _short(text: str, limit: int = 80) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


_FENCE = re.compile(r"^\s*```[A-Za-z0-9_-]*\s*\n(.*?)\n?\s*```\s*$", re.DOTALL)


def parse_json_output(text: str, *, fences: bool = True) -> Any:
    """Parse an output as JSON; with `fences`, a reply wrapped in one ``` code block is unwrapped first.
    Raises ValueError."""
    if fences:
        match = _FENCE.match(text)
        if match:
            text = match.group(1)
    return json.loads(text)


def _require(spec: AssertionSpec, *names: str) -> None:
    for name in names:
        if spec.arg(name) is None:
            raise ValueError(f"{spec.type} needs {name}")


def _as_strings(value: Any) -> list[str]:
    if isinstance(value, list):
        return [str(v) for v in value]
    return [str(value)]


# --- text ------------------------------------------------------------------------------------------------------


def _check_equals(spec: AssertionSpec) -> None:
    if spec.arg("ignore_case") is not None and not isinstance(spec.arg("ignore_case"), bool):
        raise ValueError("ignore_case must be true or false")


@scorer("equals", check=_check_equals, needs_expected=True)
def _equals(case: Case, output: TargetOutput, spec: AssertionSpec, ctx: ScoreContext) -> ScoreResult:
    """Text equal to `value` (stripped; `ignore_case`); a non-text `value` compares with the output parsed as
    JSON."""
    expected = _expected(spec, case)
    if isinstance(expected, str):
        got, want = output.text, expected
        if spec.arg("strip", True):
            got, want = got.strip(), want.strip()
        if spec.arg("ignore_case", False):
            got, want = got.casefold(), want.casefold()
        return _result(spec, got == want, "equal" if got == want else f"got {_short(output.text)!r}")
    try:
        parsed = parse_json_output(output.text)
    except ValueError:
        return _result(spec, False, f"not JSON, expected {json.dumps(expected)}")
    same = parsed == expected
    return _result(spec, same, "equal" if same else f"got {_short(json.dumps(parsed))}")


def _check_contains(spec: AssertionSpec) -> None:
    if spec.value is not None and isinstance(spec.value, dict):
        raise ValueError(f"{spec.type} value must be text or a list of texts")


def _contains_many(spec: AssertionSpec, case: Case, output: TargetOutput) -> tuple[list[str], list[str]]:
    needles = _as_strings(_expected(spec, case))
    haystack = output.text
    if spec.arg("ignore_case", False):
        haystack = haystack.casefold()
        found = [n for n in needles if n.casefold() in haystack]
    else:
        found = [n for n in needles if n in haystack]
    return needles, found


@scorer("contains", check=_check_contains, needs_expected=True)
def _contains(case: Case, output: TargetOutput, spec: AssertionSpec, ctx: ScoreContext) -> ScoreResult:
    """Output contains `value` (a list: all of them, or any with `any: true`); `ignore_case`."""
    needles, found = _contains_many(spec, case, output)
    passed = bool(found) if spec.arg("any", False) else len(found) == len(needles)
    missing = [n for n in needles if n not in found]
    return _result(spec, passed, "found" if passed else f"missing {missing!r} in {_short(output.text)!r}")


@scorer("not-contains", check=_check_contains, needs_expected=True)
def _not_contains(case: Case, output: TargetOutput, spec: AssertionSpec, ctx: ScoreContext) -> ScoreResult:
    """Output contains none of `value` (text or list); `ignore_case`."""
    _, found = _contains_many(spec, case, output)
    return _result(spec, not found, "absent" if not found else f"found {found!r}")


def _regex_flags(spec: AssertionSpec) -> int:
    flags = 0
    if spec.arg("ignore_case", False):
        flags |= re.IGNORECASE
    if spec.arg("multiline", False):
        flags |= re.MULTILINE
    if spec.arg("dotall", False):
        flags |= re.DOTALL
    return flags


def _check_regex(spec: AssertionSpec) -> None:
    if not isinstance(spec.value, str):
        raise ValueError("regex needs value: a pattern")
    try:
        re.compile(spec.value, _regex_flags(spec))
    except re.error as exc:
        raise ValueError(f"bad regex {spec.value!r}: {exc}") from exc


@scorer("regex", check=_check_regex)
def _regex(case: Case, output: TargetOutput, spec: AssertionSpec, ctx: ScoreContext) -> ScoreResult:
    """Output matches the pattern `value` (searched; `full: true` for a full match); `ignore_case`, `multiline`,
    `dotall`."""
    pattern = re.compile(str(spec.value), _regex_flags(spec))
    match = pattern.fullmatch(output.text) if spec.arg("full", False) else pattern.search(output.text)
    return _result(spec, match is not None, "matched" if match else f"no match in {_short(output.text)!r}")


# --- JSON ------------------------------------------------------------------------------------------------------


@scorer("is-json")
def _is_json(case: Case, output: TargetOutput, spec: AssertionSpec, ctx: ScoreContext) -> ScoreResult:
    """Output is valid JSON (one surrounding ``` fence allowed unless `fences: false`)."""
    try:
        parse_json_output(output.text, fences=spec.arg("fences", True))
    except ValueError as exc:
        return _result(spec, False, f"not JSON: {exc}")
    return _result(spec, True, "valid JSON")


def _schema(spec: AssertionSpec) -> Any:
    return spec.arg("schema", spec.value)


def _check_schema(spec: AssertionSpec) -> None:
    _check_schema_object(_schema(spec), "json-schema needs value (or schema):")


def _check_schema_object(schema: Any, what: str) -> None:
    if not isinstance(schema, dict):
        raise ValueError(f"{what} a JSON Schema object")
    try:
        import jsonschema
    except ImportError as exc:
        raise ValueError("json-schema needs the jsonschema package: pip install jsonschema") from exc
    try:
        jsonschema.validators.validator_for(schema).check_schema(schema)
    except jsonschema.SchemaError as exc:
        raise ValueError(f"invalid JSON Schema: {exc.message}") from exc


@scorer("json-schema", check=_check_schema)
def _json_schema(case: Case, output: TargetOutput, spec: AssertionSpec, ctx: ScoreContext) -> ScoreResult:
    """Output is JSON valid against the schema in `value` (or `schema`)."""
    import jsonschema

    try:
        data = parse_json_output(output.text, fences=spec.arg("fences", True))
    except ValueError as exc:
        return _result(spec, False, f"not JSON: {exc}")
    schema = _schema(spec)
    validator = jsonschema.validators.validator_for(schema)(schema)
    errors = sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path))
    if not errors:
        return _result(spec, True, "valid")
    first = errors[0]
    where = "$" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in first.absolute_path)
    return _result(spec, False, f"{len(errors)} schema error(s); first at {where}: {first.message}")


def _check_path(spec: AssertionSpec) -> None:
    _require(spec, "path")
    parse_jsonpath(str(spec.arg("path")))


def _values_equal(got: Any, want: Any, ignore_case: bool) -> bool:
    if isinstance(got, str) and isinstance(want, str):
        return got.strip().casefold() == want.strip().casefold() if ignore_case else got == want
    if isinstance(got, int | float) and isinstance(want, int | float) and not isinstance(got, bool):
        return math.isclose(float(got), float(want), rel_tol=0.0, abs_tol=1e-12)
    return bool(got == want)


@scorer("jsonpath-equals", check=_check_path, needs_expected=True)
def _jsonpath_equals(case: Case, output: TargetOutput, spec: AssertionSpec, ctx: ScoreContext) -> ScoreResult:
    """The output's JSON value at `path` equals `value` (or the case's expected); `ignore_case` for text."""
    path = str(spec.arg("path"))
    try:
        got = jsonpath_get(parse_json_output(output.text, fences=spec.arg("fences", True)), path)
    except ValueError as exc:
        return _result(spec, False, f"not JSON: {exc}")
    except LookupError as exc:
        return _result(spec, False, str(exc))
    want = _expected(spec, case)
    same = _values_equal(got, want, bool(spec.arg("ignore_case", False)))
    return _result(spec, same, f"{path} = {_short(json.dumps(got, default=str))}")


# --- numbers, lengths, latency ---------------------------------------------------------------------------------

_NUMBER = re.compile(r"[-+]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:[eE][-+]?\d+)?|[-+]?\.\d+(?:[eE][-+]?\d+)?")


def extract_number(text: str) -> float | None:
    """The first number in the text (thousands separators allowed: "1,250.5" → 1250.5), or None."""
    match = _NUMBER.search(text)
    return float(match.group(0).replace(",", "")) if match else None


def _check_number(spec: AssertionSpec) -> None:
    if spec.value is not None and (isinstance(spec.value, bool) or not isinstance(spec.value, int | float)):
        raise ValueError("number value must be a number")
    for name in ("tolerance", "rel_tolerance"):
        tol = spec.arg(name, 0)
        if isinstance(tol, bool) or not isinstance(tol, int | float) or tol < 0:
            raise ValueError(f"number {name} must be a number ≥ 0")
    if spec.arg("path") is not None:
        parse_jsonpath(str(spec.arg("path")))


def _as_number(value: Any) -> float | None:
    # CSV cells are text, so "4" counts as a number; booleans don't.
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        with contextlib.suppress(ValueError):
            return float(value)
    return None


def _check_number_case(spec: AssertionSpec, case: Case) -> None:
    want = _expected(spec, case)
    if _as_number(want) is None:
        raise ValueError(f"number needs a numeric value or expected, got {want!r}")


@scorer("number", check=_check_number, needs_expected=True, check_case=_check_number_case)
def _number(case: Case, output: TargetOutput, spec: AssertionSpec, ctx: ScoreContext) -> ScoreResult:
    """The first number in the output (or the JSON value at `path`) is within `tolerance` (absolute) or
    `rel_tolerance` (relative) of `value` / expected."""
    want = _as_number(_expected(spec, case))
    if want is None:
        raise ScorerError(f"number needs a numeric value or expected, got {_expected(spec, case)!r}")
    got: float | None
    if spec.arg("path") is not None:
        try:
            raw = jsonpath_get(parse_json_output(output.text), str(spec.arg("path")))
        except (ValueError, LookupError) as exc:
            return _result(spec, False, str(exc), value=None)
        got = float(raw) if isinstance(raw, int | float) and not isinstance(raw, bool) else extract_number(str(raw))
    else:
        got = extract_number(output.text)
    if got is None:
        return ScoreResult(name=spec.type, passed=False, value=None, reason="no number in output", args=spec.args)
    rel, tol = float(spec.arg("rel_tolerance", 0)), float(spec.arg("tolerance", 0))
    passed = math.isclose(got, want, rel_tol=rel, abs_tol=tol)
    return _result(spec, passed, f"{got:g} vs {want:g}", value=got)


def _check_length(spec: AssertionSpec) -> None:
    low, high = spec.arg("min"), spec.arg("max")
    if low is None and high is None:
        raise ValueError("length needs min and/or max")
    for bound in (low, high):
        if bound is not None and (isinstance(bound, bool) or not isinstance(bound, int) or bound < 0):
            raise ValueError("length min/max must be whole numbers ≥ 0")
    if spec.arg("unit", "chars") not in ("chars", "words"):
        raise ValueError("length unit must be chars or words")


@scorer("length", check=_check_length)
def _length(case: Case, output: TargetOutput, spec: AssertionSpec, ctx: ScoreContext) -> ScoreResult:
    """Output length in `unit` (chars or words) between `min` and `max`, inclusive."""
    unit = spec.arg("unit", "chars")
    size = len(output.text.split()) if unit == "words" else len(output.text)
    low, high = spec.arg("min"), spec.arg("max")
    passed = (low is None or size >= low) and (high is None or size <= high)
    return _result(spec, passed, f"{size} {unit}", value=float(size))


def _latency_bound(spec: AssertionSpec) -> Any:
    return spec.arg("max_s", spec.value)


def _check_latency(spec: AssertionSpec) -> None:
    bound = _latency_bound(spec)
    if isinstance(bound, bool) or not isinstance(bound, int | float) or bound <= 0:
        raise ValueError("latency needs max_s (or value): seconds > 0")


@scorer("latency", check=_check_latency)
def _latency(case: Case, output: TargetOutput, spec: AssertionSpec, ctx: ScoreContext) -> ScoreResult:
    """The target answered within `max_s` seconds."""
    bound = float(_latency_bound(spec))
    passed = output.latency_s <= bound
    return _result(spec, passed, f"{output.latency_s:.3f}s (max {bound:g}s)", value=output.latency_s)


# --- classifiers -----------------------------------------------------------------------------------------------

_LABEL_EDGES = " \t\r\n\"'`*.:;,!?()[]{}<>"


def normalise_label(text: str) -> str:
    """A label as compared: case-folded, surrounding quotes/punctuation/markdown removed, inner spaces collapsed."""
    return " ".join(text.strip(_LABEL_EDGES).casefold().split())


def _check_label(spec: AssertionSpec) -> None:
    labels = spec.arg("labels")
    if labels is not None and (not isinstance(labels, list) or not labels):
        raise ValueError("label labels must be a non-empty list")
    if labels is not None and spec.value is not None and normalise_label(str(spec.value)) not in {
        normalise_label(str(x)) for x in labels
    }:
        raise ValueError(f"label {spec.value!r} is not one of labels {labels!r}")


def _check_label_case(spec: AssertionSpec, case: Case) -> None:
    labels = spec.arg("labels")
    want = _expected(spec, case)
    if labels is not None and normalise_label(str(want)) not in {normalise_label(str(x)) for x in labels}:
        raise ValueError(f"expected label {want!r} is not one of labels {labels!r}")


def predicted_label(text: str, labels: Sequence[str] | None) -> str | None:
    """The label an output names: the whole (normalised) output if it is a label; else, with a label set, the one
    label mentioned as a whole word (None when none or several are)."""
    norm = normalise_label(text)
    if labels is None:
        return norm
    known = {normalise_label(x) for x in labels}
    if norm in known:
        return norm
    mentioned = [lab for lab in known if re.search(rf"(?<!\w){re.escape(lab)}(?!\w)", norm)]
    return mentioned[0] if len(mentioned) == 1 else None


@scorer("label", check=_check_label, needs_expected=True, check_case=_check_label_case)
def _label(case: Case, output: TargetOutput, spec: AssertionSpec, ctx: ScoreContext) -> ScoreResult:
    """Classifier output: the normalised label equals `value` / expected; with `labels`, an output that mentions
    exactly one label counts as that label (`extract: false` to require the bare label)."""
    labels = spec.arg("labels")
    if labels is not None and not spec.arg("extract", True):
        norm = normalise_label(output.text)
        got = norm if norm in {normalise_label(str(x)) for x in labels} else None
    else:
        got = predicted_label(output.text, [str(x) for x in labels] if labels is not None else None)
    want = normalise_label(str(_expected(spec, case)))
    if got is None:
        return _result(spec, False, f"no single label in {_short(output.text)!r}")
    return _result(spec, got == want, f"predicted {got!r}, expected {want!r}")


# --- custom Python ---------------------------------------------------------------------------------------------


def _check_python(spec: AssertionSpec) -> None:
    ref = spec.arg("function", spec.value)
    if not isinstance(ref, str) or ":" not in ref:
        raise ValueError('python scorer needs function (or python:): "pkg.module:function"')


@scorer("python", check=_check_python)
async def _python(case: Case, output: TargetOutput, spec: AssertionSpec, ctx: ScoreContext) -> ScoreResult:
    """A custom function `fn(text, *, case, output, expected, vars, args)` (keywords passed when accepted) that
    returns a bool, a number (passes at ≥ `threshold`, default 0.5), a ScoreResult, or a dict with passed, value,
    reason."""
    if spec._function is None:
        spec.bind(spec._base_dir)  # imports the function and checks its signature
    fn = spec._function
    assert fn is not None
    available = {"case": case, "output": output, "expected": case.expected, "vars": case.vars, "args": spec.args}
    kwargs = {k: available[k] for k in accepted_keywords(fn, PYTHON_SCORER_KEYWORDS)}
    result = fn(output.text, **kwargs)
    if inspect.isawaitable(result):
        result = await result
    return _coerce_custom(spec, result)


def _coerce_custom(spec: AssertionSpec, result: Any) -> ScoreResult:
    ref = spec.arg("function", spec.value)
    if isinstance(result, ScoreResult):
        return result.model_copy(update={"name": spec.type, "args": result.args or spec.args})
    if isinstance(result, bool):
        return _result(spec, result, f"{ref} returned {result}")
    if isinstance(result, int | float):
        threshold = float(spec.arg("threshold", 0.5))
        return _result(spec, result >= threshold, f"{ref} returned {result:g} (threshold {threshold:g})",
                       value=float(result))
    if isinstance(result, dict) and isinstance(result.get("passed"), bool):
        value = result.get("value")
        return ScoreResult(
            name=spec.type, passed=result["passed"],
            value=float(value) if isinstance(value, int | float) else (1.0 if result["passed"] else 0.0),
            reason=str(result.get("reason", "")), args=spec.args,
        )
    raise ScorerError(
        f"{ref} returned {type(result).__name__}; expected bool, number, ScoreResult or a dict with passed"
    )


# --- tool calls ------------------------------------------------------------------------------------------------


def _check_tool_call(spec: AssertionSpec) -> None:
    name = spec.arg("name")
    if name is not None and not isinstance(name, str):
        raise ValueError("tool-call name must be the tool's name")
    if spec.arg("absent", False) and name is None:
        raise ValueError("tool-call absent: true needs the name of the tool that must not be called")
    if spec.arg("schema") is not None:
        _check_schema_object(spec.arg("schema"), "tool-call schema must be")
    if spec.arg("path") is not None:
        parse_jsonpath(str(spec.arg("path")))
        if spec.value is None:
            raise ValueError("tool-call path needs value: what the argument at path must equal")


def _call_matches(call: ToolCall, spec: AssertionSpec) -> str | None:
    """None when the call meets the assertion's argument checks, else why not."""
    if call.arguments is None:
        return f"{call.name} arguments are not JSON: {_short(call.arguments_text)!r}"
    schema = spec.arg("schema")
    if schema is not None:
        import jsonschema

        errors = list(jsonschema.validators.validator_for(schema)(schema).iter_errors(call.arguments))
        if errors:
            return f"{call.name} arguments: {errors[0].message}"
    path = spec.arg("path")
    if path is not None:
        try:
            got = jsonpath_get(call.arguments, str(path))
        except LookupError as exc:
            return f"{call.name} arguments: {exc}"
        if not _values_equal(got, spec.value, bool(spec.arg("ignore_case", False))):
            return f"{call.name} arguments: {path} = {_short(json.dumps(got, default=str))}"
    return None


@scorer("tool-call", check=_check_tool_call, group="tools")
def _tool_call(case: Case, output: TargetOutput, spec: AssertionSpec, ctx: ScoreContext) -> ScoreResult:
    """The model asked for a tool call: one named `name` (any tool without a name) whose arguments validate
    against `schema` (JSON Schema) and whose argument at `path` (JSONPath) equals `value`. `absent: true`: the
    tool `name` was not called."""
    name = spec.arg("name")
    calls = [c for c in output.tool_calls if name is None or c.name == name]
    made = ", ".join(c.name for c in output.tool_calls) or "none"
    if spec.arg("absent", False):
        return _result(spec, not calls, f"{name} not called" if not calls else f"{name} was called")
    if not calls:
        return _result(spec, False, f"no call to {name or 'any tool'} (calls: {made})", value=0.0)
    problems = [_call_matches(c, spec) for c in calls]
    if any(p is None for p in problems):
        return _result(spec, True, f"{calls[0].name} called as expected")
    return _result(spec, False, next(p for p in problems if p is not None))


# --- retrieval (RAG) --------------------------------------------------------------------------------------------

_SOURCE_FIELDS = ("id", "doc_id", "document_id", "url", "uri", "filepath", "filename", "title", "source", "name")


def _check_retrieval(spec: AssertionSpec) -> None:
    expected = spec.value
    if expected is None or (isinstance(expected, list) and not expected) or isinstance(expected, dict):
        raise ValueError(f"{spec.type} needs value: the expected source id (or a list of them)")
    k = spec.arg("k")
    if k is not None and (isinstance(k, bool) or not isinstance(k, int) or k < 1):
        raise ValueError(f"{spec.type} k must be a whole number ≥ 1")
    threshold = spec.arg("threshold", 1.0)
    if isinstance(threshold, bool) or not isinstance(threshold, int | float) or not 0 <= threshold <= 1:
        raise ValueError(f"{spec.type} threshold must be between 0 and 1")


def _source_id(source: Any, field: str | None) -> str | None:
    if isinstance(source, str | int | float) and not isinstance(source, bool):
        return str(source)
    if not isinstance(source, dict):
        return None
    for name in (field,) if field is not None else _SOURCE_FIELDS:
        if source.get(name) not in (None, ""):
            return str(source[name])
    return None


def _retrieved(output: TargetOutput, spec: AssertionSpec) -> list[str]:
    if output.sources is None:
        raise ScorerError(f"{spec.type}: the target returned no sources; set sources_path on the target (where "
                          "its response lists the retrieved documents)")
    k = spec.arg("k")
    found = [_source_id(s, spec.arg("field")) for s in output.sources]
    ids = [i.casefold() for i in found if i is not None]
    return ids[:k] if k is not None else ids


def _recall(output: TargetOutput, spec: AssertionSpec) -> tuple[float, list[str]]:
    wanted = _as_strings(spec.value)
    retrieved = set(_retrieved(output, spec))
    missing = [w for w in wanted if w.casefold() not in retrieved]
    return (len(wanted) - len(missing)) / len(wanted), missing


@scorer("source-present", check=_check_retrieval, group="retrieval")
def _source_present(case: Case, output: TargetOutput, spec: AssertionSpec, ctx: ScoreContext) -> ScoreResult:
    """The expected source (`value`: an id, or a list for all of them; `any: true` for any) is among the
    retrieved sources (the first `k` when set). A source is a string or an object identified by `field` (default
    the first of id, doc_id, url, filepath, title, ...)."""
    recall, missing = _recall(output, spec)
    passed = recall > 0 if spec.arg("any", False) else not missing
    where = f"top {spec.arg('k')}" if spec.arg("k") is not None else "the sources"
    return _result(spec, passed, "present" if passed else f"missing from {where}: {missing!r}", value=recall)


@scorer("recall-at-k", check=_check_retrieval, group="retrieval")
def _recall_at_k(case: Case, output: TargetOutput, spec: AssertionSpec, ctx: ScoreContext) -> ScoreResult:
    """Share of the expected sources (`value`, a list) among the first `k` retrieved; passes at ≥ `threshold`
    (default 1.0). `value` of the result is the recall."""
    recall, missing = _recall(output, spec)
    threshold = float(spec.arg("threshold", 1.0))
    k = spec.arg("k")
    label = f"recall@{k}" if k is not None else "recall"
    return _result(spec, recall >= threshold, f"{label} {recall:.2f} (threshold {threshold:g})"
                   + (f"; missing {missing!r}" if missing else ""), value=recall)


# --- LLM as judge ----------------------------------------------------------------------------------------------

JUDGE_PROMPT = """You are grading the output of an AI system against a rubric.

[Rubric]
{{ rubric }}

[Input]
{{ input }}
{% if expected is not none %}
[Expected]
{{ expected }}
{% endif %}
[Output]
{{ output }}

{% if scale == "pass-fail" -%}
Explain briefly, then end with one line: "VERDICT: PASS" or "VERDICT: FAIL".
{%- else -%}
Score the output from 1 (worst) to 5 (best). Explain briefly, then end with one line: "SCORE: <1-5>".
{%- endif %}
"""

_VERDICT = re.compile(r"verdict\s*[:=]?\s*\**\s*(pass|fail)", re.IGNORECASE)
_BARE_VERDICT = re.compile(r"\b(pass|fail)(?:ed|es)?\b", re.IGNORECASE)
_SCORE = re.compile(r"score\s*[:=]?\s*\**\s*(\d+(?:\.\d+)?)", re.IGNORECASE)


def parse_verdict(text: str, scale: Literal["pass-fail", "1-5"], threshold: float) -> JudgeVerdict:
    """Read a judge's reply: the last "VERDICT: PASS|FAIL" (or, failing that, a reply naming only one of PASS /
    FAIL), or the last "SCORE: n" in 1–5 (or a bare number) compared with `threshold`."""
    if scale == "pass-fail":
        marked = _VERDICT.findall(text)
        if marked:
            return JudgeVerdict(passed=marked[-1].lower() == "pass", text=text)
        bare = {w.lower() for w in _BARE_VERDICT.findall(text)}
        passed = bare == {"pass"} if len(bare) == 1 else None
        return JudgeVerdict(passed=passed, text=text)
    scores = _SCORE.findall(text)
    raw = scores[-1] if scores else text.strip().strip(".*")
    try:
        score = float(raw)
    except ValueError:
        return JudgeVerdict(passed=None, text=text)
    if not 1 <= score <= 5:
        return JudgeVerdict(passed=None, text=text)
    return JudgeVerdict(passed=score >= threshold, score=score, text=text)


def _check_judge(spec: AssertionSpec) -> None:
    if not isinstance(spec.arg("rubric", spec.value), str):
        raise ValueError("llm-judge needs rubric (or value): what a good output does")
    if spec.arg("scale", "pass-fail") not in ("pass-fail", "1-5"):
        raise ValueError("llm-judge scale must be pass-fail or 1-5")
    repeats = spec.arg("judge_repeats", 1)
    if isinstance(repeats, bool) or not isinstance(repeats, int) or repeats < 1:
        raise ValueError("llm-judge judge_repeats must be a whole number ≥ 1")
    threshold = spec.arg("threshold", 3)
    if isinstance(threshold, bool) or not isinstance(threshold, int | float) or not 1 <= threshold <= 5:
        raise ValueError("llm-judge threshold must be between 1 and 5")
    if spec.arg("judge") is not None:
        try:
            TargetSpec.model_validate(spec.arg("judge"))
        except ValidationError as exc:
            raise ValueError(f"llm-judge judge: {exc.errors()[0]['msg']}") from exc
    prompt = spec.arg("prompt")
    if prompt is not None:
        try:
            jinja2.Environment().parse(str(prompt))
        except jinja2.TemplateSyntaxError as exc:
            raise ValueError(f"llm-judge prompt: {exc}") from exc


@scorer("llm-judge", check=_check_judge)
async def _llm_judge(case: Case, output: TargetOutput, spec: AssertionSpec, ctx: ScoreContext) -> ScoreResult:
    """A rubric graded by the judge target, `judge_repeats` times on the same output; the majority of readable
    verdicts decides (a tie fails). `scale: pass-fail` (default) or `1-5` with `threshold` (default 3);
    `value` is the share of passing verdicts, or the mean score on 1-5. `prompt` replaces the built-in template
    (variables: rubric, input, expected, output, scale, vars)."""
    scale = cast(Literal["pass-fail", "1-5"], spec.arg("scale", "pass-fail"))
    threshold = float(spec.arg("threshold", 3))
    repeats = int(spec.arg("judge_repeats", 1))
    context = {
        "rubric": spec.arg("rubric", spec.value), "input": _text(case.input), "output": output.text,
        "expected": None if case.expected is None else _text(case.expected), "scale": scale, "vars": case.vars,
    }
    prompt = render(str(spec.arg("prompt", JUDGE_PROMPT)), context)
    judge_case = case.model_copy(update={"id": f"{case.id}#judge", "input": prompt, "vars": {}, "assert_": []})
    if ctx.call_judge is not None:
        call_judge = ctx.call_judge
        replies = await asyncio.gather(*(call_judge(spec, judge_case, j) for j in range(repeats)))
    else:
        replies = await _call_judge_directly(spec, ctx, judge_case, repeats)
    verdicts = [parse_verdict(reply.text, scale, threshold) for reply in replies]
    readable = [v for v in verdicts if v.passed is not None]
    if not readable:
        raise ScorerError(f"llm-judge reply unreadable (no VERDICT/SCORE line): {_short(replies[0].text)!r}")
    passes = sum(1 for v in readable if v.passed)
    passed = passes > len(readable) - passes
    if scale == "1-5":
        scores = [v.score for v in readable if v.score is not None]
        value = sum(scores) / len(scores)
        reason = f"judge scores {[f'{s:g}' for s in scores]} (threshold {threshold:g})"
    else:
        value = passes / len(readable)
        reason = f"judge {passes}/{len(readable)} pass"
    if len(readable) < len(verdicts):
        reason += f"; {len(verdicts) - len(readable)} unreadable"
    return ScoreResult(name=spec.type, passed=passed, value=value, reason=reason, args=spec.args, verdicts=verdicts)


async def _call_judge_directly(spec: AssertionSpec, ctx: ScoreContext, judge_case: Case,
                                repeats: int) -> list[TargetOutput]:
    own = spec.arg("judge") is not None
    target = ctx.judge if ctx.judge is not None and not own else None
    built = None
    if target is None:
        judge_spec = spec.judge_spec
        if judge_spec is None:
            raise ScorerError("llm-judge has no judge target: set judge: at suite level or in the assertion")
        built = target = build_target(judge_spec, spec._base_dir)
    try:
        return list(await asyncio.gather(*(target.call(judge_case, j) for j in range(repeats))))
    finally:
        if built is not None:
            await aclose_target(built)


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    with contextlib.suppress(TypeError, ValueError):
        return json.dumps(value, ensure_ascii=False, indent=2)
    return str(value)


__all__ = [
    "JUDGE_PROMPT",
    "SCORERS",
    "AssertionSpec",
    "JudgeVerdict",
    "ScoreContext",
    "ScoreResult",
    "Scorer",
    "ScorerError",
    "check_assertion_for_case",
    "describe",
    "extract_number",
    "get_scorer",
    "normalise_label",
    "parse_json_output",
    "parse_verdict",
    "predicted_label",
    "score_sample",
    "scorer",
    "scorer_specs",
]
