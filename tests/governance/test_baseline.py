"""Findings baselines: fingerprints survive reformatting, reordered resources and moved lines, and change with
the rule or the resource; a run against a baseline marks the known failures and gates only on new ones."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from aiwell.baseline import apply_baseline, fingerprint, load_baseline, render_baseline
from aiwell.errors import ConfigError
from aiwell.model import Severity, Status
from aiwell.report import Report, build_report, exit_code, exit_reason
from aiwell.review import review

TEMPLATE = {
    "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
    "contentVersion": "1.0.0.0",
    "resources": [
        {"type": "Microsoft.Search/searchServices", "apiVersion": "2024-06-01-preview", "name": "chat-search",
         "location": "eastus2", "sku": {"name": "basic"}, "properties": {"replicaCount": 1}},
        {"type": "Microsoft.Storage/storageAccounts", "apiVersion": "2023-05-01", "name": "chatdocs",
         "location": "eastus2", "kind": "StorageV2", "sku": {"name": "Standard_LRS"},
         "properties": {"allowBlobPublicAccess": True}},
    ],
}


def _review(root: Path, template: dict[str, object], *, indent: int | None = 2, blank_lines: int = 0) -> Report:
    text = json.dumps(template, indent=indent)
    (root / "main.json").write_text("\n" * blank_lines + text, encoding="utf-8")
    previous = Path.cwd()
    os.chdir(root)
    try:
        return review([Path("main.json")])
    finally:
        os.chdir(previous)


def _prints(report: Report) -> dict[tuple[str, str], str]:
    return {(r.rule.id, r.resource_name): fingerprint(r) for r in report.results if r.status is Status.FAIL}


def test_fingerprints_are_stable_and_specific(tmp_path: Path) -> None:
    first = _prints(_review(tmp_path, TEMPLATE))
    assert first
    reordered = dict(TEMPLATE, resources=list(reversed(TEMPLATE["resources"])))  # type: ignore[call-overload]
    assert _prints(_review(tmp_path, reordered, indent=None, blank_lines=7)) == first
    renamed = json.loads(json.dumps(TEMPLATE))
    renamed["resources"][0]["name"] = "chat-search-2"
    again = _prints(_review(tmp_path, renamed))
    assert {key: value for key, value in again.items() if key[1] == "chatdocs"} == \
        {key: value for key, value in first.items() if key[1] == "chatdocs"}
    assert not set(again.values()) & {value for key, value in first.items() if key[1] == "chat-search"}
    # Another rule on the same resource is another finding.
    assert len(set(first.values())) == len(first)


def test_gates_only_on_new_failures(tmp_path: Path) -> None:
    report = _review(tmp_path, TEMPLATE)
    baseline_file = tmp_path / "baseline.json"
    baseline_file.write_bytes(render_baseline(report.results, tool_version="test"))
    document = json.loads(baseline_file.read_text())
    assert document["schema"] == "aiwell.baseline/1"
    assert [f["fingerprint"] for f in document["findings"]] == sorted(f["fingerprint"] for f in document["findings"])
    baseline = load_baseline(baseline_file)
    marked, notes = apply_baseline(report.results, baseline)
    assert notes == []
    again = build_report(report.inputs, report.resources, marked)
    assert exit_code(report, Severity.HIGH) == 1
    assert exit_code(again, Severity.LOW) == 0
    assert exit_reason(again, Severity.HIGH)[1].endswith(f"; {again.summary.baselined} in the baseline")
    # Failures and unknowns (the production-only rules can't tell here) are both recorded.
    assert again.summary.baselined == again.summary.failed + again.summary.unknown
    # The same scores: a baselined failure still fails.
    assert again.scores == report.scores

    worse = json.loads(json.dumps(TEMPLATE))
    worse["resources"].append({"type": "Microsoft.KeyVault/vaults", "apiVersion": "2023-07-01", "name": "chat-kv",
                               "location": "eastus2", "properties": {"tenantId": "x", "sku": {"name": "standard",
                                                                                               "family": "A"}}})
    new_report = _review(tmp_path, worse)
    marked, _ = apply_baseline(new_report.results, baseline)
    gated = build_report(new_report.inputs, new_report.resources, marked)
    new = {(r.rule.id, r.resource_name) for r in gated.results if r.status is Status.FAIL and not r.baselined}
    # Only the new vault's failures are new; the old ones stay known.
    assert new and {name for _, name in new} == {"chat-kv"}
    code, reason = exit_reason(gated, Severity.LOW)
    assert code == 1 and " new finding" in reason

    fixed = json.loads(json.dumps(TEMPLATE))
    fixed["resources"][0]["properties"]["replicaCount"] = 3
    _, notes = apply_baseline(_review(tmp_path, fixed).results, baseline)
    assert len(notes) == 1 and "no longer fail" in notes[0]


@pytest.mark.parametrize(("content", "message"), [
    (None, "no such file"), ("{", "not JSON"), ('{"schema": "other"}', "not an aiwell.baseline/1 file"),
    ('{"schema": "aiwell.baseline/1", "findings": [1]}', "`findings` must be a list"),
    ('{"schema": "aiwell.baseline/1", "findings": [{"fingerprint": "f", "status": "pass"}]}',
     "a finding's `status` must be fail or unknown, not 'pass'"),
])
def test_bad_baseline_is_a_configuration_error(tmp_path: Path, content: str | None, message: str) -> None:
    path = tmp_path / "baseline.json"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_baseline(path)
    assert message in caught.value.message


def test_unknowns_are_recorded_and_a_recorded_unknown_that_now_fails_is_new(tmp_path: Path) -> None:
    unknown = json.loads(json.dumps(TEMPLATE))
    unknown["parameters"] = {"replicas": {"type": "int"}}
    unknown["resources"][0]["properties"]["replicaCount"] = "[parameters('replicas')]"
    report = _review(tmp_path, unknown)
    undecided = [r for r in report.results if r.status is Status.UNKNOWN and r.rule.id == "SRC003"]
    assert undecided and exit_code(report, Severity.HIGH) == 1
    baseline_file = tmp_path / "baseline.json"
    baseline_file.write_bytes(render_baseline(report.results, tool_version="test"))
    entries = json.loads(baseline_file.read_text())["findings"]
    assert {(e["rule_id"], e["status"]) for e in entries} >= {("SRC003", "unknown"), ("STG001", "fail")}
    baseline = load_baseline(baseline_file)
    marked, _ = apply_baseline(report.results, baseline)
    assert exit_code(build_report(report.inputs, report.resources, marked), Severity.LOW) == 0
    # The replica rules now fail on the same resource: recorded as not decided, their failures are new.
    failing = _review(tmp_path, TEMPLATE)
    marked, _ = apply_baseline(failing.results, baseline)
    gated = build_report(failing.inputs, failing.resources, marked)
    assert [r.rule.id for r in gated.results if r.status is Status.FAIL and not r.baselined] == ["SRC003", "SRC004"]
