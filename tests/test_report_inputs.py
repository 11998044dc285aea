"""A result names its deployment, joins to its resource, and the report shows what was not reviewed.

- Every result carries `input` (the template + parameter file, Terraform root + var files, Bicep file +
  `.bicepparam`, the inventory), and every input record and resource of that deployment carry the same label.
- An unresolved resource id is spelled the same in `resources[]` and `results[]`: every result of a report joins
  to exactly one resource by (`resource_id`, `resource_type`, `input`), and every AIW000 result to an input
  record. (The type is part of the key: a module deployment and a resource in it whose scope is unresolved can
  share one unresolved id.)
- The parts of an input that were not reviewed are listed on its record, in the JSON report and the terminal.
- `--pillar` shows only that pillar: results, sections and scores.
"""

from __future__ import annotations

import json
import shutil
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from aiwell.cli.main import main
from aiwell.model import Pillar
from aiwell.reporters import render_json, render_terminal
from aiwell.review import review

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
NAMING = FIXTURES / "templates" / "discovery" / "naming-convention"
PARTIAL = FIXTURES / "review" / "partial"
WORKLOAD = ROOT / "tests" / "conformance" / "workload"


def _document(paths: list[Path], **options: Any) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(render_json(review(paths, **options)))
    return document


def _terminal(paths: list[Path], **options: Any) -> str:
    buffer = StringIO()
    render_terminal(review(paths, **options), Console(file=buffer, width=1000, color_system=None), verbose=True)
    return buffer.getvalue()


# --- a result names its deployment ---------------------------------------------------------------------------


def test_a_template_with_two_parameter_files_gives_two_labelled_deployments(tmp_path: Path) -> None:
    root = tmp_path / "naming"
    shutil.copytree(NAMING, root)
    document = _document([root / "main.json"])
    dev = f"{root}/main.json + {root}/main.parameters.json"
    prod = f"{root}/main.json + {root}/main.parameters.prod.json"
    assert sorted(record["input"] for record in document["inputs"]) == [dev, prod]
    by_input = {resource["input"]: resource for resource in document["resources"]}
    assert set(by_input) == {dev, prod}
    assert by_input[dev]["source"]["file"] == by_input[prod]["source"]["file"]
    assert {result["input"] for result in document["results"]} == {dev, prod}


def test_each_deployment_of_a_template_links_its_own_resources(tmp_path: Path) -> None:
    """One template, two parameter files: the private endpoint only the prod deployment creates targets prod's
    account, not dev's (both are `oai`, declared on the same line), so AIS004 passes in prod and fails in dev."""
    template = {
        "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
        "contentVersion": "1.0.0.0",
        "parameters": {"private": {"type": "bool"}},
        "resources": [
            {"type": "Microsoft.CognitiveServices/accounts", "apiVersion": "2024-10-01", "name": "oai",
             "location": "westeurope", "kind": "OpenAI", "sku": {"name": "S0"},
             "properties": {"customSubDomainName": "oai", "publicNetworkAccess": "Disabled"}},
            {"condition": "[parameters('private')]", "type": "Microsoft.Network/privateEndpoints",
             "apiVersion": "2024-05-01", "name": "pe-oai", "location": "westeurope",
             "properties": {
                 "subnet": {"id": "[resourceId('Microsoft.Network/virtualNetworks/subnets', 'vnet', 'pe')]"},
                 "privateLinkServiceConnections": [{"name": "oai", "properties": {
                     "privateLinkServiceId": "[resourceId('Microsoft.CognitiveServices/accounts', 'oai')]",
                     "groupIds": ["account"]}}]}},
        ],
    }
    (tmp_path / "main.json").write_text(json.dumps(template))
    for name, private in (("dev", False), ("prod", True)):
        (tmp_path / f"main.{name}.parameters.json").write_text(json.dumps({
            "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentParameters.json#",
            "contentVersion": "1.0.0.0", "parameters": {"private": {"value": private}}}))
    document = _document([tmp_path / "main.json"], parameter_files=[tmp_path / "main.dev.parameters.json",
                                                                    tmp_path / "main.prod.parameters.json"])
    verdicts = {result["input"].rsplit("main.", 1)[-1]: result["status"]
                for result in document["results"] if result["rule_id"] == "AIS004"}
    assert verdicts == {"dev.parameters.json": "fail", "prod.parameters.json": "pass"}


def test_the_terminal_says_which_deployment_a_finding_comes_from(tmp_path: Path) -> None:
    root = tmp_path / "naming"
    shutil.copytree(NAMING, root)
    text = _terminal([root / "main.json"])
    assert f"in {root}/main.json + {root}/main.parameters.prod.json" in text
    assert f"in {root}/main.json + {root}/main.parameters.json" in text


def test_one_deployment_is_not_labelled_in_the_terminal() -> None:
    text = _terminal([ROOT / "examples" / "inventory" / "resource-graph.json"])
    assert not any(line.strip().startswith("in ") for line in text.splitlines())


