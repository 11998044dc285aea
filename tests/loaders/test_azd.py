"""`--azd-env NAME`: a template reviewed as the Azure Developer CLI deploys it to an environment. The values of
`.azure/NAME/.env` (in the project holding `azure.yaml`) fill the parameter files' `${VAR}` placeholders and what
`readEnvironmentVariable()` reads; without it, both stay unresolved (or the Bicep default)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from aiwell.errors import UsageError
from aiwell.loaders.arm.parameters import read_parameter_file
from aiwell.loaders.azd import find_environment_file, load_environment, read_environment_file
from aiwell.model import Unresolved
from cli_run import run_cli

PARAMETER_SCHEMA = "https://schema.management.azure.com/schemas/2019-04-01/deploymentParameters.json#"

SEARCH = """
param environmentName string
param location string
param replicas int = 1
resource search 'Microsoft.Search/searchServices@2024-06-01-preview' = {
  name: 'srch-${environmentName}'
  location: location
  sku: { name: 'standard' }
  properties: { replicaCount: replicas, publicNetworkAccess: 'disabled' }
}
"""


def _project(root: Path, env: dict[str, str], parameters: dict[str, str]) -> Path:
    (root / "azure.yaml").write_text("name: chat\n")
    infra = root / "infra"
    infra.mkdir()
    (infra / "main.bicep").write_text(SEARCH)
    (infra / "main.parameters.json").write_text(json.dumps({
        "$schema": PARAMETER_SCHEMA, "contentVersion": "1.0.0.0",
        "parameters": {name: {"value": value} for name, value in parameters.items()}}))
    for name, lines in env.items():
        (root / ".azure" / name).mkdir(parents=True)
        (root / ".azure" / name / ".env").write_text(lines)
    return infra


def test_an_env_file_is_read_as_azd_writes_it(tmp_path: Path) -> None:
    env = tmp_path / ".env"
    env.write_text('# written by azd\nAZURE_LOCATION="eastus2"\n\nQUOTED="say \\"hi\\"\\nbye"\nexport PLAIN=3\n'
                   "SINGLE='a b'\nEMPTY=\"\"\n")
    assert read_environment_file(env) == {"AZURE_LOCATION": "eastus2", "QUOTED": 'say "hi"\nbye', "PLAIN": "3",
                                          "SINGLE": "a b", "EMPTY": ""}
    env.write_text('AZURE_LOCATION="eastus2"\nthis is not a value\n')
    with pytest.raises(UsageError, match=r"\.env:2: expected NAME=VALUE"):
        read_environment_file(env)


def test_the_environment_is_found_in_the_project_holding_the_path(tmp_path: Path) -> None:
    infra = _project(tmp_path, {"dev": 'AZURE_LOCATION="eastus2"\n', "prod": "AZURE_ENV_NAME=\"prod-eu\"\n"}, {})
    assert find_environment_file("dev", infra / "main.bicep") == (tmp_path / ".azure" / "dev" / ".env").resolve()
    assert load_environment("dev", infra)["AZURE_ENV_NAME"] == "dev"  # azd sets it when the file does not
    assert load_environment("prod", infra)["AZURE_ENV_NAME"] == "prod-eu"
    with pytest.raises(UsageError, match="does not exist") as missing:
        find_environment_file("test", infra)
    assert missing.value.hint is not None and "dev, prod" in missing.value.hint
    with pytest.raises(UsageError, match="no azure.yaml"):
        find_environment_file("dev", tmp_path.parent)
    with pytest.raises(UsageError, match="without folders"):
        find_environment_file("../dev", infra)


def test_placeholders_take_the_environment_value_then_their_default(tmp_path: Path) -> None:
    value = {"$schema": PARAMETER_SCHEMA, "contentVersion": "1.0.0.0", "parameters": {
        "location": {"value": "${AZURE_LOCATION}"},
        "useSearch": {"value": "${USE_SEARCH=false}"},
        "sku": {"value": "${SEARCH_SKU=standard}"},
        "principal": {"value": "${AZURE_PRINCIPAL_ID}"},
    }}
    values = read_parameter_file(value, tmp_path / "main.parameters.json",
                                 azd_values={"AZURE_LOCATION": "eastus2", "USE_SEARCH": "true"}).values
    assert values["location"] == "eastus2"
    assert values["useSearch"] == "true"
    assert values["sku"] == "standard"
    principal = values["principal"]
    assert isinstance(principal, Unresolved)
    assert "AZURE_PRINCIPAL_ID is not set in the azd environment given" in principal.reason
    without = read_parameter_file(value, tmp_path / "main.parameters.json").values["sku"]
    assert isinstance(without, Unresolved) and "--azd-env gives it" in without.reason


def test_placeholders_inside_longer_strings_and_nested_values_are_filled(tmp_path: Path) -> None:
    value = {"$schema": PARAMETER_SCHEMA, "contentVersion": "1.0.0.0", "parameters": {
        "groupName": {"value": "rg-${AZURE_ENV_NAME}-${AZURE_LOCATION}"},
        "tags": {"value": {"azd-env-name": "${AZURE_ENV_NAME}", "owners": ["${OWNER=platform}", "ops"]}},
        "principal": {"value": "user:${AZURE_PRINCIPAL_ID}"},
        "plain": {"value": "no placeholder"},
    }}
    values = read_parameter_file(value, tmp_path / "main.parameters.json",
                                 azd_values={"AZURE_ENV_NAME": "dev", "AZURE_LOCATION": "eastus2"}).values
    assert values["groupName"] == "rg-dev-eastus2"
    assert values["tags"] == {"azd-env-name": "dev", "owners": ["platform", "ops"]}
    assert values["plain"] == "no placeholder"
    principal = values["principal"]
    assert isinstance(principal, Unresolved)
    assert "${AZURE_PRINCIPAL_ID}" in principal.reason and "not set in the azd environment given" in principal.reason


def test_review_with_an_azd_environment_judges_what_it_deploys(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    infra = _project(tmp_path, {"dev": 'AZURE_LOCATION="eastus2"\nREPLICAS="1"\n',
                                "prod": 'AZURE_LOCATION="eastus2"\nREPLICAS="3"\n'},
                     {"environmentName": "${AZURE_ENV_NAME}", "location": "${AZURE_LOCATION}",
                      "replicas": "${REPLICAS}"})
    monkeypatch.chdir(tmp_path)

    def replicas_rule(*extra: str) -> tuple[int, list[tuple[str, str]]]:
        code, out, _ = run_cli(capsys, "review", "infra", "--select", "SRC003", "--format", "json", *extra)
        return code, [(r["status"], r["resource_id"].rsplit("/", 1)[-1]) for r in json.loads(out)["results"]]

    assert replicas_rule() == (1, [("unknown", "<unresolved: search.id>")])
    assert replicas_rule("--azd-env", "prod") == (0, [("pass", "srch-prod")])
    assert replicas_rule("--azd-env", "dev") == (1, [("fail", "srch-dev")])
    code, _, err = run_cli(capsys, "review", str(infra), "--azd-env", "staging")
    words = " ".join(err.split())  # the terminal wraps long lines
    assert code == 2 and "--azd-env staging:" in words and "does not exist" in words and "dev, prod" in words


def test_read_environment_variable_in_a_bicepparam_reads_the_azd_environment(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    infra = _project(tmp_path, {"prod": 'AZURE_LOCATION="eastus2"\nREPLICAS="3"\n'}, {})
    (infra / "main.parameters.json").unlink()
    (infra / "main.bicepparam").write_text(
        "using './main.bicep'\n"
        "param environmentName = readEnvironmentVariable('AZURE_ENV_NAME')\n"
        "param location = readEnvironmentVariable('AZURE_LOCATION', 'westeurope')\n"
        "param replicas = int(readEnvironmentVariable('REPLICAS', '1'))\n")
    monkeypatch.chdir(tmp_path)
    code, out, _ = run_cli(capsys, "review", "infra", "--select", "SRC003", "--azd-env", "prod", "--format", "json")
    (result,) = json.loads(out)["results"]
    assert (code, result["status"], result["resource_id"].rsplit("/", 1)[-1]) == (0, "pass", "srch-prod")
    code, out, _ = run_cli(capsys, "review", "infra", "--select", "SRC003", "--format", "json")
    (result,) = json.loads(out)["results"]
    assert result["status"] == "fail"  # the default, '1', without an environment


def test_azd_values_are_deployed_as_the_parameters_types_and_empty_means_the_default(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """As azd deploys them: "true" for a `bool?` parameter is true, "null" for it is null (the AI landing zone's
    `"${DEPLOY_BASTION=null}"`), and a variable set to nothing leaves the parameter to its default."""
    (tmp_path / "azure.yaml").write_text("name: lz\n")
    (tmp_path / ".azure" / "prod").mkdir(parents=True)
    (tmp_path / ".azure" / "prod" / ".env").write_text('NETWORK_ISOLATION="true"\nREPLICAS=""\n')
    (tmp_path / "main.bicep").write_text("""
