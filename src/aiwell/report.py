"""The report of one review: inputs, resources, results, scores and a summary, ready for any reporter."""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from operator import attrgetter, is_, not_
from typing import TYPE_CHECKING

from msgspec import Struct, field

from aiwell import __version__
from aiwell.errors import ExitCode
from aiwell.model import (
    AIW000,
    InputRecord,
    InputStatus,
    Location,
    Pillar,
    Resource,
    Result,
    Severity,
    Status,
    display_text,
)
from aiwell.priorities import DEFAULT_PILLAR_WEIGHTS, TOP_ACTIONS, Remedy, TopAction, top_actions, top_actions_of
from aiwell.scoring import RuleRun, Scores, rule_runs, score_runs
from aiwell.workload import Archetype

if TYPE_CHECKING:
    from aiwell.rules import Rule


class SeverityCounts(Struct, frozen=True):
    """Failed and unknown results of one severity (suppressed ones left out)."""

    failed: int
    unknown: int


class Summary(Struct, frozen=True):
    """Counts over all results. Suppressed results count only in `suppressed`."""

    passed: int
    failed: int
    """Includes one `AIW000` failure per input not analysed."""
    unknown: int
    suppressed: int
    not_applicable: int
    not_analysed: int
    """Inputs that could not be analysed."""
    partial: int
    """Deployments (distinct `input` labels) of which part was not reviewed (`InputRecord.unreviewed`)."""
    by_severity: dict[Severity, SeverityCounts]
    """Every severity, high first."""
    baselined: int = 0
    """Failures recorded in the findings baseline (counted in `failed` too: they still fail, but don't gate)."""


class QuestionnaireSummary(Struct, frozen=True):
    """How the questionnaire took part in a review: the answers file and how many questions were answered."""

    answers_file: str | None
    questions: int
    answered: int
    """By a person (in the answers file, without an `inferred` mark)."""
    inferred: int
    """Pre-filled from evidence and not confirmed by a person."""
    not_applicable: int
    unanswered: int
    evidence: tuple[str, ...] = ()
    """The eval, size and data reports read as evidence."""


class Report(Struct, frozen=True):
    """Everything a reporter shows, in a stable order.

    `results` holds every result, `not_applicable` ones included (they are counted, not listed), sorted by
    rule id, then resource id, then input; the `AIW000` results of inputs not analysed are among them. Every
    result carries its `input`, the label its deployment's records carry too (`InputRecord.input`), and names
    its resource by the same `resource_id` its resource's `id` is written with (`display_text`).
    """

    tool_version: str
    inputs: list[InputRecord]
    resources: list[Resource]
    results: list[Result]
    scores: Scores
    summary: Summary
    workload: tuple[Archetype, ...] = ()
    """The workload's archetypes (`rag-chat`, `agent`, ...), each with its evidence."""
    top_actions: tuple[TopAction, ...] = ()
    """The changes that raise the score most, best first, each with its remediation."""
    questionnaire: QuestionnaireSummary | None = None
    """Set when the review merged questionnaire answers (`--answers`, `--evidence`)."""
    pillar_weights: Mapping[Pillar, float] = field(default_factory=lambda: dict(DEFAULT_PILLAR_WEIGHTS))
    """How much each pillar weighs in results' `weight` and the top actions' order (`pillar_weights` setting)."""
    pillars: tuple[Pillar, ...] = tuple(Pillar)
    """The pillars the review was asked about (`--pillar`), in enum order: reporters show only these."""
    rules: Mapping[str, Rule] = field(default_factory=dict)
    """The rules the review ran, by id, with their documentation (rationale, remediation snippets, references) for
    the reporters that show it (SARIF, HTML, Markdown). A result whose rule is not here is shown from its
    `RuleInfo` alone."""
    warnings: tuple[str, ...] = ()
    """What the run's governance has to say: an expired suppression, one that matches nothing, a rule selected
    that the pinned rule set does not hold. Printed, and carried in every format."""
    rule_set: str = "latest"
    """The catalog version the review ran (`rule_set` in the configuration)."""
    environment: str | None = None
    """The environment the review was told it is about (`environment` in the configuration), if any."""

    @property
    def input_labels(self) -> list[str]:
        """The distinct deployments of the review (`InputRecord.input`), in input order."""
        return list(dict.fromkeys(record.input for record in self.inputs))

    @property
    def partial_inputs(self) -> dict[str, list[str]]:
        """Each deployment part of which was not reviewed, with those parts (registry modules not on disk,
        linked templates not fetched), in input order."""
        partial: dict[str, list[str]] = {}
        for record in self.inputs:
            if record.unreviewed:
                parts = partial.setdefault(record.input, [])
                parts.extend(part for part in record.unreviewed if part not in parts)
        return partial

    @property
    def listed_results(self) -> list[Result]:
        """The results reporters list: pass, fail and unknown (not `not_applicable`)."""
        return [r for r in self.results if r.status is not Status.NOT_APPLICABLE]

    @property
    def not_analysed(self) -> list[InputRecord]:
        """The inputs that could not be analysed."""
        return [i for i in self.inputs if i.status is InputStatus.NOT_ANALYSED]


