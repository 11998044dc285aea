"""Read results other harnesses already wrote, as run-log samples, so aiwell's statistics work on them.

Supported (`FORMATS`). Each is tested on files the real tool wrote against aiwell's stub model
(tests/fixtures/eval/imports/<tool>-<version>.*, made by scripts/regen_eval_fixtures.py):

- ``promptfoo``: the file ``promptfoo eval -o out.json`` writes (``{"evalId", "results": {"version": 3,
  "results": [EvaluateResult...]}, "config"}``; version 2's ``{"results": [...], "table"}`` too). A case is a test
  (its ``description``, else its ``vars``; both when one description names tests with different vars) for one
  provider and prompt. ``--repeat N`` writes each repeat as a test of its own (its own ``testIdx``), so the results
  of one test are its repeats, in file order. ``success`` decides pass/fail; ``failureReason == 2`` (an API error,
  a timeout) is an errored sample. Token usage is ``response.tokenUsage``; the model is the provider id's last part.
- ``inspect``: an Inspect eval log in JSON format (``inspect eval --log-format json``, or ``inspect log convert
  --to json`` for ``.eval`` files). A case is a sample ``id``, its ``epoch`` the repeat. Each scorer's value is
  turned into a number as Inspect's ``value_to_float`` does ("C" 1, "P" 0.5, "I"/"N" 0, yes/no, true/false,
  numbers); a score passes when that number is at least ``threshold`` (default 1). A sample with an ``error`` is
  errored; when its message is only tenacity's ``RetryError[<Future ...>]``, the error it wraps (the first
  exception in the traceback) is the message. Usage is the sample's ``model_usage``.
- ``azure-ai-evaluation``: the JSON ``evaluate(..., output_path=...)`` writes (``{"rows": [...], "metrics":
  {...}}``). A case is ``inputs.id`` (else ``inputs.case_id``, ``inputs.query``, ``inputs.question``, else the row
  number); rows with the same case are its repeats (``inputs.repeat`` orders them when present). Every
  ``outputs.<evaluator>.<metric>_result`` ("pass"/"fail") is an assertion; a row where an evaluator produced no
  result (NaN) is errored. The judges' tokens are the evaluators' ``<metric>_properties``.
- ``lm-eval``: the samples file ``lm_eval --log_samples`` writes (``samples_<task>_<time>.jsonl``, one record per
  document and filter). A case is a ``doc_id`` (one sample each: lm-eval scores only the first of a task's
  ``repeats``); every metric the record lists is an assertion that passes when its value is at least
  ``threshold`` (default 1: ``exact_match``, ``acc``). A file scored with several filters needs ``lm_eval_filter``
  to say which one (their scores are alternatives, not assertions to combine). lm-eval stops the whole run when a
  request fails, so its files hold no errored samples; a metric with no value (NaN) is an error.

Every importer returns an `ImportedRun` whose samples have the run-log sample shape of ``aiwell.eval-log/1``.
"""

from __future__ import annotations

import json
import math
import re
import zipfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from msgspec import Struct, field

from aiwell.errors import UsageError

FORMATS = ("promptfoo", "inspect", "azure-ai-evaluation", "lm-eval")

# promptfoo's ResultFailureReason.ERROR: the provider failed, as opposed to an assertion rejecting the output.
_PROMPTFOO_ERROR = 2


class ImportedRun(Struct):
    """A run read from another harness: a suite name, where it came from, and run-log samples."""

    suite: str
    source: str
    samples: list[dict[str, Any]] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)