param networkIsolation bool?
param deployExtra bool?
param replicas int = 3
var _extra = deployExtra ?? networkIsolation!
resource search 'Microsoft.Search/searchServices@2024-06-01-preview' = {
  name: 'srch-lz'
  location: 'eastus2'
  sku: { name: 'standard' }
  properties: {
    replicaCount: _extra && networkIsolation! ? replicas : 1
    publicNetworkAccess: networkIsolation! ? 'disabled' : 'enabled'
  }
}
""")
    (tmp_path / "main.parameters.json").write_text(json.dumps({
        "$schema": PARAMETER_SCHEMA, "contentVersion": "1.0.0.0", "parameters": {
            "networkIsolation": {"value": "${NETWORK_ISOLATION}"},
            "deployExtra": {"value": "${DEPLOY_EXTRA=null}"},
            "replicas": {"value": "${REPLICAS}"}}}))
    monkeypatch.chdir(tmp_path)
    code, out, _ = run_cli(capsys, "review", ".", "--select", "SRC001,SRC003", "--azd-env", "prod", "--format", "json")
    document = json.loads(out)
    assert [record["status"] for record in document["inputs"]] == ["analysed"]
    assert {r["rule_id"]: r["status"] for r in document["results"]} == {"SRC001": "pass", "SRC003": "pass"}
    search = next(r for r in document["resources"] if r["type"] == "Microsoft.Search/searchServices")
    assert search["name"] == "srch-lz"
