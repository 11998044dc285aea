"""Scores: severity-weighted share of passes among pass+fail; unknowns as coverage."""

from __future__ import annotations

import pytest
from msgspec.structs import replace

from aiwell.model import (
    AIW000,
    DesignArea,
    Location,
    Pillar,
    Result,
    RuleInfo,
    Severity,
    Status,
    Suppression,
)
from aiwell.scoring import Score, counts_in_score, rule_runs, score_results

SEC, REL = Pillar.SECURITY, Pillar.RELIABILITY


def _rule(rule_id: str, severity: Severity, *pillars: Pillar,
          area: DesignArea = DesignArea.APPLICATION_PLATFORM) -> RuleInfo:
    return RuleInfo(id=rule_id, name=rule_id.lower(), title=rule_id, severity=severity, pillars=pillars,
                    design_area=area)


def _result(rule: RuleInfo, status: Status, resource: str = "r", *,
            suppression: Suppression | None = None) -> Result:
    return Result(rule=rule, status=status, resource_id=resource, resource_type="t", resource_name=resource,
                  message="", location=Location("f.json", 1), suppression=suppression)


HIGH = _rule("AAA001", Severity.HIGH, SEC)
MEDIUM = _rule("AAA002", Severity.MEDIUM, SEC)
LOW = _rule("AAA003", Severity.LOW, SEC)


def test_weighted_share_of_passes() -> None:
    # passes: high (3) + low (1) = 4; fails: medium (2) → 4 / 6 = 66.7
    scores = score_results([_result(HIGH, Status.PASS), _result(LOW, Status.PASS),
                            _result(MEDIUM, Status.FAIL)])
    assert scores.pillars[SEC] == Score(score=66.7, passed=2, failed=1, unknown=0, coverage=100.0)
    assert scores.overall == scores.pillars[SEC]


def test_unknowns_lower_coverage_never_the_score() -> None:
    scores = score_results([_result(HIGH, Status.PASS), _result(HIGH, Status.FAIL, "b"),
                            _result(HIGH, Status.UNKNOWN, "c"), _result(LOW, Status.UNKNOWN, "d")])
    assert scores.pillars[SEC] == Score(score=50.0, passed=1, failed=1, unknown=2, coverage=50.0)


def test_only_unknowns_give_no_score_and_zero_coverage() -> None:
    scores = score_results([_result(HIGH, Status.UNKNOWN)])
    assert scores.pillars[SEC] == Score(score=None, passed=0, failed=0, unknown=1, coverage=0.0)


def test_groups_without_results_have_neither_score_nor_coverage() -> None:
    scores = score_results([_result(HIGH, Status.PASS)])
    assert list(scores.pillars) == list(Pillar)
    assert list(scores.design_areas) == list(DesignArea)
    assert scores.pillars[REL] == Score(score=None, passed=0, failed=0, unknown=0, coverage=None)
    assert scores.design_areas[DesignArea.TESTING].coverage is None


def test_a_rule_in_two_pillars_counts_in_each_and_once_overall() -> None:
    both = _rule("AAA004", Severity.MEDIUM, SEC, REL, area=DesignArea.OPERATIONS)
    scores = score_results([_result(both, Status.FAIL), _result(HIGH, Status.PASS)])
    assert scores.pillars[SEC] == Score(score=60.0, passed=1, failed=1, unknown=0, coverage=100.0)
    assert scores.pillars[REL] == Score(score=0.0, passed=0, failed=1, unknown=0, coverage=100.0)
    assert (scores.overall.passed, scores.overall.failed, scores.overall.score) == (1, 1, 60.0)
    assert scores.design_areas[DesignArea.OPERATIONS].failed == 1
    assert scores.design_areas[DesignArea.APPLICATION_PLATFORM].passed == 1


@pytest.mark.parametrize("left_out", [
    _result(HIGH, Status.NOT_APPLICABLE),
    _result(HIGH, Status.FAIL, suppression=Suppression(reason="accepted risk", owner="team")),
    Result(rule=AIW000, status=Status.FAIL, resource_id="broken.json", resource_type="",
           resource_name="broken.json", message="invalid JSON"),
], ids=["not_applicable", "suppressed", "AIW000"])
def test_results_that_do_not_count(left_out: Result) -> None:
    assert not counts_in_score(left_out)
    scores = score_results([_result(LOW, Status.PASS), left_out])
    assert scores.overall == Score(score=100.0, passed=1, failed=0, unknown=0, coverage=100.0)
    assert scores.pillars[Pillar.OPERATIONAL_EXCELLENCE].coverage is None


def test_rounding_to_one_decimal() -> None:
    # 3 / (3 + 3 + 1) = 42.857… → 42.9; coverage 3 / 7 → 42.9 too
    results = [_result(HIGH, Status.PASS), _result(HIGH, Status.FAIL, "b"), _result(LOW, Status.FAIL, "c")]
    results += [_result(LOW, Status.UNKNOWN, f"u{i}") for i in range(4)]
    scores = score_results(results)
    assert scores.overall.score == 42.9
    assert scores.overall.coverage == 42.9


def test_no_results_at_all() -> None:
    scores = score_results([])
    assert scores.overall == Score(score=None, passed=0, failed=0, unknown=0, coverage=None)


def test_rule_runs_count_each_run_of_one_rule_as_the_results_say() -> None:
    suppression = Suppression(reason="accepted risk")
    plain = [_result(HIGH, Status.PASS, "a"), _result(HIGH, Status.FAIL, "b"), _result(HIGH, Status.UNKNOWN, "c"),
             _result(HIGH, Status.NOT_APPLICABLE, "d"), _result(HIGH, Status.FAIL, "e")]
    marked = [_result(LOW, Status.FAIL, "a", suppression=suppression),
              _result(LOW, Status.NOT_APPLICABLE, "b", suppression=suppression),
              replace(_result(LOW, Status.FAIL, "c"), baselined=True), _result(LOW, Status.UNKNOWN, "d")]
    later = [_result(HIGH, Status.PASS, "f")]
    first, second, third = rule_runs([*plain, *marked, *later])
    assert (first.rule, list(first.results), first.failures) == (HIGH, plain, [plain[1], plain[4]])
    assert (first.passed, first.failed, first.unknown, first.not_applicable, first.suppressed, first.baselined) \
        == (1, 2, 1, 1, 0, 0)
    assert (second.rule, second.failures) == (LOW, [marked[2]])
    assert (second.passed, second.failed, second.unknown, second.not_applicable, second.suppressed,
            second.baselined) == (0, 1, 1, 1, 1, 1)
    assert (third.rule, third.passed, third.answered) == (HIGH, 1, False)
