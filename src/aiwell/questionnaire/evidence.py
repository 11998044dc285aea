"""Pre-filling answers from evidence aiwell already has: the reviewed IaC and the JSON reports of `aiwell eval`
(`aiwell.eval/1`), `aiwell size` (`aiwell.size/1`) and `aiwell data` (`aiwell.data/1`).

Every pre-filled answer is an `Answer` with `inferred` set to the evidence in words; it never overrides a person's
answer, and reports show it as inferred. Inferences are conservative: they claim what the evidence shows (an eval
suite with repeats and a gate exists) and no more (not that it runs in the release pipeline). The review engine
never imports `eval`, `sizing` or `data`: their reports are read as JSON, by their documented keys.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from msgspec import Struct

from aiwell.errors import UsageError
from aiwell.model import Resource, SourceFormat, Unresolved
from aiwell.questionnaire.answers import Answer
from aiwell.questionnaire.catalog import QuestionCatalog

EVIDENCE_SCHEMAS = ("aiwell.eval/1", "aiwell.size/1", "aiwell.data/1")

_IAC_FORMATS = {SourceFormat.ARM, SourceFormat.BICEP, SourceFormat.TERRAFORM, SourceFormat.TERRAFORM_PLAN}
_AI_TYPES = ("microsoft.cognitiveservices/accounts", "microsoft.machinelearningservices/workspaces",
             "microsoft.search/searchservices")


class EvidenceError(UsageError):
    """An evidence file that is not an aiwell eval, size or data report."""


class EvidenceReport(Struct, frozen=True):
    """One JSON report given as evidence."""

    path: str
    schema: str
    document: Mapping[str, Any]


def load_evidence(path: Path) -> EvidenceReport:
    """Read an `aiwell eval`, `aiwell size` or `aiwell data` JSON report."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise EvidenceError(f"{path}: no such evidence file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise EvidenceError(f"{path}: can't read the evidence file: {exc}") from None
    except json.JSONDecodeError as exc:
        raise EvidenceError(f"{path}:{exc.lineno}: not valid JSON: {exc.msg}") from None
    schema = document.get("schema") if isinstance(document, dict) else None
    if schema not in EVIDENCE_SCHEMAS:
        raise EvidenceError(f"{path}: not an aiwell eval, size or data report (schema {schema!r})",
                            hint="Give the JSON report of `aiwell eval run`, `aiwell size` or `aiwell data "
                                 "profile` (--format json): " + ", ".join(EVIDENCE_SCHEMAS) + ".")
    return EvidenceReport(str(path), str(schema), document)


