"""Which rules a run uses: the pinned rule set, `select` and `ignore` selectors, and severity overrides.

A selector is a rule id, name or alias, a glob on them (`AIS*`, `ai-search-*`), a pillar (`security`), a design
area (`data-platform`) or a severity (`high`), compared case-insensitively. `select` (default: every rule) keeps the
rules matching any of its selectors; `ignore` then removes those matching any of its own. A selector that matches
no rule of the catalog is a configuration error (a typo would otherwise select nothing, silently); one that matches
only rules outside the pinned rule set warns.

Rule sets (`rule_sets.yaml` beside this file) are frozen selections of the catalog: `rule_set = "2026.12"` runs
the rules of that set and every earlier one, so new rules never fail a build until the team moves its pin;
`latest` (the default) runs every rule.
"""

from __future__ import annotations

import fnmatch
import functools
from collections.abc import Mapping, Sequence
from pathlib import Path

from msgspec import Struct
from msgspec.structs import replace

from aiwell.errors import ConfigError
from aiwell.model import DesignArea, Pillar, Severity
from aiwell.rules.base import Rule, RuleDefinitionError
from aiwell.rules.registry import Registry

RULE_SETS_PATH = Path(__file__).resolve().parent / "rule_sets.yaml"
LATEST = "latest"


@functools.cache
def rule_sets() -> dict[str, tuple[str, ...]]:
    """Each rule set's version and the rule ids it adds, oldest first."""
    import yaml  # only when a rule set is asked about

    entries = yaml.safe_load(RULE_SETS_PATH.read_text(encoding="utf-8")) or []
    found: dict[str, tuple[str, ...]] = {}
    for entry in entries:
        if not isinstance(entry, dict) or not isinstance(entry.get("version"), str) \
                or not isinstance(entry.get("added"), list):
            raise RuleDefinitionError(f"{RULE_SETS_PATH}: each rule set has a version and a list of added ids")
        found[entry["version"]] = tuple(str(rule_id) for rule_id in entry["added"])
    return found


def rule_set_ids(version: str) -> frozenset[str] | None:
    """The ids a rule set holds (its own and every earlier set's), or None for `latest`."""
    if version == LATEST:
        return None
    sets = rule_sets()
    if version not in sets:
        known = ", ".join([LATEST, *sets])
        raise ConfigError(f"rule set {version!r} does not exist; known: {known}",
                          hint="pin one of these with rule_set = \"...\" in [tool.aiwell] or aiwell.toml")
    ids: set[str] = set()
    for name, added in sets.items():
        ids.update(added)
        if name == version:
            break
    return frozenset(ids)


def rule_set_of(rule_id: str) -> str:
    """The first rule set that holds a rule, or `latest` for a rule added since the last one."""
    for version, added in rule_sets().items():
        if rule_id in added:
            return version
    return LATEST


def _matches(selector: str, rule: Rule) -> bool:
    wanted = selector.strip().lower()
    if wanted in {pillar.value for pillar in rule.pillars} or wanted == rule.design_area.value \
            or wanted == rule.severity.value:
        return True
    keys = [key.lower() for key in (rule.id, rule.name, *rule.aliases)]
    if any(char in wanted for char in "*?["):
        return any(fnmatch.fnmatchcase(key, wanted) for key in keys)
    return wanted in keys


def _is_category(selector: str) -> bool:
    wanted = selector.strip().lower()
    return wanted in {p.value for p in Pillar} | {a.value for a in DesignArea} | {s.value for s in Severity}


class Selection(Struct, frozen=True):
    """The rules a run uses, and what the selection had to say."""

    rules: tuple[Rule, ...]
    warnings: tuple[str, ...] = ()


def select_rules(registry: Registry, *, rule_set: str = LATEST, select: Sequence[str] = (),
                 ignore: Sequence[str] = (), severity: Mapping[str, str] | None = None,
                 where: Mapping[str, str] | None = None, unpinned: Sequence[str] = ()) -> Selection:
    """The runnable rules of `registry` for this selection (module docstring), severity overrides applied.

    `where` names, for each of `select`, `ignore` and `severity`, where it was set (for error messages).
    `unpinned` are ids no rule set holds that run whatever the pin: a team's own rules (`--rules-dir`).
    """
    where = where or {}
    pinned = rule_set_ids(rule_set)
    if pinned is not None:
        pinned = frozenset(pinned) | frozenset(unpinned)
    catalog = list(registry.runnable)
    warnings: list[str] = []
    for key, selectors in (("select", select), ("ignore", ignore)):
        for selector in selectors:
            matching = [rule for rule in catalog if _matches(selector, rule)]
            if not matching and not _is_category(selector):
                raise ConfigError(f"{where.get(key, key)}: `{key}` has {selector!r}, which matches no rule, pillar, "
                                  "design area or severity",
                                  hint="`aiwell rules` lists the catalog (with --rules-dir, your own rules too)")
            if key == "select" and pinned is not None and matching and not any(r.id in pinned for r in matching):
                warnings.append(f"select {selector!r}: the rules it names are not in rule set {rule_set} "
                                f"({', '.join(r.id for r in matching[:5])}); they don't run until the pin moves")
    chosen = [rule for rule in catalog if pinned is None or rule.id in pinned]
    if select:
        chosen = [rule for rule in chosen if any(_matches(selector, rule) for selector in select)]
    chosen = [rule for rule in chosen if not any(_matches(selector, rule) for selector in ignore)]
    overrides: dict[str, Severity] = {}
    for name, level in (severity or {}).items():
        found = registry.get(name)
        place = where.get("severity", "severity")
        if found is None:
            raise ConfigError(f"{place}: `severity` overrides {name!r}, which is not a rule id or name",
                              hint="`aiwell rules` lists the catalog")
        try:
            overrides[found.id] = Severity(str(level).strip().lower())
        except ValueError:
            raise ConfigError(f"{place}: `severity` for {name} is {level!r}; expected high, medium or low") from None
    chosen = [replace(rule, info=replace(rule.info, severity=overrides[rule.id])) if rule.id in overrides else rule
              for rule in chosen]
    return Selection(tuple(chosen), tuple(warnings))


__all__ = ["LATEST", "RULE_SETS_PATH", "Selection", "rule_set_ids", "rule_set_of", "rule_sets", "select_rules"]
