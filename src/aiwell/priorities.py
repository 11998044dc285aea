"""What to fix first: each result's priority, weight and Well-Architected code, and the ranked top actions.

Every result carries, as Microsoft's Well-Architected assessment exports do:

- `priority`: `High`, `Medium` or `Low`, the rule's (or question's) severity;
- `weight` (0-100): `round(base × pillar weight)`, with base 100 for high, 65 for medium and 32 for low
  severity (the bands Microsoft's report scripts read: 66 and above high, 33-65 medium, 32 and below low), and
  the highest weight among the rule's pillars (1.0 each unless `pillar_weights` says otherwise);
- `waf_code`: the first Well-Architected recommendation code of the rule's `waf` metadata (`SE:05`), where one
  maps.

A **top action** is fixing every failure of one rule (or improving one questionnaire answer to a good one). Actions
are ranked by severity, then pillar weight, then the number of resources they fix, then the points they add to
the overall score; each carries its remediation in the language of the failing resources (the Bicep, Terraform
or ARM snippet of the rule's documentation; a question's guidance).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from operator import attrgetter

from msgspec import Struct

from aiwell.model import AIW000, Pillar, Resource, Result, RuleInfo, Severity, SourceFormat
from aiwell.scoring import RuleRun, credit, rule_runs

PRIORITIES = {Severity.HIGH: "High", Severity.MEDIUM: "Medium", Severity.LOW: "Low"}
SEVERITY_BASE = {Severity.HIGH: 100, Severity.MEDIUM: 65, Severity.LOW: 32}
DEFAULT_PILLAR_WEIGHTS: Mapping[Pillar, float] = dict.fromkeys(Pillar, 1.0)
TOP_ACTIONS = 5
"""How many top actions a report lists by default."""

_SNIPPET_FOR_FORMAT = {SourceFormat.ARM: "arm", SourceFormat.BICEP: "bicep", SourceFormat.TERRAFORM: "terraform",
                       SourceFormat.TERRAFORM_PLAN: "terraform", SourceFormat.INVENTORY: "arm"}
"""Which `use_instead` snippet fits a resource's source: an inventory's fix is shown as ARM, the shape it exports."""


def priority(info: RuleInfo) -> str:
    """`High`, `Medium` or `Low`."""
    return PRIORITIES[info.severity]


def pillar_weight(info: RuleInfo, weights: Mapping[Pillar, float] = DEFAULT_PILLAR_WEIGHTS) -> float:
    """The highest weight among the rule's pillars."""
    return max((weights.get(pillar, 1.0) for pillar in info.pillars), default=1.0)


def weight(info: RuleInfo, weights: Mapping[Pillar, float] = DEFAULT_PILLAR_WEIGHTS) -> int:
    """The result's weight, 0-100 (see the module docstring)."""
    return max(0, min(100, round(SEVERITY_BASE[info.severity] * pillar_weight(info, weights))))


def waf_code(info: RuleInfo) -> str | None:
    """The main Well-Architected recommendation code of the rule, or None where none maps."""
    return info.waf[0] if info.waf else None


class Remedy(Struct, frozen=True):
    """How to fix one rule's failures: snippets by format (`arm`, `bicep`, `terraform`) or text."""

    snippets: Mapping[str, str]
    text: str = ""


class TopAction(Struct, frozen=True):
    """One change that raises the score: fixing every failure of one rule, or answering one question well."""

    rule: RuleInfo
    resources: tuple[str, ...]
    """The ids of the resources that fail the rule (none for a question), in report order."""
    gain: float
    """Points the overall score rises by when the action is done (one decimal)."""
    priority: str
    weight: int
    pillar_weight: float
    remediation: str
    """The fix: a snippet in the failing resources' format, or a question's guidance."""
    remediation_format: str
    """`arm`, `bicep`, `terraform` or `text`."""
    message: str = ""
    """For a question: the answer given and the good one."""


_RESOURCE_ID = attrgetter("resource_id")


