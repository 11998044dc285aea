"""Terraform root modules evaluated from fixture directories: one parametrised test runs every case.

Each case is `tests/fixtures/terraform/hcl/<case>/` with `.tf`/`.tfvars` files and `expected.yaml`:

```yaml
options: {var_files: [x.tfvars], variables: {name: value}}   # optional
environment: {TF_VAR_name: value}   # optional; the test runs with exactly these TF_VAR_* variables set
addresses: [...]            # every evaluated resource and data instance, in evaluation order
resources:                  # optional, per address
  azurerm_x.y: {file: main.tf, line: 1, end_line: 4, attributes: {...}}   # attributes: listed keys, exact
notes: [...]                # substrings that some note must contain
absent_notes: [...]         # substrings that no note may contain
inputs: [{file: main.tf, status: analysed, line: 3, reason: substring}]   # load_terraform's records, exact set
mapped:                     # optional: load_terraform's resources after mapping, exact list, in order
  - {address: azurerm_x.y, type: Microsoft.X/y, name: n, id: "<unresolved>", properties: {a.b: value}}
```
In `mapped`, `id` and `properties` (dotted paths into the ARM properties) are checked only when given.
`"<unresolved>"` in expected attributes stands for an `Unresolved` value.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
import yaml

from aiwell.loaders.terraform import load_terraform
from aiwell.loaders.terraform.load import evaluate_root
from aiwell.model import Unresolved

CASES = Path(__file__).parents[2] / "fixtures" / "terraform" / "hcl"


def _normal(value: Any) -> Any:
    if isinstance(value, Unresolved):
        return "<unresolved>"
    if isinstance(value, dict):
        return {k: _normal(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_normal(v) for v in value]
    return value


def _options(case: Path, expected: dict[str, Any]) -> dict[str, Any]:
    options = expected.get("options") or {}
    return {"var_files": [case / f for f in options.get("var_files", [])],
            "variables": options.get("variables", {}), "root": case}


@pytest.mark.parametrize("case", sorted(p for p in CASES.iterdir() if p.is_dir()), ids=lambda p: p.name)
def test_case(case: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    expected = yaml.safe_load((case / "expected.yaml").read_text())
    for name in [name for name in os.environ if name.startswith("TF_VAR_")]:
        monkeypatch.delenv(name)
    for name, value in (expected.get("environment") or {}).items():
        monkeypatch.setenv(name, value)
    evaluation = evaluate_root(case, **_options(case, expected))
    by_address = {r.address: r for r in evaluation.resources}
    assert [r.address for r in evaluation.resources] == expected["addresses"]
    for address, want in (expected.get("resources") or {}).items():
        got = by_address[address]
        if "file" in want:
            assert Path(got.file).name == want["file"]
        if "line" in want:
            assert (got.line, got.end_line) == (want["line"], want["end_line"])
        attributes = _normal(got.attributes)
        for key, value in (want.get("attributes") or {}).items():
            assert key in attributes, f"{address}: no attribute {key}"
            assert attributes[key] == value, f"{address}.{key}"
    loaded = load_terraform(case, **_options(case, expected))
    notes = loaded.notes
    for fragment in expected.get("notes") or []:
        assert any(fragment in note for note in notes), f"no note contains {fragment!r}: {notes}"
    for fragment in expected.get("absent_notes") or []:
        assert not any(fragment in note for note in notes), f"a note contains {fragment!r}: {notes}"
    if "mapped" in expected:
        got_mapped = [{"address": r.source.address, "type": r.type, "name": _normal(r.name)} for r in loaded.resources]
        assert got_mapped == [{k: want[k] for k in ("address", "type", "name")} for want in expected["mapped"]]
        for resource, want in zip(loaded.resources, expected["mapped"], strict=True):
            if "id" in want:
                assert _normal(resource.id) == want["id"], resource.source.address
            for path, value in (want.get("properties") or {}).items():
                assert _normal(resource.get(f"properties.{path}")) == value, f"{resource.source.address}: {path}"
    if "inputs" in expected:
        got_inputs = []
        for record in loaded.inputs:
            got_inputs.append({"file": Path(record.path).name, "status": record.status.value, "line": record.line,
                               "reason": record.reason})
        assert len(got_inputs) == len(expected["inputs"])
        for got_record, want_record in zip(got_inputs, expected["inputs"], strict=True):
            assert got_record["file"] == want_record["file"]
            assert got_record["status"] == want_record["status"]
            assert got_record["line"] == want_record.get("line")
            assert want_record.get("reason", "") in got_record["reason"]


def test_unknown_variable_file_is_a_usage_error(tmp_path: Path) -> None:
    from aiwell.errors import UsageError

    (tmp_path / "main.tf").write_text('variable "x" {}\n')
    with pytest.raises(UsageError):
        load_terraform(tmp_path, var_files=[tmp_path / "absent.tfvars"])


def test_resources_are_mapped_with_terraform_sources(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(
        'resource "azurerm_cognitive_account" "oai" {\n'
        '  name                = "oai-demo"\n'
        '  resource_group_name = "rg-demo"\n'
        '  location            = "swedencentral"\n'
        '  kind                = "OpenAI"\n'
        '  sku_name            = "S0"\n'
        '  local_auth_enabled  = false\n'
        '}\n'
        'resource "azurerm_monitor_diagnostic_setting" "oai" {\n'
        '  name               = "diag"\n'
        '  target_resource_id = azurerm_cognitive_account.oai.id\n'
        '}\n')
    loaded = load_terraform(tmp_path)
    account = next(r for r in loaded.resources if r.is_type("Microsoft.CognitiveServices/accounts"))
    assert account.source.address == "azurerm_cognitive_account.oai"
    assert (account.source.line, account.source.end_line) == (1, 8)
    assert account.source.format == "terraform"
    assert isinstance(account.id, str) and account.id.endswith("/resourceGroups/rg-demo/providers/"
                                                               "Microsoft.CognitiveServices/accounts/oai-demo")
    diagnostic = next(r for r in loaded.resources if r.is_type("Microsoft.Insights/diagnosticSettings"))
    assert diagnostic.to_arm().get("scope") == account.id


def test_unresolved_ids_name_their_instance(tmp_path: Path) -> None:
    """Two instances whose names share an unresolved expression keep distinct ids, so neither is taken for the
    other (a patch, an edge in the graph)."""
    case = CASES / "unresolved_instances"
    loaded = load_terraform(case, root=case)
    accounts = [r for r in loaded.resources if r.source.address.endswith("azurerm_cognitive_account.this")]
    ids = [r.id for r in accounts]
    assert all(isinstance(i, Unresolved) for i in ids)
    assert [i.expression for i in ids if isinstance(i, Unresolved)] == [
        "module.first.azurerm_cognitive_account.this.id", "module.second.azurerm_cognitive_account.this.id"]


ACCOUNT = ('resource "azurerm_cognitive_account" "a" {\n  name = "oai"\n  resource_group_name = "rg"\n'
           '  location = "westeurope"\n  kind = "OpenAI"\n  sku_name = "S0"\n}\n')


def _not_analysed(loaded: Any) -> list[Any]:
    return [r for r in loaded.inputs if r.status.value == "not_analysed"]


def test_a_fifo_or_dangling_link_named_tf_is_recorded_not_read(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(ACCOUNT)
    os.mkfifo(tmp_path / "pipe.tf")
    (tmp_path / "gone.tf").symlink_to(tmp_path / "absent.tf")
    (tmp_path / "folder.tf").mkdir()  # a directory named like a file is not a file, as for Terraform
    loaded = load_terraform(tmp_path, root=tmp_path)
    reasons = {Path(r.path).name: r.reason for r in _not_analysed(loaded)}
    assert set(reasons) == {"pipe.tf", "gone.tf"}
    assert "FIFO" in reasons["pipe.tf"]
    assert [r.name for r in loaded.resources] == ["oai"]


def test_file_function_does_not_read_a_fifo(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.json")
    (tmp_path / "main.tf").write_text(ACCOUNT.replace('"oai"', 'file("pipe.json")'))
    (resource,) = evaluate_root(tmp_path, root=tmp_path).resources
    value = resource.attributes["name"]
    assert isinstance(value, Unresolved) and "FIFO" in value.reason


def test_a_tf_file_linked_from_outside_the_tree_is_not_read_or_quoted(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.tf").write_text('token = "s3cr3t-value"\n')
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "main.tf").write_text(ACCOUNT)
    (tree / "linked.tf").symlink_to(outside / "secret.tf")
    loaded = load_terraform(tree, root=tree)
    (record,) = _not_analysed(loaded)
    assert Path(record.path).name == "linked.tf" and "outside" in record.reason
    assert "s3cr3t" not in repr(loaded)


def test_modules_json_entries_outside_the_tree_are_not_read(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "main.tf").write_text(ACCOUNT)
    root = tmp_path / "root"
    (root / ".terraform" / "modules").mkdir(parents=True)
    (root / ".terraform" / "modules" / "modules.json").write_text(
        '{"Modules": [{"Key": "ai", "Source": "registry.terraform.io/x/y/azurerm", "Dir": "../elsewhere"}]}')
    (root / "main.tf").write_text('module "ai" {\n  source = "x/y/azurerm"\n}\n')
    loaded = load_terraform(root, root=root)
    assert loaded.resources == []
    (record,) = _not_analysed(loaded)
    assert record.address == "module.ai" and "outside the reviewed tree" in record.reason


@pytest.mark.parametrize(("count", "reason"), [("-1", "whole number of 0 or more"), ("1.5", "whole number"),
                                               ("null", "null"), ('"x"', "not a number")])
def test_a_count_terraform_rejects_is_not_analysed(tmp_path: Path, count: str, reason: str) -> None:
    (tmp_path / "main.tf").write_text(ACCOUNT.replace('{\n', f'{{\n  count = {count}\n', 1)
                                      + 'module "m" {\n  source = "./m"\n  count = -1\n}\n')
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "main.tf").write_text(ACCOUNT)
    loaded = load_terraform(tmp_path, root=tmp_path)
    assert loaded.resources == []
    records = {r.address: r for r in _not_analysed(loaded)}
    assert set(records) == {"azurerm_cognitive_account.a", "module.m"}
    assert reason in records["azurerm_cognitive_account.a"].reason
    assert (records["azurerm_cognitive_account.a"].line, records["module.m"].line) == (1, 9)


def test_the_work_budget_running_out_is_not_analysed(tmp_path: Path) -> None:
    from aiwell.loaders.terraform.expressions import Budget

    resources = "".join(ACCOUNT.replace('"a"', f'"a{i}"').replace('"oai"', f'"oai{i}"') for i in range(30))
    (tmp_path / "main.tf").write_text(resources)
    evaluation = evaluate_root(tmp_path, root=tmp_path, budget=Budget(max_steps=100))
    (record,) = evaluation.inputs
    assert record.status.value == "not_analysed" and "after 100 steps" in record.reason
    assert 0 < len(evaluation.resources) < 30
    assert f"after {evaluation.resources[-1].address}" in record.reason


def test_child_module_files_keep_the_path_convention_of_the_root(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "repo" / "examples" / "default").mkdir(parents=True)
    (tmp_path / "repo" / "main.tf").write_text(ACCOUNT.replace('"oai"', "var.name") + 'variable "name" {}\n')
    (tmp_path / "repo" / "examples" / "default" / "main.tf").write_text(
        'module "test" {\n  source = "../../"\n  name = "oai"\n}\n')
    monkeypatch.chdir(tmp_path)
    loaded = load_terraform(Path("repo/examples/default"), root=tmp_path / "repo")
    (account,) = loaded.resources
    assert account.source.file == str(Path("repo/main.tf"))
    assert account.source.address == "module.test.azurerm_cognitive_account.a"


def test_a_missing_registry_module_is_reported_once_for_all_roots_that_reach_it(tmp_path: Path) -> None:
    from aiwell.loaders import load_inputs

    (tmp_path / ".git").mkdir()  # the repository is the reviewed tree
    (tmp_path / "main.tf").write_text(ACCOUNT + 'module "naming" {\n  source = "Azure/naming/azurerm"\n}\n')
    for example in ("one", "two", "three"):
        (tmp_path / "examples" / example).mkdir(parents=True)
        (tmp_path / "examples" / example / "main.tf").write_text('module "test" {\n  source = "../../"\n}\n')
    outcome = load_inputs([tmp_path / "examples"])
    missing = [r for r in outcome.inputs if r.status.value == "not_analysed"]
    assert len(missing) == 1 and missing[0].address == "module.test.module.naming"
    assert len(outcome.resources) == 3 and all(r.source.partial for r in outcome.resources)


def test_json_syntax_and_tfvars_json_read_lone_surrogates_as_go_does(tmp_path: Path) -> None:
    (tmp_path / "main.tf.json").write_text(
        '{"variable": {"suffix": {}}, "resource": {"azurerm_storage_account": {"s": {"name": "st\\ud800${var.suffix}",'
        ' "resource_group_name": "rg", "location": "westeurope", "account_tier": "Standard",'
        ' "account_replication_type": "LRS"}}}}')
    (tmp_path / "terraform.tfvars.json").write_text('{"suffix": "x\\udc00"}')
    loaded = load_terraform(tmp_path, root=tmp_path)
    (account,) = loaded.resources
    assert account.name == "st\ufffdx\ufffd"


_AI_MODULE = '''variable "name" {}
resource "azurerm_cognitive_account" "this" {
  name                          = var.name
  resource_group_name           = "rg"
  location                      = "westeurope"
  kind                          = "OpenAI"
  sku_name                      = "S0"
  public_network_access_enabled = false
}
resource "azurerm_private_endpoint" "this" {
  name                = "pe"
  resource_group_name = "rg"
  location            = "westeurope"
  subnet_id           = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v/subnets/s"
  private_service_connection {
    name                           = "psc"
    private_connection_resource_id = azurerm_cognitive_account.this.id
    subresource_names              = ["account"]
    is_manual_connection           = false
  }
}
resource "azurerm_monitor_diagnostic_setting" "this" {
  name                       = "diag"
  target_resource_id         = azurerm_cognitive_account.this.id
  log_analytics_workspace_id = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.OperationalInsights/workspaces/l"
  enabled_log {
    category_group = "allLogs"
  }
}
'''


@pytest.mark.parametrize("calls", [
    'module "east" {\n  source = "./ai"\n  name = "oai-${random_string.s.result}"\n}\n'
    'module "west" {\n  source = "./ai"\n  name = "oai-${random_string.s.result}"\n}\n',
    'module "ai" {\n  source = "./ai"\n  count = 2\n  name = "oai-${count.index}-${random_string.s.result}"\n}\n',
    'module "ai" {\n  source = "./ai"\n  for_each = toset(["a", "b"])\n  name = "oai-${random_string.s.result}"\n}\n',
], ids=["two-calls", "count", "for_each"])
def test_private_endpoints_and_diagnostics_in_a_module_called_twice_link_to_their_own_account(
        tmp_path: Path, calls: str) -> None:
    """The account's name is only known when applied, so its id is unresolved; each instance's endpoint and
    diagnostic setting still point at the account of their own instance (AIS004 and AIS005 pass, not unknown)."""
    from aiwell.review import review

    (tmp_path / ".git").mkdir()
    (tmp_path / "ai").mkdir()
    (tmp_path / "ai" / "main.tf").write_text(_AI_MODULE)
    (tmp_path / "main.tf").write_text('resource "random_string" "s" {\n  length = 6\n}\n' + calls)
    report = review([tmp_path])
    accounts = [r for r in report.resources if r.is_type("Microsoft.CognitiveServices/accounts")]
    assert len(accounts) == 2 and all(isinstance(a.id, Unresolved) for a in accounts)
    verdicts = {(r.rule.id, r.resource_id.expression if isinstance(r.resource_id, Unresolved) else r.resource_id):
                r.status.value for r in report.results if r.rule.id in ("AIS004", "AIS005")}
    assert sorted(verdicts.values()) == ["pass"] * 4, verdicts
    from aiwell.graph import ResourceGraph

    graph = ResourceGraph(report.resources)
    for account in accounts:
        (endpoint,) = graph.private_endpoints_to(account)
        prefix = account.source.address.rsplit("azurerm_cognitive_account", 1)[0]
        assert endpoint.source.address == f"{prefix}azurerm_private_endpoint.this"
        (setting,) = graph.diagnostic_settings_for(account)
        assert setting.source.address == f"{prefix}azurerm_monitor_diagnostic_setting.this"


def test_example_roots_that_call_one_module_each_link_to_their_own_account(tmp_path: Path) -> None:
    """Two example roots call the repository's module, reviewed together: both hold
    `module.ai.azurerm_cognitive_account.this`, declared in the same file, with the same unresolved id. Each
    endpoint and diagnostic setting links to the account of its own root (AIS004 and AIS005 pass, not unknown)."""
    from aiwell.graph import ResourceGraph
    from aiwell.review import review

    (tmp_path / ".git").mkdir()
    (tmp_path / "main.tf").write_text(_AI_MODULE)
    for example in ("private", "public"):
        (tmp_path / "examples" / example).mkdir(parents=True)
        (tmp_path / "examples" / example / "main.tf").write_text(
            'resource "random_string" "s" {\n  length = 6\n}\n'
            'module "ai" {\n  source = "../../"\n  name = "oai-${random_string.s.result}"\n}\n')
    report = review([tmp_path / "examples"])
    accounts = [r for r in report.resources if r.is_type("Microsoft.CognitiveServices/accounts")]
    assert len(accounts) == 2 and len({a.source.input for a in accounts}) == 2
    assert all(isinstance(a.id, Unresolved) for a in accounts)
    assert len({a.id.expression for a in accounts if isinstance(a.id, Unresolved)}) == 1
    verdicts = [r.status.value for r in report.results if r.rule.id in ("AIS004", "AIS005")]
    assert verdicts == ["pass"] * 4, [(r.rule.id, r.input, r.message) for r in report.results
                                      if r.rule.id in ("AIS004", "AIS005")]
    graph = ResourceGraph(report.resources)
    for account in accounts:
        (endpoint,) = graph.private_endpoints_to(account)
        assert endpoint.source.input == account.source.input
        (setting,) = graph.diagnostic_settings_for(account)
        assert setting.source.input == account.source.input


def test_local_modules_read_with_a_root_are_listed_in_its_record(tmp_path: Path) -> None:
    # A module called with no instance is still read (and its syntax checked) with the root: it is part of the input.
    (tmp_path / "modules" / "account").mkdir(parents=True)
    (tmp_path / "modules" / "account" / "main.tf").write_text(ACCOUNT)
    (tmp_path / "modules" / "unused").mkdir()
    (tmp_path / "modules" / "unused" / "main.tf").write_text(ACCOUNT)
    (tmp_path / "main.tf").write_text('module "account" {\n  source = "./modules/account"\n}\n'
                                      'module "unused" {\n  source = "./modules/unused"\n  count  = 0\n}\n')
    loaded = load_terraform(tmp_path, root=tmp_path)
    (record,) = loaded.inputs
    assert record.status.value == "analysed"
    assert {Path(path).parent.name for path in record.files} == {"account", "unused"}
    assert [resource.source.address for resource in loaded.resources] == ["module.account.azurerm_cognitive_account.a"]
