"""The report model: AIW000 results for inputs not analysed, counts, and exit codes."""

from __future__ import annotations

import itertools

import pytest
from msgspec.structs import replace

from aiwell.model import (
    AIW000,
    DesignArea,
    InputRecord,
    InputStatus,
    Location,
    Pillar,
    Resource,
    Result,
    RuleInfo,
    Severity,
    Source,
    SourceFormat,
    Status,
    Suppression,
)
from aiwell.report import (
    QuestionnaireSummary,
    SeverityCounts,
    build_report,
    exit_code,
    exit_reason,
    not_analysed_result,
    nothing_checked,
)


def _rule(severity: Severity) -> RuleInfo:
    return RuleInfo(id=f"TST00{severity.rank}", name=f"test-{severity.value}", title="t", severity=severity,
                    pillars=(Pillar.SECURITY,), design_area=DesignArea.APPLICATION_PLATFORM)


def _result(severity: Severity, status: Status, *, suppressed: bool = False) -> Result:
    return Result(rule=_rule(severity), status=status, resource_id=f"/r/{severity.value}/{status.value}",
                  resource_type="t", resource_name="r", message="m", location=Location("main.json", 1),
                  suppression=Suppression(reason="accepted") if suppressed else None)


BROKEN = InputRecord(path="infra/broken.json", format="arm", status=InputStatus.NOT_ANALYSED,
                     reason="invalid JSON: Expecting value (column 1)", line=7)
GOOD = InputRecord(path="infra/main.json", format="arm", status=InputStatus.ANALYSED, resources=3)


def test_one_aiw000_failure_per_input_not_analysed() -> None:
    report = build_report([GOOD, BROKEN], [], [])
    assert report.results == [Result(
        rule=AIW000, status=Status.FAIL, resource_id="infra/broken.json", resource_type="",
        resource_name="infra/broken.json", message="invalid JSON: Expecting value (column 1)",
        location=Location("infra/broken.json", 7), input="infra/broken.json",
    )]
    assert report.not_analysed == [BROKEN]
    assert report.summary.failed == 1
    assert report.summary.not_analysed == 1
    assert report.summary.by_severity[Severity.HIGH] == SeverityCounts(failed=1, unknown=0)
    # A score describes what was analysed: AIW000 is reported, not scored.
    assert report.scores.overall.score is None


def test_aiw000_given_by_the_caller_is_not_doubled() -> None:
    report = build_report([BROKEN], [], [not_analysed_result(BROKEN)])
    assert len(report.results) == 1


def test_same_template_failing_with_two_parameter_files_gives_two_results() -> None:
    other = InputRecord(path=BROKEN.path, format="arm", status=InputStatus.NOT_ANALYSED,
                        reason="copy count 1000000000 is over Azure's limit of 800", parameters="p.json")
    report = build_report([BROKEN, other], [], [])
    assert sorted(r.message for r in report.results) == sorted([BROKEN.reason, other.reason])


def test_summary_counts_every_state() -> None:
    results = [_result(Severity.HIGH, Status.FAIL), _result(Severity.MEDIUM, Status.UNKNOWN),
               _result(Severity.LOW, Status.PASS), _result(Severity.LOW, Status.NOT_APPLICABLE),
               _result(Severity.MEDIUM, Status.FAIL, suppressed=True)]
    report = build_report([GOOD], [], results)
    summary = report.summary
    assert (summary.passed, summary.failed, summary.unknown, summary.suppressed, summary.not_applicable) == (
        1, 1, 1, 1, 1)
    assert list(summary.by_severity) == [Severity.HIGH, Severity.MEDIUM, Severity.LOW]
    assert summary.by_severity[Severity.MEDIUM] == SeverityCounts(failed=0, unknown=1)
    assert len(report.listed_results) == 4
    assert report.tool_version


