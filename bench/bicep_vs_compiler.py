"""Compare aiwell's own Bicep reader with the Bicep compiler, on modules kept beside the template it compiled.

    python bench/bicep_vs_compiler.py DIR [--diff] [--all] [--only SUBSTRING] [--show N]

For every `main.bicep` under DIR with a `main.json` beside it (the Azure Verified Modules repository keeps both),
the native reader reviews `main.bicep` with its defaults and the ARM reader reviews `main.json` with its defaults,
both with DIR's containment root as the reviewed tree (what `aiwell review DIR` uses). The two resource lists are
compared resource by resource: type, name, id, and every other field after evaluation (`properties`, `sku`,
`location`, ...). Resources are matched by id (case-insensitive, as Azure compares ids; two resources with the same
id pair in order), then by address with the nested templates left out, by type and name, and last by type in order
under the same deployment where one side's id is unresolved. Two values agree when they are equal, or when neither
reader knows them (both unresolved: their expression texts differ by language; an object key that is unresolved on
both sides).

Every pair is compared twice. First with an empty module cache, as a user who has not run `bicep restore` sees it.
Then, when the native reader could not read some registry modules (`br:`, `ts:`), with the template the compiler
embedded in `main.json` for each of them written into a temporary module cache, laid out as `bicep restore` lays it
out: the native reader then reads them as it reads a restored cache. The bench runs with its own home directory,
so the machine's `~/.bicep` never changes a figure.

Not compared: the `apiVersion` of `Microsoft.Resources/deployments` (the compiler gives a module's deployment the
API version of its own release, so it changes with the Bicep version that built `main.json`), and the inline
template of a deployment (both readers expand it into the resources that follow, which are compared).

Each pair that does not agree fully is counted under the first of these that explains all its differences:

- **registry modules**: the pair agrees fully once the registry modules are in the cache. Not a defect of the
  reader, and not agreement either: a user who has not run `bicep restore` gets an input marked partial.
- **ARM reader knows less**: the native reader knows a value (or deploys a resource) that the ARM reader on the
  compiled template leaves unresolved (`reference()` of a nested deployment's outputs, a nullable parameter without
  a default, a copy loop it does not expand) - defects of the ARM reader, not of this one.
- **ARM reader makes a value up**: the native reader leaves a value unresolved because the name or resource group
  of the nested deployment it is in is unresolved, and the ARM reader fills in those of the enclosing deployment
  instead (`uniqueString(deployment().name)` in a module whose name is unknown) - a defect of the ARM reader.
- **stale main.json**: a resource declared in `main.bicep` has another API version in `main.json`, so `main.json`
  was compiled from an older `main.bicep`; its other differences can't be blamed on either reader.
- **differs**: anything else - the defects to fix.

For a pair that uses unread registry modules, the categories after `registry modules` describe the comparison with
them cached. Also printed: how many pairs agree fully once the registry modules are cached.

Prints the counts, and with `--diff` every difference of the pairs in the last category (`--all`: of every pair that
does not agree fully). Exit code 0 (a measurement, not a gate).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator
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
_NOT_IN_CACHE = "registry module not in the local module cache"
_TRAILING_INDEX = re.compile(r"\[\d+\]$")
_UNREAD = re.compile(r"module '(?P<symbol>[^']+)' \((?P<reference>[^)]*)\) is not in the local module cache "
                     r"\((?P<path>.+?); run")
_GUESSED = ("the deployment's name is unresolved", "the scope is unresolved")
"""Reasons of native values the ARM reader fills in from the enclosing deployment instead (the name and the
resource group of a nested deployment whose own are unresolved)."""
_VERDICTS = ("agrees", "registry modules", "ARM reader knows less", "ARM reader guesses", "stale main.json", "differs",
             "not analysed")


@dataclass(slots=True)
class Difference:
    text: str
    kind: str
    """`registry modules`, `ARM reader knows less`, `ARM reader guesses`, `stale main.json` or `differs`."""


@dataclass(slots=True)
class Comparison:
    """The outcome for one `main.bicep` / `main.json` pair."""

    bicep: Path
    differences: list[Difference] = field(default_factory=list)
    failed: str = ""
    """Why one side could not be reviewed at all."""
    restorable: dict[Path, Any] = field(default_factory=dict)
    """Registry modules the native reader could not read: where the module cache would hold each, and the
    template the compiler embedded for it."""

    @property
    def verdict(self) -> str:
        if self.failed:
            return "not analysed"
        kinds = {d.kind for d in self.differences}
        if not kinds:
            return "agrees"
        if "stale main.json" in kinds:
            return "stale main.json"
        if "differs" in kinds:
            return "differs"
        for kind in ("ARM reader guesses", "ARM reader knows less"):
            if kind in kinds:
                return kind
        return "registry modules"


def pairs(directory: Path) -> list[tuple[Path, Path]]:
    """Every `main.bicep` under `directory` with the `main.json` beside it, in a stable order."""
    return [(bicep, bicep.with_name("main.json")) for bicep in sorted(directory.rglob("main.bicep"))
            if bicep.with_name("main.json").is_file()]


def _key(resource: Resource) -> str:
    if isinstance(resource.id, str):
        return resource.id.lower()
    return f"{resource.type.lower()} {_shown(resource.name).lower()}"


def _shown(value: Any) -> str:
    return "<unresolved>" if isinstance(value, Unresolved) else str(value)


def _fields(resource: Resource) -> dict[str, Any]:
    body = resource.to_arm()
    body.pop("type", None)
    for key in ("name", "id"):
        # Compared as Azure compares them: without regard to case (pairs matched by id agree on it already).
        if isinstance(body.get(key), str):
            body[key] = body[key].lower()
    if resource.type.lower() == _DEPLOYMENTS:
        body.pop("apiVersion", None)
        properties = body.get("properties")
        if isinstance(properties, dict):
            body["properties"] = {k: v for k, v in properties.items() if k.lower() != "template"}
    return body


def _fully_unresolved(value: Any) -> bool:
    """Whether nothing in a value is known (an `Unresolved`, or containers of nothing but `Unresolved`)."""
    if isinstance(value, Unresolved):
        return True
    if isinstance(value, dict):
        return bool(value) and all(_fully_unresolved(v) for v in value.values())
    if isinstance(value, list):
        return bool(value) and all(_fully_unresolved(v) for v in value)
    return False


def _unresolved_key(key: str, *, native: bool) -> bool:
    """An object key neither reader could compute: the native reader keeps the Bicep text (`'${x}'`), the ARM
    reader the expression (`[format(...)]`)."""
    if native:
        return key.startswith("'") and key.endswith("'") and "${" in key
    return key.startswith("[") and key.endswith("]")


class _Absent:
    def __repr__(self) -> str:
        return "(absent)"


_ABSENT = _Absent()


class _UnknownKey:
    """An object key only one reader could compute: in place of the value of the other's known key."""

    def __init__(self, key: str) -> None:
        self.key = key

    def __repr__(self) -> str:
        return f"(unresolved key {self.key})"