def _dict(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


_Inferences = dict[str, tuple[tuple[str, ...], str]]


# -- from the reviewed resources --------------------------------------------------------------------------


def _from_resources(resources: Sequence[Resource], found: _Inferences) -> None:
    from_iac = [r for r in resources if r.source.format in _IAC_FORMATS]
    ai = [r for r in from_iac if r.type_lower in _AI_TYPES]
    if ai:
        files = sorted({r.source.file for r in ai})
        shown = ", ".join(files[:3]) + (f" and {len(files) - 3} more" if len(files) > 3 else "")
        found["Q-MLO-03"] = (("defined",), f"{len(ai)} AI resource(s) are defined as code in {shown}; whether "
                                           "every change goes through a pipeline can't be seen")
    deployments = [r for r in resources if r.type_lower == "microsoft.cognitiveservices/accounts/deployments"]
    if deployments:
        named = [d for d in deployments if isinstance(d.get("properties.raiPolicyName"), str)
                 and str(d.get("properties.raiPolicyName")).strip()]
        unresolved = [d for d in deployments if isinstance(d.get("properties.raiPolicyName"), Unresolved)]
        detail = (f"{len(named)} of {len(deployments)} model deployment(s) name a content-filter policy"
                  + (f", {len(unresolved)} unresolved" if unresolved else "")
                  + "; the others get the default filter. Checks beyond the model's filter can't be seen")
        found["Q-RAI-06"] = (("model-filter",), detail)
    if any(r.type_lower == "microsoft.consumption/budgets" for r in resources):
        found["Q-OPS-03"] = (("defined",), "a cost budget (Microsoft.Consumption/budgets) is defined; whether "
                                           "utilization is reviewed can't be seen")


# -- from aiwell eval reports -----------------------------------------------------------------------------

_SECURITY_TAGS = {
    "jailbreak": ("jailbreak", "prompt-injection", "injection", "prompt_injection"),
    "content-safety": ("content-safety", "safety", "harm", "harmful", "content_safety"),
    "red-team": ("red-team", "redteam", "red_team"),
}


def _from_eval(report: EvidenceReport, found: _Inferences) -> None:
    document = report.document
    summary = _dict(document.get("summary"))
    cases = _list(document.get("cases"))
    n_cases = int(_number(summary.get("n_cases")) or len(cases))
    repeats = int(_number(summary.get("repeats")) or 1)
    gates = [g for g in _list(document.get("gates")) if isinstance(g, dict)]
    where = f"aiwell eval report {report.path}"
    if n_cases:
        statistical = n_cases >= 30 and repeats >= 2 and bool(gates)
        found["Q-TE-01"] = (("statistical" if statistical else "small-set",),
                            f"{where}: {n_cases} cases × {repeats} repeat(s), {len(gates)} gate(s)")
        size = "validated-100" if n_cases >= 100 else "under-100" if n_cases >= 50 else "under-50"
        found["Q-TE-02"] = ((size,), f"{where}: {n_cases} cases (whether people wrote or validated them can't "
                                     "be seen: check)")
    metrics = [m for m in _list(document.get("metrics")) if isinstance(m, dict)]
    metric_names = sorted({str(m.get("name")) for m in metrics})
    if gates:
        found["Q-TE-03"] = (("several" if len(metric_names) >= 2 else "one",),
                            f"{where}: gates on {', '.join(str(g.get('name')) for g in gates)}; "
                            f"{len(metric_names)} assertion type(s): {', '.join(metric_names) or 'none listed'}")
        found["Q-MLO-04"] = (("defined",), f"{where}: an evaluation gate exists; whether the release pipeline "
                                           "runs it can't be seen")
    tags = {str(tag).lower() for case in cases if isinstance(case, dict) for tag in _list(case.get("tags"))}
    practices = tuple(practice for practice, names in _SECURITY_TAGS.items() if tags & set(names))
    if practices:
        named = sorted(tags & {name for names in _SECURITY_TAGS.values() for name in names})
        found["Q-TE-05"] = (practices, f"{where}: cases tagged {', '.join(named)}")
    tool_scorers = sorted({str(m.get("name")) for m in metrics
                           if m.get("group") == "tools" or "tool" in str(m.get("name", "")).lower()})
    if tool_scorers:
        found["Q-TE-04"] = (("yes",), f"{where}: tool-call scorers ({', '.join(tool_scorers)})")
    if isinstance(document.get("baseline"), dict):
        found["Q-TE-09"] = (("defined",), f"{where}: compared with a baseline run")


# -- from aiwell size reports -----------------------------------------------------------------------------


def _from_size(report: EvidenceReport, found: _Inferences) -> None:
    document = report.document
    regimes = {str(document.get("regime"))}
    if document.get("regime") == "plan":
        regimes |= {str(item.get("regime")) for item in _list(document.get("items")) if isinstance(item, dict)}
    where = f"aiwell size report {report.path}"
    inference = sorted(regimes & {"ptu", "inference", "rag"})
    if inference:
        found["Q-AP-01"] = (("estimated",), f"{where}: {', '.join(inference)} sizing (an estimate, not a load test)")
    if "training" in regimes:
        found["Q-AP-02"] = (("estimated",), f"{where}: training sizing (an estimate, not a benchmark)")
    if "ptu" in regimes:
        found["Q-AP-08"] = (("decided-once",), f"{where}: provisioned throughput sized against pay-as-you-go")
    if "rag" in regimes:
        found.setdefault("Q-DD-01", (("estimate",), f"{where}: the index size was estimated"))
    if document.get("regime") == "plan" and "monthly_cost" in _dict(document.get("estimates")):
        found["Q-AD-14"] = (("ad-hoc",), f"{where}: a priced plan covers the sized parts of the workload")


# -- from aiwell data reports -----------------------------------------------------------------------------

_FACET_QUESTIONS: Mapping[str, tuple[str, str, str]] = {
    # facet: (question, choice when the facet passed, choice when it failed)
    "types": ("Q-DD-02", "defined", "ad-hoc"),
    "origins": ("Q-DD-03", "defined", "ad-hoc"),
    "preparation": ("Q-DD-05", "defined", "ad-hoc"),
    "freshness": ("Q-DD-06", "measured", "target"),
    "balance": ("Q-DD-07", "defined", "ad-hoc"),
    "leakage": ("Q-DD-19", "defined", "ad-hoc"),
    "sensitivity": ("Q-RAI-07", "defined", "ad-hoc"),
    "drift": ("Q-TE-08", "ad-hoc", "ad-hoc"),
}


def _from_data(report: EvidenceReport, found: _Inferences) -> None:
    facets = _dict(_dict(report.document.get("scores")).get("facets"))
    where = f"aiwell data report {report.path}"

    def measured(name: str) -> tuple[bool, bool] | None:
        """(measured, passed) of a facet; None when it shows nothing either way: not measured, or nothing failed
        but some checks could not be decided (`unknown`: no datasheet, a column or file missing), which is not
        a pass (docs/data.md, "The data report as evidence")."""
        facet = _dict(facets.get(name))
        if not facet.get("measured"):
            return None
        failed = int(_number(facet.get("failed")) or 0)
        unknown = int(_number(facet.get("unknown")) or 0)
        if not failed and unknown:
            return None
        return True, failed == 0

    if measured("volume") is not None:
        found["Q-DD-01"] = (("measured",), f"{where}: volume measured (a forecast can't be seen)")
    for facet, (question_id, good_choice, bad_choice) in _FACET_QUESTIONS.items():
        outcome = measured(facet)
        if outcome is None:
            continue
        passed = outcome[1]
        found[question_id] = ((good_choice if passed else bad_choice,),
                              f"{where}: the {facet} checks {'passed' if passed else 'failed'}")
    sensitivity = measured("sensitivity")
    if sensitivity is not None and not sensitivity[1]:
        found["Q-DD-04"] = (("ad-hoc",), f"{where}: personal data was found by the sensitivity checks")


_READERS: Mapping[str, Callable[[EvidenceReport, _Inferences], None]] = {
    "aiwell.eval/1": _from_eval,
    "aiwell.size/1": _from_size,
    "aiwell.data/1": _from_data,
}


def infer_answers(catalog: QuestionCatalog, *, resources: Sequence[Resource] = (),
                  reports: Iterable[EvidenceReport] = ()) -> dict[str, Answer]:
    """The answers the evidence supports, by question id, each marked `inferred` with its evidence.

    Where several pieces of evidence answer one question, the one that earns the most credit is kept.
    """
    best: dict[str, Answer] = {}

    def keep(found: _Inferences) -> None:
        for question_id, (choices, evidence) in found.items():
            question = catalog.get(question_id)
            if question is None or not all(question.choice(c) for c in choices):
                continue
            candidate = Answer(question_id, choices, inferred=evidence)
            previous = best.get(question_id)
            if previous is None or question.credit(choices) > question.credit(previous.choices or ()):
                best[question_id] = candidate

    from_resources: _Inferences = {}
    _from_resources(resources, from_resources)
    keep(from_resources)
    for report in reports:
        found: _Inferences = {}
        _READERS[report.schema](report, found)
        keep(found)
    return best


__all__ = ["EVIDENCE_SCHEMAS", "EvidenceError", "EvidenceReport", "infer_answers", "load_evidence"]
