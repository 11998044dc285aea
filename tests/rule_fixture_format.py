"""The rule fixture format (`tests/fixtures/rules/<ID>.yaml`, documented in docs/rule-format.md): reading the files,
turning each case into one run per input format, and writing the inputs the real loaders read.

A case is written once and run in every format it gives:

- `resources:` (ARM-shaped resources, as loaders produce them) or `template:` (+ `parameters:`), the `arm` runs
  (`resources:` with `origin: inventory` are inventory runs: resources with an export's provenance);
- `bicep:` and `terraform:`, source snippets run through the Bicep loader and the Terraform loader;
- `inventory:`, an inventory export (Resource Graph rows) run through the inventory loader;
- `also: [bicep, inventory]`, the case's `resources:` written out as a Bicep file or a Resource Graph export;
- `sizing:`, the targets of the sizing plan the review is given (`aiwell review --sizing`), in every run.

Every run must give the case's `expected` results, unless the format's entry is a mapping with its own
`expected` (`terraform: {source: ..., expected: [...]}`, `inventory: {export: [...], expected: [...]}`).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from aiwell.model import Resource, Source, SourceFormat, Unresolved

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "rules"
PLACEHOLDER_SCOPE = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/fixture"
FORMATS = ("arm", "bicep", "terraform", "inventory")
STATUSES = ("pass", "fail", "unknown", "not_applicable")
CASE_KEYS = {"name", "resources", "template", "parameters", "inventory", "bicep", "terraform", "also", "origin",
             "sizing", "expected"}
FILE_KEYS = {"rule", "cases", "formats"}
EXPECTED_KEYS = {"resource", "status", "message", "not_message"}
"""`message` must appear in the result's message, `not_message` must not (both optional)."""
DEFAULT_API_VERSION = "2024-01-01"
"""The API version a generated Bicep resource gets when the fixture resource names none."""


@dataclass(frozen=True)
class Run:
    """One case in one input format."""

    path: Path
    case_index: int
    case_name: str
    format: str
    expected: list[dict[str, Any]]
    """The expected results of this run."""


def fixture_files() -> list[Path]:
    return sorted(FIXTURES.glob("*.yaml"))


def load_fixture(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict) and isinstance(data.get("cases"), list), f"{path}: needs `rule` and `cases`"
    assert set(data) <= FILE_KEYS, f"{path}: unknown keys {set(data) - FILE_KEYS}"
    return data


def runs_of(path: Path, data: dict[str, Any]) -> list[Run]:
    """Every (case, format) run a fixture file gives."""
    runs = []
    for index, case in enumerate(data["cases"]):
        assert isinstance(case, dict), f"{path}: case {index} is not a mapping"
        unknown = set(case) - CASE_KEYS
        assert not unknown, f"{path}: case {index}: unknown keys {unknown}"
        name = str(case.get("name", f"case {index}"))
        also = case.get("also", [])
        assert isinstance(also, list) and set(also) <= {"bicep", "inventory"}, \
            f"{path}: {name}: `also` takes bicep, inventory"
        if also:
            assert "resources" in case, f"{path}: {name}: `also` writes out the case's `resources:`"
        assert not ("resources" in case and "template" in case), f"{path}: {name}: resources or template, not both"
        formats: dict[str, Any] = {}
        if "resources" in case and case.get("origin") == "inventory":
            formats["inventory"] = None  # ARM-shaped resources with an inventory's provenance
        elif "resources" in case or "template" in case:
            formats["arm"] = None
        for key in ("bicep", "terraform", "inventory"):
            if key in case:
                formats[key] = case[key]
        for key in also:
            assert key not in formats, f"{path}: {name}: {key} given and generated"
            formats[key] = None
        assert formats, f"{path}: {name}: a case gives resources, template, bicep, terraform or inventory"
        for label, given in formats.items():
            expected = case.get("expected")
            if isinstance(given, dict) and "expected" in given:
                expected = given["expected"]
            assert isinstance(expected, list), f"{path}: {name} ({label}): needs `expected`"
            runs.append(Run(path, index, name, label, expected))
    return runs


