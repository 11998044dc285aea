"""The corpus benchmark counts files on disk independently of discovery, and tallies them per format."""

from __future__ import annotations

import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench"
sys.path.insert(0, str(BENCH))

from corpus_robustness import format_on_disk, measure, normalise_reason  # noqa: E402

WORKLOAD = Path(__file__).parent / "workload"


def test_files_are_counted_by_format() -> None:
    assert format_on_disk(WORKLOAD / "arm" / "main.json") == "ARM"
    # Parameter files count as ARM files: analysed when deployed with their template.
    assert format_on_disk(WORKLOAD / "arm" / "main.parameters.json") == "ARM"
    assert format_on_disk(WORKLOAD / "bicep" / "modules" / "search.bicep") == "Bicep"
    assert format_on_disk(WORKLOAD / "terraform-azurerm" / "variables.tf") == "Terraform"
    assert format_on_disk(WORKLOAD / "inventory" / "resource-graph.json") is None


def test_a_policy_definition_embedding_a_template_is_not_a_template(tmp_path: Path) -> None:
    policy = tmp_path / "policy.json"
    policy.write_text('{"properties": {"policyRule": {"then": {"details": {"deployment": {"properties": {"template":'
                      ' {"$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#"'
                      '}}}}}}}}', encoding="utf-8")
    assert format_on_disk(policy) is None


def test_the_arm_workload_is_fully_analysed() -> None:
    tally = measure([WORKLOAD / "arm"]).tallies["ARM"]
    assert len(tally.seen) == 2  # the template and its parameter file
    assert tally.analysed == tally.seen
    assert not tally.not_analysed
    assert not tally.not_reached


def test_reasons_group_when_only_paths_and_numbers_differ() -> None:
    first = normalise_reason("a/b/main.json: index 1 is out of range at line 12")
    second = normalise_reason("c/d/other.json: index 2 is out of range at line 40")
    assert first == second


def test_the_parameter_file_of_a_template_that_could_not_be_read_is_counted_with_it(tmp_path: Path) -> None:
    (tmp_path / "main.bicep").write_text("param flag bool\nvar x = flag ? 1 : 2 +\n", encoding="utf-8")
    (tmp_path / "main.parameters.json").write_text(
        '{"$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentParameters.json#",'
        ' "contentVersion": "1.0.0.0", "parameters": {"flag": {"value": true}}}', encoding="utf-8")
    report = measure([tmp_path])
    arm = report.tallies["ARM"]
    assert set(arm.not_analysed) == {(tmp_path / "main.parameters.json").resolve()}
    assert arm.not_analysed[(tmp_path / "main.parameters.json").resolve()].startswith("its template could not be read")
    assert not arm.not_reached
    assert set(report.tallies["Bicep"].not_analysed) == {(tmp_path / "main.bicep").resolve()}


def test_a_parameter_file_whose_template_is_not_on_disk_is_counted_apart_from_unreadable_files(
        tmp_path: Path) -> None:
    parameters = tmp_path / "network.parameters.json"
    parameters.write_text(
        '{"$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentParameters.json#",'
        ' "contentVersion": "1.0.0.0", "parameters": {"flag": {"value": true}}}', encoding="utf-8")
    arm = measure([tmp_path]).tallies["ARM"]
    assert arm.not_on_disk == {parameters.resolve()}
    assert not arm.unreadable
