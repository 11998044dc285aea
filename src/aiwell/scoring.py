"""Scores per pillar, per design area and overall.

The formula, for any group of results (a pillar, a design area, or all of them):

    score    = 100 × Σ weight × credit / Σ weight          over the passed and failed results
    coverage = 100 × (passed + failed) / (passed + failed + unknown)

where a result's weight is its rule's (or question's) severity: high 3, medium 2, low 1, and its credit is 1 for a
pass and 0 for a failure, except for a questionnaire answer, which earns its choice's score (0-1: a
"defined and documented" answer on the maturity scale earns 0.67 whether it passes or fails). Both are rounded to
one decimal.

- A score is the severity-weighted share of passes among the results that could be decided. Unknown
  results (a value unresolved or absent from the export) are never counted as passes: they lower the
  coverage, which is reported beside the score so a high score on little evidence is visible.
- A rule in several pillars counts in each of them; the overall score counts each result once.
- `not_applicable` and suppressed results don't count anywhere.
- Results of `AIW000` (an input that could not be analysed) don't count either: a score describes what was
  analysed. Those inputs are reported on their own and fail the run at any `--fail-on` level.
- A group with no passed or failed result has no score (`None`); with no result at all it has no coverage
  either. Each score says which results it was decided from (`decided_by_severity`), so a design area scored
  from a single low-severity result is shown as such, not as a bare 0 or 100.
"""

from __future__ import annotations

import itertools
import operator
from collections.abc import Iterable, Sequence
from operator import attrgetter

from msgspec import Struct

from aiwell.model import AIW000, DesignArea, Pillar, Result, RuleInfo, Severity, Status


class Score(Struct, frozen=True):
    """The score of one group of results, with the counts it was computed from."""

    score: float | None
    """0–100, one decimal; None when nothing in the group passed or failed."""
    passed: int
    failed: int
    unknown: int
    coverage: float | None
    """Percentage of the group's results that could be decided; None when the group has no result."""
    decided_by_severity: dict[Severity, int] | None = None
    """How many passed and failed results of each severity the score was computed from (high first). Not part of
    the score's identity (equality and hash): it tells how the score came about."""

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not Score:
            return NotImplemented
        assert isinstance(other, Score)
        return self._identity() == other._identity()

    def __hash__(self) -> int:
        return hash(self._identity())

    def _identity(self) -> tuple[float | None, int, int, int, float | None]:
        return self.score, self.passed, self.failed, self.unknown, self.coverage

    @property
    def thin(self) -> bool:
        """Whether the score rests on little evidence: at most two decided results, none of high severity."""
        decided = self.decided_by_severity or {}
        return 0 < sum(decided.values()) <= 2 and not decided.get(Severity.HIGH)

    def basis(self) -> str:
        """The results the score was decided from, in words (`1 low-severity result`)."""
        decided = {severity: count for severity, count in (self.decided_by_severity or {}).items() if count}
        total = sum(decided.values())
        if not total:
            return "no decided result"
        parts = [f"{count} {severity.value}" for severity, count in decided.items()]
        noun = "result" if total == 1 else "results"
        if len(parts) == 1:
            return f"{parts[0]}-severity {noun}"
        return f"{total} {noun} ({', '.join(parts)})"


class Scores(Struct, frozen=True):
    """Scores overall, for each pillar asked about (all five unless a review was limited with `--pillar`) and
    each design area, in enum order."""

    overall: Score
    pillars: dict[Pillar, Score]
    design_areas: dict[DesignArea, Score]


class _Tally:
    """Running counts for one group."""

    __slots__ = ("by_severity", "earned", "failed", "passed", "unknown", "weight")

    def __init__(self) -> None:
        self.passed = self.failed = self.unknown = 0
        self.earned = 0.0
        self.weight = 0
        self.by_severity = {severity: 0 for severity in sorted(Severity, key=lambda s: -s.rank)}

    def add(self, result: Result, count: int = 1) -> None:
        """Count `result` (`count` times: results of one rule with one status, none a questionnaire answer)."""
        if result.status not in (Status.PASS, Status.FAIL):
            self.unknown += count
            return
        weight = result.rule.severity.weight
        if result.status is Status.PASS:
            self.passed += count
        else:
            self.failed += count
        self.weight += weight * count
        self.earned += weight * credit(result) * count
        self.by_severity[result.rule.severity] += count

    def score(self) -> Score:
        decided = self.passed + self.failed
        total = decided + self.unknown
        return Score(
            score=round(100 * self.earned / self.weight, 1) if self.weight else None,
            passed=self.passed,
            failed=self.failed,
            unknown=self.unknown,
            coverage=round(100 * decided / total, 1) if total else None,
            decided_by_severity=dict(self.by_severity),
        )


def credit(result: Result) -> float:
    """The share of its weight a decided result earns: a questionnaire answer's credit, else 1 (pass) or 0."""
    if result.answer is not None:
        return result.answer.credit
    return 1.0 if result.status is Status.PASS else 0.0


