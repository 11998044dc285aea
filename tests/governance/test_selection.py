"""Rule selection: select and ignore by id, name, glob, pillar, design area or severity; severity overrides;
pinned rule sets."""

from __future__ import annotations

import pytest

from aiwell.errors import ConfigError
from aiwell.model import Pillar, Severity
from aiwell.rules import load_registry
from aiwell.rules.selection import rule_set_ids, rule_set_of, rule_sets, select_rules

REGISTRY = load_registry()


def _ids(**options: object) -> set[str]:
    return {rule.id for rule in select_rules(REGISTRY, **options).rules}  # type: ignore[arg-type]


def test_selectors() -> None:
    every = {rule.id for rule in REGISTRY.runnable}
    assert _ids() == every
    assert _ids(select=["security"]) == {r.id for r in REGISTRY.runnable if Pillar.SECURITY in r.pillars}
    assert _ids(select=["SRC*"]) == {r.id for r in REGISTRY.runnable if r.id.startswith("SRC")}
    assert _ids(select=["ai-services-local-auth-enabled", "KVT001"]) == {"AIS002", "KVT001"}
    assert _ids(select=["high"], ignore=["security"]) == {
        r.id for r in REGISTRY.runnable if r.severity is Severity.HIGH and Pillar.SECURITY not in r.pillars}
    assert _ids(select=["data-platform"]) == {r.id for r in REGISTRY.runnable if r.design_area.value == "data-platform"}
    assert "AIW000" not in _ids()


def test_unknown_selector_is_an_error() -> None:
    with pytest.raises(ConfigError, match="aiwell.toml: `select` has 'AIS9\\*', which matches no rule"):
        select_rules(REGISTRY, select=["AIS9*"], where={"select": "aiwell.toml"})
    with pytest.raises(ConfigError, match="`severity` overrides 'NOPE001'"):
        select_rules(REGISTRY, severity={"NOPE001": "low"})
    with pytest.raises(ConfigError, match="expected high, medium or low"):
        select_rules(REGISTRY, severity={"AIS002": "critical"})


def test_severity_override_reaches_the_results_metadata() -> None:
    chosen = select_rules(REGISTRY, severity={"ai-services-local-auth-enabled": "low"}).rules
    ais002 = next(rule for rule in chosen if rule.id == "AIS002")
    assert ais002.severity is Severity.LOW and ais002.info.severity is Severity.LOW
    assert REGISTRY.get("AIS002").severity is Severity.HIGH  # type: ignore[union-attr]


def test_rule_sets() -> None:
    sets = rule_sets()
    assert "2026.12" in sets
    for added in sets.values():
        for rule_id in added:
            assert REGISTRY.get(rule_id) is not None, f"rule set lists unknown rule {rule_id}"
    pinned = rule_set_ids("2026.12")
    assert pinned is not None and _ids(rule_set="2026.12") == pinned & {r.id for r in REGISTRY.runnable}
    assert rule_set_of("AIS001") == "2026.12"
    assert rule_set_ids("latest") is None
    with pytest.raises(ConfigError, match="rule set '2020.01' does not exist; known: latest, 2026.12"):
        rule_set_ids("2020.01")


def test_rules_command_names_each_rules_set(capsys: pytest.CaptureFixture[str]) -> None:
    import json

    from aiwell.cli.main import main

    with pytest.raises(SystemExit):
        main(["rules", "-f", "json"])
    catalog = json.loads(capsys.readouterr().out)
    assert {entry["id"]: entry["rule_set"] for entry in catalog}["AIS002"] == "2026.12"
    assert {entry["rule_set"] for entry in catalog} <= {"latest", *rule_sets()}