def import_results(path: Path, source: str, *, threshold: float = 1.0,
                   lm_eval_filter: str | None = None) -> ImportedRun:
    """Read `path`, written by `source` (one of `FORMATS`), as run-log samples.

    `threshold` is the number an Inspect score or an lm-eval metric must reach to pass; `lm_eval_filter` picks the
    filter of an lm-eval file scored with several. Raises `UsageError` when the file can't be read or is not in
    the format named."""
    readers: dict[str, Callable[[Any, Path], ImportedRun]] = {
        "promptfoo": _promptfoo,
        "inspect": lambda data, p: _inspect(data, p, threshold),
        "azure-ai-evaluation": _azure,
        "lm-eval": lambda data, p: _lm_eval(data, p, threshold, lm_eval_filter),
    }
    if source not in readers:
        raise UsageError(f"unknown import format: {source}", hint="choose one of: " + ", ".join(FORMATS))
    if zipfile.is_zipfile(path):
        raise UsageError(
            f"{path} is a zip archive, not JSON",
            hint="Inspect's binary .eval logs convert with `inspect log convert --to json LOG`.",
        )
    data = _read_json_lines(path) if source == "lm-eval" else _read_json(path)
    schema = data.get("schema") if isinstance(data, dict) else None
    if isinstance(schema, str) and schema.startswith("aiwell."):
        raise UsageError(f"{path} is an aiwell file ({schema}), not {source} output",
                         hint="aiwell eval reports and run logs need no import: pass them to compare or plan")
    run = readers[source](data, path)
    if not run.samples:
        raise UsageError(f"{path}: no results found in this {source} file")
    return run


def _read_json(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror}") from exc
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        if exc.msg == "Extra data" and exc.lineno > 1:
            raise UsageError(f"{path} holds one JSON record per line (JSON Lines), not one JSON document",
                             hint="lm_eval --log_samples writes such files: import them with --from lm-eval") from exc
        raise UsageError(f"{path}:{exc.lineno}: not valid JSON ({exc.msg})") from exc


def _read_json_lines(path: Path) -> list[Any]:
    """A JSONL file's records (blank lines skipped); a whole-file JSON document is returned as one record, so the
    format check can say what it is."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror}") from exc
    records = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError as exc:
            if number == 1:
                return [_read_json(path)]
            raise UsageError(f"{path}:{number}: not valid JSON ({exc.msg})") from exc
    return records


def _wrong_shape(path: Path, source: str, expected: str) -> UsageError:
    return UsageError(f"{path} does not look like {source} output: expected {expected}")


def _sample(case_id: str, repeat: int, *, output: Any, latency_s: float | None, error: str | None,
            scores: list[dict[str, Any]], tags: list[str], cluster: str | None, usage: dict[str, int] | None = None,
            model: str | None = None, judge_usage: dict[str, int] | None = None) -> dict[str, Any]:
    """One sample in the run-log shape; an errored sample has `passed` None and is left out of pass rates."""
    passed = None if error is not None else all(s["passed"] for s in scores)
    return {
        "case_id": case_id,
        "repeat": repeat,
        "output": output if isinstance(output, str) or output is None else json.dumps(output, sort_keys=True),
        "latency_s": latency_s,
        "error": error,
        "error_kind": "imported" if error is not None else None,
        "scores": scores,
        "passed": passed,
        "tags": tags,
        "cluster": cluster,
        "usage": usage,
        "model": model,
        "judge_usage": judge_usage,
    }


def _usage(prompt: Any, completion: Any) -> dict[str, int] | None:
    """An OpenAI-style usage mapping from input and output token counts; None when neither is a number."""
    found_in, found_out = _number(prompt), _number(completion)
    if found_in is None and found_out is None:
        return None
    return {"prompt_tokens": int(found_in or 0), "completion_tokens": int(found_out or 0)}


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, int | float) and not (isinstance(value, float) and math.isnan(value)):
        return float(value)
    return None


def _obj(value: Any) -> dict[str, Any]:
    """`value` when it is a JSON object, else an empty one: optional sections of other tools' files."""
    return value if isinstance(value, dict) else {}


def _str_list(value: Any) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else []


