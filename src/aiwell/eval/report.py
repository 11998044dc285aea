"""The `aiwell.eval/1` report, the `aiwell.eval-compare/1` comparison, CI gates, and their renderers.

A report is a plain JSON-ready dict built from run-log samples (`build_report`); every later tool (compare, plan,
the gates, the renderers) reads that dict, so a report written to disk and read back (`load_report`) works the same
as one just built. Both schemas are documented in `report.schema.json` and `compare.schema.json` beside this module.
Fields may be added; none may change meaning without a new schema version.
"""

from __future__ import annotations

import html
import json
import math
import re
from collections.abc import Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Any, Literal
from xml.etree import ElementTree

from msgspec import Struct
from rich.console import Console
from rich.markup import escape as rich_escape
from rich.table import Table

from aiwell import __version__
from aiwell.errors import UsageError
from aiwell.eval import stats
from aiwell.eval.prices import PriceTable, default_prices, usage_of

SCHEMA = "aiwell.eval/1"
COMPARE_SCHEMA = "aiwell.eval-compare/1"
LOG_SCHEMA_PREFIX = "aiwell.eval-log/"
REPORT_SCHEMA_PATH = resources.files("aiwell.eval").joinpath("report.schema.json")
COMPARE_SCHEMA_PATH = resources.files("aiwell.eval").joinpath("compare.schema.json")

Sample = dict[str, Any]
Report = dict[str, Any]


# --- building ----------------------------------------------------------------------------------------------------

def build_report(samples: Sequence[Mapping[str, Any]], *, suite: str, log: str | None = None,
                 confidence: float = 0.95, source: Mapping[str, Any] | None = None,
                 question: stats.Question = "cases-like-these", outside: Sequence[Mapping[str, Any]] = (),
                 prices: PriceTable | None = None) -> Report:
    """The `aiwell.eval/1` report of run-log samples: per-case statistics (flakiest first), the suite estimate for
    both questions ("cases like these" and "these cases"; `summary` carries the one named by `question`, which
    the gate uses), the errors grouped by cause, per-scorer metrics, token usage and cost.

    Errored samples (`passed` None) are counted in `errors` and left out of every pass rate. A case whose samples
    all errored is listed with `n` 0 and no rate, counted in `n_cases_errored`, and is not part of the suite
    estimate. `outside` are samples the run log holds outside its plan: counted in `ignored_samples`, nothing
    else."""
    by_case = _group(samples)
    cases = []
    for case_id, case_samples in by_case.items():
        outcomes = [bool(s["passed"]) for s in case_samples if s.get("passed") is not None]
        entry: dict[str, Any] = {
            "id": case_id, "pass_rate": None, "ci_low": None, "ci_high": None, "n": len(outcomes),
            "label": None, "pass_at_k": {}, "pass_hat_k": {},
            "errors": len(case_samples) - len(outcomes), "tags": _tags(case_samples),
            "cluster": next((str(s["cluster"]) for s in case_samples if s.get("cluster") is not None), None),
            "flakiness": None,
        }
        if outcomes:
            result = stats.case_stats(outcomes, confidence=confidence)
            entry.update({
                "pass_rate": result.pass_rate, "ci_low": result.ci_low, "ci_high": result.ci_high,
                "label": result.label, "flakiness": result.flakiness,
                "pass_at_k": {str(k): v for k, v in sorted(result.pass_at_k.items())},
                "pass_hat_k": {str(k): v for k, v in sorted(result.pass_hat_k.items())},
            })
        cases.append(entry)
    # Flakiest first; cases with no data (all errored) last, so they are not mistaken for stable ones.
    cases.sort(key=lambda c: (c["flakiness"] is None, -(c["flakiness"] or 0.0), c["pass_rate"] or 0.0, c["id"]))

    scored = [c for c in cases if c["n"]]
    per_case = [[bool(s["passed"]) for s in by_case[c["id"]] if s.get("passed") is not None] for c in scored]
    clusters = [c["cluster"] for c in scored]
    errors = sum(c["errors"] for c in cases)
    errored_cases = [c["id"] for c in cases if not c["n"]]
    summary: dict[str, Any] = {
        "pass_rate": None, "ci_low": None, "ci_high": None, "n_cases": len(scored),
        "n_samples": sum(c["n"] for c in scored), "errors": errors, "method": None, "design_effect": None,
        "effective_n": None, "confidence": confidence, "n_cases_errored": len(errored_cases),
        "cases_errored": errored_cases[:_LISTED_IDS],
        "repeats": max((len(v) for v in by_case.values()), default=0), "question": question,
        "intervals": {}, "ignored_samples": len(outside),
        "pass_at_k": _mean_by_k(scored, "pass_at_k"), "pass_hat_k": _mean_by_k(scored, "pass_hat_k"),
    }
    if scored:
        intervals = {name: _interval(per_case, clusters, confidence, name)
                     for name in ("cases-like-these", "these-cases")}
        summary["intervals"] = {name.replace("-", "_"): value for name, value in intervals.items()}
        chosen = intervals[question]
        summary.update({k: chosen[k] for k in ("pass_rate", "ci_low", "ci_high", "method", "design_effect",
                                                "effective_n")})
    table = prices or default_prices()
    return {
        "schema": SCHEMA,
        "tool": {"name": "aiwell", "version": __version__},
        "suite": suite,
        "source": dict(source or {}),
        "summary": summary,
        "errors": error_groups(samples),
        "metrics": scorer_metrics(samples),
        "usage": usage_of(samples, table).as_dict(table),
        "cases": cases,
        "samples": [dict(s) for s in samples],
        "log": log,
    }


