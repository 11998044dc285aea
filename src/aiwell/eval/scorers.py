"""Scorers: the assertions a sample's output must meet. Each is registered by name (`@scorer("contains")`) and
produces a `ScoreResult` that records the scorer's name and arguments, so a run can be reproduced and re-scored.

A sample passes when all its assertions pass (the runner decides that); `ScoreResult.value` is the measurement where
there is one (the number found, the length, the latency, the judge's mean score) and 1.0 / 0.0 otherwise.

Built in: equals, contains, not-contains, regex, is-json, json-schema, jsonpath-equals, number, length, latency,
label, python (a custom function) and llm-judge (a rubric sent to the suite's `judge:` target, optionally several
times per output so judge noise can be measured apart from generation noise).
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import json
import math
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, cast

import jinja2
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, model_validator

from aiwell.errors import UserError
from aiwell.eval.targets import (
    Target,
    TargetError,
    TargetOutput,
    TargetSpec,
    accepted_keywords,
    aclose_target,
    build_target,
    import_callable,
    jsonpath_get,
    parse_jsonpath,
    render,
)

if TYPE_CHECKING:
    from aiwell.eval.suite import Case


class AssertionSpec(BaseModel):
    """One assertion as written in a suite: `{type: contains, value: "4", ignore_case: true}`.

    `type` names a registered scorer; everything else is its arguments. `{python: "pkg.mod:fn"}` is short for
    `{type: python, function: "pkg.mod:fn"}`. Arguments are checked when the spec is built (bad regex, missing
    `path`, unknown scorer...).
    """

    model_config = ConfigDict(extra="allow")

    type: str
    value: Any = None
    _base_dir: Path | None = PrivateAttr(default=None)
    _judge_spec: TargetSpec | None = PrivateAttr(default=None)
    _function: Callable[..., Any] | None = PrivateAttr(default=None)

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, data: Any) -> Any:
        if isinstance(data, dict) and "type" not in data and "python" in data:
            rest = {k: v for k, v in data.items() if k != "python"}
            return {"type": "python", "function": data["python"], **rest}
        return data

    @model_validator(mode="after")
    def _check_args(self) -> AssertionSpec:
        found = SCORERS.get(self.type)
        if found is None:
            raise ValueError(f"unknown scorer {self.type!r}; known scorers: {', '.join(sorted(SCORERS))}")
        if found.check is not None:
            found.check(self)
        return self

    @property
    def args(self) -> dict[str, Any]:
        """The arguments as written (without `type`), JSON-ready: what the run log records."""
        data = dict(self.model_extra or {})
        if self.value is not None:
            data = {"value": self.value, **data}
        return data

    def arg(self, name: str, default: Any = None) -> Any:
        """One argument, or `default` when it isn't given."""
        value = (self.model_extra or {}).get(name, default)
        return default if value is None else value

    def bind(self, base_dir: Path | None, judge: TargetSpec | None = None) -> None:
        """Attach where to import from (python scorers, python judges) and the suite's judge target; import a
        python scorer's function now so a bad reference fails at load, not mid-run."""
        self._base_dir = base_dir
        own = self.arg("judge")
        self._judge_spec = TargetSpec.model_validate(own) if own is not None else judge
        if self.type == "python":
            self._function = import_callable(str(self.arg("function", self.value)), base_dir)

    @property
    def judge_spec(self) -> TargetSpec | None:
        """The judge target for an llm-judge assertion: its own `judge:` or the suite's."""
        if self._judge_spec is None and self.arg("judge") is not None:
            self._judge_spec = TargetSpec.model_validate(self.arg("judge"))
        return self._judge_spec


class JudgeVerdict(BaseModel):
    """One judge call's verdict on one output: `passed` is None when the reply couldn't be parsed."""

    passed: bool | None
    score: float | None = None
    text: str


class ScoreResult(BaseModel):
    """The outcome of one assertion on one sample."""

    name: str
    passed: bool
    value: float | None = None
    reason: str = ""
    args: dict[str, Any] = Field(default_factory=dict)
    verdicts: list[JudgeVerdict] | None = None

    def to_log(self) -> dict[str, Any]:
        """The run log's form: name, passed, value, reason, plus the judge's verdicts when there are several."""
        entry: dict[str, Any] = {"name": self.name, "passed": self.passed, "value": self.value, "reason": self.reason}
        if self.verdicts is not None:
            entry["verdicts"] = [v.model_dump() for v in self.verdicts]
        return entry


class ScorerError(TargetError):
    """A scorer could not give a verdict (a custom scorer raised, the judge's reply was unreadable): the sample is
    recorded as an error, not as a failure of the system under test."""

    def __init__(self, message: str, *, retryable: bool = False) -> None:
        super().__init__(message, retryable=retryable, kind="scorer")


