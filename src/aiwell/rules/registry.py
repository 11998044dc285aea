"""One registry of every rule: the YAML catalog, the logic of Python rules in `checks/`, and the reserved AIW000.

Every rule's metadata and documentation are one entry of the YAML catalog. A Python rule's entry says
`check: python`; its logic is the function of a module in `checks/` decorated `@implements("<ID>")`, and the
registry joins the two by id. An entry without its function, or a function without its entry, stops the registry
from loading. A new YAML file in `catalog/` or a new module in `checks/` is picked up without touching any list here.
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import marshal
import os
import pkgutil
import sys
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from msgspec import Struct, field
from msgspec.structs import force_setattr

from aiwell.model import AIW000, DesignArea, Pillar, Severity, Status
from aiwell.rules.base import PYTHON_CHECK, Doc, Rule, RuleDefinitionError, RuleLogic, rule_from_mapping

if TYPE_CHECKING:
    import yaml

CATALOG_DIR = Path(__file__).resolve().parent / "catalog"
"""Where the declarative rules live, one YAML file per service."""
CHECKS_PACKAGE = "aiwell.rules.checks"
"""The package whose modules hold the logic of the Python rules."""

RESERVED_RULES = (
    Rule(
        info=AIW000,
        resource_types=(),
        doc=Doc(
            what="An input aiwell found but could not analyse: a template or export it can't parse, a "
                 "parameter "
                 "file whose template is missing, a file too large or too deeply nested. One failing result "
                 "per "
                 "such input, with the file, the line where known and the reason.",
            why="A review that silently skips a file reports a workload as healthier than it is. An input "
                "that "
                "can't be analysed counts as a high-severity finding so that `--fail-on` gates on it.",
            example='{"$schema": "https://schema.management.azure.com/schemas/2019-04-01/'
                    'deploymentTemplate.json#", "resources": [ { "type": ',
            use_instead={
                "arm": "Fix the file so that `az deployment group validate` accepts it, or exclude it from "
                       "the "
                       "paths given to `aiwell review`.",
                "bicep": "Compile the file with `az bicep build` and fix what it reports.",
                "terraform": "Run `terraform validate` and fix what it reports.",
            },
        ),
        references=("https://learn.microsoft.com/azure/azure-resource-manager/templates/syntax",),
        kind="reserved",
        missing=Status.FAIL,
        origin=__name__,
    ),
)
"""Ids the loaders report directly (never evaluated on a resource), documented like every other rule."""


def _key(text: str) -> str:
    return text.strip().lower()


class Registry(Struct, frozen=True):
    """Every rule, sorted by id, found by id, name or alias (case-insensitive)."""

    rules: tuple[Rule, ...]
    _index: dict[str, Rule] = field(default_factory=dict)
    """Each rule by its lower-case id, name and aliases (made from `rules`)."""

    def __post_init__(self) -> None:
        ordered = tuple(sorted(self.rules, key=lambda item: item.id))
        force_setattr(self, "rules", ordered)
        index: dict[str, Rule] = {}
        for item in ordered:
            for key in (item.id, item.name, *item.aliases):
                other = index.get(_key(key))
                if other is not None and other is not item:
                    raise RuleDefinitionError(f"{item.origin}: rule {item.id}: {key!r} is already used by "
                                              f"{other.id} ({other.origin})")
                index[_key(key)] = item
        force_setattr(self, "_index", index)
        self._check_moot_chains()

    def _check_moot_chains(self) -> None:
        """Each `moot_if_failing` names a runnable rule that applies to every type of the rule, with no cycle."""
        by_id = {item.id: item for item in self.rules}
        for item in self.rules:
            for prerequisite_id in item.moot_if_failing:
                prerequisite = by_id.get(prerequisite_id)
                if prerequisite is None or prerequisite.kind == "reserved":
                    raise RuleDefinitionError(f"{item.origin}: rule {item.id}: `moot_if_failing` names "
                                              f"{prerequisite_id}, which is not a rule of the catalog")
                uncovered = {t.lower() for t in item.resource_types} - {t.lower() for t in prerequisite.resource_types}
                if uncovered:
                    raise RuleDefinitionError(f"{item.origin}: rule {item.id}: `moot_if_failing` names "
                                              f"{prerequisite_id}, which does not apply to "
                                              f"{', '.join(sorted(uncovered))}")
        for item in self.rules:
            seen: list[str] = []
            pending: list[tuple[str, tuple[str, ...]]] = [(item.id, (item.id,))]
            while pending:
                current, path = pending.pop()
                for following in by_id[current].moot_if_failing:
                    if following in path:
                        raise RuleDefinitionError(f"{item.origin}: rule {item.id}: `moot_if_failing` makes a cycle "
                                                  f"({' → '.join((*path, following))})")
                    if following not in seen:
                        seen.append(following)
                        pending.append((following, (*path, following)))

    def get(self, key: str) -> Rule | None:
        """The rule with this id, name or alias, or None."""
        return self._index.get(_key(key))

    def select(self, *, pillars: Iterable[Pillar | str] | None = None,
               services: Iterable[str] | None = None,
               severities: Iterable[Severity | str] | None = None,
               ids: Iterable[str] | None = None) -> list[Rule]:
        """The rules that match every filter given (each filter matches any of its values), sorted by id.

        `services` are id prefixes (`AIS`, `SRC`); `ids` are ids, names or aliases. Values are
        case-insensitive;
        an unknown pillar or severity simply matches nothing.
        """
        chosen = list(self.rules)
        if pillars is not None:
            wanted_pillars = {_key(str(pillar)) for pillar in pillars}
            chosen = [item for item in chosen if any(p.value in wanted_pillars for p in item.pillars)]
        if services is not None:
            wanted_services = {_key(service) for service in services}
            chosen = [item for item in chosen if item.service.lower() in wanted_services]
        if severities is not None:
            wanted_severities = {_key(str(severity)) for severity in severities}
            chosen = [item for item in chosen if item.severity.value in wanted_severities]
        if ids is not None:
            wanted_rules = {id(found) for found in (self.get(key) for key in ids) if found is not None}
            chosen = [item for item in chosen if id(item) in wanted_rules]
        return chosen

    @property
    def runnable(self) -> tuple[Rule, ...]:
        """The rules that evaluate resources (every rule but the reserved ones)."""
        return tuple(item for item in self.rules if item.kind != "reserved")

    def design_areas(self) -> list[DesignArea]:
        """The design areas the catalog covers, in enum order."""
        used = {item.design_area for item in self.rules}
        return [area for area in DesignArea if area in used]


def yaml_loader() -> type[yaml.SafeLoader] | type[yaml.CSafeLoader]:
    """PyYAML's safe loader backed by libyaml (C) when PyYAML was built with it, else the pure-Python one."""
    import yaml  # not needed while the catalog's cache holds (`read_catalog_dir`)

    return getattr(yaml, "CSafeLoader", yaml.SafeLoader)