def not_analysed_result(record: InputRecord) -> Result:
    """The failing `AIW000` result for an input that could not be analysed."""
    return Result(
        rule=AIW000,
        status=Status.FAIL,
        resource_id=record.path,
        resource_type="",
        resource_name=record.path,
        message=record.reason or "the input could not be analysed",
        location=Location(record.path, record.line),
        input=record.input,
    )


def _subject_key(named: tuple[str, str, str]) -> tuple[str, str, str]:
    """The part of a result's sort key that names its resource: id and name (lower case), input."""
    resource_id, name, label = named
    # display_text: a value typed as text may still arrive unresolved; ordering must not crash on it.
    return display_text(resource_id).lower(), display_text(name).lower(), label


def _location_key(location: Location | None) -> tuple[str, int]:
    return (location.file, location.line or 0) if location else ("", 0)


_RULE, _RULE_ID, _RESOURCE_ID, _RESOURCE_NAME, _INPUT, _STATUS, _SUPPRESSION, _BASELINED, _SEVERITY = (
    attrgetter(name) for name in ("rule", "rule.id", "resource_id", "resource_name", "input", "status", "suppression",
                                  "baselined", "rule.severity"))

_Subjects = tuple[list[str], list[str], list[str]]
"""The resource ids, names and inputs of one rule's results, in their order."""


def _ordered(results: list[Result]) -> list[Result]:
    """`results` sorted by rule id, resource id and name (lower case), input, status, message, file and line,
    with exact duplicates dropped (the first kept).

    Each rule's results are ordered by their resources' part of the key alone when no two share it (the rule
    engine gives one result per rule and resource: then no two can be equal either), else by the whole key, and
    of equal results the first is kept. Rules run on resources of the same types name the same resources in the
    same order: the order worked out for one rule's resources serves every rule whose resources are equal, one
    by one, to those."""
    if len(results) < 2:
        return list(results)
    by_rule: dict[str, list[Result]] = {}
    for rule_id, run in itertools.groupby(results, key=_RULE_ID):
        by_rule.setdefault(rule_id, []).extend(run)
    orders: dict[int, list[tuple[_Subjects, list[int] | None, list[tuple[str, str, str]]]]] = {}
    ordered: list[Result] = []
    for rule_id in sorted(by_rule):
        members = by_rule[rule_id]
        subjects = (list(map(_RESOURCE_ID, members)), list(map(_RESOURCE_NAME, members)),
                    list(map(_INPUT, members)))
        known = orders.setdefault(len(members), [])
        # Lists compare item by item, the same object first: a rule on the same resources costs three C loops.
        found = next((kept for kept in known if kept[0] == subjects), None)
        if found is None:
            keys = list(map(_subject_key, zip(*subjects, strict=True)))
            order = sorted(range(len(members)), key=keys.__getitem__) if len(set(keys)) == len(keys) else None
            found = (subjects, order, keys)
            known.append(found)
        _, order, keys = found
        if order is not None:
            ordered.extend(map(members.__getitem__, order))
        else:
            ordered.extend(_ordered_by_key(members, keys))
    return ordered