def _walk(first: Any, second: Any, path: str) -> Iterator[tuple[str, Any, Any]]:
    """(path, native, compiled) where two values differ; both unknown counts as the same."""
    if _fully_unresolved(first) and _fully_unresolved(second):
        return
    if isinstance(first, Unresolved) or isinstance(second, Unresolved):
        yield path, first, second
        return
    if isinstance(first, dict) and isinstance(second, dict):
        lowered = {str(k).lower(): k for k in second}
        unknown_native = [k for k in first if _unresolved_key(str(k), native=True)]
        unknown_compiled = [k for k in second if _unresolved_key(str(k), native=False)]
        if len(unknown_native) == len(unknown_compiled):
            for native_key, compiled_key in zip(unknown_native, unknown_compiled, strict=True):
                lowered.pop(str(compiled_key).lower())
                yield from _walk(first[native_key], second[compiled_key], f"{path}.<unresolved key>")
        elif not unknown_compiled:
            # The compiled side knows keys the native side could not compute: pair them in order.
            known = {str(k).lower() for k in first if k not in unknown_native}
            extra = [k for k in second if str(k).lower() not in known]
            if len(extra) == len(unknown_native):
                for native_key, compiled_key in zip(unknown_native, extra, strict=True):
                    lowered.pop(str(compiled_key).lower())
                    yield f"{path}.{compiled_key}", _UnknownKey(native_key), second[compiled_key]
            else:
                unknown_native = []
        elif not unknown_native:
            # The native side knows keys the ARM reader could not compute (`createObject` of an unknown key): pair
            # them in order (a key both spell alike, as when both sides ran the ARM reader, pairs as itself).
            spelled = {str(k).lower() for k in first}
            unmatched = [k for k in unknown_compiled if str(k).lower() not in spelled]
            extra = [k for k in first if str(k).lower() not in lowered]
            if unmatched and len(extra) == len(unmatched):
                for native_key, compiled_key in zip(extra, unmatched, strict=True):
                    lowered.pop(str(compiled_key).lower())
                    yield f"{path}.{native_key}", first[native_key], _UnknownKey(compiled_key)
                unknown_native = extra
        else:
            unknown_native = []
        for key, value in first.items():
            if key in unknown_native:
                continue
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


