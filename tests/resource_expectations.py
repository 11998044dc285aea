"""Checks shared by the data-driven loader tests (ARM template cases, Bicep cases): one expected resource, written
in an `expected.yaml`, against one loaded resource.

An expected value may be `{$unresolved: TEXT}` (an `Unresolved` whose expression contains TEXT, or any when TEXT is
null) or `{$missing: true}` (the property is absent).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aiwell.model import MISSING, Resource, SourceFormat, Unresolved


def case_dirs(cases: Path) -> list[Path]:
    """The case directories (those with an `expected.yaml`) under `cases`, sorted."""
    return sorted(path for path in cases.iterdir() if (path / "expected.yaml").is_file())


def matches(actual: Any, expected: Any) -> bool:
    """Whether a loaded value is what the case expects (see the module docstring for the markers)."""
    if isinstance(expected, dict) and "$unresolved" in expected:
        wanted = expected["$unresolved"]
        return isinstance(actual, Unresolved) and (wanted is None or wanted in actual.expression)
    if isinstance(expected, dict) and expected.get("$missing") is True:
        return actual is MISSING
    return bool(actual == expected)


def check_resource(case: Path, resource: Resource, expected: dict[str, Any], *, default_file: str,
                   default_format: SourceFormat | None = None) -> None:
    """Assert every field the case states: type, name, id, address, file, lines, dependsOn, property values."""
    label = f"{resource.source.address}: {resource.type} {resource.name}"
    if default_format is not None:
        assert resource.source.format is SourceFormat(expected.get("format", default_format.value)), label
    assert resource.type == expected["type"], label
    assert matches(resource.name, expected["name"]), label
    if "id" in expected:
        assert matches(resource.id, expected["id"]), f"{label}: id {resource.id}"
    if "address" in expected:
        assert resource.source.address == expected["address"], label
    assert resource.source.file == str(case / expected.get("file", default_file)), label
    if "line" in expected:
        assert resource.source.line == expected["line"], label
    if "end_line" in expected:
        assert resource.source.end_line == expected["end_line"], label
    if "depends_on" in expected:
        assert list(resource.depends_on) == expected["depends_on"], label
    for path, value in expected.get("values", {}).items():
        assert matches(resource.get(path), value), f"{label}: {path} = {resource.get(path)!r}"
