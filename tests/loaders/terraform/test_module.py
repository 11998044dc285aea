"""Terraform root modules evaluated from fixture directories: one parametrised test runs every case.

Each case is `tests/fixtures/terraform/hcl/<case>/` with `.tf`/`.tfvars` files and `expected.yaml`:

```yaml
options: {var_files: [x.tfvars], variables: {name: value}}   # optional
addresses: [...]            # every evaluated resource and data instance, in evaluation order
resources:                  # optional, per address
  azurerm_x.y: {file: main.tf, line: 1, end_line: 4, attributes: {...}}   # attributes: listed keys, exact
notes: [...]                # substrings that some note must contain
inputs: [{file: main.tf, status: analysed, line: 3, reason: substring}]   # load_terraform's records, exact set
```
`"<unresolved>"` in expected attributes stands for an `Unresolved` value.
"""

from __future__ import annotations

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
def test_case(case: Path) -> None:
    expected = yaml.safe_load((case / "expected.yaml").read_text())
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
    notes = evaluation.state.budget.notes
    for fragment in expected.get("notes") or []:
        assert any(fragment in note for note in notes), f"no note contains {fragment!r}: {notes}"
    if "inputs" in expected:
        loaded = load_terraform(case, **_options(case, expected))
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
