"""Runs every template case under tests/fixtures/templates/cases/ through the template loader.

A case is a directory with `template.json`, an optional `parameters.json` and `expected.yaml`:

    description: what the case shows
    resources:                  # the exact list of deployed resources, in order
      - type: ...               # full type
        name: ...               # full name, or {$unresolved: <text in the expression> | null}
        id: ...                 # optional, same forms as name
        address: ...            # optional: Source.address
        file: ...               # optional: Source.file relative to the case directory (default template.json)
        line: 12                # optional: Source.line (and end_line)
        depends_on: [...]       # optional
        values: {path: value}   # optional: Resource.get(path); {$unresolved: ...} or {$missing: true} allowed
    notes: [substring, ...]     # each must appear in some note
    linked: [path, ...]         # optional: the linked templates read, relative to the case directory
    error: substring            # instead of resources: the expansion raises TemplateError with this reason
    error_line: 7
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from aiwell.errors import TemplateError
from aiwell.loaders.arm.parameters import read_parameter_file
from aiwell.loaders.arm.template import expand_template
from aiwell.loaders.jsonc import load_json
from resource_expectations import case_dirs, check_resource

CASES = Path(__file__).parents[2] / "fixtures" / "templates" / "cases"


def _expand(case: Path) -> Any:
    parameters = None
    parameter_path = case / "parameters.json"
    if parameter_path.is_file():
        parameters = read_parameter_file(load_json(parameter_path, track=()).value, parameter_path).values
    return expand_template(load_json(case / "template.json"), parameters=parameters, root=case)


@pytest.mark.parametrize("case", case_dirs(CASES), ids=lambda path: path.name)
def test_template_case(case: Path) -> None:
    expected = yaml.safe_load((case / "expected.yaml").read_text(encoding="utf-8"))
    if "error" in expected:
        with pytest.raises(TemplateError) as raised:
            _expand(case)
        assert expected["error"] in raised.value.message
        assert raised.value.line == expected.get("error_line")
        return
    expansion = _expand(case)
    wanted = expected.get("resources", [])
    assert len(expansion.resources) == len(wanted), [(r.type, str(r.name)) for r in expansion.resources]
    for resource, resource_expected in zip(expansion.resources, wanted, strict=True):
        check_resource(case, resource, resource_expected, default_file="template.json")
    for fragment in expected.get("notes", []):
        assert any(fragment in note for note in expansion.notes), (fragment, expansion.notes)
    if not expected.get("notes"):
        assert expansion.notes == []
    if "linked" in expected:
        assert expansion.linked_files == {(case / path).resolve() for path in expected["linked"]}