def _assign_repeats(keyed: list[tuple[str, Any]]) -> list[int]:
    """Repeat indices by order of appearance within each case (0, 1, 2, ... per case)."""
    seen: dict[str, int] = {}
    repeats = []
    for case_id, _ in keyed:
        repeats.append(seen.get(case_id, 0))
        seen[case_id] = repeats[-1] + 1
    return repeats


# --- promptfoo ---------------------------------------------------------------------------------------------------

def _promptfoo(data: Any, path: Path) -> ImportedRun:
    expected = 'an object with "results" (promptfoo eval -o out.json)'
    if not isinstance(data, dict):
        raise _wrong_shape(path, "promptfoo", expected)
    summary = data.get("results")
    results = summary.get("results") if isinstance(summary, dict) else summary
    if not isinstance(results, list) or not all(isinstance(r, dict) for r in results):
        raise _wrong_shape(path, "promptfoo", expected)
    # Every EvaluateResult has a success flag and says what ran (test case, prompt, provider): a list of other
    # objects under "results" (an aiwell review report, say) is not promptfoo's.
    if not all(isinstance(r.get("success"), bool) and any(k in r for k in ("testCase", "prompt", "provider",
                                                                          "vars", "response"))
               for r in results):
        raise _wrong_shape(path, "promptfoo", 'results that each have "success" and a "testCase", "prompt" or '
                                              '"provider" (promptfoo eval -o out.json)')
    results = sorted(results, key=lambda r: (r.get("testIdx", 0), r.get("promptIdx", 0)))

    combos = {(_promptfoo_provider(r), _promptfoo_prompt(r)) for r in results}
    # A test is its description and vars: `--repeat` writes identical copies, while two tests that share a
    # description but not vars are different cases (the description alone names the case when it is unique).
    variants: dict[str, set[str]] = {}
    for result in results:
        description, variables = _promptfoo_test(result)
        if description:
            variants.setdefault(description, set()).add(variables)
    keyed = []
    for result in results:
        description, variables = _promptfoo_test(result)
        name = variables if not description else (
            description if len(variants[description]) == 1 else f"{description} {variables}")
        # One file may hold several providers or prompts: each pairing is its own case.
        if len(combos) > 1:
            name = f"{_promptfoo_provider(result)} | {_promptfoo_prompt(result)} | {name}"
        keyed.append((name, result))

    explicit = all(isinstance(r.get("repeatIndex"), int) for _, r in keyed)
    repeats = [r["repeatIndex"] for _, r in keyed] if explicit else _assign_repeats(keyed)
    samples = []
    for (case_id, result), repeat in zip(keyed, repeats, strict=True):
        test = _obj(result.get("testCase"))
        metadata = _obj(test.get("metadata"))
        tags = _str_list(metadata.get("tags"))
        if len(combos) > 1:
            tags += [f"provider:{_promptfoo_provider(result)}", f"prompt:{_promptfoo_prompt(result)}"]
        response = _obj(result.get("response"))
        grading = result["gradingResult"] if isinstance(result.get("gradingResult"), dict) else None
        errored = result.get("failureReason") == _PROMPTFOO_ERROR or (
            "failureReason" not in result and grading is None and not result.get("success"))
        error = str(result.get("error") or response.get("error") or "provider error") if errored else None
        latency_ms = _number(result.get("latencyMs", response.get("latencyMs")))
        spent = _obj(response.get("tokenUsage") or result.get("tokenUsage"))
        samples.append(_sample(
            case_id, repeat, output=response.get("output"),
            latency_s=None if latency_ms is None else latency_ms / 1000, error=error,
            scores=[] if errored else _promptfoo_scores(result, grading), tags=tags,
            cluster=str(metadata["cluster"]) if metadata.get("cluster") is not None else None,
            usage=None if errored else _usage(spent.get("prompt"), spent.get("completion")),
            model=_promptfoo_provider(result).rsplit(":", 1)[-1],
        ))
    config = _obj(data.get("config"))
    suite = str(config.get("description") or data.get("evalId") or path.stem)
    return ImportedRun(suite=suite, source="promptfoo", samples=samples,
                       details={"eval_id": data.get("evalId"), "providers": sorted({p for p, _ in combos})})