def _ordered_by_key(results: list[Result], subjects: Sequence[tuple[str, str, str]]) -> list[Result]:
    """One rule's `results` sorted by their resource's key (in `subjects`, by position), then status, message and
    location, equal ones dropped (the first kept)."""
    keys = [(subject, result.status,
             message if (message := result.message).__class__ is str else display_text(message),
             _location_key(result.location))
            for subject, result in zip(subjects, results, strict=True)]
    kept: list[Result] = []
    alike: list[Result] = []  # the results kept so far with the key of the one before
    previous: object = None
    for position in sorted(range(len(results)), key=keys.__getitem__):
        result, key = results[position], keys[position]
        if key != previous:
            previous, alike = key, []
        elif result in alike:
            continue
        alike.append(result)
        kept.append(result)
    return kept


def _resource_order(resource: Resource) -> tuple[str, int, str, str, str]:
    source = resource.source
    return (source.file, source.line or 0, display_text(resource.id).lower(), resource.type.lower(), source.input)


def _summarise(runs: Sequence[RuleRun], inputs: list[InputRecord]) -> Summary:
    partial = {record.input for record in inputs if record.unreviewed}
    by_severity = {severity: [0, 0] for severity in sorted(Severity, key=lambda s: -s.rank)}
    for run in runs:
        counts = by_severity[run.rule.severity]
        counts[0] += run.failed
        counts[1] += run.unknown
    return Summary(
        passed=sum(run.passed for run in runs),
        failed=sum(run.failed for run in runs),
        unknown=sum(run.unknown for run in runs),
        suppressed=sum(run.suppressed for run in runs),
        not_applicable=sum(run.not_applicable for run in runs),
        not_analysed=sum(1 for i in inputs if i.status is InputStatus.NOT_ANALYSED),
        partial=len(partial),
        by_severity={s: SeverityCounts(failed=f, unknown=u) for s, (f, u) in by_severity.items()},
        baselined=sum(run.baselined for run in runs),
    )


def build_report(inputs: Iterable[InputRecord], resources: Iterable[Resource], results: Iterable[Result], *,
                 tool_version: str = __version__, pillars: Iterable[Pillar] | None = None,
                 rules: Iterable[Rule] = (), warnings: Iterable[str] = (), rule_set: str = "latest",
                 environment: str | None = None,
                 workload: Iterable[Archetype] = (), remedies: Mapping[str, Remedy] | None = None,
                 questionnaire: QuestionnaireSummary | None = None, actions: int | None = None,
                 pillar_weights: Mapping[Pillar, float] | None = None) -> Report:
    """Assemble the report: add one `AIW000` failure per input not analysed, drop exact duplicates, sort, score
    and count.

    `results` are the rule engine's (and the questionnaire's), `not_applicable` included (with their
    suppressions and baseline marks applied). An `AIW000` result already among them for the same input and
    reason is not added twice. `pillars` (default: all) are the pillars the review was asked about; scores are
    given for those only. `rules` are the rules that ran (their documentation serves the reporters), `warnings`
    what governance had to say, `rule_set` and `environment` the run's context. `remedies` gives each rule's and
    question's fix for the top actions; `actions` is how many to keep (default `priorities.TOP_ACTIONS`).
    `pillar_weights` (default 1.0 each) weigh the pillars in each result's weight and the top actions' order.
    """
    input_list = sorted(dict.fromkeys(inputs), key=lambda i: (i.path, i.parameters or "", i.input,
                                                              i.address or "", i.reason))
    all_results = list(results)
    not_analysed = [record for record in input_list if record.status is InputStatus.NOT_ANALYSED]
    # Looked for only when an input was not analysed: it takes a pass over every result.
    reported = {(r.resource_id, r.input, r.message) for r in all_results if r.rule.id == AIW000.id} \
        if not_analysed else set()
    for record in not_analysed:
        failure = not_analysed_result(record)
        if (failure.resource_id, failure.input, failure.message) not in reported:
            all_results.append(failure)
            reported.add((failure.resource_id, failure.input, failure.message))
    all_results = _ordered(all_results)
    chosen = tuple(pillar for pillar in Pillar if pillars is None or pillar in set(pillars))
    resource_list = sorted(resources, key=_resource_order)
    weights = {**DEFAULT_PILLAR_WEIGHTS, **(pillar_weights or {})}
    # Counted once, for the top actions, the scores and the summary alike.
    runs = rule_runs(all_results)
    ranked = top_actions_of(runs, remedies=remedies or {}, resources=resource_list, weights=weights,
                            limit=TOP_ACTIONS if actions is None else actions)
    return Report(
        tool_version=tool_version,
        inputs=input_list,
        resources=resource_list,
        results=all_results,
        scores=score_runs(runs, pillars=chosen),
        summary=_summarise(runs, input_list),
        pillars=chosen,
        rules={rule.id: rule for rule in sorted(rules, key=lambda rule: rule.id)},
        warnings=tuple(dict.fromkeys(warnings)),
        rule_set=rule_set,
        environment=environment,
        workload=tuple(workload),
        top_actions=ranked,
        questionnaire=questionnaire,
        pillar_weights=weights,
    )