@pytest.mark.parametrize(("results", "fail_on", "code"), [
    ([], Severity.LOW, 0),
    ([_result(Severity.MEDIUM, Status.FAIL)], Severity.HIGH, 0),
    ([_result(Severity.MEDIUM, Status.FAIL)], Severity.MEDIUM, 1),
    ([_result(Severity.MEDIUM, Status.FAIL)], Severity.LOW, 1),
    ([_result(Severity.HIGH, Status.UNKNOWN)], Severity.LOW, 1),
    ([_result(Severity.MEDIUM, Status.UNKNOWN)], Severity.HIGH, 0),
    ([_result(Severity.HIGH, Status.UNKNOWN, suppressed=True)], Severity.LOW, 0),
    ([_result(Severity.HIGH, Status.FAIL, suppressed=True)], Severity.LOW, 0),
    ([_result(Severity.HIGH, Status.FAIL)], None, 0),
])
def test_exit_code_gates_on_failures_at_or_above_the_level(results: list[Result], fail_on: Severity | None,
                                                           code: int) -> None:
    assert exit_code(build_report([GOOD], [], results), fail_on) == code


def test_unknown_results_gate_unless_allowed() -> None:
    # Never green on nothing: a result that could not be decided gates as a failure of its severity would.
    report = build_report([GOOD], [], [_result(Severity.HIGH, Status.UNKNOWN), _result(Severity.LOW, Status.PASS)])
    code, reason = exit_reason(report, Severity.HIGH)
    assert code == 1
    assert reason == "exit 1: 1 high unknown ≥ --fail-on high (--allow-unknown passes them)"
    allowed = exit_reason(report, Severity.HIGH, allow_unknown=True)
    assert allowed == (0, "exit 0: no finding ≥ --fail-on high; 1 unknown allowed by --allow-unknown")
    assert exit_code(report, Severity.HIGH, allow_unknown=True) == 0
    failing = build_report([GOOD], [], [_result(Severity.HIGH, Status.UNKNOWN), _result(Severity.HIGH, Status.FAIL)])
    assert exit_reason(failing, Severity.HIGH, allow_unknown=True) == (1, "exit 1: 1 high finding ≥ --fail-on high")


def _question(status: Status) -> Result:
    info = RuleInfo(id="Q-GOV-01", name="q", title="q", severity=Severity.HIGH, pillars=(Pillar.SECURITY,),
                    design_area=DesignArea.APPLICATION_PLATFORM)
    return Result(rule=info, status=status, resource_id="", resource_type="", resource_name="", message="m")


_GATING_CASES = {
    "nothing": [],
    "not applicable only": [_result(Severity.HIGH, Status.NOT_APPLICABLE)],
    "passes": [_result(Severity.HIGH, Status.PASS), _result(Severity.LOW, Status.PASS)],
    "a low failure after passes": [_result(Severity.HIGH, Status.PASS), _result(Severity.LOW, Status.FAIL)],
    "a medium unknown": [_result(Severity.MEDIUM, Status.UNKNOWN)],
    "suppressed": [_result(Severity.HIGH, Status.FAIL, suppressed=True),
                   _result(Severity.HIGH, Status.UNKNOWN, suppressed=True)],
    "baselined": [replace(_result(Severity.HIGH, Status.FAIL), baselined=True)],
    "an unknown question": [_question(Status.UNKNOWN)],
    "a failed question": [_question(Status.FAIL)],
}


RESOURCE = Resource.from_arm({"type": "t", "name": "r"}, Source(SourceFormat.ARM, "infra/main.json"),
                             resource_id="/r")


@pytest.mark.parametrize("case", list(_GATING_CASES))
@pytest.mark.parametrize("broken", [False, True])
@pytest.mark.parametrize("unanswered", [0, 2])
@pytest.mark.parametrize("resources", [[], [RESOURCE]])
def test_exit_code_is_the_code_exit_reason_gives(case: str, broken: bool, unanswered: int,
                                                 resources: list[Resource]) -> None:
    # `exit_code` stops at the first result that gates; `exit_reason` counts them all, for its words.
    questionnaire = QuestionnaireSummary(answers_file=None, questions=3, answered=3 - unanswered, inferred=0,
                                         not_applicable=0, unanswered=unanswered)
    report = build_report([GOOD, *([BROKEN] if broken else [])], resources, _GATING_CASES[case],
                          questionnaire=questionnaire)
    for fail_on in (*Severity, None):
        for allow_unknown, allow_unanswered, allow_nothing_checked in itertools.product((False, True), repeat=3):
            options = {"allow_unknown": allow_unknown, "allow_unanswered": allow_unanswered,
                       "allow_nothing_checked": allow_nothing_checked}
            assert exit_code(report, fail_on, **options) == exit_reason(report, fail_on, **options)[0], (
                fail_on, options)