def _promptfoo_test(result: Mapping[str, Any]) -> tuple[str, str]:
    """A result's test as (description, vars as JSON)."""
    test = _obj(result.get("testCase"))
    description = test.get("description") or result.get("description") or ""
    variables = json.dumps(test.get("vars", result.get("vars", {})), sort_keys=True, ensure_ascii=False)
    return str(description), variables


def _promptfoo_provider(result: Mapping[str, Any]) -> str:
    provider = result.get("provider")
    if isinstance(provider, dict):
        return str(provider.get("label") or provider.get("id") or "provider")
    return str(provider or "provider")


def _promptfoo_prompt(result: Mapping[str, Any]) -> str:
    prompt = result.get("prompt")
    if isinstance(prompt, dict):
        return str(prompt.get("label") or prompt.get("raw") or "prompt")
    return str(prompt or "prompt")


def _promptfoo_scores(result: Mapping[str, Any], grading: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    components = grading.get("componentResults") if grading else None
    if isinstance(components, list) and components:
        scores = []
        for component in components:
            if not isinstance(component, dict):
                continue
            assertion = _obj(component.get("assertion"))
            scores.append({"name": str(assertion.get("type", "assertion")), "passed": bool(component.get("pass")),
                           "value": _number(component.get("score")), "reason": str(component.get("reason", ""))})
        if scores:
            return scores
    passed = bool(result.get("success", grading.get("pass") if grading else False))
    reason = str(grading.get("reason", "")) if grading else ""
    return [{"name": "promptfoo", "passed": passed, "value": _number(result.get("score")), "reason": reason}]


# --- Inspect -----------------------------------------------------------------------------------------------------

_INSPECT_LETTERS = {"C": 1.0, "P": 0.5, "I": 0.0, "N": 0.0}
_TRUE_WORDS = {"yes", "true"}
_FALSE_WORDS = {"no", "false"}


def _inspect_float(value: Any) -> float | None:
    """A score value as a number, as Inspect's default `value_to_float` reads it; None when it has no number."""
    number = _number(value)
    if number is not None:
        return number
    if isinstance(value, str):
        word = value.strip()
        if word in _INSPECT_LETTERS:
            return _INSPECT_LETTERS[word]
        if word.lower() in _TRUE_WORDS:
            return 1.0
        if word.lower() in _FALSE_WORDS:
            return 0.0
        try:
            return float(word)
        except ValueError:
            return None
    return None


def _inspect(data: Any, path: Path, threshold: float) -> ImportedRun:
    if not isinstance(data, dict) or not isinstance(data.get("eval"), dict):
        raise _wrong_shape(path, "an Inspect eval log", 'an object with "eval" and "samples" (JSON log format)')
    samples_in = data.get("samples")
    if not isinstance(samples_in, list):
        raise UsageError(f"{path}: this Inspect log has no samples",
                         hint="Logs written with --no-log-samples keep only aggregates; rerun with samples logged.")
    if not all(isinstance(raw, dict) and raw.get("id") is not None and "epoch" in raw for raw in samples_in):
        raise _wrong_shape(path, "an Inspect eval log", 'samples that each have "id" and "epoch"')
    info = data["eval"]
    samples = []
    for raw in samples_in:
        metadata = _obj(raw.get("metadata"))
        message = _inspect_error(raw.get("error"))
        scores = _inspect_scores(raw.get("scores"), threshold)
        if message is None and not scores:
            message = "sample was not scored"
        epoch = raw.get("epoch")
        output = _obj(raw.get("output"))
        spent = [_obj(u) for u in _obj(raw.get("model_usage")).values()]
        samples.append(_sample(
            str(raw["id"]), epoch - 1 if isinstance(epoch, int) and epoch > 0 else 0,
            output=None if message is not None else _inspect_output(output),
            latency_s=_number(raw.get("total_time")), error=message, scores=[] if message is not None else scores,
            tags=_str_list(metadata.get("tags")),
            cluster=str(metadata["cluster"]) if metadata.get("cluster") is not None else None,
            usage=_usage(sum(_number(u.get("input_tokens")) or 0 for u in spent),
                         sum(_number(u.get("output_tokens")) or 0 for u in spent)) if spent else None,
            model=str(output.get("model") or info.get("model") or "") or None,
        ))
    return ImportedRun(suite=str(info.get("task") or path.stem), source="inspect", samples=samples,
                       details={"model": info.get("model"), "run_id": info.get("run_id"), "threshold": threshold})


_EXCEPTION_LINE = re.compile(r"^([A-Za-z_][\w.]*(?:Error|Exception)\b.*)$", re.MULTILINE)


def _inspect_error(error: Any) -> str | None:
    """A sample's error message. Inspect retries model calls with tenacity, so a call that failed for good is
    logged as `RetryError[<Future at 0x... raised X>]`, which names neither the cause nor its message: the
    traceback's first exception (chained tracebacks print the cause first) does."""
    if not error:
        return None
    if not isinstance(error, dict):
        return str(error)
    message = str(error.get("message", error))
    traceback = error.get("traceback")
    if message.startswith("RetryError") and isinstance(traceback, str):
        causes = [str(line) for line in _EXCEPTION_LINE.findall(traceback) if "RetryError" not in line]
        if causes:
            return causes[0]
    return message


def _inspect_scores(scores: Any, threshold: float) -> list[dict[str, Any]]:
    if not isinstance(scores, dict):
        return []
    out = []
    for scorer, score in scores.items():
        if not isinstance(score, dict):
            continue
        value = score.get("value")
        # A scorer may return a dict of named values; each is an assertion of its own.
        parts = value.items() if isinstance(value, dict) else [(None, value)]
        for key, part in parts:
            number = _inspect_float(part)
            out.append({
                "name": scorer if key is None else f"{scorer}.{key}",
                "passed": number is not None and number >= threshold,
                "value": number,
                "reason": str(score.get("explanation") or score.get("answer") or ""),
            })
    return out


def _inspect_output(output: Any) -> str | None:
    if not isinstance(output, dict):
        return None
    if isinstance(output.get("completion"), str):
        return str(output["completion"])
    choices = output.get("choices")
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        return None
    message = choices[0].get("message")
    content = message.get("content") if isinstance(message, dict) else None
    if isinstance(content, list):
        return "".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    return None if content is None else str(content)


# --- azure-ai-evaluation -----------------------------------------------------------------------------------------

_AZURE_ID_FIELDS = ("inputs.id", "inputs.case_id", "inputs.query", "inputs.question")
_AZURE_RESULT_SUFFIX = "_result"


def _azure(data: Any, path: Path) -> ImportedRun:
    rows = data.get("rows") if isinstance(data, dict) else data
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        raise _wrong_shape(path, "azure-ai-evaluation", 'an object with "rows" (evaluate(..., output_path=...))')
    result_keys = sorted({k for row in rows for k in row
                          if k.startswith("outputs.") and k.endswith(_AZURE_RESULT_SUFFIX) and k.count(".") >= 2})
    if rows and not result_keys:
        raise UsageError(
            f"{path}: no pass/fail results in the rows",
            hint="azure-ai-evaluation writes outputs.<evaluator>.<metric>_result when an evaluator has a threshold; "
                 "upgrade the SDK or set thresholds.")
    keyed = []
    for index, row in enumerate(rows):
        case_id = next((str(row[f]) for f in _AZURE_ID_FIELDS if row.get(f) not in (None, "")), f"row-{index + 1}")
        keyed.append((case_id, row))
    explicit = all(isinstance(row.get("inputs.repeat"), int) for _, row in keyed)
    repeats = [row["inputs.repeat"] for _, row in keyed] if explicit else _assign_repeats(keyed)
    samples = []
    for (case_id, row), repeat in zip(keyed, repeats, strict=True):
        scores, missing = [], []
        judged = [_obj(row.get(key[: -len(_AZURE_RESULT_SUFFIX)] + "_properties")) for key in result_keys]
        for key in result_keys:
            verdict = row.get(key)
            base = key[: -len(_AZURE_RESULT_SUFFIX)]
            name = key[len("outputs."):-len(_AZURE_RESULT_SUFFIX)]
            if verdict is None or (isinstance(verdict, float) and math.isnan(verdict)):
                missing.append(name)
                continue
            scores.append({"name": name, "passed": str(verdict).strip().lower() in ("pass", "true", "1"),
                           "value": _number(row.get(base)), "reason": str(row.get(base + "_reason") or "")})
        error = f"no result from: {', '.join(missing)}" if missing else None
        output = row.get("outputs.response", row.get("inputs.response"))
        judged = [p for p in judged if "prompt_tokens" in p or "completion_tokens" in p]
        samples.append(_sample(
            case_id, repeat, output=output, latency_s=None, error=error, scores=[] if error else scores,
            tags=_str_list(row.get("inputs.tags")),
            cluster=str(row["inputs.cluster"]) if row.get("inputs.cluster") is not None else None,
            judge_usage=_usage(sum(_number(p.get("prompt_tokens")) or 0 for p in judged),
                               sum(_number(p.get("completion_tokens")) or 0 for p in judged)) if judged else None))
    metrics = data.get("metrics") if isinstance(data, dict) else None
    return ImportedRun(suite=path.stem, source="azure-ai-evaluation", samples=samples,
                       details={"metrics": metrics if isinstance(metrics, dict) else {}})


# --- lm-evaluation-harness ---------------------------------------------------------------------------------------

_LM_EVAL_SAMPLES = re.compile(r"^samples_(?P<task>.+)_\d{4}-\d{2}-\d{2}T[\d.-]+$")


def _lm_eval(records: list[Any], path: Path, threshold: float, chosen: str | None) -> ImportedRun:
    expected = "one JSON record per line with doc_id, filter and metrics (lm_eval --log_samples)"
    if not records or not all(isinstance(r, dict) and isinstance(r.get("doc_id"), int)
                              and isinstance(r.get("metrics"), list) for r in records):
        raise _wrong_shape(path, "lm-eval", expected)
    filters = list(dict.fromkeys(str(r.get("filter", "none")) for r in records))
    if chosen is None and len(filters) > 1:
        raise UsageError(f"{path} scores each document with {len(filters)} filters ({', '.join(filters)})",
                         hint="choose the one to import with --filter NAME")
    if chosen is not None and chosen not in filters:
        raise UsageError(f"{path} has no filter {chosen!r}", hint="its filters: " + ", ".join(filters))
    kept = chosen or filters[0]
    samples = []
    for record in records:
        if str(record.get("filter", "none")) != kept:
            continue
        scores, missing = [], []
        for metric in record["metrics"]:
            value = _number(record.get(metric))
            if value is None:
                missing.append(str(metric))
                continue
            scores.append({"name": str(metric), "passed": value >= threshold, "value": value, "reason": ""})
        responses = record.get("filtered_resps")
        output = responses[0] if isinstance(responses, list) and responses else None
        samples.append(_sample(
            str(record["doc_id"]), 0, output=output, latency_s=None,
            error=f"no value for: {', '.join(missing)}" if missing else None, scores=[] if missing else scores,
            tags=[], cluster=None))
    match = _LM_EVAL_SAMPLES.match(path.stem)
    return ImportedRun(suite=match["task"] if match else path.stem, source="lm-eval", samples=samples,
                       details={"filter": kept, "filters": filters, "threshold": threshold})


__all__ = ["FORMATS", "ImportedRun", "import_results"]
