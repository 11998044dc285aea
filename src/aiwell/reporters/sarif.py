"""SARIF 2.1.0 (OASIS), for GitHub code scanning and every other SARIF viewer.

- One run; `tool.driver.rules` holds one `reportingDescriptor` per rule the review ran (and any other a result
  names): title, what it checks, full help as text and Markdown (why, the fix in ARM, Bicep and Terraform,
  references), `helpUri` (the Well-Architected guidance), default level from the severity, pillars and design area
  as tags, and GitHub's `security-severity` for security rules.
- Results are the failures (`kind: fail`; level `error` for high, `warning` for medium, `note` for low) and the
  unknowns (`kind: review`, level `note`: a person has to look). Passes are counted in the run's properties.
- Locations: the file and line for infrastructure as code (relative to the working directory, as GitHub expects
  paths relative to the repository root) and the resource id as a logical location; an inventory result points at
  its row in the export and names the resource id the same way.
- `partialFingerprints["aiwell/v1"]` is the finding's stable fingerprint (`aiwell.baseline`); a failure recorded
  in the findings baseline has `baselineState: unchanged`, any other `new` when a baseline was used.
- A suppressed result carries a SARIF `suppressions` entry (`external` for the suppressions file, `inSource` for an
  inline comment or ARM metadata) with its reason as justification, so viewers show it as dismissed.
- Inputs that could not be analysed are failures of `AIW000` and `toolExecutionNotifications`; governance warnings
  (an expired suppression) are `toolConfigurationNotifications`.
- Text from the input has control characters shown as escapes (`reporters._text.visible`).
- GitHub rejects a run of more than 25,000 results: beyond `max_results`, the least severe are left out and a
  notification says how many.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import orjson

from aiwell.baseline import FINGERPRINT_KEY, fingerprints, inventory_inputs
from aiwell.model import AIW000, Pillar, Result, Severity, Status, display_text
from aiwell.report import Report
from aiwell.reporters._rules import RuleHelp, report_rules
from aiwell.reporters._text import visible
from aiwell.suppressions import EXTERNAL_SOURCE

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA_URI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
INFORMATION_URI = "https://learn.microsoft.com/azure/well-architected/ai/"
GITHUB_MAX_RESULTS = 25_000

_LEVEL = {Severity.HIGH: "error", Severity.MEDIUM: "warning", Severity.LOW: "note"}
_SECURITY_SEVERITY = {Severity.HIGH: "8.0", Severity.MEDIUM: "5.5", Severity.LOW: "3.0"}
"""GitHub's scale: 7.0 and over is high, 4.0 to 6.9 medium, 0.1 to 3.9 low."""


def _uri(path: str) -> str:
    """A file path as a URI reference: relative paths stay relative (to `%SRCROOT%`), absolute ones become file
    URIs; every character a URI can't hold is percent-encoded."""
    posix = path.replace("\\", "/")
    encoded = quote(posix.encode("utf-8", "surrogatepass"), safe="/-._~")
    if posix.startswith("/"):
        return "file://" + encoded
    if len(posix) > 2 and posix[1] == ":" and posix[0].isalpha():
        return "file:///" + posix[:2] + quote(posix[2:].encode("utf-8", "surrogatepass"), safe="/-._~")
    return encoded


def _descriptor(rule: RuleHelp) -> dict[str, Any]:
    info = rule.info
    tags = [pillar.value for pillar in info.pillars] + [info.design_area.value]
    properties: dict[str, Any] = {"tags": tags, "precision": "high", "severity": info.severity.value,
                                  "pillars": [pillar.value for pillar in info.pillars],
                                  "design_area": info.design_area.value}
    if Pillar.SECURITY in info.pillars:
        # The pillar tag doubles as GitHub's "security" tag, which its severity scale needs.
        properties["security-severity"] = _SECURITY_SEVERITY[info.severity]
    descriptor: dict[str, Any] = {
        "id": info.id,
        "name": info.name,
        "shortDescription": {"text": info.title},
        "fullDescription": {"text": rule.what or info.title},
        "help": {"text": rule.text(), "markdown": rule.markdown()},
        "defaultConfiguration": {"level": _LEVEL[info.severity]},
        "properties": properties,
    }
    if rule.help_uri:
        descriptor["helpUri"] = rule.help_uri
    return descriptor


def _locations(result: Result) -> list[dict[str, Any]]:
    location: dict[str, Any] = {}
    if result.location is not None and result.location.file:
        physical: dict[str, Any] = {"artifactLocation": {"uri": _uri(result.location.file)}}
        if not physical["artifactLocation"]["uri"].startswith("file:"):
            physical["artifactLocation"]["uriBaseId"] = "%SRCROOT%"
        if result.location.line:
            physical["region"] = {"startLine": result.location.line}
        location["physicalLocation"] = physical
    resource_id = visible(display_text(result.resource_id))
    if result.rule.id != AIW000.id and resource_id:
        logical: dict[str, Any] = {"fullyQualifiedName": resource_id, "kind": "resource"}
        name = visible(display_text(result.resource_name))
        if name:
            logical["name"] = name
        location["logicalLocations"] = [logical]
    return [location] if location else []


