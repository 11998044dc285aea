"""The Bicep reader agrees with the compiler: each case under tests/fixtures/bicep/compiled/ is a `main.bicep` and
the `main.json` the Bicep compiler emits for it (trimmed to what is compared, its expressions written as the
compiler writes them in the Azure Verified Modules' compiled templates). The native reader on `main.bicep` and the
ARM reader on `main.json` must give the same resources: type, name, id and every other field, in order.

`bench/bicep_vs_compiler.py` runs the same comparison over the whole AVM repository.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from aiwell.loaders.arm.template import expand_template
from aiwell.loaders.bicep import load_bicep
from aiwell.loaders.jsonc import load_json
from aiwell.model import Resource

CASES = Path(__file__).parents[2] / "fixtures" / "bicep" / "compiled"


def _shape(resource: Resource) -> dict[str, Any]:
    body = resource.to_arm()
    properties = body.get("properties")
    if isinstance(properties, dict):
        # The compiled template of a module sits in the deployment's properties; both readers expand it.
        body["properties"] = {k: v for k, v in properties.items() if k != "template"}
    return body


@pytest.mark.parametrize("case", sorted(p for p in CASES.iterdir() if (p / "main.json").is_file()),
                         ids=lambda path: path.name)
def test_native_reader_matches_the_compiled_template(case: Path) -> None:
    native = load_bicep(case / "main.bicep", root=case)
    compiled = expand_template(load_json(case / "main.json"), root=case)
    assert [_shape(r) for r in native.resources] == [_shape(r) for r in compiled.resources]
    assert native.unreviewed == compiled.unreviewed == []
