"""Compare aiwell's own Bicep reader with the Bicep compiler, on modules kept beside the template it compiled.

    python bench/bicep_vs_compiler.py DIR [--diff] [--only SUBSTRING] [--show N]

For every `main.bicep` under DIR with a `main.json` beside it (the Azure Verified Modules repository keeps both),
the native reader reviews `main.bicep` with its defaults and the ARM reader reviews `main.json` with its defaults;
the two resource lists are compared resource by resource: type, name, id, and every other field after evaluation
(`properties`, `sku`, `location`, ...). Resources are matched by id (case-insensitive, as Azure compares ids),
else by type and name. Two values agree when they are equal, or when both are unresolved (neither reader knows
it; their expression texts differ by language); a value one reader knows and the other does not is a difference.

A registry module (`br:`, `br/public:`, `ts:`) is compiled into `main.json` by the compiler, which downloaded it,
while the native reader sees it only when `bicep restore` has put it in the local module cache. A pair whose only
differences lie in what such a module deploys (resources missing from the native side under a registry module's
deployment, and that deployment's own output-dependent values) is counted apart as "differs only inside registry
modules": it is not a defect of the reader, and it is not agreement either.

Prints the counts: pairs, agree fully, differ only inside registry modules, differ elsewhere, and either side
not analysed; with `--diff`, every difference of the pairs that differ. Exit code 0 (a measurement, not a gate).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiwell.errors import InputError
from aiwell.loaders.arm.template import expand_template
from aiwell.loaders.bicep import load_bicep
from aiwell.loaders.files import containment_root
from aiwell.loaders.jsonc import load_json
from aiwell.model import Resource, Unresolved

_DEPLOYMENTS = "microsoft.resources/deployments"


@dataclass(slots=True)
class Comparison:
    """The outcome for one `main.bicep` / `main.json` pair."""

    bicep: Path
    differences: list[str] = field(default_factory=list)
    """Differences outside registry modules (defects of one reader or the other)."""
    registry: list[str] = field(default_factory=list)
    """Differences inside what a registry module the native reader could not read deploys."""
    failed: str = ""
    """Why one side could not be reviewed at all."""

    @property
    def verdict(self) -> str:
        if self.failed:
            return "not analysed"
        if self.differences:
            return "differs"
        if self.registry:
            return "registry only"
        return "agrees"


def pairs(directory: Path) -> list[tuple[Path, Path]]:
    """Every `main.bicep` under `directory` with the `main.json` beside it, in a stable order."""
    found = []
    for bicep in sorted(directory.rglob("main.bicep")):
        compiled = bicep.with_name("main.json")
        if compiled.is_file():
            found.append((bicep, compiled))
    return found


def _key(resource: Resource) -> str:
    if isinstance(resource.id, str):
        return resource.id.lower()
    return f"{resource.type.lower()} {_shown(resource.name).lower()}"


def _shown(value: Any) -> str:
    return "<unresolved>" if isinstance(value, Unresolved) else str(value)


def _fields(resource: Resource) -> dict[str, Any]:
    body = resource.to_arm()
    for key in ("type", "name", "id"):
        body.pop(key, None)
    if resource.type.lower() == _DEPLOYMENTS:
        # A module's deployment: the compiled template sits in `properties.template` on the ARM side; both
        # readers expand it into the resources that follow, which are compared themselves.
        properties = body.get("properties")
        if isinstance(properties, dict):
            body["properties"] = {k: v for k, v in properties.items() if k.lower() not in ("template",)}
    return body


def _walk(first: Any, second: Any, path: str) -> Iterator[tuple[str, Any, Any]]:
    """(path, native, compiled) where two values differ; both unknown counts as the same."""
    if _fully_unresolved(first) and _fully_unresolved(second):
        return
    if isinstance(first, Unresolved) or isinstance(second, Unresolved):
        yield path, first, second
        return
    if isinstance(first, dict) and isinstance(second, dict):
        lowered = {str(k).lower(): k for k in second}
        for key, value in first.items():
            other = lowered.pop(str(key).lower(), None)
            if other is None:
                yield f"{path}.{key}", value, _ABSENT
            else:
                yield from _walk(value, second[other], f"{path}.{key}")
        for other in lowered.values():
            yield f"{path}.{other}", _ABSENT, second[other]
        return
    if isinstance(first, list) and isinstance(second, list) and len(first) == len(second):
        for index, (a, b) in enumerate(zip(first, second, strict=True)):
            yield from _walk(a, b, f"{path}[{index}]")
        return
    if first != second or type(first) is not type(second):
        yield path, first, second


class _Absent:
    def __repr__(self) -> str:
        return "(absent)"


_ABSENT = _Absent()


def _brief(value: Any) -> str:
    if isinstance(value, Unresolved):
        return f"<unresolved: {value.reason}>"
    text = repr(value)
    return text if len(text) <= 120 else text[:117] + "..."


_REGISTRY_REASON = "a registry module, not fetched"


def _fully_unresolved(value: Any) -> bool:
    """Whether nothing in a value is known (an `Unresolved`, or containers of nothing but `Unresolved`)."""
    if isinstance(value, Unresolved):
        return True
    if isinstance(value, dict):
        return bool(value) and all(_fully_unresolved(v) for v in value.values())
    if isinstance(value, list):
        return bool(value) and all(_fully_unresolved(v) for v in value)
    return False


def _unread_deployments(native: list[Resource], unreviewed: list[str]) -> set[str]:
    """Keys of the module deployments whose module the native reader could not read (a registry module)."""
    return {_key(resource) for resource in native
            if resource.type.lower() == _DEPLOYMENTS
            and any(f"module '{resource.source.address}'" in item for item in unreviewed)}


def _beneath(resource: Resource, deployments: list[Resource]) -> bool:
    """Whether a compiled resource lies in the template of one of `deployments` (the ARM reader addresses a
    nested template's resources below their deployment: `x.properties.template.resources.y`)."""
    return any(resource.source.address.startswith(f"{d.source.address}.properties.template.")
               for d in deployments)


def compare(bicep: Path, compiled: Path, root: Path) -> Comparison:
    """Review both files of a pair with their defaults and compare the resources; `root` is the reviewed tree
    (what `aiwell review DIR` would use)."""
    outcome = Comparison(bicep)
    try:
        native_load = load_bicep(bicep, root=root)
    except InputError as exc:
        outcome.failed = f"native: {exc.message} (line {exc.line})"
        return outcome
    try:
        expansion = expand_template(load_json(compiled), root=root)
    except InputError as exc:
        outcome.failed = f"compiled: {exc.message} (line {exc.line})"
        return outcome
    native = {_key(r): r for r in native_load.resources}
    arm = {_key(r): r for r in expansion.resources}
    unread_keys = _unread_deployments(native_load.resources, native_load.unreviewed)
    unread = [arm[key] for key in unread_keys if key in arm]
    for key, resource in arm.items():
        if key not in native:
            found = f"only compiled: {resource.type} {_shown(resource.name)} ({resource.source.address})"
            (outcome.registry if _beneath(resource, unread) else outcome.differences).append(found)
    for key, resource in native.items():
        if key not in arm:
            outcome.differences.append(f"only native: {resource.type} {_shown(resource.name)} "
                                       f"({resource.source.address})")
            continue
        for path, first, second in _walk(_fields(resource), _fields(arm[key]), ""):
            found = f"{resource.source.address}{path}: native {_brief(first)} | compiled {_brief(second)}"
            from_registry = isinstance(first, Unresolved) and _REGISTRY_REASON in first.reason
            (outcome.registry if from_registry else outcome.differences).append(found)
    return outcome


def main(argv: list[str] | None = None) -> int:
    """Run the comparison and print the counts (and, with `--diff`, the differences)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("directory", type=Path, metavar="DIR")
    parser.add_argument("--diff", action="store_true", help="print each difference of the pairs that differ")
    parser.add_argument("--registry", action="store_true", help="with --diff, also list registry-only pairs")
    parser.add_argument("--only", default="", metavar="SUBSTRING", help="only pairs whose path contains this")
    parser.add_argument("--show", type=int, default=30, metavar="N",
                        help="differences to print per pair with --diff (default 30)")
    options = parser.parse_args(argv)

    found = [pair for pair in pairs(options.directory) if options.only in str(pair[0])]
    root = containment_root(options.directory)
    outcomes = [compare(bicep, compiled, root) for bicep, compiled in found]
    counts = {verdict: sum(1 for o in outcomes if o.verdict == verdict)
              for verdict in ("agrees", "registry only", "differs", "not analysed")}
    print(f"pairs:                              {len(outcomes)}")
    print(f"agree fully:                        {counts['agrees']}")
    print(f"differ only inside registry modules: {counts['registry only']}")
    print(f"differ elsewhere:                   {counts['differs']}")
    print(f"not analysed (either side):         {counts['not analysed']}")
    if options.diff:
        for outcome in outcomes:
            if outcome.verdict == "agrees" or (outcome.verdict == "registry only" and not options.registry):
                continue
            shown = outcome.bicep.relative_to(options.directory)
            print(f"\n{shown}: {outcome.verdict}")
            if outcome.failed:
                print(f"  {outcome.failed}")
            listed = outcome.differences or outcome.registry
            for line in listed[: options.show]:
                print(f"  {line}")
            if len(listed) > options.show:
                print(f"  ... and {len(listed) - options.show} more")
    return 0


if __name__ == "__main__":
    sys.exit(main())