def test_a_review_whose_resources_no_rule_applies_to_gates_unless_allowed() -> None:
    # Never green on nothing: resources were read, but no rule run decided anything about them.
    unchecked = build_report([GOOD], [RESOURCE], [_result(Severity.HIGH, Status.NOT_APPLICABLE)])
    assert nothing_checked(unchecked)
    assert exit_reason(unchecked, Severity.LOW) == (
        1, "exit 1: nothing was checked: no rule run applies to the 1 resource (--allow-nothing-checked passes)")
    assert exit_code(unchecked, Severity.LOW) == 1
    assert exit_reason(unchecked, Severity.HIGH, allow_nothing_checked=True) == (
        0, "exit 0: no finding ≥ --fail-on high; nothing checked in 1 resource, allowed by --allow-nothing-checked")
    assert exit_code(unchecked, None) == 0
    # An input not analysed is no check of the resources that were read: both are said.
    with_broken = build_report([GOOD, BROKEN], [RESOURCE], [])
    assert nothing_checked(with_broken)
    assert exit_reason(with_broken, Severity.HIGH, allow_nothing_checked=True)[1] == (
        "exit 1: 1 input not analysed")
    assert exit_reason(with_broken, Severity.HIGH)[1].endswith("1 input not analysed; nothing was checked: no rule "
                                                               "run applies to the 1 resource (--allow-nothing-"
                                                               "checked passes)")
    # One result decided (an unknown, a suppressed pass, a question) is a check; no resource is nothing to check.
    for decided in (_result(Severity.LOW, Status.UNKNOWN), _result(Severity.LOW, Status.PASS, suppressed=True),
                    _question(Status.UNKNOWN)):
        assert not nothing_checked(build_report([GOOD], [RESOURCE], [decided]))
    assert not nothing_checked(build_report([GOOD], [], [_result(Severity.HIGH, Status.NOT_APPLICABLE)]))
    assert exit_code(build_report([GOOD], [], []), Severity.LOW) == 0


def test_exit_code_gates_on_a_question_left_unknown_only_as_unanswered() -> None:
    report = build_report([GOOD], [], [_question(Status.UNKNOWN)])
    assert exit_code(report, Severity.LOW) == 0
    assert exit_code(build_report([GOOD], [], [_question(Status.FAIL)]), Severity.LOW) == 1


@pytest.mark.parametrize("fail_on", list(Severity))
def test_inputs_not_analysed_count_as_high(fail_on: Severity) -> None:
    assert exit_code(build_report([BROKEN], [], []), fail_on) == 1


def test_results_sorted_rule_by_rule_and_exact_duplicates_dropped() -> None:
    high, low = _rule(Severity.HIGH), _rule(Severity.LOW)

    def result(rule: RuleInfo, resource: str, status: Status = Status.FAIL, message: str = "m") -> Result:
        return Result(rule=rule, status=status, resource_id=resource, resource_type="t", resource_name=resource,
                      message=message)

    # Both rules name the same resources in the same order (as the rule engine gives them); the low one twice.
    given = [result(low, "/b"), result(low, "/A"), result(low, "/c"),
             result(high, "/b"), result(high, "/A"), result(high, "/c"),
             result(low, "/c", Status.PASS, "later"), result(low, "/c", Status.PASS, "later")]
    report = build_report([GOOD], [], given)
    assert [(r.rule.id, r.resource_id, r.message) for r in report.results] == [
        ("TST001", "/A", "m"), ("TST001", "/b", "m"), ("TST001", "/c", "m"), ("TST001", "/c", "later"),
        ("TST003", "/A", "m"), ("TST003", "/b", "m"), ("TST003", "/c", "m")]