_LISTED_IDS = 20
_ERROR_GROUPS = 10


def _interval(per_case: list[list[bool]], clusters: list[str | None], confidence: float,
              question: stats.Question) -> dict[str, Any]:
    if len(per_case) == 1 and question == "cases-like-these":
        # One case: the suite is that case, and its Wilson interval is the only honest one (no between-case
        # variation can be estimated from a single case).
        only = stats.case_stats(per_case[0], confidence=confidence)
        return {"pass_rate": only.pass_rate, "ci_low": only.ci_low, "ci_high": only.ci_high, "method": "wilson",
                "design_effect": 1.0, "effective_n": float(only.n), "n_units": 1}
    estimate = stats.suite_interval(per_case, clusters=clusters if any(clusters) else None, confidence=confidence,
                                    question=question)
    return {"pass_rate": estimate.mean, "ci_low": estimate.ci_low, "ci_high": estimate.ci_high,
            "method": estimate.method, "design_effect": estimate.design_effect,
            "effective_n": estimate.effective_n, "n_units": estimate.n_clusters or estimate.n_cases}


def _mean_by_k(cases: Sequence[Mapping[str, Any]], key: str) -> dict[str, float]:
    """The mean over cases of pass@k (or pass^k), for each k every scored case has."""
    shared: set[str] | None = None
    for case in cases:
        shared = set(case[key]) if shared is None else shared & set(case[key])
    return {k: sum(c[key][k] for c in cases) / len(cases) for k in sorted(shared or (), key=int)}


_DIGITS = re.compile(r"0x[0-9a-fA-F]+|\d+(?:\.\d+)?")  # numbers, and addresses in Python reprs


def error_groups(samples: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Errored samples grouped by cause (kind and message, numbers and addresses aside), biggest group first: each
    with its count, the first message in full and the first cases it hit."""
    groups: dict[tuple[str, str], dict[str, Any]] = {}
    for sample in samples:
        if sample.get("passed") is not None:
            continue
        message = str(sample.get("error") or "no error message recorded")
        kind = str(sample.get("error_kind") or "error")
        key = (kind, _DIGITS.sub("N", message))
        group = groups.setdefault(key, {"kind": kind, "count": 0, "message": message, "cases": []})
        group["count"] += 1
        case_id = str(sample.get("case_id"))
        if case_id not in group["cases"] and len(group["cases"]) < 5:
            group["cases"].append(case_id)
    return sorted(groups.values(), key=lambda g: (-g["count"], g["kind"], g["message"]))


def scorer_metrics(samples: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """One entry per scorer (assertion type): its group (answer, tools, retrieval), the share of scored samples it
    passed (averaged per case first, as the suite rate is) and the mean of its values."""
    from aiwell.eval.specs import SCORERS

    per: dict[str, dict[str, list[tuple[bool, float | None]]]] = {}
    for sample in samples:
        if sample.get("passed") is None:
            continue
        for score in sample.get("scores") or []:
            name = str(score.get("name"))
            value = score.get("value")
            per.setdefault(name, {}).setdefault(str(sample["case_id"]), []).append(
                (bool(score.get("passed")), float(value) if isinstance(value, int | float) else None))
    metrics = []
    for name, by_case in per.items():
        rates = [sum(p for p, _ in got) / len(got) for got in by_case.values()]
        values = [v for got in by_case.values() for _, v in got if v is not None]
        found = SCORERS.get(name)
        metrics.append({"name": name, "group": found.group if found is not None else "answer",
                        "pass_rate": sum(rates) / len(rates), "mean_value": sum(values) / len(values) if values
                        else None, "n_cases": len(rates), "n_samples": sum(len(g) for g in by_case.values())})
    return sorted(metrics, key=lambda m: (m["group"] != "answer", m["group"], m["name"]))


def _group(samples: Sequence[Mapping[str, Any]]) -> dict[str, list[Mapping[str, Any]]]:
    """Samples by case id, in order of each case's first appearance, each case's samples by repeat index."""
    groups: dict[str, list[Mapping[str, Any]]] = {}
    for sample in samples:
        groups.setdefault(str(sample["case_id"]), []).append(sample)
    return {case: sorted(group, key=lambda s: int(s.get("repeat") or 0)) for case, group in groups.items()}


def _tags(samples: Sequence[Mapping[str, Any]]) -> list[str]:
    found: dict[str, None] = {}
    for sample in samples:
        for tag in sample.get("tags") or []:
            found[str(tag)] = None
    return list(found)


def outcomes_by_case(report: Mapping[str, Any]) -> dict[str, list[bool]]:
    """Each case's pass/fail outcomes (errored samples left out), by case id, from a report's samples."""
    return {case: [bool(s["passed"]) for s in group if s.get("passed") is not None]
            for case, group in _group(report["samples"]).items()}


def load_report(path: Path) -> Report:
    """Read an `aiwell.eval/1` report, or build one from an `aiwell.eval-log/1` run log (JSONL).

    Raises `UsageError` when the file is missing, unreadable or neither of the two."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror or exc}") from exc
    first_line = text.lstrip().split("\n", 1)[0]
    try:
        head = json.loads(first_line)
    except json.JSONDecodeError:
        head = None
    if isinstance(head, dict) and str(head.get("schema", "")).startswith(LOG_SCHEMA_PREFIX):
        return report_from_log(path)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UsageError(f"{path}:{exc.lineno}: not valid JSON ({exc.msg})") from exc
    if not isinstance(data, dict) or data.get("schema") != SCHEMA:
        found = data.get("schema") if isinstance(data, dict) else None
        raise UsageError(
            f"{path} is not an aiwell eval report (schema {found!r}, expected {SCHEMA!r})",
            hint="Write one with `aiwell eval run SUITE --format json --output RUN.json`, or convert other "
                 "harnesses' results with `aiwell eval import`.")
    if not isinstance(data.get("samples"), list):
        raise UsageError(f"{path}: the report has no samples")
    return data