def _format_of(results: list[Result], sources: Mapping[str, SourceFormat]) -> str:
    formats = Counter(_SNIPPET_FOR_FORMAT.get(sources.get(r.resource_id, SourceFormat.ARM), "arm") for r in results)
    return formats.most_common(1)[0][0] if formats else "arm"


def top_actions(results: Iterable[Result], *, remedies: Mapping[str, Remedy], resources: Iterable[Resource] = (),
                weights: Mapping[Pillar, float] = DEFAULT_PILLAR_WEIGHTS,
                limit: int | None = TOP_ACTIONS) -> tuple[TopAction, ...]:
    """The actions that raise the overall score, best first (see the module docstring); `limit=None`: all.

    Only failures that count in the score take part (not suppressed, not `AIW000`). `remedies` gives each rule's
    or question's fix by id; `resources` tell which format each failing resource was written in.
    """
    return top_actions_of(rule_runs(results), remedies=remedies, resources=resources, weights=weights, limit=limit)


def top_actions_of(runs: Sequence[RuleRun], *, remedies: Mapping[str, Remedy], resources: Iterable[Resource] = (),
                   weights: Mapping[Pillar, float] = DEFAULT_PILLAR_WEIGHTS,
                   limit: int | None = TOP_ACTIONS) -> tuple[TopAction, ...]:
    """`top_actions` of the results `runs` (`scoring.rule_runs`) were cut from."""
    counted = [run for run in runs if run.rule.id != AIW000.id]
    total_weight = sum(run.rule.severity.weight * (run.passed + run.failed) for run in counted)
    failing: dict[str, list[RuleRun]] = {}
    for run in counted:
        if run.failures:
            failing.setdefault(run.rule.id, []).append(run)
    ranked = []
    for failing_runs in failing.values():
        failures = [result for run in failing_runs for result in run.failures]
        info = failures[0].rule
        if any(run.answered for run in failing_runs):
            lost = sum(r.rule.severity.weight * (1 - credit(r)) for r in failures)
        else:  # each failure loses its whole weight, its run's rule's
            lost = float(sum(run.rule.severity.weight * len(run.failures) for run in failing_runs))
        gain = round(100 * lost / total_weight, 1) if total_weight else 0.0
        fixed = dict.fromkeys(map(_RESOURCE_ID, failures))
        fixed.pop("", None)  # a failure on no resource (a question) fixes none
        ranked.append((-info.severity.rank, -pillar_weight(info, weights), -len(fixed), -gain, info.id, failures,
                       fixed, gain))
    # Ranked before the remediation of each is worked out: only the actions kept need it.
    ranked.sort(key=lambda action: action[:5])
    sources = {r.id if isinstance(r.id, str) else r.id.expression: r.source.format for r in resources}
    actions = []
    for *_, failures, fixed, gain in ranked if limit is None else ranked[:limit]:
        info = failures[0].rule
        remedy = remedies.get(info.id, Remedy({}))
        is_question = failures[0].answer is not None
        fmt = _format_of(failures, sources)
        if not is_question and remedy.snippets.get(fmt):
            remediation, remediation_format = remedy.snippets[fmt], fmt
        else:
            remediation, remediation_format = remedy.text, "text"
        actions.append(TopAction(
            rule=info,
            resources=tuple(fixed),
            gain=gain,
            priority=priority(info),
            weight=weight(info, weights),
            pillar_weight=pillar_weight(info, weights),
            remediation=remediation,
            remediation_format=remediation_format,
            message=failures[0].message if is_question else "",
        ))
    return tuple(actions)


__all__ = [
    "DEFAULT_PILLAR_WEIGHTS",
    "PRIORITIES",
    "SEVERITY_BASE",
    "TOP_ACTIONS",
    "Remedy",
    "TopAction",
    "pillar_weight",
    "priority",
    "top_actions",
    "top_actions_of",
    "waf_code",
    "weight",
]