def _result(result: Result, index: int, print_: str, *, with_baseline: bool) -> dict[str, Any]:
    failed = result.status is Status.FAIL
    entry: dict[str, Any] = {
        "ruleId": result.rule.id,
        "ruleIndex": index,
        "kind": "fail" if failed else "review",
        "level": _LEVEL[result.rule.severity] if failed else "note",
        "message": {"text": visible(display_text(result.message)) or result.rule.title},
        "locations": _locations(result),
        "partialFingerprints": {FINGERPRINT_KEY: print_},
        "properties": {"status": result.status.value, "severity": result.rule.severity.value,
                       "input": visible(result.input), "resource_type": visible(display_text(result.resource_type))},
    }
    if with_baseline and failed:
        entry["baselineState"] = "unchanged" if result.baselined else "new"
    suppression = result.suppression
    if suppression is not None:
        entry["suppressions"] = [{
            "kind": "external" if suppression.source.startswith(EXTERNAL_SOURCE) else "inSource",
            "status": "accepted",
            "justification": visible(suppression.reason),
            "properties": {"owner": visible(suppression.owner or ""), "expires": suppression.expires or "",
                           "source": visible(suppression.source)},
        }]
    return entry


def _notification(text: str, level: str, *, file: str | None = None, line: int | None = None) -> dict[str, Any]:
    notification: dict[str, Any] = {"level": level, "message": {"text": visible(text)}}
    if file:
        physical: dict[str, Any] = {"artifactLocation": {"uri": _uri(file)}}
        if line:
            physical["region"] = {"startLine": line}
        notification["locations"] = [{"physicalLocation": physical}]
    return notification


def sarif_document(report: Report, *, baseline_used: bool = False,
                   max_results: int = GITHUB_MAX_RESULTS) -> dict[str, Any]:
    """The report as a SARIF 2.1.0 log (a JSON-ready dict). `baseline_used` sets `baselineState` on failures."""
    rules = report_rules(report)
    index = {rule.info.id: position for position, rule in enumerate(rules)}
    shown = [result for result in report.results if result.status in (Status.FAIL, Status.UNKNOWN)]
    # Most severe first when something must be left out: failures, then by severity.
    shown.sort(key=lambda r: (r.status is not Status.FAIL, -r.rule.severity.rank))
    left_out = max(0, len(shown) - max_results)
    shown = shown[:max_results]
    prints = fingerprints(shown, inventory_inputs(report.inputs))
    configuration = [_notification(text, "warning") for text in report.warnings]
    execution = [_notification(f"{record.path}: not analysed: {record.reason or 'the input could not be analysed'}",
                               "error", file=record.path, line=record.line) for record in report.not_analysed]
    if left_out:
        execution.append(_notification(f"{left_out} results were left out: GitHub code scanning takes at most "
                                       f"{max_results} per run (the least severe were dropped)", "warning"))
    summary = report.summary
    run: dict[str, Any] = {
        "tool": {"driver": {
            "name": "aiwell",
            "version": report.tool_version,
            "informationUri": INFORMATION_URI,
            "rules": [_descriptor(rule) for rule in rules],
        }},
        "invocations": [{
            # An input aiwell could not analyse is a part of the run that did not execute: say so to SARIF
            # consumers too, never a clean run over what was not read.
            "executionSuccessful": not report.not_analysed,
            "toolConfigurationNotifications": configuration,
            "toolExecutionNotifications": execution,
        }],
        "originalUriBaseIds": {"%SRCROOT%": {"description": {"text": "The directory aiwell ran in."}}},
        "results": [_result(result, index[result.rule.id], prints[result], with_baseline=baseline_used)
                    for result in shown],
        "columnKind": "unicodeCodePoints",
        "properties": {
            "rule_set": report.rule_set,
            "score": report.scores.overall.score,
            "coverage": report.scores.overall.coverage,
            "pillars": {pillar.value: score.score for pillar, score in report.scores.pillars.items()},
            "summary": {"pass": summary.passed, "fail": summary.failed, "unknown": summary.unknown,
                        "suppressed": summary.suppressed, "baselined": summary.baselined,
                        "not_analysed": summary.not_analysed},
        },
    }
    return {"$schema": SARIF_SCHEMA_URI, "version": SARIF_VERSION, "runs": [run]}


def render_sarif(report: Report, *, baseline_used: bool = False, max_results: int = GITHUB_MAX_RESULTS) -> bytes:
    """The SARIF log as UTF-8 JSON, two-space indented, with a final newline."""
    return orjson.dumps(sarif_document(report, baseline_used=baseline_used, max_results=max_results),
                        option=orjson.OPT_INDENT_2) + b"\n"


__all__ = ["GITHUB_MAX_RESULTS", "SARIF_SCHEMA_URI", "SARIF_VERSION", "render_sarif", "sarif_document"]