def report_from_log(path: Path, *, confidence: float = 0.95, question: stats.Question = "cases-like-these",
                    prices: PriceTable | None = None) -> Report:
    """The report of an `aiwell.eval-log/1` run log (samples outside the log's plan are counted, not used)."""
    from aiwell.eval.runlog import read_log

    run_log = read_log(path)
    suite = str(run_log.header.get("suite") or path.stem)
    return build_report(run_log.samples, suite=suite, log=str(path), confidence=confidence, question=question,
                        outside=run_log.outside, prices=prices)


# --- comparing ---------------------------------------------------------------------------------------------------

def compare_reports(a: Mapping[str, Any], b: Mapping[str, Any], *, confidence: float = 0.95, alpha: float = 0.05,
                    adjust: Literal["holm", "bh"] = "holm") -> Report:
    """The `aiwell.eval-compare/1` paired comparison of run B against run A (delta = B − A).

    Both runs must hold the same case ids; otherwise `stats.UnalignedRunsError` (a user error) names the differing
    ids. A case with no outcome in either run (all its samples errored) is left out of the pairs and listed under
    `excluded`. Per-tag comparisons carry p-values adjusted across tags (`adjust`: "holm" or "bh")."""
    outcomes_a, outcomes_b = outcomes_by_case(a), outcomes_by_case(b)
    stats.check_aligned(outcomes_a, outcomes_b)
    info = {c["id"]: c for c in [*a["cases"], *b["cases"]]}
    cluster_map = {c: info.get(c, {}).get("cluster") for c in outcomes_b}
    clusters = cluster_map if any(cluster_map.values()) else None
    result = stats.paired_compare(outcomes_a, outcomes_b, clusters=clusters, confidence=confidence)
    tags = {c: list(info.get(c, {}).get("tags") or []) for c in outcomes_b}
    by_tag = [{
        "tag": tag, "delta": t.delta, "ci_low": t.ci_low, "ci_high": t.ci_high, "p_value": t.p_value,
        "p_adjusted": t.p_adjusted, "significant": t.significant(alpha), "n_pairs": t.n_pairs, "test": t.test,
    } for tag, t in stats.compare_by_tag(outcomes_a, outcomes_b, tags, clusters=clusters, confidence=confidence,
                                          adjust=adjust).items()]
    shared = [c for c in outcomes_a if c not in result.excluded]
    per_case = sorted(({"id": c, "a": _mean(outcomes_a[c]), "b": _mean(outcomes_b[c]),
                        "delta": _mean(outcomes_b[c]) - _mean(outcomes_a[c])} for c in shared),
                      key=lambda row: (row["delta"], row["id"]))
    return {
        "schema": COMPARE_SCHEMA,
        "tool": {"name": "aiwell", "version": __version__},
        "a": _run_summary(a, result.mean_a),
        "b": _run_summary(b, result.mean_b),
        "delta": result.delta, "se": result.se, "ci_low": result.ci_low, "ci_high": result.ci_high,
        "p_value": result.p_value, "test": result.test, "significant": result.significant(alpha),
        "n_pairs": result.n_pairs, "alpha": alpha, "confidence": confidence,
        "adjustment": adjust, "by_tag": by_tag, "excluded": list(result.excluded),
        "cases": per_case,
    }


def _mean(outcomes: Sequence[bool]) -> float:
    return sum(outcomes) / len(outcomes)


def _run_summary(report: Mapping[str, Any], paired_mean: float) -> dict[str, Any]:
    summary = report["summary"]
    return {"suite": report.get("suite"), "log": report.get("log"), "pass_rate": summary.get("pass_rate"),
            "paired_pass_rate": paired_mean, "n_cases": summary.get("n_cases"), "errors": summary.get("errors")}


# --- gates -------------------------------------------------------------------------------------------------------

class Gate(Struct, frozen=True):
    """The verdict of one CI gate: its name, whether it passed, and a sentence saying why."""

    name: str
    passed: bool
    message: str

    def as_dict(self) -> dict[str, Any]:
        """The gate as it appears in a report's `gates` list."""
        return {"name": self.name, "passed": self.passed, "message": self.message}


