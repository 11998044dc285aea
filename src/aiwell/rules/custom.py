"""A team's own rules: YAML files in folders given with `--rules-dir` (or `rules_dir` in `[tool.aiwell]`), written
in the grammar of the built-in catalog (docs/rule-format.md) and tested by fixtures in the same format.

    rules/                     a rules folder
      naming.yaml              a YAML list of rule entries, as src/aiwell/rules/catalog/*.yaml
      fixtures/ORG001.yaml     the rule's fixture cases, as tests/fixtures/rules/*.yaml

A custom rule is declarative (`condition`; Python logic is for the built-in catalog) and its id must not use a
built-in service prefix (AIS, SRC, WKL, ...), so a new aiwell release never collides with it. A malformed file
stops the review with the file, the line of the entry and what is wrong (exit 2).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from aiwell.errors import ConfigError
from aiwell.rules.base import Rule, RuleDefinitionError, rule_from_mapping

BUILT_IN_PREFIXES = frozenset({"AIS", "AID", "AIF", "MLW", "MLC", "MLE", "SRC", "STG", "KVT", "ACR", "APP", "GWY",
                               "COS", "MON", "NET", "WKL", "AKS", "AIW"})
"""Service prefixes of DESIGN.md §1.4: reserved for aiwell's own rules."""
FIXTURES_FOLDER = "fixtures"


class CustomRuleError(ConfigError):
    """A custom rule file that can't be used: the message names the file and the line."""


def _entries(path: Path) -> list[tuple[dict[str, Any], int, dict[str, int]]]:
    """Each entry of the file with the line it starts on and the line of each of its keys."""
    import yaml  # only when there is a file to read

    try:
        text = path.read_text(encoding="utf-8")
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except (OSError, UnicodeDecodeError) as exc:
        raise CustomRuleError(f"{path}: can't read the rule file: {exc}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        raise CustomRuleError(f"{path}{line}: not valid YAML: {getattr(exc, 'problem', None) or exc}") from None
    if node is None:
        return []
    if not isinstance(node, yaml.SequenceNode):
        raise CustomRuleError(f"{path}:{node.start_mark.line + 1}: a rule file is a YAML list of rule entries",
                              hint="See docs/custom-rules.md.")
    values = yaml.safe_load(text)
    found = []
    for item, value in zip(node.value, values, strict=True):
        if not isinstance(value, dict):
            raise CustomRuleError(f"{path}:{item.start_mark.line + 1}: each rule is a mapping (id, name, title, ...)")
        keys = {str(key.value): key.start_mark.line + 1 for key, _ in getattr(item, "value", [])
                if isinstance(key, yaml.ScalarNode)}
        found.append((value, item.start_mark.line + 1, keys))
    return found


def _at_key(message: str, origin: str, prefix: str, key_lines: dict[str, int]) -> str:
    """The message with the entry's line replaced by the line of the key it is about (`condition`, `pillars`)."""
    _, _, detail = message.partition(": rule ")
    _, _, about = detail.partition(": ")
    key = re.split(r"[\s:.\[]", about.lstrip("`").replace("`", " "), maxsplit=1)[0]
    if key in key_lines and message.startswith(origin):
        return f"{prefix}{key_lines[key]}{message[len(origin):]}"
    return message


def load_rules_file(path: Path) -> list[Rule]:
    """The rules of one custom rule file; a malformed entry is a `CustomRuleError` naming the file and line."""
    rules = []
    for entry, line, key_lines in _entries(path):
        origin = f"{path}:{line}"
        if "check" in entry:
            raise CustomRuleError(f"{origin}: rule {entry.get('id')}: custom rules are declarative (a `condition`); "
                                  "`check: python` is for aiwell's own catalog")
        rule_id = str(entry.get("id", ""))
        if rule_id[:3] in BUILT_IN_PREFIXES:
            raise CustomRuleError(f"{origin}: rule {rule_id}: the prefix {rule_id[:3]} belongs to aiwell's own "
                                  "rules; use your own three letters (ORG001, CTS001, ...)")
        try:
            rules.append(rule_from_mapping(entry, origin=origin))
        except RuleDefinitionError as exc:
            raise CustomRuleError(_at_key(str(exc), origin, f"{path}:", key_lines),
                                  hint="docs/rule-format.md describes every key.") from None
    return rules


def rule_files(folder: Path) -> list[Path]:
    """The rule files of a folder (its `*.yaml` and `*.yml`, not the fixtures)."""
    return sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")])


def load_custom_rules(folders: Iterable[Path], *, built_in: Iterable[Rule] = ()) -> list[Rule]:
    """Every rule of the folders, checked for ids and names that clash with each other or with `built_in`."""
    rules: list[Rule] = []
    taken = {key.lower(): item for item in built_in for key in (item.id, item.name, *item.aliases)}
    for folder in folders:
        if not folder.is_dir():
            raise CustomRuleError(f"{folder}: no such rules folder", hint="--rules-dir names a folder of YAML rule "
                                                                           "files.")
        files = rule_files(folder)
        if not files:
            # A folder given for rules that holds none is a mistake (a wrong path), never a silent pass.
            raise CustomRuleError(f"{folder}: no rule files (*.yaml, *.yml) in this rules folder",
                                  hint="--rules-dir names a folder of YAML rule files.")
        for path in files:
            loaded = load_rules_file(path)
            if not loaded:
                raise CustomRuleError(f"{path}: the rule file holds no rules", hint="A rule file is a YAML list "
                                      "of rule entries; see docs/custom-rules.md.")
            for item in loaded:
                for key in (item.id, item.name, *item.aliases):
                    other = taken.get(key.lower())
                    if other is not None:
                        raise CustomRuleError(f"{item.origin}: rule {item.id}: {key!r} is already used by "
                                              f"{other.id} ({other.origin})")
                    taken[key.lower()] = item
                rules.append(item)
    return rules


__all__ = ["BUILT_IN_PREFIXES", "FIXTURES_FOLDER", "CustomRuleError", "load_custom_rules", "load_rules_file",
           "rule_files"]