CatalogEntry = tuple[dict[str, Any], str]
"""A rule's catalog entry and the file it comes from."""


def read_catalog_file(path: Path) -> list[CatalogEntry]:
    """The rule entries of one catalog file (a YAML list of mappings), each with the file it comes from."""
    return [(entry, str(path)) for entry in _catalog_mappings(path)]


def _catalog_mappings(path: Path) -> list[dict[str, Any]]:
    import yaml

    try:
        entries: Any = yaml.load(path.read_text(encoding="utf-8"), Loader=yaml_loader())
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise RuleDefinitionError(f"{path}: can't read the rule catalog: {exc}") from None
    if entries is None:
        return []
    if not isinstance(entries, list) or not all(isinstance(entry, dict) for entry in entries):
        raise RuleDefinitionError(f"{path}: a catalog file is a YAML list of rule entries")
    return entries


def read_catalog_dir(directory: Path) -> list[CatalogEntry]:
    """The rule entries of every catalog file in `directory`, in file name order (`read_catalog_file` of each).

    Parsing the YAML is most of what loading aiwell's catalog costs at start-up, so what the files hold is kept
    beside them (`__pycache__/catalog.<python>.marshal`, as Python keeps its bytecode) and read from there while
    every file keeps its name, size and modification time. A cache that can't be read or written is simply not
    used.
    """
    paths = sorted(directory.glob("*.yaml"))
    cache = directory / "__pycache__" / f"catalog.{sys.implementation.cache_tag}.marshal"
    try:
        stamp: Any = tuple((path.name, info.st_size, info.st_mtime_ns) for path in paths for info in (path.stat(),))
    except OSError:
        stamp = None
    documents: Any = None
    if stamp is not None:
        with contextlib.suppress(OSError, ValueError, EOFError, TypeError):
            cached_stamp, cached = marshal.loads(cache.read_bytes())
            if cached_stamp == stamp and isinstance(cached, list) and len(cached) == len(paths):
                documents = cached
    if documents is None:
        documents = [_catalog_mappings(path) for path in paths]
        if stamp is not None:
            _write_cache(cache, (stamp, documents))
    return [(entry, str(path)) for path, entries in zip(paths, documents, strict=True) for entry in entries]