def _brief(value: Any) -> str:
    if isinstance(value, Unresolved):
        return f"<unresolved: {value.reason}>"
    text = repr(value)
    return text if len(text) <= 120 else text[:117] + "..."


def _beneath(resource: Resource, deployments: list[Resource]) -> bool:
    """Whether a resource lies in the template of one of `deployments` (both readers address a nested template's
    resources below their deployment: `x.properties.template.resources.y` in ARM, `x.y` natively)."""
    address = resource.source.address
    return any(address.startswith(f"{d.source.address}.") for d in deployments)


def _knows_less(native: Any, compiled: Any) -> bool:
    """Whether the compiled side is unresolved (wholly or in part) where the native side holds a known value."""
    if isinstance(compiled, Unresolved | _UnknownKey):
        return not isinstance(native, Unresolved)
    return isinstance(compiled, _Absent) and not isinstance(native, _Absent | Unresolved) \
        and not _fully_unresolved(native)


def _symbolic_address(resource: Resource) -> str:
    """A resource's address with the nested templates left out (`m.properties.template.resources.x` is `m.x`,
    `m.properties.template.resources[0]` is `m.resources[0]`): the same for both readers, which address a module's
    resources below the module, natively by its symbol and in the compiled template below its deployment."""
    return resource.source.address.replace(".properties.template.resources.", ".").replace(
        ".properties.template.resources[", ".resources[")


def _pair_up(native: list[Resource], compiled: list[Resource], unread: list[Resource]
             ) -> tuple[list[tuple[Resource, Resource]], list[Resource], list[Resource]]:
    """Match resources: by id (equal ids in order, compiled resources inside unread registry modules last, so a
    resource the file declares itself meets its own compiled twin); then the rest by symbolic address, by type and
    name, and last by type in order where the compiled id is unresolved (the ARM reader could not build it)."""
    remaining = sorted(compiled, key=lambda r: _beneath(r, unread))
    matched: list[tuple[Resource, Resource]] = []
    native_left = list(native)
    passes = [
        lambda r: _key(r) if isinstance(r.id, str) else None,
        _symbolic_address,
        lambda r: f"{r.type.lower()} {r.name.lower()}" if isinstance(r.name, str) else None,
    ]
    for key_of in passes:
        by_key: dict[str, list[Resource]] = {}
        for resource in remaining:
            key = key_of(resource)
            if key is not None:
                by_key.setdefault(key, []).append(resource)
        unmatched = []
        for resource in native_left:
            key = key_of(resource)
            candidates = by_key.get(key) if key is not None else None
            if candidates:
                twin = candidates.pop(0)
                remaining.remove(twin)
                matched.append((resource, twin))
            else:
                unmatched.append(resource)
        native_left = unmatched
    # Last, resources one reader could not name (the ARM reader: an id built from a nested deployment's outputs; the
    # native reader: a name built from the unknown name of its deployment): pair by type, in order, under the same
    # (already paired) parent deployment.
    twins = {id(n): c for n, c in matched}
    native_deployments = [r for r in native if r.type.lower() == _DEPLOYMENTS]
    compiled_deployments = [r for r in compiled if r.type.lower() == _DEPLOYMENTS]
    unmatched = []
    for resource in native_left:
        parent = _parent(resource, native_deployments, ".")
        twin_parent = twins.get(id(parent)) if parent is not None else None
        if parent is not None and twin_parent is None:
            unmatched.append(resource)
            continue
        twin = next((c for c in remaining if isinstance(c.id, Unresolved) | isinstance(resource.id, Unresolved)
                     and c.type.lower() == resource.type.lower()
                     and _parent(c, compiled_deployments, ".properties.template.") is twin_parent), None)
        if twin is None:
            unmatched.append(resource)
        else:
            remaining.remove(twin)
            matched.append((resource, twin))
            twins[id(resource)] = twin
    return matched, unmatched, remaining


