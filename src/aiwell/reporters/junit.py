"""JUnit XML, for the test tabs of Azure DevOps (PublishTestResults, `testResultsFormat: JUnit`) and GitLab
(`artifacts:reports:junit`).

One `testsuite` per rule that gave a listed result, one `testcase` per (rule, resource): `classname` is the rule
id, `name` the resource, `file` and `line` where it is declared. A failure is a `<failure>` with its message and
severity; an unknown is `<skipped>` with the reason it can't be decided; a suppressed result is `<skipped>` with its
suppression's reason and owner; a failure recorded in the findings baseline fails only when it is new
(`<skipped>` saying "in the baseline" otherwise), so the test tab agrees with the exit code. Inputs not analysed
are failing test cases of `AIW000`.

Text from the input has characters XML 1.0 can't hold shown as escapes (`reporters._text.visible`); the rest is
escaped by ElementTree.
"""

from __future__ import annotations

from collections import defaultdict
from xml.etree import ElementTree

from aiwell.model import Result, Status, display_text
from aiwell.report import Report
from aiwell.reporters._text import one_line, visible


def _where(result: Result) -> str:
    location = result.location
    if location is None:
        return ""
    return location.file if location.line is None else f"{location.file}:{location.line}"


def _case(suite: ElementTree.Element, result: Result) -> str:
    """Add the test case of one result; return its outcome (passed, failure, skipped)."""
    name = display_text(result.resource_name) or display_text(result.resource_id)
    attributes = {"classname": result.rule.id, "name": one_line(name), "time": "0"}
    if result.location is not None and result.location.file:
        attributes["file"] = one_line(result.location.file)
        if result.location.line:
            attributes["line"] = str(result.location.line)
    case = ElementTree.SubElement(suite, "testcase", attributes)
    message = one_line(display_text(result.message))
    where = _where(result)
    detail = "\n".join(part for part in (
        f"{result.rule.id} {result.rule.name} ({result.rule.severity.value}): {result.rule.title}",
        f"resource: {display_text(result.resource_id)}",
        f"input: {result.input}" if result.input else "",
        f"at: {where}" if where else "",
        display_text(result.message),
    ) if part)
    suppression = result.suppression
    if suppression is not None:
        owner = f" (owner {suppression.owner})" if suppression.owner else ""
        expires = f", until {suppression.expires}" if suppression.expires else ""
        ElementTree.SubElement(case, "skipped", {
            "message": one_line(f"suppressed: {suppression.reason}{owner}{expires} [{suppression.source}]")})
        outcome = "skipped"
    elif result.status is Status.FAIL and result.baselined:
        ElementTree.SubElement(case, "skipped", {"message": one_line(f"in the findings baseline: {message}")})
        outcome = "skipped"
    elif result.status is Status.FAIL:
        failure = ElementTree.SubElement(case, "failure", {"message": message or result.rule.title,
                                                           "type": result.rule.severity.value})
        failure.text = visible(detail)
        outcome = "failure"
    elif result.status is Status.UNKNOWN:
        ElementTree.SubElement(case, "skipped", {"message": one_line(f"unknown: {message}")})
        outcome = "skipped"
    else:
        outcome = "passed"
    ElementTree.SubElement(case, "system-out").text = visible(detail)
    return outcome


def render_junit(report: Report) -> str:
    """The report as a JUnit XML document (UTF-8 declaration, two-space indent, final newline)."""
    by_rule: dict[str, list[Result]] = defaultdict(list)
    for result in report.listed_results:
        by_rule[result.rule.id].append(result)
    root = ElementTree.Element("testsuites", {"name": "aiwell review"})
    totals: defaultdict[str, int] = defaultdict(int)
    for rule_id in sorted(by_rule):
        results = by_rule[rule_id]
        rule = results[0].rule
        suite = ElementTree.SubElement(root, "testsuite", {"name": f"{rule.id} {rule.name}", "time": "0"})
        properties = ElementTree.SubElement(suite, "properties")
        for key, value in (("title", rule.title), ("severity", rule.severity.value),
                           ("pillars", ",".join(pillar.value for pillar in rule.pillars)),
                           ("design_area", rule.design_area.value)):
            ElementTree.SubElement(properties, "property", {"name": key, "value": value})
        counts: defaultdict[str, int] = defaultdict(int)
        for result in results:
            counts[_case(suite, result)] += 1
        suite.set("tests", str(len(results)))
        suite.set("failures", str(counts["failure"]))
        suite.set("errors", "0")
        suite.set("skipped", str(counts["skipped"]))
        for key in ("failure", "skipped"):
            totals[key] += counts[key]
        totals["tests"] += len(results)
    root.set("tests", str(totals["tests"]))
    root.set("failures", str(totals["failure"]))
    root.set("errors", "0")
    root.set("skipped", str(totals["skipped"]))
    ElementTree.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ElementTree.tostring(root, encoding="unicode") + "\n"


__all__ = ["render_junit"]