def counts_in_score(result: Result) -> bool:
    """Whether a result counts in scores: pass, fail or unknown, not suppressed, not `AIW000`."""
    return (
        result.status in (Status.PASS, Status.FAIL, Status.UNKNOWN)
        and result.suppression is None
        and result.rule.id != AIW000.id
    )


class RuleRun(Struct, frozen=True):
    """A run of consecutive results of one rule, with the counts that scores, top actions and the report's
    summary read, so that a review's results are gone through once for all three."""

    rule: RuleInfo
    results: Sequence[Result]
    passed: int
    failed: int
    unknown: int
    """Of the results not suppressed (`not_applicable` ones aside)."""
    not_applicable: int
    """Suppressed or not."""
    suppressed: int
    """Pass, fail or unknown results that a suppression applies to."""
    baselined: int
    """Of the pass, fail and unknown results not suppressed, those in the findings baseline."""
    failures: Sequence[Result]
    """The failures not suppressed, in order."""
    answered: bool
    """Whether a result carries a questionnaire answer (whose credit may be a fraction)."""


_RULE, _STATUS, _SUPPRESSION, _ANSWER, _BASELINED = (
    attrgetter(name) for name in ("rule", "status", "suppression", "answer", "baselined"))


def rule_runs(results: Iterable[Result]) -> list[RuleRun]:
    """`results` cut into runs of consecutive results of one rule, in order, each with its counts."""
    runs = []
    for rule, group in itertools.groupby(results, key=_RULE):
        run = list(group)
        size = len(run)
        statuses = list(map(_STATUS, run))
        if (list(map(_SUPPRESSION, run)).count(None) == size and list(map(_ANSWER, run)).count(None) == size
                and not any(map(_BASELINED, run))):
            # Nothing suppressed, baselined or answered (the rule engine's results): counted in C loops.
            failed = statuses.count(Status.FAIL)
            runs.append(RuleRun(
                rule, run, statuses.count(Status.PASS), failed, statuses.count(Status.UNKNOWN),
                statuses.count(Status.NOT_APPLICABLE), 0, 0,
                list(itertools.compress(run, map(operator.is_, statuses, itertools.repeat(Status.FAIL))))
                if failed else [], False))
            continue
        counts = dict.fromkeys(Status, 0)
        suppressed = baselined = 0
        failures = []
        for result in run:
            status = result.status
            if status is Status.NOT_APPLICABLE:
                counts[status] += 1
            elif result.suppression is not None:
                suppressed += 1
            else:
                counts[status] += 1
                baselined += result.baselined
                if status is Status.FAIL:
                    failures.append(result)
        runs.append(RuleRun(rule, run, counts[Status.PASS], counts[Status.FAIL], counts[Status.UNKNOWN],
                            counts[Status.NOT_APPLICABLE], suppressed, baselined, failures,
                            any(result.answer is not None for result in run)))
    return runs


def score_results(results: Iterable[Result], *, pillars: Iterable[Pillar] | None = None) -> Scores:
    """Compute the scores of a review's results (see the module docstring for the formula).

    `pillars` limits the pillar scores to those pillars (default: all five); the overall and design-area scores
    count every result given.
    """
    return score_runs(rule_runs(results), pillars=pillars)


def score_runs(runs: Sequence[RuleRun], *, pillars: Iterable[Pillar] | None = None) -> Scores:
    """`score_results` of the results `runs` (`rule_runs`) were cut from."""
    overall = _Tally()
    chosen = set(Pillar if pillars is None else pillars)
    tallies = {pillar: _Tally() for pillar in Pillar if pillar in chosen}
    areas = {area: _Tally() for area in DesignArea}
    counted = [run for run in runs if run.rule.id != AIW000.id]
    groups: list[tuple[Result, int]]
    if any(run.answered for run in counted):
        # A questionnaire answer earns a fraction: sums of fractions depend on their order, so each result is
        # added in turn (`counts_in_score`, spelled out).
        groups = [(result, 1) for run in counted for result in run.results
                  if result.status is not Status.NOT_APPLICABLE and result.suppression is None]
    else:
        # Every credit is 0 or 1, so the sums are whole numbers and any order gives the same: each rule's
        # results of one status are added at once, as one of them counted that many times.
        groups = []
        for run in counted:
            for status, count in ((Status.PASS, run.passed), (Status.FAIL, run.failed),
                                  (Status.UNKNOWN, run.unknown)):
                if count:
                    groups.append((Result(run.rule, status, "", "", "", ""), count))
    for result, count in groups:
        overall.add(result, count)
        areas[result.rule.design_area].add(result, count)
        for pillar in set(result.rule.pillars):
            tally = tallies.get(pillar)
            if tally is not None:
                tally.add(result, count)
    return Scores(
        overall=overall.score(),
        pillars={pillar: tally.score() for pillar, tally in tallies.items()},
        design_areas={area: tally.score() for area, tally in areas.items()},
    )


__all__ = ["RuleRun", "Score", "Scores", "counts_in_score", "credit", "rule_runs", "score_results", "score_runs"]
