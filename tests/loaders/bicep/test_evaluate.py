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
from aiwell.model import MISSING, Resource, SourceFormat, Unresolved

CASES = Path(__file__).parents[2] / "fixtures" / "bicep" / "evaluate"


def _case_dirs() -> list[Path]:
    return sorted(path for path in CASES.iterdir() if (path / "expected.yaml").is_file())


def _matches(actual: Any, expected: Any) -> bool:
    if isinstance(expected, dict) and "$unresolved" in expected:
        wanted = expected["$unresolved"]
        return isinstance(actual, Unresolved) and (wanted is None or wanted in actual.expression)
    if isinstance(expected, dict) and expected.get("$missing") is True:
        return actual is MISSING
    return bool(actual == expected)


def _load(case: Path, expected: dict[str, Any]) -> Any:
    parameters = expected.get("parameters")
    return load_bicep(case / "main.bicep", parameter_file=case / parameters if parameters else None, root=case)


def _check_resource(case: Path, resource: Resource, expected: dict[str, Any]) -> None:
    label = f"{resource.source.address}: {resource.type} {resource.name}"
    assert resource.source.format is SourceFormat(expected.get("format", "bicep")), label
    assert resource.type == expected["type"], label
    assert _matches(resource.name, expected["name"]), label
    if "id" in expected:
        assert _matches(resource.id, expected["id"]), f"{label}: id {resource.id}"
    if "address" in expected:
        assert resource.source.address == expected["address"], label
    assert resource.source.file == str(case / expected.get("file", "main.bicep")), label
    if "line" in expected:
        assert resource.source.line == expected["line"], label
    if "end_line" in expected:
        assert resource.source.end_line == expected["end_line"], label
    if "depends_on" in expected:
        assert list(resource.depends_on) == expected["depends_on"], label
    for path, value in expected.get("values", {}).items():
        assert _matches(resource.get(path), value), f"{label}: {path} = {resource.get(path)!r}"


@pytest.mark.parametrize("case", _case_dirs(), ids=lambda path: path.name)
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
        _check_resource(case, resource, resource_expected)
    for fragment in expected.get("notes", []):
        assert any(fragment in note for note in loaded.notes), (fragment, loaded.notes)
    if not expected.get("notes"):
        assert loaded.notes == []
    if "files" in expected:
        assert loaded.files == [(case / path).resolve() for path in expected["files"]]


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
