"""SARIF 2.1.0: valid against the official OASIS schema (tests/schemas/), rules documented, locations physical
and logical, fingerprints stable, suppressions and baseline carried, hostile text inert, GitHub's cap kept."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from msgspec.structs import replace

from aiwell.model import Status
from aiwell.report import Report, build_report
from aiwell.reporters import render_sarif
from aiwell.reporters.sarif import sarif_document
from golden_files import REGEN, assert_golden

SCHEMA = json.loads((Path(__file__).resolve().parents[1] / "schemas" / "sarif-schema-2.1.0.json").read_text())
VALIDATOR = jsonschema.Draft4Validator(SCHEMA, format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER)


def _sarif(report: Report, **options: Any) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(render_sarif(report, **options))
    return document


def test_matches_golden() -> None:
    assert_golden("report.sarif")


@pytest.mark.parametrize("variant", ["sample", "governed", "empty", "hostile"])
def test_valid_against_the_official_schema(variant: str, hostile_report: Report) -> None:
    report = {"sample": REGEN.sample_report(), "governed": REGEN.sample_report(governed=True),
              "empty": REGEN.sample_report(with_inputs=False, with_results=False),
              "hostile": hostile_report}[variant]
    document = _sarif(report, baseline_used=variant == "governed")
    errors = sorted(VALIDATOR.iter_errors(document), key=lambda error: list(error.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:5])


def test_one_documented_descriptor_per_rule() -> None:
    document = _sarif(REGEN.sample_report(governed=True))
    run = document["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    ids = [rule["id"] for rule in rules]
    assert ids == sorted(set(ids))
    assert {result["ruleId"] for result in run["results"]} <= set(ids)
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
    documented = next(rule for rule in rules if rule["id"] == "AIS002")
    assert documented["helpUri"] == "https://learn.microsoft.com/azure/ai-services/disable-local-auth"
    assert "disableLocalAuth: true" in documented["help"]["markdown"]
    assert "local_auth_enabled = false" in documented["help"]["text"]
    assert documented["properties"]["security-severity"] == "8.0"
    assert documented["defaultConfiguration"]["level"] == "error"


def test_results_locations_levels_and_kinds() -> None:
    run = _sarif(REGEN.sample_report())["runs"][0]
    results = run["results"]
    assert all(result["kind"] in ("fail", "review") for result in results)
    assert not any(result["properties"]["status"] == "pass" for result in results)
    search = next(r for r in results if r["ruleId"] == "SRC003")
    location = search["locations"][0]
    assert location["physicalLocation"]["artifactLocation"] == {"uri": "exports/resource-graph.json",
                                                               "uriBaseId": "%SRCROOT%"}
    assert location["physicalLocation"]["region"] == {"startLine": 44}
    assert location["logicalLocations"][0]["fullyQualifiedName"].endswith("/searchServices/chat-search")
    assert search["level"] == "error"
    unknown = next(r for r in results if r["ruleId"] == "MLC003")
    assert (unknown["kind"], unknown["level"]) == ("review", "note")
    # An input not analysed is a failure at its file and a tool execution notification.
    broken = [r for r in results if r["ruleId"] == "AIW000"]
    assert {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in broken} == {
        "infra/broken.json", "infra/search.json"}
    notifications = run["invocations"][0]["toolExecutionNotifications"]
    assert len(notifications) == 2 and all(n["level"] == "error" for n in notifications)
    assert run["invocations"][0]["executionSuccessful"] is False


def test_fingerprints_ignore_lines_and_order_but_follow_rule_and_resource() -> None:
    report = REGEN.sample_report()
    prints = {(r["ruleId"], r["locations"][0]["logicalLocations"][0]["fullyQualifiedName"]):
              r["partialFingerprints"]["aiwell/v1"]
              for r in _sarif(report)["runs"][0]["results"] if r["ruleId"] != "AIW000"}
    moved = [replace(r, location=replace(r.location, line=(r.location.line or 0) + 40) if r.location else None,
                     message=r.message + " (reworded)") for r in reversed(report.results)]
    again = build_report(report.inputs, report.resources, moved, tool_version=report.tool_version)
    prints_again = {(r["ruleId"], r["locations"][0]["logicalLocations"][0]["fullyQualifiedName"]):
                    r["partialFingerprints"]["aiwell/v1"]
                    for r in _sarif(again)["runs"][0]["results"] if r["ruleId"] != "AIW000"}
    assert prints_again == prints
    assert len(set(prints.values())) == len(prints)


def test_suppressed_and_baselined_results() -> None:
    run = _sarif(REGEN.sample_report(governed=True), baseline_used=True)["runs"][0]
    suppressed = next(r for r in run["results"] if r["ruleId"] == "AIS003")
    assert suppressed["suppressions"] == [{
        "kind": "external", "status": "accepted", "justification": "identity comes with the platform move in Q1",
        "properties": {"owner": "platform-team", "expires": "2027-03-31",
                       "source": "suppressions file .aiwell/suppressions.yaml:1"}}]
    states = {r["ruleId"]: r.get("baselineState") for r in run["results"] if r["kind"] == "fail"}
    assert states["STG003"] == "unchanged" and states["AIS001"] == "new"
    assert [n["message"]["text"] for n in run["invocations"][0]["toolConfigurationNotifications"]] == [
        "suppression .aiwell/suppressions.yaml:7 (KVT* on chat-kv) matches no failing or unknown result: remove "
        "it, or fix its rule or resource"]


def test_hostile_text_is_escaped(hostile_report: Report) -> None:
    raw = render_sarif(hostile_report).decode("utf-8")
    document = json.loads(raw)
    texts = json.dumps(document, ensure_ascii=False)
    for control in ("\x1b", "\x00", "\u202e", "\x07"):
        assert control not in texts
    assert "\\x1b[31mred" in texts
    uris = [loc["physicalLocation"]["artifactLocation"]["uri"] for r in document["runs"][0]["results"]
            for loc in r["locations"] if "physicalLocation" in loc]
    assert uris and all(" " not in uri and "<" not in uri and "\x1b" not in uri for uri in uris)


def test_github_result_cap_keeps_the_most_severe() -> None:
    report = REGEN.sample_report()
    document = sarif_document(report, max_results=3)
    run = document["runs"][0]
    assert len(run["results"]) == 3
    assert all(r["kind"] == "fail" and r["level"] == "error" for r in run["results"])
    listed = sum(1 for r in report.results if r.status in (Status.FAIL, Status.UNKNOWN))
    assert run["invocations"][0]["toolExecutionNotifications"][-1]["message"]["text"].startswith(
        f"{listed - 3} results were left out")


def test_a_run_that_analysed_every_input_is_successful_and_one_that_did_not_is_not() -> None:
    report = REGEN.sample_report()
    assert report.not_analysed
    analysed = build_report([record for record in report.inputs if record not in report.not_analysed],
                            report.resources, [r for r in report.results if r.rule.id != "AIW000"])
    assert _sarif(analysed)["runs"][0]["invocations"][0]["executionSuccessful"] is True
    assert _sarif(report)["runs"][0]["invocations"][0]["executionSuccessful"] is False