_DECIDED = frozenset({Status.PASS, Status.FAIL, Status.UNKNOWN})


def nothing_checked(report: Report) -> bool:
    """Whether the review read resources but no rule it ran (nor a question) applies to any of them: every result
    is `not_applicable`, or is an `AIW000` record of an input not analysed. Such a review proves nothing, and it
    gates (`exit_code`); a review of inputs that hold no resource at all has nothing to check, and does not."""
    if not report.resources:
        return False
    return not any(result.status in _DECIDED and result.rule.id != AIW000.id for result in report.results)


def nothing_checked_reason(report: Report) -> str:
    """Why a review that checked nothing (`nothing_checked`) gates, in words."""
    count = len(report.resources)
    return f"nothing was checked: no rule run applies to the {count} resource{'s' if count != 1 else ''}"


def exit_code(report: Report, fail_on: Severity | None, *, allow_unknown: bool = False,
              allow_unanswered: bool = False, allow_nothing_checked: bool = False) -> int:
    """The exit code of a review (DESIGN.md §1.6): 1 when a failure at or above `fail_on` is found, else 0.

    Inputs not analysed count as high failures. A result that could not be decided (`unknown`) at or above
    `fail_on` gates as a failure does, unless `allow_unknown`: nothing is green because it was not checked.
    Questions left unanswered when the review merged the questionnaire gate too (unless `allow_unanswered`): a
    review asked to cover the process is not clean while part of it is unknown. A review that checked nothing
    (`nothing_checked`: no rule run applies to its resources) gates too, unless `allow_nothing_checked`.
    Suppressed results and results in the findings baseline never gate. `fail_on=None` never fails.
    """
    if fail_on is None:
        return int(ExitCode.CLEAN)
    questionnaire = report.questionnaire
    if questionnaire is not None and questionnaire.unanswered and not allow_unanswered:
        return int(ExitCode.FINDINGS)
    # The code alone (`exit_reason` without its words): the first result that gates is enough to tell.
    failing = (Status.FAIL,)
    gating = failing if allow_unknown else (Status.FAIL, Status.UNKNOWN)
    for rule, run in itertools.groupby(report.results, key=_RULE):
        if rule.severity.rank >= fail_on.rank:
            statuses = failing if rule.id.startswith("Q-") else gating  # unanswered questions gate above
            for result in run:
                if result.status in statuses and result.suppression is None and not result.baselined:
                    return int(ExitCode.FINDINGS)
    if not allow_nothing_checked and nothing_checked(report):
        return int(ExitCode.FINDINGS)
    return int(ExitCode.CLEAN)


def gating_failures(report: Report, fail_on: Severity) -> list[Result]:
    """The failures that gate at `fail_on`: not suppressed, not in the baseline, at or above the severity
    (`AIW000` results of inputs not analysed among them, as high)."""
    return _gating(report, Status.FAIL, fail_on)


def gating_unknowns(report: Report, fail_on: Severity) -> list[Result]:
    """The results that could not be decided and gate at `fail_on` (unless the run allows unknowns): not
    suppressed, not in the baseline, at or above the severity."""
    return _gating(report, Status.UNKNOWN, fail_on)