def min_pass_rate_gate(report: Mapping[str, Any], threshold: float) -> Gate:
    """Pass when the LOWER bound of the suite's interval (for the question the report gates on) is at least
    `threshold`, not the point estimate. When the suite is too small for the bound ever to reach the threshold,
    the message says how many cases it would take and what the other question would say."""
    summary = report["summary"]
    low, rate = summary.get("ci_low"), summary.get("pass_rate")
    confidence = summary.get("confidence", 0.95)
    level = _pct(confidence, 0)
    question = QUESTION_LABEL.get(summary.get("question", "cases-like-these"), "cases like these")
    if low is None or rate is None:
        return Gate("min-pass-rate", False,
                    f"no pass rate to gate on (every sample errored); needs ≥ {_pct(threshold)}")
    if low >= threshold:
        return Gate("min-pass-rate", True,
                    f"the {level} interval's lower bound {_pct(low)} ({question}) is at least {_pct(threshold)}")
    if rate < threshold:
        return Gate("min-pass-rate", False, f"the pass rate {_pct(rate)} and its {level} interval's lower bound "
                                            f"{_pct(low)} ({question}) are below {_pct(threshold)}")
    why = (f"the point estimate {_pct(rate)} clears {_pct(threshold)}, but the {level} interval's lower bound "
           f"{_pct(low)} ({question}) does not")
    units = summary.get("intervals", {}).get("cases_like_these", {}).get("n_units") or summary["n_cases"]
    needed = cases_needed_for(threshold, confidence)
    if summary.get("question", "cases-like-these") == "cases-like-these" and units < needed:
        other = summary.get("intervals", {}).get("these_cases", {})
        why += (f": with {units} independent case(s) it never can, even if every sample passes (that takes at least "
                f"{needed})")
        if other.get("ci_low") is not None:
            why += (f"; for these cases alone the lower bound is {_pct(other['ci_low'])} "
                    "(--interval these-cases gates on that, when the suite is the whole specification)")
    else:
        why += ": more cases (or repeats, for flaky cases) would narrow it"
    return Gate("min-pass-rate", False, why)


QUESTION_LABEL = {"cases-like-these": "cases like these", "these-cases": "these cases"}


def cases_needed_for(threshold: float, confidence: float) -> int:
    """The fewest cases whose exact (Clopper–Pearson) lower bound, with every case passing, reaches `threshold`:
    (α/2)^(1/n) ≥ threshold."""
    if threshold <= 0:
        return 1
    if threshold >= 1:
        return 10**9
    return math.ceil(math.log((1 - confidence) / 2) / math.log(threshold))


def non_inferiority_gate(comparison: Mapping[str, Any], margin: float) -> Gate:
    """Pass when the lower bound of (B − A) is at least −`margin`: B is no worse than the baseline A by more than
    the margin, at the comparison's confidence."""
    low, delta = comparison["ci_low"], comparison["delta"]
    text = f"change {_signed(delta)} (interval {_signed(low)} to {_signed(comparison['ci_high'])})"
    if low >= -margin:
        return Gate("non-inferiority", True, f"{text}: no worse than the baseline by more than {_pct(margin)}")
    return Gate("non-inferiority", False,
                f"{text}: the lower bound is below −{_pct(margin)}, so a regression beyond the margin is not "
                "ruled out")


def parse_max_errors(text: str) -> float:
    """`--max-errors`: a count ("0", "3") or a share of samples ("0.5%", "0.01"); ValueError otherwise."""
    value = text.strip()
    if value.endswith("%"):
        share = float(value[:-1]) / 100
        if not 0 <= share <= 1:
            raise ValueError("a share of samples is between 0% and 100%")
        return share if share < 1 else 1.0
    number = float(value)
    if number < 0:
        raise ValueError("must be 0 or more")
    if number.is_integer() and "." not in value:
        return int(number)
    if number >= 1:
        raise ValueError("a share of samples is below 1 (write a count as a whole number)")
    return number


def errors_gate(report: Mapping[str, Any], max_errors: float) -> Gate:
    """Pass when at most `max_errors` samples errored: a count (an int), or a share of the samples (a float below
    1). Errored samples are left out of every rate, so a run that hides its failures behind errors can't pass
    the other gates by it: this gate is on by default (`--max-errors 0`)."""
    summary = report["summary"]
    errors = int(summary["errors"])
    total = errors + int(summary["n_samples"])
    allowed = max_errors if isinstance(max_errors, int) else math.floor(max_errors * total + 1e-9)
    allowance = (f"at most {allowed}" if isinstance(max_errors, int)
                 else f"at most {_pct(max_errors)} of {total} samples ({allowed})")
    if errors <= allowed:
        return Gate("errors", True, f"{errors} errored sample(s), {allowance} allowed")
    groups = report.get("errors") or error_groups(report.get("samples") or [])
    cause = f"; first cause: {groups[0]['kind']}: {_short(groups[0]['message'], 160)}" if groups else ""
    whole = summary.get("n_cases_errored") or 0
    cases = f"; {whole} case(s) had no sample scored at all" if whole else ""
    return Gate("errors", False, f"{errors} of {total} sample(s) errored, more than the {allowance} allowed{cases}"
                                 f"{cause} (errored samples are not in any rate; --max-errors N or N% allows some)")


def sequential_gate(stop: Mapping[str, Any], threshold: float) -> Gate:
    """The verdict of a sequential run (see `sequential.SequentialGate`)."""
    bounds = f"{_pct(stop['low'])} – {_pct(stop['high'])}"
    where = f"after {stop['rounds']} of {stop['max_rounds']} rounds ({stop['samples_saved']} samples not drawn)"
    if stop["verdict"] == "pass":
        return Gate("min-pass-rate", True, f"{where}, the anytime-valid interval for these cases {bounds} is above "
                                           f"{_pct(threshold)}")
    if stop["verdict"] == "fail":
        return Gate("min-pass-rate", False, f"{where}, the anytime-valid interval for these cases {bounds} is below "
                                            f"{_pct(threshold)}")
    return Gate("min-pass-rate", False, f"{where}, the anytime-valid interval for these cases {bounds} still "
                                        f"straddles {_pct(threshold)}: not shown to be above it")


def _short(text: str, limit: int) -> str:
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


# --- rendering ---------------------------------------------------------------------------------------------------