def test_terraform_results_name_the_root_and_its_var_files() -> None:
    root = FIXTURES / "cli" / "terraform-vars"
    document = _document([root], var_files=[root / "strict.tfvars"])
    label = f"{root} + {root}/strict.tfvars"
    assert {record["input"] for record in document["inputs"]} == {label}
    assert {result["input"] for result in document["results"]} == {label}


def test_bicep_results_name_the_file_and_its_bicepparam() -> None:
    bicep = WORKLOAD / "bicep"
    document = _document([bicep])
    labels = {record["input"] for record in document["inputs"]}
    assert labels == {f"{bicep}/main.bicep + {bicep}/main.bicepparam"}
    assert {result["input"] for result in document["results"]} == labels


def test_an_inventory_result_names_the_export() -> None:
    export = ROOT / "examples" / "inventory" / "resource-graph.json"
    document = _document([export])
    assert {result["input"] for result in document["results"]} == {str(export)}


# --- ids join ------------------------------------------------------------------------------------------------


def _assert_every_result_joins(document: dict[str, Any]) -> int:
    """Every result joins to exactly one resource by (resource_id, resource_type, input), every AIW000 result to
    an input."""
    resources: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
    for resource in document["resources"]:
        resources.setdefault((resource["id"], resource["type"].lower(), resource["input"]), []).append(resource)
    inputs = {(record["path"], record["input"]) for record in document["inputs"]}
    for result in document["results"]:
        if result["rule_id"] == "AIW000":
            assert (result["resource_id"], result["input"]) in inputs, result
            continue
        matches = resources.get((result["resource_id"], result["resource_type"].lower(), result["input"]), [])
        assert len(matches) == 1, (result, matches)
    return sum(1 for resource in document["resources"] if resource["id"].startswith("<unresolved: "))


@pytest.mark.parametrize("paths", [
    [ROOT / "examples"],
    [WORKLOAD],
    [FIXTURES / "bicep", FIXTURES / "terraform", FIXTURES / "templates" / "cases" / "ids",
     FIXTURES / "inventory"],
], ids=["examples", "conformance-workload", "corpus-like"])
def test_every_result_joins_to_its_resource(paths: list[Path]) -> None:
    unresolved = _assert_every_result_joins(_document(paths))
    if "corpus-like" in str(paths):
        assert unresolved  # the case that broke the join: ids that could not be resolved


def test_an_unresolved_id_is_spelled_the_same_in_resources_and_results(tmp_path: Path) -> None:
    template = tmp_path / "main.json"
    template.write_text(json.dumps({
        "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
        "contentVersion": "1.0.0.0", "parameters": {"name": {"type": "string"}},
        "resources": [{"type": "Microsoft.CognitiveServices/accounts", "apiVersion": "2024-10-01",
                       "name": "[parameters('name')]", "kind": "OpenAI", "sku": {"name": "S0"},
                       "properties": {"disableLocalAuth": False}}]}), encoding="utf-8")
    document = _document([template])
    (resource,) = document["resources"]
    assert resource["id"].startswith("<unresolved: ")
    assert {result["resource_id"] for result in document["results"]} == {resource["id"]}


# --- what was not reviewed -----------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["arm", "bicep", "terraform"])
def test_unreviewed_parts_are_listed_on_the_input(fmt: str) -> None:
    document = _document([PARTIAL / fmt])
    partial = [record for record in document["inputs"] if record["unreviewed"]]
    assert partial, document["inputs"]
    assert document["summary"]["partial"] == len({record["input"] for record in partial})
    text = _terminal([PARTIAL / fmt])
    assert "partly reviewed" in text
    assert partial[0]["unreviewed"][0].split(":")[0] in text


def test_an_input_reviewed_whole_lists_nothing_unreviewed() -> None:
    document = _document([WORKLOAD / "arm"])
    assert all(record["unreviewed"] == [] for record in document["inputs"])
    assert document["summary"]["partial"] == 0
    assert "partly reviewed" not in _terminal([WORKLOAD / "arm"])


# --- --pillar ------------------------------------------------------------------------------------------------


def test_pillar_shows_only_that_pillar(capsys: pytest.CaptureFixture[str]) -> None:
    example = str(ROOT / "examples" / "ai-chat")
    with pytest.raises(SystemExit):
        main(["review", example, "--pillar", "reliability", "--format", "json"])
    document = json.loads(capsys.readouterr().out)
    assert list(document["scores"]["pillars"]) == ["reliability"]
    assert document["results"] and all("reliability" in result["pillars"] for result in document["results"])
    with pytest.raises(SystemExit):
        main(["review", example, "--pillar", "reliability"])
    out = capsys.readouterr().out
    assert " Reliability · score" in out
    for other in ("Security", "Cost optimization", "Operational excellence", "Performance efficiency"):
        assert f" {other} · score" not in out
        assert f"  {other} " not in out  # no row in the scores table either


def test_pillar_keeps_inputs_not_analysed(tmp_path: Path) -> None:
    broken = tmp_path / "main.json"
    broken.write_text('{"$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",'
                      ' "resources": [', encoding="utf-8")
    report = review([broken], pillars=[Pillar.SECURITY])
    assert [result.rule.id for result in report.results] == ["AIW000"]
    assert report.pillars == (Pillar.SECURITY,)
