"""Runs every Bicep evaluation case under tests/fixtures/bicep/evaluate/ through `load_bicep`.

A case is a directory with `main.bicep` (and any modules or files it reads), an optional parameter file, and
`expected.yaml`:

    description: what the case shows
    parameters: main.bicepparam   # optional: the parameter file given to load_bicep
    resources:                    # the exact list of deployed resources, in order
      - type: ...                 # full type
        name: ...                 # full name, or {$unresolved: <text in the expression> | null}
        id: ...                   # optional, same forms as name
        address: ...              # optional: Source.address
        file: ...                 # optional: Source.file relative to the case directory (default main.bicep)
        format: arm               # optional: Source.format (default bicep; an ARM JSON module's resources are arm)
        line: 12                  # optional: Source.line (and end_line)
        depends_on: [...]         # optional
        values: {path: value}     # optional: Resource.get(path); {$unresolved: ...} or {$missing: true} allowed
    notes: [substring, ...]       # each must appear in some note (no notes at all when absent)
    files: [path, ...]            # optional: the module and loaded files read, relative to the case directory
    unreviewed: [substring, ...]  # each must appear in some part not reviewed (none at all when absent)
    not_analysed:                 # the local modules that could not be read (none at all when absent)
      - {address: ..., line: 3, reason: substring}
    error: substring              # instead of resources: load_bicep raises InputError with this reason
    error_line: 7
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from aiwell.errors import InputError
from aiwell.loaders.bicep.load import bicepparam_target, load_bicep
from aiwell.model import SourceFormat, Unresolved
from resource_expectations import case_dirs, check_resource

CASES = Path(__file__).parents[2] / "fixtures" / "bicep" / "evaluate"


def _load(case: Path, expected: dict[str, Any]) -> Any:
    parameters = expected.get("parameters")
    return load_bicep(case / "main.bicep", parameter_file=case / parameters if parameters else None, root=case)


@pytest.mark.parametrize("case", case_dirs(CASES), ids=lambda path: path.name)
def test_bicep_case(case: Path) -> None:
    expected = yaml.safe_load((case / "expected.yaml").read_text(encoding="utf-8"))
    if "error" in expected:
        with pytest.raises(InputError) as raised:
            _load(case, expected)
        assert expected["error"] in raised.value.message
        assert raised.value.line == expected.get("error_line")
        return
    loaded = _load(case, expected)
    wanted = expected.get("resources", [])
    assert len(loaded.resources) == len(wanted), [(r.source.address, r.type, str(r.name)) for r in loaded.resources]
    for resource, resource_expected in zip(loaded.resources, wanted, strict=True):
        check_resource(case, resource, resource_expected, default_file="main.bicep", default_format=SourceFormat.BICEP)
    for fragment in expected.get("notes", []):
        assert any(fragment in note for note in loaded.notes), (fragment, loaded.notes)
    if not expected.get("notes"):
        assert loaded.notes == []
    if "files" in expected:
        assert loaded.files == [(case / path).resolve() for path in expected["files"]]
    wanted_unreviewed = expected.get("unreviewed", [])
    for fragment in wanted_unreviewed:
        assert any(fragment in part for part in loaded.unreviewed), (fragment, loaded.unreviewed)
    if not wanted_unreviewed:
        assert loaded.unreviewed == []
    records = [{"address": r.address, "line": r.line, "reason": r.reason} for r in loaded.not_analysed]
    wanted_records = expected.get("not_analysed", [])
    assert len(records) == len(wanted_records), records
    for record, wanted_record in zip(records, wanted_records, strict=True):
        assert (record["address"], record["line"]) == (wanted_record["address"], wanted_record["line"]), record
        assert wanted_record["reason"] in record["reason"], record
    assert all(r.status.value == "not_analysed" and r.path == str(case / "main.bicep") for r in loaded.not_analysed)


def test_bicepparam_target_follows_using(tmp_path: Path) -> None:
    (tmp_path / "infra").mkdir()
    param_file = tmp_path / "infra" / "dev.bicepparam"
    param_file.write_text("using '../main.bicep'\nparam name = 'x'\n", encoding="utf-8")
    assert bicepparam_target(param_file) == tmp_path / "main.bicep"


def test_bicepparam_target_is_none_for_using_none(tmp_path: Path) -> None:
    param_file = tmp_path / "shared.bicepparam"
    param_file.write_text("using none\nparam name = 'x'\n", encoding="utf-8")
    assert bicepparam_target(param_file) is None


def test_bicepparam_without_using_is_an_input_error(tmp_path: Path) -> None:
    param_file = tmp_path / "bad.bicepparam"
    param_file.write_text("param name = 'x'\n", encoding="utf-8")
    with pytest.raises(InputError) as raised:
        bicepparam_target(param_file)
    assert "using" in raised.value.message


def test_a_module_whose_scope_is_partly_unknown_never_gets_the_enclosing_group_or_subscription(
        tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / "reads.bicep").write_text(
        "resource tags 'Microsoft.Resources/tags@2022-09-01' = {\n  name: 'default'\n  properties: {\n"
        "    group: resourceGroup().name\n    groupId: resourceGroup().id\n"
        "    subscription: subscription().subscriptionId\n    other: resourceGroup('rg-other').id\n  }\n}\n",
        encoding="utf-8")
    main = tmp_path / "main.bicep"
    main.write_text("param group string\nparam sub string\n"
                    "module unknownGroup 'reads.bicep' = {\n  name: 'g'\n  scope: resourceGroup(group)\n}\n"
                    "module unknownSubscription 'reads.bicep' = {\n  name: 's'\n"
                    "  scope: resourceGroup(sub, 'rg-x')\n}\n",
                    encoding="utf-8")
    tags = {r.source.address.split(".")[0]: r for r in load_bicep(main, root=tmp_path).resources
            if r.type == "Microsoft.Resources/tags"}
    group, subscription = tags["unknownGroup"], tags["unknownSubscription"]
    for key in ("group", "groupId"):
        assert isinstance(group.get(f"properties.{key}"), Unresolved), key
    assert group.get("properties.subscription") == "00000000-0000-0000-0000-000000000000"
    assert subscription.get("properties.group") == "rg-x"
    for key in ("groupId", "subscription", "other"):
        assert isinstance(subscription.get(f"properties.{key}"), Unresolved), key
