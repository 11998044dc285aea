"""Configured parameter values (`parameters` in the configuration, `--param NAME=VALUE`) fill the parameters of a
top-level template or Bicep file that nothing else sets, and only those: a parameter file and a default win, and a
module's parameters come from its caller."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from aiwell.cli.main import main
from aiwell.loaders import load_inputs
from aiwell.loaders.arm.scope import DeploymentContext
from aiwell.model import display_text

TEMPLATE = {
    "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
    "contentVersion": "1.0.0.0",
    "parameters": {"replicas": {"type": "int"}, "searchName": {"type": "string"},
                   "sku": {"type": "string", "defaultValue": "standard"}},
    "resources": [{"type": "Microsoft.Search/searchServices", "apiVersion": "2024-06-01-preview",
                   "name": "[parameters('searchName')]", "location": "eastus2",
                   "sku": {"name": "[parameters('sku')]"}, "properties": {"replicaCount": "[parameters('replicas')]"}}],
}

MAIN = """param accountName string
module child 'child.bicep' = {
  name: 'child'
  params: {}
}
resource account 'Microsoft.CognitiveServices/accounts@2024-10-01' = {
  name: accountName
  location: 'eastus2'
  kind: 'OpenAI'
  sku: { name: 'S0' }
  properties: {}
}
"""
CHILD = """param accountName string
resource other 'Microsoft.CognitiveServices/accounts@2024-10-01' = {
  name: accountName
  location: 'eastus2'
  kind: 'OpenAI'
  sku: { name: 'S0' }
  properties: {}
}
"""


def _context(**values: object) -> DeploymentContext:
    return DeploymentContext(parameter_values=dict(values))


def test_arm_parameters_without_a_value(tmp_path: Path) -> None:
    path = tmp_path / "search.json"
    path.write_text(json.dumps(TEMPLATE), encoding="utf-8")
    unset = load_inputs([path]).resources[0]
    assert "unresolved" in display_text(unset.name)
    (resource,) = load_inputs([path], context=_context(SEARCHNAME="chat-search", replicas=3, sku="free")).resources
    assert display_text(resource.name) == "chat-search"
    assert resource.properties["replicaCount"] == 3
    # A default wins over a configured value.
    assert resource.sku["name"] == "standard"
    # So does a parameter file.
    (tmp_path / "search.parameters.json").write_text(json.dumps({
        "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentParameters.json#",
        "contentVersion": "1.0.0.0", "parameters": {"replicas": {"value": 1}}}), encoding="utf-8")
    (resource,) = load_inputs([path], context=_context(searchName="chat-search", replicas=3)).resources
    assert resource.properties["replicaCount"] == 1


def test_bicep_top_level_only(tmp_path: Path) -> None:
    (tmp_path / "main.bicep").write_text(MAIN, encoding="utf-8")
    (tmp_path / "child.bicep").write_text(CHILD, encoding="utf-8")
    outcome = load_inputs([tmp_path / "main.bicep"], context=_context(accountName="chat-oai"))
    names = {resource.source.address: display_text(resource.name) for resource in outcome.resources}
    assert names["account"] == "chat-oai"
    assert "unresolved" in names["child.other"]


def test_from_the_command_line_and_configuration(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    Path("search.json").write_text(json.dumps(TEMPLATE), encoding="utf-8")
    Path("aiwell.toml").write_text('parameters = { searchName = "from-config", replicas = 1 }\n', encoding="utf-8")
    with pytest.raises(SystemExit):
        main(["review", "search.json", "-f", "json", "--fail-on", "none", "--param", "replicas=3"])
    document = json.loads(capsys.readouterr().out)
    assert {r["resource_name"] for r in document["results"]} == {"from-config"}
    assert {r["status"] for r in document["results"] if r["rule_id"] == "SRC003"} == {"pass"}
