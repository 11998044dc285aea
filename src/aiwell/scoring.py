"""Scores per pillar, per design area and overall.

The formula, for any group of results (a pillar, a design area, or all of them):

    score    = 100 × Σ weight(passed) / Σ weight(passed + failed)
    coverage = 100 × (passed + failed) / (passed + failed + unknown)

where a result's weight is its rule's severity: high 3, medium 2, low 1. Both are rounded to one decimal.

- A score is the severity-weighted share of passes among the results that could be decided. Unknown
  results (a value unresolved or absent from the export) are never counted as passes: they lower the
  coverage, which is reported beside the score so a high score on little evidence is visible.
- A rule in several pillars counts in each of them; the overall score counts each result once.
- `not_applicable` and suppressed results don't count anywhere.
- Results of `AIW000` (an input that could not be analysed) don't count either: a score describes what was
  analysed. Those inputs are reported on their own and fail the run at any `--fail-on` level.
- A group with no passed or failed result has no score (`None`); with no result at all it has no coverage
  either.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from aiwell.model import AIW000, DesignArea, Pillar, Result, Status


@dataclass(frozen=True, slots=True)
class Score:
    """The score of one group of results, with the counts it was computed from."""

    score: float | None
    """0–100, one decimal; None when nothing in the group passed or failed."""
    passed: int
    failed: int
    unknown: int
    coverage: float | None
    """Percentage of the group's results that could be decided; None when the group has no result."""


@dataclass(frozen=True, slots=True)
class Scores:
    """Scores overall, for each pillar asked about (all five unless a review was limited with `--pillar`) and
    each design area, in enum order."""

    overall: Score
    pillars: dict[Pillar, Score]
    design_areas: dict[DesignArea, Score]


class _Tally:
    """Running counts for one group."""

    __slots__ = ("failed", "passed", "unknown", "weight_failed", "weight_passed")

    def __init__(self) -> None:
        self.passed = self.failed = self.unknown = 0
        self.weight_passed = self.weight_failed = 0

    def add(self, result: Result) -> None:
        weight = result.rule.severity.weight
        if result.status is Status.PASS:
            self.passed += 1
            self.weight_passed += weight
        elif result.status is Status.FAIL:
            self.failed += 1
            self.weight_failed += weight
        else:
            self.unknown += 1

    def score(self) -> Score:
        decided = self.passed + self.failed
        total = decided + self.unknown
        weighted = self.weight_passed + self.weight_failed
        return Score(
            score=round(100 * self.weight_passed / weighted, 1) if weighted else None,
            passed=self.passed,
            failed=self.failed,
            unknown=self.unknown,
            coverage=round(100 * decided / total, 1) if total else None,
        )


def counts_in_score(result: Result) -> bool:
    """Whether a result counts in scores: pass, fail or unknown, not suppressed, not `AIW000`."""
    return (
        result.status in (Status.PASS, Status.FAIL, Status.UNKNOWN)
        and result.suppression is None
        and result.rule.id != AIW000.id
    )


def score_results(results: Iterable[Result], *, pillars: Iterable[Pillar] | None = None) -> Scores:
    """Compute the scores of a review's results (see the module docstring for the formula).

    `pillars` limits the pillar scores to those pillars (default: all five); the overall and design-area scores
    count every result given.
    """
    overall = _Tally()
    chosen = set(Pillar if pillars is None else pillars)
    tallies = {pillar: _Tally() for pillar in Pillar if pillar in chosen}
    areas = {area: _Tally() for area in DesignArea}
    for result in results:
        if not counts_in_score(result):
            continue
        overall.add(result)
        areas[result.rule.design_area].add(result)
        for pillar in set(result.rule.pillars):
            tally = tallies.get(pillar)
            if tally is not None:
                tally.add(result)
    return Scores(
        overall=overall.score(),
        pillars={pillar: tally.score() for pillar, tally in tallies.items()},
        design_areas={area: tally.score() for area, tally in areas.items()},
    )


__all__ = ["Score", "Scores", "counts_in_score", "score_results"]
