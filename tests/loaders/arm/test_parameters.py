"""Parameter files: the naming convention that pairs them with templates, their values, and how values reach
a template's parameters."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from aiwell.loaders import load_inputs
from aiwell.loaders.arm.parameters import (
    conventional_parameter_files,
    conventional_template_stem,
    read_parameter_file,
    scope_parameters,
    template_candidates,
)
from aiwell.model import InputStatus, SourceFormat, Unresolved

DISCOVERY = Path(__file__).parents[2] / "fixtures" / "templates" / "discovery"
PARAMETER_SCHEMA = "https://schema.management.azure.com/schemas/2019-04-01/deploymentParameters.json#"


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A copy of the `parameters-folder` tree: templates with their parameter files in `parameters/`."""
    target = tmp_path / "parameters-folder"
    shutil.copytree(DISCOVERY / "parameters-folder", target)
    return target


@pytest.mark.parametrize(
    ("name", "stem"),
    [
        ("main.parameters.json", "main"),
        ("main.parameters.prod.json", "main"),
        ("hub.parameters.az.multiRegion.all.json", "hub"),
        ("role.servicePrincipal.parameters.min.jsonc", "role.servicePrincipal"),
        ("parameters.json", None),
        ("main.params.json", None),
    ],
)
def test_conventional_template_stem(name: str, stem: str | None) -> None:
    assert conventional_template_stem(Path(name)) == stem


def test_a_template_beside_the_parameter_file_comes_first(tmp_path: Path) -> None:
    (tmp_path / "parameters").mkdir()
    (tmp_path / "app.json").write_text("{}")
    (tmp_path / "parameters" / "app.json").write_text("{}")
    candidates = template_candidates(tmp_path / "parameters" / "app.parameters.json")
    assert candidates[0] == tmp_path / "parameters" / "app.json"


def test_the_template_one_directory_up(tree: Path) -> None:
    parameter_file = tree / "search" / "parameters" / "search.parameters.dev.json"
    assert template_candidates(parameter_file) == [tree / "search" / "search.json", tree / "search" / "search.jsonc"]


def test_a_scenario_file_falls_back_to_the_shorter_name(tree: Path) -> None:
    parameter_file = tree / "roles" / "parameters" / "roleAssignment.group.parameters.min.json"
    assert template_candidates(parameter_file)[0] == tree / "roles" / "roleAssignment.json"


def test_a_bicep_file_one_directory_up_is_where_json_would_be(tree: Path) -> None:
    # Discovery pairs the parameter file with X.bicep when X.json is missing where the candidates point.
    parameter_file = tree / "vault" / "parameters" / "vault.parameters.all.json"
    assert template_candidates(parameter_file)[0].with_suffix(".bicep") == tree / "vault" / "vault.bicep"


def test_without_a_template_anywhere_the_candidates_are_beside_the_file(tree: Path) -> None:
    parameter_file = tree / "vault" / "parameters" / "other-vault.parameters.json"
    assert template_candidates(parameter_file)[0] == tree / "vault" / "parameters" / "other-vault.json"


def test_a_template_finds_its_parameter_files_in_a_subdirectory(tree: Path) -> None:
    assert conventional_parameter_files(tree / "search" / "search.json") == [
        tree / "search" / "parameters" / "search.parameters.dev.json",
        tree / "search" / "parameters" / "search.parameters.prod.westeurope.json",
    ]
    assert conventional_parameter_files(tree / "roles" / "roleAssignment.json") == [
        tree / "roles" / "parameters" / "roleAssignment.group.parameters.min.json",
        tree / "roles" / "parameters" / "roleAssignment.servicePrincipal.parameters.json",
    ]


def test_discovery_pairs_parameter_files_kept_in_a_parameters_folder(tree: Path) -> None:
    outcome = load_inputs([tree])
    records = {(Path(r.path).relative_to(tree).as_posix(),
                Path(r.parameters).name if r.parameters else None): r for r in outcome.inputs}
    assert set(records) == {
        ("search/search.json", "search.parameters.dev.json"),
        ("search/search.json", "search.parameters.prod.westeurope.json"),
        ("roles/roleAssignment.json", "roleAssignment.group.parameters.min.json"),
        ("roles/roleAssignment.json", "roleAssignment.servicePrincipal.parameters.json"),
        ("vault/vault.bicep", "vault.parameters.all.json"),
        ("vault/parameters/other-vault.parameters.json", None),
    }
    orphan = records[("vault/parameters/other-vault.parameters.json", None)]
    assert orphan.status is InputStatus.NOT_ANALYSED
    assert "other-vault.json does not exist" in (orphan.reason or "")
    analysed = [r for r in records.values() if r is not orphan]
    assert all(r.status is InputStatus.ANALYSED for r in analysed)
    assert records[("vault/vault.bicep", "vault.parameters.all.json")].format == SourceFormat.BICEP.value
    names = sorted(str(r.name) for r in outcome.resources if r.type == "Microsoft.Search/searchServices")
    assert names == ["srch-dev", "srch-prod-eu"]


def test_azd_environment_placeholders_are_unresolved(tmp_path: Path) -> None:
    value = {"$schema": PARAMETER_SCHEMA, "contentVersion": "1.0.0.0", "parameters": {
        "location": {"value": "${AZURE_LOCATION}"},
        "useSearch": {"value": "${USE_SEARCH=false}"},
        "script": {"value": "echo ${HOME} done"},
        "count": {"value": 3},
    }}
    values = read_parameter_file(value, tmp_path / "main.parameters.json").values
    location, use_search = values["location"], values["useSearch"]
    assert isinstance(location, Unresolved) and location.expression == "parameters('location')"
    assert "AZURE_LOCATION" in location.reason
    assert isinstance(use_search, Unresolved) and "'false' when it is not set" in use_search.reason
    # azd substitutes placeholders anywhere in the file's text: one inside a longer string is not its value either.
    script = values["script"]
    assert isinstance(script, Unresolved) and script.expression == "parameters('script')"
    assert "${HOME}" in script.reason and "--azd-env" in script.reason
    assert values["count"] == 3


def test_null_for_a_parameter_with_a_default_deploys_the_default() -> None:
    template = {"parameters": {
        "tier": {"type": "string", "defaultValue": "basic"},
        "zones": {"type": "array", "nullable": True},
        "name": {"type": "string"},
    }}
    values, notes = scope_parameters(template, {"tier": None, "zones": None, "name": None})
    assert "tier" not in values  # the scope evaluates the default
    assert values == {"zones": None, "name": None}
    assert notes == []