def _parent(resource: Resource, deployments: list[Resource], separator: str) -> Resource | None:
    """The innermost deployment whose template holds `resource` (None at the top)."""
    address = resource.source.address
    holders = [d for d in deployments if d is not resource and address.startswith(d.source.address + separator)]
    return max(holders, key=lambda d: len(d.source.address), default=None)


def _raw_at(template: Any, address: str) -> Any:
    """The raw JSON of the compiled resource at an ARM reader address (`resources[2]`, `name`,
    `x.properties.template.resources.y`, `...resources[1][0]` for a copy instance), or None."""
    node: Any = None
    for position, token in enumerate(address.split(".")):
        name = token.split("[", 1)[0]
        indexes = [int(i) for i in re.findall(r"\[(\d+)\]", token)]
        if position == 0 and name != "resources":
            node = template.get("resources") if isinstance(template, dict) else None  # a top-level symbolic name
        elif position == 0:
            node = template
        if not isinstance(node, dict):
            return None
        node = node.get(name)
        if name == "resources" and isinstance(node, list):
            if not indexes or indexes[0] >= len(node):
                return None
            node = node[indexes[0]]
    return node


def compare(bicep: Path, compiled: Path, root: Path) -> Comparison:
    """Review both files of a pair with their defaults and compare the resources; `root` is the reviewed tree.

    The comparison also finds, for each registry module the native reader could not read, the template the
    compiler embedded for it (`Comparison.restorable`: the file in the module cache under the current home
    directory, and its content)."""
    outcome = Comparison(bicep)
    try:
        native_load = load_bicep(bicep, root=root)
    except InputError as exc:
        outcome.failed = f"native: {exc.message} (line {exc.line})"
        return outcome
    try:
        document = load_json(compiled)
        expansion = expand_template(document, root=root)
    except InputError as exc:
        outcome.failed = f"compiled: {exc.message} (line {exc.line})"
        return outcome
    cached_at = {found["symbol"]: Path(found["path"]) for part in native_load.unreviewed
                 if (found := _UNREAD.search(part)) is not None}
    native_unread = {r.source.address: cached_at[symbol] for r in native_load.resources
                     if r.type.lower() == _DEPLOYMENTS
                     and (symbol := _TRAILING_INDEX.sub("", r.source.address)) in cached_at}
    matched, native_only, compiled_only = _pair_up(native_load.resources, expansion.resources, [])
    unread = [c for n, c in matched if n.source.address in native_unread]
    for native, arm in matched:
        if native.source.address in native_unread:
            raw = _raw_at(document.value, arm.source.address)
            properties = raw.get("properties") if isinstance(raw, dict) else None
            template = properties.get("template") if isinstance(properties, dict) else None
            if isinstance(template, dict):
                outcome.restorable.setdefault(native_unread[native.source.address], template)
    matched, native_only, compiled_only = _pair_up(native_load.resources, expansion.resources, unread)
    unexpanded = [c for _, c in matched
                  if any(part.startswith(f"{c.source.address}: ") for part in expansion.unreviewed)]
    unexpanded_native = [n for n, c in matched if c in unexpanded]
    for resource in compiled_only:
        kind = "registry modules" if _beneath(resource, unread) else "differs"
        outcome.differences.append(Difference(f"only compiled: {resource.type} {_shown(resource.name)} "
                                              f"({resource.source.address})", kind))
    for resource in native_only:
        kind = "ARM reader knows less" if _beneath(resource, unexpanded_native) else "differs"
        outcome.differences.append(Difference(f"only native: {resource.type} {_shown(resource.name)} "
                                              f"({resource.source.address})", kind))
    for native, arm in matched:
        if (native.api_version or "").lower() != (arm.api_version or "").lower() \
                and native.type.lower() != _DEPLOYMENTS and native.source.file == str(bicep):
            outcome.differences.append(Difference(
                f"{native.source.address}.apiVersion: native {native.api_version} | compiled {arm.api_version}",
                "stale main.json"))
        for path, first, second in _walk(_fields(native), _fields(arm), ""):
            text = f"{native.source.address}{path}: native {_brief(first)} | compiled {_brief(second)}"
            if path == ".apiVersion":
                continue
            if isinstance(first, Unresolved) and _NOT_IN_CACHE in first.reason:
                kind = "registry modules"
            elif isinstance(first, Unresolved) and any(r in first.reason for r in _GUESSED) \
                    and not _fully_unresolved(second):
                kind = "ARM reader guesses"
            elif _knows_less(first, second) or arm in unexpanded:
                kind = "ARM reader knows less"
            else:
                kind = "differs"
            outcome.differences.append(Difference(text, kind))
    return outcome


