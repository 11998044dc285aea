"""One registry of every rule: the YAML catalog, the Python rules in `checks/`, and the reserved AIW000.

A new YAML file in `catalog/` or a new module in `checks/` is picked up without touching any list here.
"""

from __future__ import annotations

import functools
import importlib
import pkgutil
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from aiwell.model import AIW000, DesignArea, Pillar, Severity, Status
from aiwell.rules.base import PYTHON_CHECK, Doc, Rule, RuleDefinitionError, RuleLogic, rule_from_mapping

CATALOG_DIR = Path(__file__).resolve().parent / "catalog"
"""Where the declarative rules live, one YAML file per service."""
CHECKS_PACKAGE = "aiwell.rules.checks"
"""The package whose modules hold the Python rules."""

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


@dataclass(frozen=True)
class Registry:
    """Every rule, sorted by id, found by id, name or alias (case-insensitive)."""

    rules: tuple[Rule, ...]
    _index: dict[str, Rule] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        ordered = tuple(sorted(self.rules, key=lambda item: item.id))
        object.__setattr__(self, "rules", ordered)
        index: dict[str, Rule] = {}
        for item in ordered:
            for key in (item.id, item.name, *item.aliases):
                other = index.get(_key(key))
                if other is not None and other is not item:
                    raise RuleDefinitionError(f"{item.origin}: rule {item.id}: {key!r} is already used by "
                                              f"{other.id} ({other.origin})")
                index[_key(key)] = item
        object.__setattr__(self, "_index", index)

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
    return getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_catalog_file(path: Path) -> list[dict[str, Any]]:
    """The rule entries of one catalog file (a YAML list of mappings)."""
    try:
        entries: Any = yaml.load(path.read_text(encoding="utf-8"), Loader=yaml_loader())
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise RuleDefinitionError(f"{path}: can't read the rule catalog: {exc}") from None
    if entries is None:
        return []
    if not isinstance(entries, list) or not all(isinstance(entry, dict) for entry in entries):
        raise RuleDefinitionError(f"{path}: a catalog file is a YAML list of rule entries")
    return entries


def load_catalog_file(path: Path, logic: dict[str, RuleLogic] | None = None) -> list[Rule]:
    """The rules of one catalog file; a `check: python` entry is joined to its logic in `logic` by id."""
    rules = []
    for entry in read_catalog_file(path):
        found = (logic or {}).get(str(entry.get("id"))) if entry.get("check") == PYTHON_CHECK else None
        rules.append(rule_from_mapping(entry, origin=str(path), check=found.function if found else None))
    return rules


def discover_checks(package_name: str) -> tuple[list[Rule], dict[str, RuleLogic]]:
    """The Python rules of every public module of a package: those decorated with `@rule` (metadata in code), and
    the `@implements` logic of rules whose metadata is a catalog entry, by rule id."""
    package = importlib.import_module(package_name)
    found: list[Rule] = []
    logic: dict[str, RuleLogic] = {}
    for module_info in sorted(pkgutil.iter_modules(package.__path__), key=lambda info: info.name):
        if module_info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{package_name}.{module_info.name}")
        for value in vars(module).values():
            if isinstance(value, Rule) and value.origin == module.__name__ and value not in found:
                found.append(value)
            elif isinstance(value, RuleLogic) and value.module == module.__name__:
                other = logic.get(value.rule_id)
                if other is not None and other is not value:
                    raise RuleDefinitionError(f"{value.module}: implements {value.rule_id}, which {other.module} "
                                              "implements too")
                logic[value.rule_id] = value
    return found, logic


def build_registry(*, catalog_dirs: Sequence[Path] = (CATALOG_DIR,),
                   check_packages: Sequence[str] = (CHECKS_PACKAGE,),
                   reserved: Sequence[Rule] = RESERVED_RULES) -> Registry:
    """A registry of the rules in these catalog directories and check packages, plus the reserved rules."""
    rules: list[Rule] = list(reserved)
    logic: dict[str, RuleLogic] = {}
    for package_name in check_packages:
        decorated, implemented = discover_checks(package_name)
        rules.extend(decorated)
        logic.update(implemented)
    joined: set[str] = set()
    for directory in catalog_dirs:
        for path in sorted(directory.glob("*.yaml")):
            loaded = load_catalog_file(path, logic)
            joined |= {item.id for item in loaded if item.check is not None}
            rules.extend(loaded)
    orphans = sorted(set(logic) - joined)
    if orphans:
        described = ", ".join(f"{rule_id} ({logic[rule_id].module})" for rule_id in orphans)
        raise RuleDefinitionError(f"logic without a catalog entry: {described} implement rules that no catalog "
                                  f"entry declares with `check: {PYTHON_CHECK}`")
    return Registry(tuple(rules))


@functools.cache
def load_registry() -> Registry:
    """The registry of aiwell's own rules (built once per process)."""
    return build_registry()


__all__ = [
    "CATALOG_DIR",
    "CHECKS_PACKAGE",
    "RESERVED_RULES",
    "Registry",
    "build_registry",
    "discover_checks",
    "load_catalog_file",
    "load_registry",
    "yaml_loader",
]