def _write_cache(cache: Path, value: Any) -> None:
    """Write `value` to `cache` whole (a temporary file renamed over it), or not at all."""
    try:
        data = marshal.dumps(value)
    except ValueError:  # a value marshal can't hold (a YAML date): no cache
        return
    with contextlib.suppress(OSError):
        cache.parent.mkdir(exist_ok=True)
        descriptor, temporary = tempfile.mkstemp(prefix=f".{cache.name}.", dir=cache.parent)
        try:
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(data)
            os.replace(temporary, cache)
        except OSError:
            with contextlib.suppress(OSError):
                os.unlink(temporary)


def discover_logic(package_name: str) -> dict[str, RuleLogic]:
    """The Python rules' logic in every public module of a package (`@implements` functions), by rule id."""
    package = importlib.import_module(package_name)
    found: dict[str, RuleLogic] = {}
    for module_info in sorted(pkgutil.iter_modules(package.__path__), key=lambda info: info.name):
        if module_info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{package_name}.{module_info.name}")
        for value in vars(module).values():
            if not isinstance(value, RuleLogic) or value.module != module.__name__:
                continue
            for rule_id in value.rule_ids:
                other = found.get(rule_id)
                if other is not None and other is not value:
                    raise RuleDefinitionError(f"{value.module}: implements {rule_id}, which {other.module} "
                                              "implements too")
                found[rule_id] = value
    return found


def join_catalog(entries: Sequence[CatalogEntry], logic: dict[str, RuleLogic]) -> list[Rule]:
    """Rules from catalog entries, each `check: python` entry joined to the logic with its id.

    Raises `RuleDefinitionError` for a broken entry, an entry whose logic is missing, and logic whose entry is.
    """
    rules: list[Rule] = []
    joined: set[str] = set()
    for entry, origin in entries:
        rule_id = entry.get("id")
        if entry.get("check") == PYTHON_CHECK and isinstance(rule_id, str) and rule_id in logic:
            found = logic[rule_id]
            rules.append(rule_from_mapping(entry, origin=origin, check=found.function, module=found.module,
                                         by_document=found.by_document))
            joined.add(rule_id)
        else:
            rules.append(rule_from_mapping(entry, origin=origin))
    orphans = sorted(set(logic) - joined)
    if orphans:
        described = ", ".join(f"{rule_id} ({logic[rule_id].module})" for rule_id in orphans)
        raise RuleDefinitionError(f"logic without a catalog entry: {described} implement rules that no catalog "
                                  f"entry declares with `check: {PYTHON_CHECK}`")
    return rules


def build_registry(*, catalog_dirs: Sequence[Path] = (CATALOG_DIR,),
                   check_packages: Sequence[str] = (CHECKS_PACKAGE,),
                   reserved: Sequence[Rule] = RESERVED_RULES) -> Registry:
    """A registry of the rules in these catalog directories (with the logic in these packages) and the reserved
    rules."""
    entries = [entry for directory in catalog_dirs for entry in read_catalog_dir(directory)]
    logic: dict[str, RuleLogic] = {}
    for package_name in check_packages:
        for rule_id, found in discover_logic(package_name).items():
            if rule_id in logic:
                raise RuleDefinitionError(f"{found.module}: implements {rule_id}, which {logic[rule_id].module} "
                                          "implements too")
            logic[rule_id] = found
    return Registry((*reserved, *join_catalog(entries, logic)))


@functools.cache
def load_registry() -> Registry:
    """The registry of aiwell's own rules (built once per process)."""
    return build_registry()


__all__ = [
    "CATALOG_DIR",
    "CHECKS_PACKAGE",
    "RESERVED_RULES",
    "CatalogEntry",
    "Registry",
    "build_registry",
    "discover_logic",
    "join_catalog",
    "load_registry",
    "read_catalog_dir",
    "read_catalog_file",
    "yaml_loader",
]