def _gating(report: Report, status: Status, fail_on: Severity) -> list[Result]:
    severities = tuple(severity for severity in Severity if severity.rank >= fail_on.rank)
    gating: list[Result] = []
    # Rule by rule: the results of a rule below `fail_on` are passed over without a look at each.
    for rule, run in itertools.groupby(report.results, key=_RULE):
        if rule.severity in severities:
            # In C loops: those with the status, then of those the ones neither suppressed nor baselined.
            members = list(run)
            found = list(itertools.compress(members, map(is_, map(_STATUS, members),
                                                         itertools.repeat(status))))
            found = list(itertools.compress(found, map(is_, map(_SUPPRESSION, found),
                                                       itertools.repeat(None))))
            gating.extend(itertools.compress(found, map(not_, map(_BASELINED, found))))
    return gating


def _by_severity(results: Sequence[Result], fail_on: Severity) -> str:
    """`2 high, 1 medium`: how many of `results` have each severity at or above `fail_on`."""
    severities = [severity for severity in sorted(Severity, key=lambda s: -s.rank) if severity.rank >= fail_on.rank]
    found = Counter(map(_SEVERITY, results))
    return ", ".join(f"{found[severity]} {severity.value}" for severity in severities if found[severity])


def exit_reason(report: Report, fail_on: Severity | None, *, allow_unknown: bool = False,
                allow_unanswered: bool = False, allow_nothing_checked: bool = False) -> tuple[int, str]:
    """The exit code of a review and why, in words (`exit 1: 5 high findings ≥ --fail-on high`), as `exit_code`
    gives it. Unanswered questions (`Q-` results left unknown) gate by `allow_unanswered`, not by
    `allow_unknown`."""
    if fail_on is None:
        return int(ExitCode.CLEAN), "exit 0: --fail-on none never fails"
    gating = gating_failures(report, fail_on)
    not_analysed = [result for result in gating if result.rule.id == AIW000.id]
    findings = [result for result in gating if result.rule.id != AIW000.id]
    unknowns = [result for result in gating_unknowns(report, fail_on) if not result.rule.id.startswith("Q-")]
    questionnaire = report.questionnaire
    unanswered = questionnaire.unanswered if questionnaire is not None and not allow_unanswered else 0
    unchecked = nothing_checked(report)
    if not gating and (allow_unknown or not unknowns) and not unanswered and (allow_nothing_checked or not unchecked):
        baselined = f"; {report.summary.baselined} in the baseline" if report.summary.baselined else ""
        allowed = (f"; {len(unknowns)} unknown allowed by --allow-unknown" if unknowns else "")
        if questionnaire is not None and questionnaire.unanswered and allow_unanswered:
            left = questionnaire.unanswered
            allowed += f"; {left} question{'s' if left != 1 else ''} unanswered, allowed by --allow-unanswered"
        if unchecked:
            count = len(report.resources)
            allowed += f"; nothing checked in {count} resource{'s' if count != 1 else ''}, allowed by " \
                       "--allow-nothing-checked"
        return int(ExitCode.CLEAN), f"exit 0: no finding ≥ --fail-on {fail_on.value}{baselined}{allowed}"
    new = " new" if report.summary.baselined else ""
    parts = []
    if findings:
        noun = "finding" if len(findings) == 1 else "findings"
        parts.append(f"{_by_severity(findings, fail_on)}{new} {noun} ≥ --fail-on {fail_on.value}")
    if not_analysed:
        parts.append(f"{len(not_analysed)} input{'s' if len(not_analysed) != 1 else ''} not analysed")
    if unknowns and not allow_unknown:
        parts.append(f"{_by_severity(unknowns, fail_on)}{new} unknown ≥ --fail-on {fail_on.value} "
                     "(--allow-unknown passes them)")
    if unanswered:
        parts.append(f"{unanswered} question{'s' if unanswered != 1 else ''} unanswered (--allow-unanswered "
                     "passes them)")
    if unchecked and not allow_nothing_checked:
        parts.append(f"{nothing_checked_reason(report)} (--allow-nothing-checked passes)")
    return int(ExitCode.FINDINGS), "exit 1: " + "; ".join(parts)


__all__ = [
    "QuestionnaireSummary",
    "Report",
    "SeverityCounts",
    "Summary",
    "TopAction",
    "build_report",
    "display_text",
    "exit_code",
    "exit_reason",
    "gating_failures",
    "gating_unknowns",
    "not_analysed_result",
    "nothing_checked",
    "nothing_checked_reason",
    "top_actions",
]
