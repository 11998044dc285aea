"""Input discovery: walking, classifying, pairing parameter files, and inputs that can't be analysed."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from aiwell.errors import UsageError
from aiwell.loaders import LoadOutcome, load_inputs
from aiwell.model import InputRecord, InputStatus, SourceFormat, Unresolved

DISCOVERY = Path(__file__).parents[1] / "fixtures" / "templates" / "discovery"
CASES = Path(__file__).parents[1] / "fixtures" / "templates" / "cases"

TEMPLATE_SCHEMA = "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#"


def _tree(tmp_path: Path, name: str) -> Path:
    """A copy of a discovery fixture tree, so tests can add generated files and see relative paths."""
    target = tmp_path / name
    shutil.copytree(DISCOVERY / name, target)
    return target


def _records(outcome: LoadOutcome, root: Path) -> dict[tuple[str, str | None], InputRecord]:
    """Input records keyed by (template path, parameter file path), both relative to `root`."""
    def rel(path: str | None) -> str | None:
        return None if path is None else Path(path).relative_to(root).as_posix()
    return {(rel(r.path) or "", rel(r.parameters)): r for r in outcome.inputs}


def _names(outcome: LoadOutcome) -> list[str]:
    return [str(r.name) for r in outcome.resources]


def _template(resources: list[dict[str, object]], **extra: object) -> str:
    body = {"$schema": TEMPLATE_SCHEMA, "contentVersion": "1.0.0.0", **extra, "resources": resources}
    return json.dumps(body, indent=2)


# --- pairing ------------------------------------------------------------------------------------------------


def test_naming_convention_pairs_each_parameter_file_as_one_deployment(tmp_path: Path) -> None:
    root = _tree(tmp_path, "naming-convention")
    outcome = load_inputs([root])
    records = _records(outcome, root)
    assert set(records) == {
        ("azuredeploy.json", "azuredeploy.parameters.json"),
        ("main.json", "main.parameters.json"),
        ("main.json", "main.parameters.prod.json"),
        ("standalone.jsonc", None),
    }
    assert all(r.status is InputStatus.ANALYSED and r.resources == 1 for r in records.values())
    assert all(r.format == SourceFormat.ARM.value for r in records.values())
    # Each parameter file is its own deployment; the template is not also evaluated with its defaults.
    assert sorted(_names(outcome)) == ["kv-from-file", "srch-dev", "srch-prod", "st-default"]


def test_metadata_template_pairs_a_parameter_file_in_another_directory(tmp_path: Path) -> None:
    root = _tree(tmp_path, "metadata-template")
    outcome = load_inputs([root])
    assert set(_records(outcome, root)) == {("infra/app.json", "params/dev.json")}
    assert _names(outcome) == ["app-dev"]


def test_metadata_template_outside_the_reviewed_paths_is_loaded(tmp_path: Path) -> None:
    root = _tree(tmp_path, "metadata-template")
    (root / ".git").mkdir()  # the repository the named file lives in is its containment root
    outcome = load_inputs([root / "params" / "dev.json"])
    assert set(_records(outcome, root)) == {("infra/app.json", "params/dev.json")}
    assert _names(outcome) == ["app-dev"]


def test_metadata_template_outside_the_repository_is_not_read_nor_quoted(tmp_path: Path) -> None:
    secret = tmp_path / "secret.json"
    secret.write_text("TOPSECRET-TOKEN not json", encoding="utf-8")
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    parameters = repo / "dev.json"
    parameters.write_text(json.dumps({
        "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentParameters.json#",
        "contentVersion": "1.0.0.0", "metadata": {"template": "../secret.json"},
        "parameters": {"name": {"value": "x"}}}), encoding="utf-8")
    outcome = load_inputs([repo])
    (record,) = outcome.inputs
    assert record.status is InputStatus.NOT_ANALYSED
    assert "outside the reviewed tree" in record.reason
    assert "TOPSECRET" not in repr(outcome.inputs)


def test_explicit_parameter_file_replaces_the_conventional_one(tmp_path: Path) -> None:
    root = _tree(tmp_path, "explicit")
    outcome = load_inputs([root / "app.json"], parameter_files=[root / "values" / "custom.json"])
    assert set(_records(outcome, root)) == {("app.json", "values/custom.json")}
    assert _names(outcome) == ["app-custom"]


def test_explicit_parameter_file_applies_to_the_only_template_found(tmp_path: Path) -> None:
    root = _tree(tmp_path, "explicit")
    (root / "app.parameters.json").unlink()
    outcome = load_inputs([root], parameter_files=[root / "values" / "custom.json"])
    assert set(_records(outcome, root)) == {("app.json", "values/custom.json")}


def test_without_explicit_parameters_the_conventional_file_is_used(tmp_path: Path) -> None:
    root = _tree(tmp_path, "explicit")
    outcome = load_inputs([root / "app.json"])
    assert set(_records(outcome, root)) == {("app.json", "app.parameters.json")}
    assert _names(outcome) == ["app-conventional"]


def test_parameter_files_without_their_template(tmp_path: Path) -> None:
    root = _tree(tmp_path, "orphans")
    outcome = load_inputs([root])
    records = _records(outcome, root)
    # A parameter file beside a Bicep file deploys that Bicep file; so does one whose name names no template,
    # since bicep-app.bicep is the only template declaring what it sets. One named for a missing template is not
    # given to another template: it is not analysed.
    assert set(records) == {("orphan.parameters.json", None), ("bicep-app.bicep", "bicep-app.parameters.json"),
                            ("bicep-app.bicep", "loose-values.json")}
    assert records[("bicep-app.bicep", "bicep-app.parameters.json")].format == SourceFormat.BICEP.value
    orphan = records[("orphan.parameters.json", None)]
    assert orphan.status is InputStatus.NOT_ANALYSED
    assert "orphan.json does not exist" in orphan.reason
    assert all(r.source.format is SourceFormat.BICEP for r in outcome.resources)


def test_parameter_file_naming_a_missing_template(tmp_path: Path) -> None:
    (tmp_path / "prod.json").write_text(json.dumps({
        "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentParameters.json#",
        "contentVersion": "1.0.0.0", "metadata": {"template": "gone.json"}, "parameters": {}}))
    outcome = load_inputs([tmp_path])
    [record] = outcome.inputs
    assert record.status is InputStatus.NOT_ANALYSED
    assert "metadata.template names gone.json" in record.reason


def test_explicit_parameter_file_that_is_not_one(tmp_path: Path) -> None:
    (tmp_path / "main.json").write_text(_template([]))
    (tmp_path / "other.json").write_text(_template([]))
    outcome = load_inputs([tmp_path / "main.json"], parameter_files=[tmp_path / "other.json"])
    records = {Path(r.path).name: r for r in outcome.inputs}
    assert records["other.json"].status is InputStatus.NOT_ANALYSED
    assert "not an ARM parameter file" in records["other.json"].reason
    assert records["main.json"].status is InputStatus.ANALYSED


# --- walking and classifying --------------------------------------------------------------------------------


def test_walk_skips_tool_directories_and_other_json_and_follows_links_once(tmp_path: Path) -> None:
    root = _tree(tmp_path, "mixed")
    stray = _template([{"type": "Microsoft.Storage/storageAccounts", "apiVersion": "2023-05-01",
                        "name": "stray"}])
    for skipped in (".git", "node_modules/dep", ".terraform", ".venv/lib"):
        (root / skipped).mkdir(parents=True)
        (root / skipped / "template.json").write_text(stray)
    outcome = load_inputs([root])
    records = _records(outcome, root)
    # package.json and the broken tsconfig.json are not templates: skipped quietly. The truncated template is
    # reported. modules/storage.json is reviewed through main.json's link, not again with its defaults.
    assert set(records) == {("inventory.json", None), ("main.json", None), ("truncated.json", None)}
    assert records[("inventory.json", None)].format == SourceFormat.INVENTORY.value
    assert records[("inventory.json", None)].resources == 1
    assert records[("main.json", None)].resources == 2
    truncated = records[("truncated.json", None)]
    assert truncated.status is InputStatus.NOT_ANALYSED
    assert truncated.line == 5
    assert "invalid JSON" in truncated.reason
    assert sorted(_names(outcome)) == ["oai-prod", "st-linked", "storage"]
    linked = next(r for r in outcome.resources if r.name == "st-linked")
    assert linked.source.file == str(root / "modules" / "storage.json")
    assert linked.source.line == 4


def test_a_linked_template_named_explicitly_is_also_reviewed_alone(tmp_path: Path) -> None:
    root = _tree(tmp_path, "mixed")
    outcome = load_inputs([root / "main.json", root / "modules" / "storage.json"])
    assert set(_records(outcome, root)) == {("main.json", None), ("modules/storage.json", None)}
    assert sorted(_names(outcome)) == ["st-linked", "st-module-default", "storage"]


def test_explicit_json_file_that_is_not_an_input_is_reported(tmp_path: Path) -> None:
    root = _tree(tmp_path, "mixed")
    outcome = load_inputs([root / "package.json"])
    records = _records(outcome, root)
    assert records[("package.json", None)].reason == (
        "not an ARM template, ARM parameter file or Azure inventory export")


@pytest.mark.parametrize(("name", "content", "kind"), [
    ("notes.txt", "just some notes\n", "(text)"),
    ("README.md", "# A workload\n\n```json\n{}\n```\n", "(Markdown)"),
    ("pyproject.toml", "[project]\nname = 'x'\n", "(TOML)"),
    ("pipeline.yaml", "steps:\n  - run: az deployment group create\n", "(YAML)"),
    ("Makefile", "all:\n\ttrue\n", "(without a suffix)"),
])
def test_explicit_file_of_another_kind_is_a_usage_error(tmp_path: Path, name: str, content: str,
                                                        kind: str) -> None:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    with pytest.raises(UsageError, match="does not read that kind of file") as raised:
        load_inputs([path])
    assert kind in raised.value.message


def test_explicit_arm_template_with_another_suffix_is_read(tmp_path: Path) -> None:
    path = tmp_path / "template.txt"
    path.write_text(_template([{"type": "Microsoft.Storage/storageAccounts", "apiVersion": "2023-01-01",
                                "name": "st"}]), encoding="utf-8")
    (record,) = load_inputs([path]).inputs
    assert record.status is InputStatus.ANALYSED


def test_other_kinds_inside_a_folder_stay_skipped_quietly(tmp_path: Path) -> None:
    root = _tree(tmp_path, "mixed")
    (root / "README.md").write_text("# notes\n", encoding="utf-8")
    outcome = load_inputs([root])
    assert not any(record.path.endswith(("README.md", "notes.txt")) for record in outcome.inputs)


def test_same_file_named_twice_is_loaded_once(tmp_path: Path) -> None:
    root = _tree(tmp_path, "naming-convention")
    outcome = load_inputs([root, root / "standalone.jsonc"])
    assert len([r for r in outcome.inputs if r.path.endswith("standalone.jsonc")]) == 1


def test_missing_path_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="no such file"):
        load_inputs([tmp_path / "nope"])
    with pytest.raises(UsageError, match="parameter file not found"):
        load_inputs([tmp_path], parameter_files=[tmp_path / "nope.json"])


# --- bad input ----------------------------------------------------------------------------------------------


def test_binary_file_named_explicitly_is_not_analysed(tmp_path: Path) -> None:
    binary = tmp_path / "image.json"
    binary.write_bytes(bytes(range(256)) * 4)
    [record] = load_inputs([binary]).inputs
    assert record.status is InputStatus.NOT_ANALYSED
    assert "binary" in record.reason


def test_binary_file_found_by_walking_is_skipped(tmp_path: Path) -> None:
    (tmp_path / "blob.json").write_bytes(bytes(range(256)) * 4)
    assert load_inputs([tmp_path]).inputs == []


def test_json_nested_ten_thousand_deep_is_not_analysed(tmp_path: Path) -> None:
    deep = tmp_path / "deep.json"
    nested = "[" * 10_000 + "]" * 10_000
    deep.write_text(f'{{"$schema": "{TEMPLATE_SCHEMA}", "contentVersion": "1.0.0.0", "resources": {nested}}}')
    [record] = load_inputs([tmp_path]).inputs
    assert record.status is InputStatus.NOT_ANALYSED
    assert "nested too deeply" in record.reason


def test_resource_nested_deeply_in_valid_json_is_not_analysed(tmp_path: Path) -> None:
    value: object = "leaf"
    for _ in range(300):
        value = {"a": value}
    resource = {"type": "Microsoft.Storage/storageAccounts", "apiVersion": "2023-05-01", "name": "st",
                "properties": value}
    (tmp_path / "deep.json").write_text(_template([resource]))
    [record] = load_inputs([tmp_path]).inputs
    assert record.status is InputStatus.NOT_ANALYSED
    assert "deep" in record.reason
    assert record.line == 5


def test_failures_do_not_stop_other_inputs(tmp_path: Path) -> None:
    cases = ("error-unbalanced-brackets", "error-copy-count-too-large", "self-referencing-variable", "basic")
    for case in cases:
        shutil.copy(CASES / case / "template.json", tmp_path / f"{case}.json")
    outcome = load_inputs([tmp_path])
    records = {Path(r.path).stem: r for r in outcome.inputs}
    brackets = records["error-unbalanced-brackets"]
    assert brackets.status is InputStatus.NOT_ANALYSED
    assert brackets.line == 7
    assert "resources[1]" in brackets.reason
    too_many = records["error-copy-count-too-large"]
    assert too_many.status is InputStatus.NOT_ANALYSED
    assert "1,000,000,000" in too_many.reason and too_many.line == 5
    # A variable that refers to itself gives unresolved values, not a failed input.
    assert records["self-referencing-variable"].status is InputStatus.ANALYSED
    assert records["basic"].status is InputStatus.ANALYSED
    assert sorted(_names(outcome)) == ["ai-chat-aiwell-rg", "ai-chat-aiwell-rg/gpt-4o", "app-chat", "stchat"]


def test_notes_reach_the_input_record(tmp_path: Path) -> None:
    shutil.copy(CASES / "conditions" / "template.json", tmp_path / "main.json")
    [record] = load_inputs([tmp_path]).inputs
    assert record.status is InputStatus.ANALYSED
    assert any("condition" in note and "reviewed as deployed" in note for note in record.notes)


def test_key_vault_reference_in_a_parameter_file_is_unresolved(tmp_path: Path) -> None:
    shutil.copy(CASES / "parameter-file" / "template.json", tmp_path / "search.json")
    shutil.copy(CASES / "parameter-file" / "parameters.json", tmp_path / "search.parameters.json")
    outcome = load_inputs([tmp_path])
    [record] = outcome.inputs
    assert record.parameters == str(tmp_path / "search.parameters.json")
    assert any("'unused'" in note for note in record.notes)
    [resource] = outcome.resources
    note = resource.get("properties.note")
    assert isinstance(note, Unresolved) and "Key Vault" in note.reason


def test_a_generated_template_of_five_thousand_resources_loads(tmp_path: Path) -> None:
    resources = [{"type": "Microsoft.Storage/storageAccounts", "apiVersion": "2023-05-01",
                  "name": f"[format('st{{0}}{index:04d}', parameters('prefix'))]",
                  "properties": {"minimumTlsVersion": "TLS1_2", "allowBlobPublicAccess": False}}
                 for index in range(5_000)]
    (tmp_path / "large.json").write_text(_template(
        resources, parameters={"prefix": {"type": "string", "defaultValue": "x"}}))
    outcome = load_inputs([tmp_path])
    [record] = outcome.inputs
    assert record.status is InputStatus.ANALYSED and record.resources == 5_000
    assert outcome.resources[4_999].name == "stx4999"
    assert outcome.resources[4_999].source.address == "resources[4999]"


def test_explicit_parameter_file_for_one_of_several_templates_needs_a_hint(tmp_path: Path) -> None:
    root = _tree(tmp_path, "naming-convention")
    shutil.copy(DISCOVERY / "explicit" / "values" / "custom.json", tmp_path / "custom.json")
    outcome = load_inputs([root], parameter_files=[tmp_path / "custom.json"])
    custom = next(r for r in outcome.inputs if r.path.endswith("custom.json"))
    assert custom.status is InputStatus.NOT_ANALYSED
    assert "set metadata.template" in custom.reason
    assert sum(r.status is InputStatus.ANALYSED for r in outcome.inputs) == 4


def test_terraform_json_syntax_directory_is_a_root_module(tmp_path: Path) -> None:
    (tmp_path / "main.tf.json").write_text(
        '{"resource": {"azurerm_search_service": {"s": {"name": "srch-json", "resource_group_name": "rg",'
        ' "location": "westeurope", "sku": "free"}}}}', encoding="utf-8")
    outcome = load_inputs([tmp_path])
    (record,) = outcome.inputs
    assert record.format == SourceFormat.TERRAFORM.value and record.status is InputStatus.ANALYSED
    assert [r.name for r in outcome.resources] == ["srch-json"]


def test_bicep_module_switched_off_by_a_condition_is_not_dropped(tmp_path: Path) -> None:
    # main.test.bicep uses parent.bicep as a module whose only module call is switched off there; child.bicep is
    # still reviewed: through parent.bicep, or on its own, never silently dropped.
    (tmp_path / "modules").mkdir()
    (tmp_path / "main.test.bicep").write_text(
        "module parent 'parent.bicep' = {\n  name: 'parent'\n  params: { withChild: false }\n}\n", encoding="utf-8")
    (tmp_path / "parent.bicep").write_text(
        "param withChild bool = true\n"
        "module child 'modules/child.bicep' = if (withChild) {\n  name: 'child'\n}\n", encoding="utf-8")
    (tmp_path / "modules" / "child.bicep").write_text(
        "resource st 'Microsoft.Storage/storageAccounts@2023-05-01' = {\n  name: 'stchild'\n  location: 'westeurope'\n"
        "  kind: 'StorageV2'\n  sku: { name: 'Standard_LRS' }\n}\n", encoding="utf-8")
    outcome = load_inputs([tmp_path])
    reviewed = {Path(r.path).resolve() for r in outcome.inputs}
    reviewed |= {Path(f).resolve() for r in outcome.inputs for f in r.files}
    assert {p.resolve() for p in tmp_path.rglob("*.bicep")} <= reviewed
    assert "stchild" in [r.name for r in outcome.resources]


def test_parameter_shaped_json_loaded_by_bicep_is_not_an_orphan(tmp_path: Path) -> None:
    (tmp_path / "nested").mkdir()
    (tmp_path / "main.bicep").write_text(
        "var data = loadJsonContent('nested/read.json')\n"
        "resource st 'Microsoft.Storage/storageAccounts@2023-05-01' = {\n  name: data.parameters.name.value\n"
        "  location: 'westeurope'\n  kind: 'StorageV2'\n  sku: { name: 'Standard_LRS' }\n}\n", encoding="utf-8")
    (tmp_path / "nested" / "read.json").write_text(
        '{"$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentParameters.json#",'
        ' "contentVersion": "1.0.0.0", "parameters": {"name": {"value": "stloaded"}}}', encoding="utf-8")
    outcome = load_inputs([tmp_path])
    (record,) = outcome.inputs
    assert record.status is InputStatus.ANALYSED
    assert [Path(f).name for f in record.files] == ["read.json"]
    assert [r.name for r in outcome.resources] == ["stloaded"]


def test_parameter_file_paired_with_the_only_template_declaring_its_parameters(tmp_path: Path) -> None:
    # Named for no template and in a folder of its own, as `.test/parameters.json` is: the one template one folder
    # up that declares every parameter it sets is its own.
    (tmp_path / ".test").mkdir()
    (tmp_path / "deploy.bicep").write_text(
        "param searchName string\nparam replicas int = 1\n"
        "resource search 'Microsoft.Search/searchServices@2024-06-01-preview' = {\n  name: searchName\n"
        "  location: 'westeurope'\n  sku: { name: 'standard' }\n  properties: { replicaCount: replicas }\n}\n",
        encoding="utf-8")
    (tmp_path / "other.bicep").write_text("param unrelated string = 'x'\n", encoding="utf-8")
    (tmp_path / ".test" / "parameters.json").write_text(
        '{"$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentParameters.json#",'
        ' "contentVersion": "1.0.0.0", "parameters": {"searchName": {"value": "srch-test"}}}', encoding="utf-8")
    outcome = load_inputs([tmp_path])
    records = {(Path(r.path).name, Path(r.parameters).name if r.parameters else None): r for r in outcome.inputs}
    assert ("deploy.bicep", "parameters.json") in records
    assert all(r.status is InputStatus.ANALYSED for r in records.values())
    assert "srch-test" in [r.name for r in outcome.resources]


def test_parameter_file_fitting_two_templates_stays_not_analysed(tmp_path: Path) -> None:
    for name in ("one.json", "two.json"):
        (tmp_path / name).write_text(
            '{"$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",'
            ' "contentVersion": "1.0.0.0", "parameters": {"prefix": {"type": "string"}}, "resources": []}',
            encoding="utf-8")
    (tmp_path / "values.json").write_text(
        '{"$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentParameters.json#",'
        ' "contentVersion": "1.0.0.0", "parameters": {"prefix": {"value": "x"}}}', encoding="utf-8")
    outcome = load_inputs([tmp_path])
    (orphan,) = [r for r in outcome.inputs if Path(r.path).name == "values.json"]
    assert orphan.status is InputStatus.NOT_ANALYSED and "no template found" in orphan.reason


def test_progress_is_reported_for_reading_then_evaluating(tmp_path: Path) -> None:
    root = _tree(tmp_path, "naming-convention")
    calls: list[tuple[int, int]] = []
    load_inputs([root], progress=lambda done, total: calls.append((done, total)))
    # Reading: one step per file, ending at the number of files; then evaluating: one step per template.
    files = len([p for p in root.rglob("*") if p.is_file()])
    assert (files, files) in calls
    assert calls[-1][0] == calls[-1][1] and calls[-1][1] < files
    assert all(done <= total for done, total in calls)