@dataclass(frozen=True)
class ScoreContext:
    """What a scorer may need beyond the sample: the judge target for llm-judge."""

    judge: Target | None = None


ScoreFn = Callable[["Case", TargetOutput, AssertionSpec, ScoreContext], "ScoreResult | Awaitable[ScoreResult]"]


@dataclass(frozen=True)
class Scorer:
    """A registered scorer. `check` validates arguments when a spec is built (raise ValueError); `needs_expected`
    means `value` falls back to the case's `expected` and one of them must be set; `check_case` validates a spec
    against one case (e.g. the expected label is in the label set)."""

    name: str
    fn: ScoreFn
    check: Callable[[AssertionSpec], None] | None = None
    needs_expected: bool = False
    check_case: Callable[[AssertionSpec, Case], None] | None = None


SCORERS: dict[str, Scorer] = {}


def scorer(
    name: str,
    *,
    check: Callable[[AssertionSpec], None] | None = None,
    needs_expected: bool = False,
    check_case: Callable[[AssertionSpec, Case], None] | None = None,
) -> Callable[[ScoreFn], ScoreFn]:
    """Register a scorer under `name`: `fn(case, output, spec, ctx) -> ScoreResult` (sync or async)."""

    def register(fn: ScoreFn) -> ScoreFn:
        SCORERS[name] = Scorer(name, fn, check, needs_expected, check_case)
        return fn

    return register


def get_scorer(name: str) -> Scorer:
    """The scorer registered as `name`; a UserError listing the known ones otherwise."""
    found = SCORERS.get(name)
    if found is None:
        raise UserError(f"unknown scorer {name!r}", hint=f"known scorers: {', '.join(sorted(SCORERS))}")
    return found


def check_assertion_for_case(spec: AssertionSpec, case: Case) -> None:
    """Checks that need the case (an expected value to compare with); raises ValueError."""
    found = get_scorer(spec.type)
    if found.needs_expected and spec.value is None and case.expected is None:
        raise ValueError(f"{spec.type} needs a value (or the case's expected)")
    if found.check_case is not None:
        found.check_case(spec, case)


async def score_sample(
    case: Case, output: TargetOutput, specs: Sequence[AssertionSpec], *, judge: Target | None = None
) -> list[ScoreResult]:
    """Score one sample against its assertions, in order.

    `judge` is the suite's judge target, shared across samples by the runner; without it, an llm-judge assertion
    builds one from its spec for this sample and closes it after. A scorer that can't decide raises ScorerError.
    """
    results: list[ScoreResult] = []
    context = ScoreContext(judge=judge)
    for spec in specs:
        fn = get_scorer(spec.type).fn
        try:
            outcome = fn(case, output, spec, context)
            result = await outcome if inspect.isawaitable(outcome) else outcome
        except (TargetError, UserError):
            raise
        except Exception as exc:  # a scorer's bug or a user's scorer failing: an errored sample, not a crash
            raise ScorerError(f"scorer {spec.type} failed on case {case.id}: {type(exc).__name__}: {exc}") from exc
        results.append(result)
    return results


def scorer_specs(specs: Sequence[AssertionSpec]) -> list[dict[str, Any]]:
    """Distinct `{name, args}` of the given assertions in first-seen order: the run log header's `scorers`."""
    seen: list[dict[str, Any]] = []
    for spec in specs:
        entry = {"name": spec.type, "args": spec.args}
        if entry not in seen:
            seen.append(entry)
    return seen


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
    schema = _schema(spec)
    if not isinstance(schema, dict):
        raise ValueError("json-schema needs value (or schema): a JSON Schema object")
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
    fn = spec._function
    if fn is None:
        fn = import_callable(str(spec.arg("function", spec.value)), spec._base_dir)
        spec._function = fn
    available = {"case": case, "output": output, "expected": case.expected, "vars": case.vars, "args": spec.args}
    kwargs = {k: available[k] for k in accepted_keywords(fn, tuple(available))}
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
    own = spec.arg("judge") is not None
    target = ctx.judge if ctx.judge is not None and not own else None
    built = None
    if target is None:
        judge_spec = spec.judge_spec
        if judge_spec is None:
            raise ScorerError("llm-judge has no judge target: set judge: at suite level or in the assertion")
        built = target = build_target(judge_spec, spec._base_dir)
    try:
        replies = await asyncio.gather(*(target.call(judge_case, j) for j in range(repeats)))
    finally:
        if built is not None:
            await aclose_target(built)
    verdicts = [parse_verdict(reply.text, scale, threshold) for reply in replies]
    readable = [v for v in verdicts if v.passed is not None]
    if not readable:
        raise ScorerError(f"judge reply unreadable for case {case.id}: {_short(replies[0].text)!r}")
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