def _with_home(home: Path, run: Callable[[], Comparison]) -> Comparison:
    """`run()` with `home` as the home directory, where the Bicep reader finds the module cache (`~/.bicep`)."""
    saved = {name: os.environ.get(name) for name in ("HOME", "USERPROFILE")}
    os.environ["HOME"] = os.environ["USERPROFILE"] = str(home)
    try:
        return run()
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def compare_both_ways(bicep: Path, compiled: Path, root: Path, scratch: Path) -> tuple[Comparison, Comparison]:
    """The comparison with an empty module cache, and again with the compiler's own copies of the registry
    modules the first one could not read placed in the cache as `bicep restore` lays it out."""
    empty = scratch / "empty-home"
    empty.mkdir(exist_ok=True)
    plain = _with_home(empty, lambda: compare(bicep, compiled, root))
    if not plain.restorable:
        return plain, plain
    home = Path(tempfile.mkdtemp(dir=scratch))
    try:
        for cached, template in plain.restorable.items():
            target = home / cached.relative_to(empty)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(json.dumps(template), encoding="utf-8")
        return plain, _with_home(home, lambda: compare(bicep, compiled, root))
    finally:
        shutil.rmtree(home)


def _verdict(plain: Comparison, restored: Comparison) -> tuple[str, Comparison]:
    """A pair's category, and the comparison whose differences explain it: a pair that differs without the
    registry modules and agrees with them cached differs only by them."""
    if plain.verdict == "agrees" or restored is plain:
        return plain.verdict, plain
    if restored.verdict == "agrees":
        return "registry modules", plain
    return restored.verdict, restored


def main(argv: list[str] | None = None) -> int:
    """Run the comparison and print the counts (and, with `--diff`, the differences)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("directory", type=Path, metavar="DIR")
    parser.add_argument("--diff", action="store_true", help="print each difference of the pairs that differ")
    parser.add_argument("--all", action="store_true",
                        help="with --diff, print the pairs of every category that does not agree fully")
    parser.add_argument("--only", default="", metavar="SUBSTRING", help="only pairs whose path contains this")
    parser.add_argument("--show", type=int, default=30, metavar="N",
                        help="differences to print per pair with --diff (default 30)")
    options = parser.parse_args(argv)

    found = [pair for pair in pairs(options.directory) if options.only in str(pair[0])]
    root = containment_root(options.directory)
    with tempfile.TemporaryDirectory(prefix="bicep-vs-compiler-") as scratch:
        compared = [compare_both_ways(bicep, compiled, root, Path(scratch)) for bicep, compiled in found]
    verdicts = [_verdict(plain, restored) for plain, restored in compared]
    counts = {verdict: sum(1 for v, _ in verdicts if v == verdict) for verdict in _VERDICTS}
    with_registry = sum(1 for plain, _ in compared if plain.restorable)
    print(f"pairs:                                                     {len(compared)}")
    print(f"agree fully:                                               {counts['agrees']}")
    print(f"differ only by registry modules not in the module cache:   {counts['registry modules']}")
    print(f"differ only where the ARM reader on main.json knows less:  {counts['ARM reader knows less']}")
    print(f"differ only where the ARM reader makes a value up:         {counts['ARM reader guesses']}")
    print(f"main.json older than main.bicep:                           {counts['stale main.json']}")
    print(f"differ (defects):                                          {counts['differs']}")
    print(f"not analysed (either side):                                {counts['not analysed']}")
    print(f"agree fully once the registry modules are in the cache:    "
          f"{sum(1 for _, restored in compared if restored.verdict == 'agrees')}"
          f"  ({with_registry} pairs use registry modules the native reader could not read)")
    if options.diff:
        for (verdict, shown_from), (plain, _) in zip(verdicts, compared, strict=True):
            if verdict == "agrees" or (verdict not in ("differs", "not analysed") and not options.all):
                continue
            print(f"\n{plain.bicep.relative_to(options.directory)}: {verdict}")
            if shown_from.failed:
                print(f"  {shown_from.failed}")
            kind = "registry modules" if verdict == "registry modules" else shown_from.verdict
            shown = [d for d in shown_from.differences if d.kind == kind] or shown_from.differences
            for difference in shown[: options.show]:
                print(f"  {difference.text}")
            if len(shown) > options.show:
                print(f"  ... and {len(shown) - options.show} more")
    return 0


if __name__ == "__main__":
    sys.exit(main())
