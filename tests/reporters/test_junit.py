"""JUnit XML: one test case per rule and resource, failures, unknowns and suppressions as skipped with the
reason, counts that agree, always well-formed XML (hostile text included)."""

from __future__ import annotations

from xml.etree import ElementTree

from aiwell.report import Report
from aiwell.reporters import render_junit
from golden_files import REGEN, assert_golden


def test_matches_golden() -> None:
    assert_golden("report.junit.xml")


def test_cases_outcomes_and_counts() -> None:
    report = REGEN.sample_report(governed=True)
    root = ElementTree.fromstring(render_junit(report))
    cases = root.findall("testsuite/testcase")
    listed = report.listed_results
    assert len(cases) == len(listed) == int(root.get("tests", "0"))
    assert {(case.get("classname"), case.get("name")) for case in cases} == {
        (r.rule.id, r.resource_name) for r in listed}
    failures = [case for case in cases if case.find("failure") is not None]
    skipped = {case.get("classname"): case.find("skipped").get("message", "")  # type: ignore[union-attr]
               for case in cases if case.find("skipped") is not None}
    # Failures: every unsuppressed failure not in the baseline (AIW000 included).
    assert len(failures) == int(root.get("failures", "0")) == sum(
        1 for r in listed if r.status.value == "fail" and r.suppression is None and not r.baselined)
    assert skipped["MLC003"] == "unknown: properties: the export carries no properties for this resource"
    assert skipped["AIS003"].startswith("suppressed: identity comes with the platform move in Q1 (owner "
                                        "platform-team), until 2027-03-31")
    assert skipped["STG003"].startswith("in the findings baseline:")
    search = next(case for case in cases if case.get("classname") == "SRC003")
    assert (search.get("file"), search.get("line")) == ("exports/resource-graph.json", "44")
    assert search.find("failure").get("type") == "high"  # type: ignore[union-attr]
    for suite in root.findall("testsuite"):
        assert int(suite.get("tests", "0")) == len(suite.findall("testcase"))


def test_hostile_text_stays_well_formed_xml(hostile_report: Report) -> None:
    text = render_junit(hostile_report)
    root = ElementTree.fromstring(text.encode("utf-8"))
    assert not any(char in text for char in ("\x1b", "\x00", "\x07", "\u202e"))
    names = {case.get("name") for case in root.iter("testcase")}
    assert "<img src=x onerror=alert(1)>" in names
    assert '"><script>alert(1)</script>' in names
