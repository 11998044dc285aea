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