# -- ARM-shaped resources --------------------------------------------------------------------------------------


def unresolved_markers(value: Any) -> Any:
    """Turn `{$unresolved: expr}` anywhere in fixture data into `Unresolved(expr, "fixture")`."""
    if isinstance(value, dict):
        if set(value) == {"$unresolved"}:
            return Unresolved(str(value["$unresolved"]), "fixture")
        return {key: unresolved_markers(item) for key, item in value.items()}
    if isinstance(value, list):
        return [unresolved_markers(item) for item in value]
    return value


def fixture_id(body: dict[str, Any]) -> str | Unresolved:
    """The ARM id of a fixture resource without an `id`: its type and name under a placeholder group."""
    resource_type, name = str(body.get("type", "")), body.get("name")
    if isinstance(name, Unresolved):
        return name
    if isinstance(name, dict) and set(name) == {"$unresolved"}:
        return Unresolved(str(name["$unresolved"]), "fixture")
    name = str(name)
    lowered = resource_type.lower()
    scope = body.get("scope")
    if isinstance(scope, dict) and set(scope) == {"$unresolved"}:
        scope = Unresolved(str(scope["$unresolved"]), "fixture")
    if "/" not in lowered.split("/", 1)[1] and isinstance(scope, (str, Unresolved)) and (
            lowered.startswith(("microsoft.insights/", "microsoft.authorization/"))):
        if isinstance(scope, Unresolved):
            return scope
        return f"{scope.rstrip('/')}/providers/{resource_type}/{name}"
    marker = lowered.find("/providers/")
    if marker >= 0:
        base_type, extension = resource_type[:marker], resource_type[marker + len("/providers/"):]
        depth = len(base_type.split("/")) - 1
        parts = name.split("/")
        base = fixture_id({"type": base_type, "name": "/".join(parts[:depth])})
        return f"{base}/providers/{'/'.join(parts[depth:-1])}/{extension}/{parts[-1]}"
    type_parts, name_parts = resource_type.split("/"), name.split("/")
    segments = [type_parts[0]]
    for child_type, child_name in zip(type_parts[1:], name_parts, strict=False):
        segments += [child_type, child_name]
    return f"{PLACEHOLDER_SCOPE}/providers/{'/'.join(segments)}"


def build_resources(case: dict[str, Any], path: Path) -> list[Resource]:
    source_format = SourceFormat.INVENTORY if case.get("origin") == "inventory" else SourceFormat.ARM
    resources = []
    for index, raw in enumerate(case["resources"]):
        body = unresolved_markers(raw)
        given_id = body.get("id")
        resource_id = given_id if isinstance(given_id, (str, Unresolved)) else fixture_id(raw)
        source = Source(source_format, str(path), None, f"resources[{index}]")
        resources.append(Resource.from_arm(body, source, resource_id=resource_id))
    return resources


# -- inputs for the real loaders -------------------------------------------------------------------------------


def write_template(case: dict[str, Any], directory: Path) -> tuple[Path, list[Path]]:
    target = directory / "template.json"
    target.write_text(json.dumps(case["template"]), encoding="utf-8")
    parameter_files = []
    if case.get("parameters") is not None:
        parameters = directory / "values.json"
        parameters.write_text(json.dumps({
            "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentParameters.json#",
            "contentVersion": "1.0.0.0",
            "parameters": {key: {"value": value} for key, value in case["parameters"].items()},
        }), encoding="utf-8")
        parameter_files.append(parameters)
    return target, parameter_files


def write_source(given: Any, directory: Path, file_name: str) -> Path:
    source = given["source"] if isinstance(given, dict) else given
    assert isinstance(source, str), f"{file_name}: the snippet is text"
    target = directory / file_name
    target.write_text(source, encoding="utf-8")
    return target