def render_json(document: Mapping[str, Any]) -> str:
    """A report or comparison as indented JSON (NaN and infinities written as null, keys as strings).

    orjson writes it: a report holds every sample, and the standard library's indenting encoder is pure Python."""
    import orjson

    options = orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS | orjson.OPT_SERIALIZE_NUMPY
    return orjson.dumps(document, option=options, default=_plain).decode() + "\n"


def _plain(value: Any) -> Any:
    """What orjson can't write itself: other mappings and sequences, and numbers of other types."""
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, tuple | set | frozenset):
        return list(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, int):
        return int(value)
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def _pct(value: float | None, places: int = 1) -> str:
    return "–" if value is None else f"{value * 100:.{places}f}%"


def _signed(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:+.1f} pts"


_LABEL_STYLE = {"stable-pass": "green", "flaky": "yellow", "stable-fail": "red"}
_TERMINAL_CASE_LIMIT = 40
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_XML_INVALID = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_MD_SPECIAL = re.compile(r"([\\`*_\[\]{}()#+!|~>-])")


def _visible(text: Any) -> str:
    """Text from a case (an id, a tag, an error message) with control characters shown as escapes (\\x1b), so a
    terminal never executes an escape sequence it carries."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", str(text))


def _term(text: Any) -> str:
    """Case-supplied text for a rich console: control characters shown as escapes, markup brackets escaped."""
    return rich_escape(_visible(text))


def _xml(text: Any) -> str:
    """Text for XML: characters XML 1.0 cannot hold (most control characters) shown as escapes."""
    return _XML_INVALID.sub(lambda m: f"\\x{ord(m.group()):02x}", str(text))


def _md(text: Any) -> str:
    """Case-supplied text for Markdown (a pull-request comment, a GitHub step summary): HTML escaped so no tag is
    rendered, Markdown punctuation escaped so nothing becomes a link or emphasis, one line, control characters
    shown as escapes."""
    flat = " ".join(_visible(text).split())
    return _MD_SPECIAL.sub(r"\\\1", html.escape(flat, quote=False))


def _largest_k(report: Mapping[str, Any]) -> str | None:
    ks = list(report["summary"].get("pass_hat_k") or {})
    return ks[-1] if ks else None


def _interval_lines(summary: Mapping[str, Any]) -> list[str]:
    """Both questions' intervals as sentences, the gate's first."""
    level = _pct(summary.get("confidence", 0.95), 0)
    lines = []
    intervals = summary.get("intervals") or {}
    chosen = summary.get("question", "cases-like-these")
    for question in sorted(QUESTION_LABEL, key=lambda q: q != chosen):
        found = intervals.get(question.replace("-", "_"))
        if not found:
            continue
        extra = ""
        effect = found.get("design_effect")
        if effect is not None and abs(effect - 1.0) >= 0.005:
            extra = f", design effect {effect:.2f}, effective n {found['effective_n']:.0f}"
        mark = " (gated)" if question == chosen else ""
        lines.append(f"{QUESTION_LABEL[question]}{mark}: {level} CI {_pct(found['ci_low'])} – "
                     f"{_pct(found['ci_high'])} ({found['method']}{extra})")
    return lines


def _usage_line(report: Mapping[str, Any]) -> str | None:
    usage = report.get("usage")
    if not usage or not (usage.get("input_tokens") or usage.get("output_tokens") or usage.get("unpriced_samples")):
        return None
    cost = f"{usage['cost']:.4f} {usage['currency']}"
    if not usage["complete"]:
        models = ", ".join(usage["unpriced_models"]) or "no usage reported"
        cost = f"at least {cost} ({usage['unpriced_samples']} sample(s) unpriced: {models})"
    line = (f"tokens {usage['input_tokens']:,} in / {usage['output_tokens']:,} out; cost {cost} "
            f"(prices of {usage['prices']['as_of']})")
    if usage.get("judge_input_tokens") or usage.get("judge_output_tokens"):
        line += f"; judges {usage['judge_input_tokens']:,} in / {usage['judge_output_tokens']:,} out"
    return line


def _error_lines(report: Mapping[str, Any], limit: int = _ERROR_GROUPS) -> list[tuple[int, str, str, str]]:
    """(count, kind, message, cases) of the first error groups."""
    groups = report.get("errors") or error_groups(report.get("samples") or [])
    return [(g["count"], g["kind"], g["message"], ", ".join(g["cases"])) for g in groups[:limit]]


def render_terminal(report: Mapping[str, Any], console: Console) -> None:
    """The report for a person: the suite's pass rate with both intervals, errors by cause, usage and cost,
    metrics per scorer, cases flakiest first, gate verdicts."""
    summary = report["summary"]
    level = _pct(summary.get("confidence", 0.95), 0)
    errored = summary.get("n_cases_errored") or 0
    console.print(f"[bold]{_term(report['suite'])}[/]  {summary['n_cases']} cases, {summary['n_samples']} samples, "
                  f"{summary['errors']} errored" + (f" ({errored} case(s) with no sample scored)" if errored else ""))
    if summary["pass_rate"] is None:
        console.print("pass rate: [bold red]no data[/] (every sample errored; see the errors below)")
    else:
        console.print(f"pass rate [bold]{_pct(summary['pass_rate'])}[/]  {level} CI "
                      f"{_pct(summary['ci_low'])} – {_pct(summary['ci_high'])}  ({summary['method']}"
                      + (f", design effect {summary['design_effect']:.2f}, effective n {summary['effective_n']:.0f}"
                         if _clustered(summary) else "") + ")", highlight=False)
        for line in _interval_lines(summary):
            console.print(f"  {line}", highlight=False)
    k = _largest_k(report)
    if k is not None and k != "1":
        console.print(f"mean over cases: pass@{k} {_pct(summary['pass_at_k'][k])}, pass^{k} "
                      f"{_pct(summary['pass_hat_k'][k])}", highlight=False)
    if summary.get("ignored_samples"):
        console.print(f"{summary['ignored_samples']} sample(s) in the log are outside this run's plan (a case no "
                      "longer in the suite, or a repeat beyond it): not counted", highlight=False)
    usage = _usage_line(report)
    if usage:
        console.print(_term(usage), highlight=False)
    errors = _error_lines(report)
    if errors:
        console.print("[bold red]errors[/], by cause:")
        for count, kind, message, cases in errors:
            console.print(f"  {count}× {_term(kind)}: {_term(_short(message, 300))}  (cases {_term(cases)})",
                          highlight=False)
    metrics = report.get("metrics") or []
    if len(metrics) > 1 or any(m["group"] != "answer" for m in metrics):
        console.print("by assertion: " + "; ".join(
            f"{_term(m['name'])} ({m['group']}) {_pct(m['pass_rate'])}"
            + (f", mean {m['mean_value']:.3g}" if m["mean_value"] is not None and m["group"] == "retrieval" else "")
            for m in metrics), highlight=False)
    table = Table(title="cases, flakiest first", title_justify="left", show_edge=False)
    columns = ["case", "pass rate", f"{level} CI", "n", "errors", "label"]
    if k is not None and k != "1":
        columns += [f"pass@{k}", f"pass^{k}"]
    for column in columns:
        table.add_column(column, justify="left" if column in ("case", "label") else "right")
    cases = report["cases"]
    for case in cases[:_TERMINAL_CASE_LIMIT]:
        label = case["label"] or "no data"
        row = [_term(case["id"]), _pct(case["pass_rate"]), f"{_pct(case['ci_low'])} – {_pct(case['ci_high'])}",
               str(case["n"]), str(case["errors"]), f"[{_LABEL_STYLE.get(label, 'magenta')}]{label}[/]"]
        if len(columns) > 6:
            row += [_pct(case["pass_at_k"].get(k)), _pct(case["pass_hat_k"].get(k))]
        table.add_row(*row)
    console.print(table)
    if len(cases) > _TERMINAL_CASE_LIMIT:
        console.print(f"… and {len(cases) - _TERMINAL_CASE_LIMIT} more cases (see --format json or html)")
    _print_gates(report, console)


def _clustered(summary: Mapping[str, Any]) -> bool:
    """Whether the design effect is worth showing: it differs from 1 by more than rounding."""
    effect = summary.get("design_effect")
    return effect is not None and abs(effect - 1.0) >= 0.005


def _print_gates(document: Mapping[str, Any], console: Console) -> None:
    for gate in document.get("gates") or []:
        verdict = "[green]PASS[/]" if gate["passed"] else "[red]FAIL[/]"
        console.print(f"gate {gate['name']}: {verdict}  {_term(gate['message'])}", highlight=False)


def render_compare_terminal(comparison: Mapping[str, Any], console: Console) -> None:
    """A comparison for a person: the paired change with its interval and test, then per-tag changes."""
    level = _pct(comparison["confidence"], 0)
    verdict = "[bold red]significant[/]" if comparison["significant"] else "not significant"
    console.print(f"A {_pct(comparison['a']['paired_pass_rate'])} → B {_pct(comparison['b']['paired_pass_rate'])} "
                  f"over {comparison['n_pairs']} paired cases")
    console.print(f"change [bold]{_signed(comparison['delta'])}[/]  {level} CI {_signed(comparison['ci_low'])} to "
                  f"{_signed(comparison['ci_high'])}  p = {comparison['p_value']:.3g} ({comparison['test']}): "
                  f"{verdict} at α = {comparison['alpha']}")
    if comparison["by_tag"]:
        table = Table(title=f"by tag ({comparison['adjustment']}-adjusted p)", title_justify="left", show_edge=False)
        for column in ("tag", "change", f"{level} CI", "p (adj.)", "n"):
            table.add_column(column, justify="left" if column == "tag" else "right")
        for row in comparison["by_tag"]:
            mark = " *" if row["significant"] else ""
            table.add_row(_term(row["tag"]), _signed(row["delta"]),
                          f"{_signed(row['ci_low'])} to {_signed(row['ci_high'])}",
                          f"{row['p_adjusted']:.3g}{mark}", str(row["n_pairs"]))
        console.print(table)
    if comparison["excluded"]:
        console.print(f"left out (no outcome in one run): {_term(', '.join(comparison['excluded']))}")
    _print_gates(comparison, console)


def _junit_document(suite: ElementTree.Element) -> str:
    root = ElementTree.Element("testsuites")
    root.append(suite)
    ElementTree.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ElementTree.tostring(root, encoding="unicode") + "\n"


def _junit_gates(suite: ElementTree.Element, document: Mapping[str, Any], classname: str) -> int:
    """One testcase per gate, failed exactly when the gate failed (so the XML agrees with the exit code)."""
    failures = 0
    for gate in document.get("gates") or []:
        element = ElementTree.SubElement(suite, "testcase", {"classname": classname,
                                                              "name": f"gate: {gate['name']}"})
        if not gate["passed"]:
            failures += 1
            ElementTree.SubElement(element, "failure", {"message": _xml(gate["message"])})
        ElementTree.SubElement(element, "system-out").text = _xml(gate["message"])
    return failures


def render_junit(report: Mapping[str, Any], *, min_pass_rate: float | None = None) -> str:
    """JUnit XML with one testcase per case, plus one per gate.

    A case fails when its label is stable-fail, or when a `min_pass_rate` gate is set and even its interval's
    upper bound is below it (the case is below the gate beyond reasonable doubt). A case whose samples all errored
    is an error. Flaky cases pass, with their rate in system-out, so CI doesn't flap on noise. Each gate is a
    testcase that fails exactly when the gate did."""
    cases = report["cases"]
    name = _xml(report["suite"])
    suite = ElementTree.Element("testsuite", {"name": name, "failures": "0", "errors": "0", "skipped": "0"})
    failures = errors = 0
    for case in cases:
        element = ElementTree.SubElement(suite, "testcase", {"classname": name, "name": _xml(case["id"])})
        if case["n"] == 0:
            errors += 1
            first = next((s.get("error") for s in report.get("samples") or []
                          if str(s.get("case_id")) == case["id"] and s.get("error")), None)
            ElementTree.SubElement(element, "error", {"message": _xml(
                f"all {case['errors']} samples errored" + (f": {_short(first, 300)}" if first else ""))})
            continue
        detail = (f"pass rate {_pct(case['pass_rate'])} ({_pct(case['ci_low'])} – {_pct(case['ci_high'])}) "
                  f"over {case['n']} samples, {case['errors']} errored; label {case['label']}")
        reason = None
        if case["label"] == "stable-fail":
            reason = "stable-fail"
        elif min_pass_rate is not None and case["ci_high"] < min_pass_rate:
            reason = f"upper bound {_pct(case['ci_high'])} below the gate {_pct(min_pass_rate)}"
        if reason is not None:
            failures += 1
            ElementTree.SubElement(element, "failure", {"message": reason}).text = detail
        ElementTree.SubElement(element, "system-out").text = detail
    failures += _junit_gates(suite, report, name)
    suite.set("tests", str(len(cases) + len(report.get("gates") or [])))
    suite.set("failures", str(failures))
    suite.set("errors", str(errors))
    return _junit_document(suite)


def render_compare_junit(comparison: Mapping[str, Any]) -> str:
    """JUnit XML for a comparison: one testcase for the whole suite and one per tag, informational (their change,
    interval and p-value in system-out), and one per gate that fails exactly when the gate did, so the XML never
    says failed when the exit code says clean."""
    suite = ElementTree.Element("testsuite", {"name": "aiwell eval compare"})
    rows = [{"tag": "overall", **{k: comparison[k] for k in ("delta", "ci_low", "ci_high", "p_value", "significant")}},
            *[{**row, "p_value": row["p_adjusted"]} for row in comparison["by_tag"]]]
    for row in rows:
        element = ElementTree.SubElement(suite, "testcase", {"classname": "compare", "name": _xml(row["tag"])})
        verdict = "significant" if row["significant"] else "not significant"
        ElementTree.SubElement(element, "system-out").text = _xml(
            f"change {_signed(row['delta'])} ({_signed(row['ci_low'])} to {_signed(row['ci_high'])}), "
            f"p = {row['p_value']:.3g}, {verdict}")
    failures = _junit_gates(suite, comparison, "compare")
    suite.set("tests", str(len(rows) + len(comparison.get("gates") or [])))
    suite.set("failures", str(failures))
    return _junit_document(suite)


_MARKDOWN_CASE_LIMIT = 20


def render_markdown(report: Mapping[str, Any]) -> str:
    """The report as a pull-request comment: summary with both intervals, gate verdicts, errors by cause, usage,
    the flakiest cases. Everything from cases is escaped (no HTML, no Markdown from a case id)."""
    summary = report["summary"]
    level = _pct(summary.get("confidence", 0.95), 0)
    lines = [f"### aiwell eval: {_md(report['suite'])}", ""]
    if summary["pass_rate"] is None:
        lines.append("**Pass rate:** no data (every sample errored; see the errors below)")
    else:
        lines.append(f"**Pass rate {_pct(summary['pass_rate'])}** ({level} CI {_pct(summary['ci_low'])} – "
                     f"{_pct(summary['ci_high'])}, {summary['method']}) over {summary['n_cases']} cases and "
                     f"{summary['n_samples']} samples; {summary['errors']} errored.")
        lines += [f"- {_md(line)}" for line in _interval_lines(summary)]
    usage = _usage_line(report)
    if usage:
        lines.append(f"- {_md(usage)}")
    for gate in report.get("gates") or []:
        lines.append(f"- {'✅' if gate['passed'] else '❌'} **{gate['name']}**: {_md(gate['message'])}")
    errors = _error_lines(report)
    if errors:
        lines += ["", "| errors | kind | first message | cases |", "|---:|---|---|---|"]
        lines += [f"| {count} | {_md(kind)} | {_md(_short(message, 300))} | {_md(cases)} |"
                  for count, kind, message, cases in errors]
    k = _largest_k(report)
    extra = k is not None and k != "1"
    head = f"| case | pass rate | {level} CI | n | errors | label |" + (f" pass@{k} | pass^{k} |" if extra else "")
    lines += ["", head, "|---|---:|---:|---:|---:|---|" + ("---:|---:|" if extra else "")]
    for case in report["cases"][:_MARKDOWN_CASE_LIMIT]:
        row = (f"| {_md(case['id'])} | {_pct(case['pass_rate'])} | {_pct(case['ci_low'])} – "
               f"{_pct(case['ci_high'])} | {case['n']} | {case['errors']} | {case['label'] or 'no data'} |")
        if extra:
            row += f" {_pct(case['pass_at_k'].get(k))} | {_pct(case['pass_hat_k'].get(k))} |"
        lines.append(row)
    if len(report["cases"]) > _MARKDOWN_CASE_LIMIT:
        lines.append(f"\n_{len(report['cases']) - _MARKDOWN_CASE_LIMIT} more cases in the full report._")
    return "\n".join(lines) + "\n"


def render_compare_markdown(comparison: Mapping[str, Any]) -> str:
    """A comparison as a pull-request comment: the paired change, its test, per-tag changes, gate verdicts."""
    level = _pct(comparison["confidence"], 0)
    verdict = "**significant**" if comparison["significant"] else "not significant"
    lines = [
        "### aiwell eval compare", "",
        f"A {_pct(comparison['a']['paired_pass_rate'])} → B {_pct(comparison['b']['paired_pass_rate'])} over "
        f"{comparison['n_pairs']} paired cases: change **{_signed(comparison['delta'])}** ({level} CI "
        f"{_signed(comparison['ci_low'])} to {_signed(comparison['ci_high'])}), p = {comparison['p_value']:.3g} "
        f"({comparison['test']}), {verdict} at α = {comparison['alpha']}.",
    ]
    for gate in comparison.get("gates") or []:
        lines.append(f"- {'✅' if gate['passed'] else '❌'} **{gate['name']}**: {_md(gate['message'])}")
    if comparison["by_tag"]:
        lines += ["", f"| tag | change | {level} CI | p ({comparison['adjustment']}) | n |",
                  "|---|---:|---:|---:|---:|"]
        for row in comparison["by_tag"]:
            lines.append(f"| {_md(row['tag'])} | {_signed(row['delta'])} | {_signed(row['ci_low'])} to "
                         f"{_signed(row['ci_high'])} | {row['p_adjusted']:.3g}{' *' if row['significant'] else ''} "
                         f"| {row['n_pairs']} |")
    return "\n".join(lines) + "\n"


def _environment() -> Any:
    import jinja2

    env = jinja2.Environment(loader=jinja2.PackageLoader("aiwell.eval", "templates"),
                             autoescape=True, undefined=jinja2.StrictUndefined)
    env.filters["pct"] = _pct
    env.filters["signed"] = _signed
    env.filters["visible"] = _visible
    env.globals["interval_lines"] = _interval_lines
    env.globals["usage_line"] = _usage_line
    env.globals["error_lines"] = _error_lines
    return env


def render_html(report: Mapping[str, Any]) -> str:
    """A self-contained HTML page (inline CSS and SVG, no external assets): summary, gates, and every case's pass
    rate drawn with its interval."""
    return str(_environment().get_template("report.html.j2").render(report=report, title=f"aiwell eval: "
                                                                    f"{report['suite']}"))


def render_compare_html(comparison: Mapping[str, Any]) -> str:
    """A self-contained HTML page for a comparison, with a forest plot (SVG) of the overall and per-tag changes."""
    rows = [{"tag": "overall", "delta": comparison["delta"], "ci_low": comparison["ci_low"],
             "ci_high": comparison["ci_high"], "significant": comparison["significant"], "overall": True}]
    rows += [{**row, "overall": False} for row in comparison["by_tag"]]
    return str(_environment().get_template("compare.html.j2").render(
        comparison=comparison, plot=forest_plot(rows), title="aiwell eval compare"))


def forest_plot(rows: Sequence[Mapping[str, Any]], *, width: int = 640, row_height: int = 28,
                label_width: int = 160) -> dict[str, Any]:
    """Geometry of a forest plot: one row per estimate (point and interval) on a shared axis through zero.

    Returned as numbers for the template to draw, so the HTML stays free of scripts."""
    extent = max([0.01, *(abs(float(r[k])) for r in rows for k in ("ci_low", "ci_high") if r[k] is not None)])
    extent = math.ceil(extent * 20) / 20  # round the axis out to the next 5 points
    plot_width = width - label_width - 20

    def x(value: float) -> float:
        return round(label_width + (value + extent) / (2 * extent) * plot_width, 1)

    drawn = [{"tag": r["tag"], "y": 20 + i * row_height, "x": x(r["delta"]), "x_low": x(r["ci_low"]),
              "x_high": x(r["ci_high"]), "significant": bool(r["significant"]), "overall": bool(r["overall"]),
              "text": f"{_signed(r['delta'])} ({_signed(r['ci_low'])} to {_signed(r['ci_high'])})"}
             for i, r in enumerate(rows)]
    ticks = [{"x": x(v), "label": f"{v * 100:+.3g}"} for v in (-extent, -extent / 2, 0.0, extent / 2, extent)]
    return {"width": width, "height": 40 + len(rows) * row_height, "zero": x(0.0), "rows": drawn, "ticks": ticks,
            "axis_y": 20 + len(rows) * row_height - 8}


__all__ = [
    "COMPARE_SCHEMA",
    "COMPARE_SCHEMA_PATH",
    "REPORT_SCHEMA_PATH",
    "SCHEMA",
    "Gate",
    "build_report",
    "compare_reports",
    "cases_needed_for",
    "error_groups",
    "errors_gate",
    "forest_plot",
    "load_report",
    "min_pass_rate_gate",
    "non_inferiority_gate",
    "outcomes_by_case",
    "parse_max_errors",
    "render_compare_html",
    "render_compare_junit",
    "render_compare_markdown",
    "render_compare_terminal",
    "render_html",
    "render_json",
    "render_junit",
    "render_markdown",
    "render_terminal",
    "report_from_log",
    "scorer_metrics",
    "sequential_gate",
]