def inventory_export(case: dict[str, Any]) -> Any:
    """The case's inventory export: as given (rows, or a wrapper such as Resource Graph's `{data: [...]}`; with its
    own `expected`, under `export:`), or its `resources:` as an export shows them (ids, lower-case types)."""
    given = case.get("inventory")
    if given is not None:
        return given["export"] if isinstance(given, dict) and "expected" in given else given
    rows = []
    for raw in case["resources"]:
        assert "$unresolved" not in json.dumps(raw), "an export has no unresolved values: write its rows"
        row = dict(raw)
        row["id"] = raw.get("id") or fixture_id(raw)
        row["type"] = str(raw["type"]).lower()
        rows.append(row)
    return rows


_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class BicepWriter:
    """Writes ARM-shaped fixture resources as one Bicep file: one `resource` per resource, and a `param` without a
    default for every `{$unresolved}` value (the Bicep loader gives it back unresolved)."""

    def __init__(self) -> None:
        self.params: list[str] = []
        self.symbols: dict[str, str] = {}

    def write(self, resources: list[dict[str, Any]]) -> str:
        for index, raw in enumerate(resources):
            assert "id" not in raw, "a Bicep resource has no literal id: leave `id` out or write the Bicep"
            resource_id = fixture_id(raw)
            if isinstance(resource_id, str):
                self.symbols[resource_id.lower()] = f"r{index}"
        blocks = [self._resource(index, raw) for index, raw in enumerate(resources)]
        return "\n".join(self.params) + "\n\n" + "\n\n".join(blocks) + "\n"

    def _resource(self, index: int, raw: dict[str, Any]) -> str:
        api = raw.get("apiVersion", DEFAULT_API_VERSION)
        lines = [f"resource r{index} '{raw['type']}@{api}' = {{"]
        for key, value in raw.items():
            if key in ("type", "apiVersion", "dependsOn"):
                continue
            if key == "scope":
                symbol = self.symbols.get(str(value).lower()) if isinstance(value, str) else None
                assert symbol is not None or isinstance(value, dict), \
                    "a generated Bicep scope must be another resource of the case"
                lines.append(f"  scope: {symbol if symbol is not None else self._value(value, 'object', 1)}")
                continue
            kind = "object" if key in ("properties", "sku", "identity", "tags") else "string"
            lines.append(f"  {self._key(key)}: {self._value(value, kind, 1)}")
        lines.append("}")
        return "\n".join(lines)

    def _key(self, key: str) -> str:
        return key if _IDENTIFIER.match(key) else self._string(key)

    @staticmethod
    def _string(text: str) -> str:
        escaped = text.replace("\\", "\\\\").replace("'", "\\'").replace("${", "\\${").replace("\n", "\\n")
        return f"'{escaped}'"

    def _value(self, value: Any, kind: str, depth: int) -> str:
        pad = "  " * depth
        if isinstance(value, dict) and set(value) == {"$unresolved"}:
            name = f"p{len(self.params)}"
            self.params.append(f"param {name} {kind}")
            return name
        if isinstance(value, dict):
            if not value:
                return "{}"
            body = "\n".join(f"{pad}  {self._key(str(key))}: {self._value(item, 'object', depth + 1)}"
                             for key, item in value.items())
            return "{\n" + body + f"\n{pad}}}"
        if isinstance(value, list):
            if not value:
                return "[]"
            body = "\n".join(f"{pad}  {self._value(item, 'object', depth + 1)}" for item in value)
            return "[\n" + body + f"\n{pad}]"
        if isinstance(value, bool):
            return "true" if value else "false"
        if value is None:
            return "null"
        if isinstance(value, (int, float)):
            return json.dumps(value)
        return self._string(str(value))


def bicep_from_resources(resources: list[dict[str, Any]]) -> str:
    return BicepWriter().write(resources)


def statuses_by_format(data: dict[str, Any], path: Path) -> dict[str, set[str]]:
    """The statuses a fixture file's runs expect, by input format."""
    found: dict[str, set[str]] = {label: set() for label in FORMATS}
    for run in runs_of(path, data):
        found[run.format].update(str(item["status"]) for item in run.expected)
    return found
