"""The registry: every rule unique, documented and covered by fixtures; loading, lookup, selection, engine."""

from __future__ import annotations

import gc
import importlib
from pathlib import Path
from typing import Any

import pytest
import yaml

from aiwell.graph import ResourceGraph
from aiwell.loaders.terraform.azurerm import TABLES
from aiwell.loaders.terraform.azurerm._spec import Block
from aiwell.model import (
    AIW000,
    DesignArea,
    Pillar,
    Resource,
    Severity,
    Source,
    SourceFormat,
    Status,
    Unresolved,
)
from aiwell.rules import Rule, RuleDefinitionError, build_registry, load_registry, run_rules
from aiwell.rules.base import (
    PEERS,
    RULE_ID,
    RULE_NAME,
    USE_INSTEAD_FORMATS,
    PeerMapping,
    rule_from_mapping,
)
from aiwell.rules.registry import read_catalog_dir, yaml_loader
from rule_fixture_format import FORMATS, load_fixture, statuses_by_format

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "rules"
REGISTRY = load_registry()
COVERAGE = [pytest.param(item, id=item.id) for item in REGISTRY.runnable]

ISSUE_2_CATALOG = {
    "AIS001", "AIS002", "AIS003", "AIS004", "AIS005", "AIS006", "AIS007", "AIS008",
    "AID001", "AID002", "AID003", "AID004", "MLW001", "MLW002", "MLW003",
    "MLC001", "MLC002", "MLC003", "MLC004", "MLE001", "MLE002", "MLE003",
    "SRC001", "SRC002", "SRC003", "SRC004", "SRC005", "SRC006", "SRC007",
    "STG001", "STG002", "STG003", "STG004", "KVT001", "KVT002", "APP001", "APP002",
    "COS001", "COS002", "COS003",
}


# -- the catalog ---------------------------------------------------------------------------------------------


WORKLOAD_PATTERNS = {"WKL001", "WKL002", "WKL003", "WKL004", "WKL005"}
SIZING_PLAN = {"SIZ001", "SIZ002", "SIZ003", "SIZ004"}


def test_the_catalog_keeps_every_id_it_ever_had() -> None:
    assert {item.id for item in REGISTRY.runnable} >= ISSUE_2_CATALOG | WORKLOAD_PATTERNS | SIZING_PLAN
    assert "AIW000" in {item.id for item in REGISTRY.rules}


def test_ids_are_unique_and_well_formed() -> None:
    ids = [item.id for item in REGISTRY.rules]
    assert len(ids) == len(set(ids))
    assert all(RULE_ID.match(rule_id) for rule_id in ids)


def test_names_are_unique_kebab_case() -> None:
    names = [item.name for item in REGISTRY.rules]
    assert len(names) == len(set(names))
    assert all(RULE_NAME.match(name) for name in names)


def test_aliases_are_never_reused() -> None:
    seen: dict[str, str] = {}
    for item in REGISTRY.rules:
        for key in (item.id, item.name, *item.aliases):
            assert seen.setdefault(key.lower(), item.id) == item.id, f"{key} is used by {seen[key.lower()]}"


@pytest.mark.parametrize("item", [pytest.param(item, id=item.id) for item in REGISTRY.rules])
def test_every_rule_is_fully_documented(item: Rule) -> None:
    assert item.title and item.doc.what and item.doc.why and item.doc.example, "what, why and example"
    for snippet_format in USE_INSTEAD_FORMATS:
        assert item.doc.use_instead.get(snippet_format), f"doc.use_instead.{snippet_format} is missing"
    assert item.references and all(url.startswith("https://") for url in item.references)


@pytest.mark.parametrize("item", [pytest.param(item, id=item.id) for item in REGISTRY.rules])
def test_metadata_values_are_valid(item: Rule) -> None:
    assert isinstance(item.severity, Severity)
    assert item.pillars and all(isinstance(pillar, Pillar) for pillar in item.pillars)
    assert isinstance(item.design_area, DesignArea)
    assert item.missing in (Status.PASS, Status.FAIL, Status.UNKNOWN)
    if item.kind != "reserved":
        assert item.resource_types and all("/" in resource_type for resource_type in item.resource_types)
        assert item.service == item.id[:3]


def _written_paths(fields: tuple[Any, ...], prefix: str = "") -> set[str]:
    """The ARM paths an azurerm table writes (blocks expanded, lower case)."""
    found: set[str] = set()
    for entry in fields:
        path = f"{prefix}{entry.path}".lower() if hasattr(entry, "path") else ""
        if isinstance(entry, Block):
            found.add(path)
            found |= _written_paths(entry.fields, path + ".")
        elif path:
            found.add(path)
    return found


def _terraform_writes(item: Rule) -> bool:
    """Whether an azurerm table maps one of the rule's types and (for a declarative rule) writes a path it reads."""
    wanted = {resource_type.lower() for resource_type in item.resource_types}
    tables = [table for table in TABLES.values() if table.arm_type.lower() in wanted]
    tables += [child for table in TABLES.values() for child in table.children if child.arm_type.lower() in wanted]
    if not tables:
        return False
    if item.condition is None:
        return True
    read = {path.replace("[*]", "").lower() for path in item.condition.fields()}
    written = {path for table in tables for path in _written_paths(table.fields)}
    return any(path == field or path.startswith(field + ".") or field.startswith(path + ".")
               for path in read for field in written)


def _required_formats(item: Rule, exempt: dict[str, Any]) -> dict[str, set[str]]:
    """The statuses each input format's runs must cover: pass, fail and unknown in ARM, Bicep, Terraform (where
    azurerm maps the rule's properties) and an inventory export, less what the fixture file exempts with a
    reason."""
    wanted = {"pass", "fail", "unknown"}
    required = {"arm": set(wanted), "bicep": set(wanted), "inventory": set(wanted)}
    if _terraform_writes(item):
        required["terraform"] = set(wanted)
    for label, reason in exempt.items():
        assert label in FORMATS, f"`formats` names {label!r}; expected one of {FORMATS}"
        if isinstance(reason, str):
            assert reason.strip(), f"exempting {label} needs a reason"
            required.pop(label, None)
        else:
            assert isinstance(reason, dict) and reason, f"`formats.{label}` is a reason or {{status: reason}}"
            for status, why in reason.items():
                assert status in wanted and isinstance(why, str) and why.strip(), \
                    f"`formats.{label}.{status}` needs a status (pass, fail, unknown) and a reason"
                required.get(label, set()).discard(status)
    return required


@pytest.mark.parametrize("item", COVERAGE)
def test_every_rule_has_fixtures_covering_each_outcome_in_each_format(item: Rule) -> None:
    path = FIXTURES / f"{item.id}.yaml"
    assert path.is_file(), f"{item.id} has no fixture file {path.name}"
    data = load_fixture(path)
    assert data["rule"] in (item.id, item.name)
    found = statuses_by_format(data, path)
    for label, wanted in _required_formats(item, data.get("formats") or {}).items():
        missing = wanted - found[label]
        assert not missing, (f"{path.name} has no {', '.join(sorted(missing))} expectation in {label} "
                             f"(or a `formats.{label}` entry saying why it can't have one)")
    if item.where is not None or item.moot_if_failing:
        assert any("not_applicable" in statuses for statuses in found.values()), \
            f"{path.name} has no not_applicable expectation"


def test_aiw000_is_reserved_documented_and_never_run() -> None:
    reserved = REGISTRY.get("AIW000")
    assert reserved is not None and reserved.kind == "reserved" and reserved.info == AIW000
    assert REGISTRY.get("input-not-analysed") is reserved
    assert reserved not in REGISTRY.runnable
    account = _resource("Microsoft.CognitiveServices/accounts", "acct")
    assert run_rules([account], ResourceGraph([account]), [reserved]) == []


def test_python_rules_join_their_catalog_entry_to_their_logic() -> None:
    python_rules = {item.id: item for item in REGISTRY.rules if item.kind == "python"}
    assert {"AIS004", "AIS005", "AID003", "MLW003", "SRC007"} <= set(python_rules)
    for item in python_rules.values():
        assert item.module.startswith("aiwell.rules.checks."), item.id
        assert item.origin.endswith(".yaml"), f"{item.id}: its metadata lives in the catalog, not {item.origin}"
        assert item.check is not None and item.condition is None


def _checks_package(tmp_path: Path, name: str, source: str) -> str:
    package = tmp_path / name
    package.mkdir()
    (package / "__init__.py").write_text("", encoding="utf-8")
    (package / "thing_open.py").write_text(source, encoding="utf-8")
    return name


LOGIC = """
from aiwell.model import Status
from aiwell.rules import implements


@implements("TST001")
def thing_open(resource, graph):
    return Status.FAIL, "open"
"""

def _rule_with_logic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, package: str, source: str) -> Rule | None:
    """TST001 (`MINIMAL` as a Python rule) from a registry built with `source` as its logic in `package`."""
    monkeypatch.syspath_prepend(str(tmp_path))
    _checks_package(tmp_path, package, source)
    entry = {key: value for key, value in MINIMAL.items() if key not in ("condition", "messages")}
    registry = build_registry(catalog_dirs=[_catalog(tmp_path, {**entry, "check": "python"})],
                              check_packages=[package])
    return registry.get("TST001")


def test_a_python_rule_is_its_catalog_entry_plus_its_logic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    package = "joined_checks"
    found = _rule_with_logic(tmp_path, monkeypatch, package, LOGIC)
    assert found is not None and found.kind == "python" and found.module == f"{package}.thing_open"
    thing = _resource("Test.Provider/things", "one")
    assert [result.status for result in run_rules([thing], ResourceGraph([thing]), [found])] == [Status.FAIL]


def test_an_entry_without_its_logic_is_refused(tmp_path: Path) -> None:
    entry = {key: value for key, value in MINIMAL.items() if key not in ("condition", "messages")}
    with pytest.raises(RuleDefinitionError, match=r"rule TST001: .*`check: python`.*no module"):
        build_registry(catalog_dirs=[_catalog(tmp_path, {**entry, "check": "python"})], check_packages=[])


def test_logic_without_its_entry_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(tmp_path))
    package = _checks_package(tmp_path, "orphan_checks", LOGIC)
    with pytest.raises(RuleDefinitionError, match=r"logic without a catalog entry: TST001 \(orphan_checks"):
        build_registry(catalog_dirs=[_catalog(tmp_path, {**MINIMAL, "id": "TST009", "name": "other"})],
                       check_packages=[package])


def test_an_entry_with_logic_and_a_condition_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(tmp_path))
    package = _checks_package(tmp_path, "both_checks", LOGIC)
    entry = {key: value for key, value in MINIMAL.items() if key != "messages"}
    with pytest.raises(RuleDefinitionError, match="a Python rule has no `condition`"):
        build_registry(catalog_dirs=[_catalog(tmp_path, {**entry, "check": "python"})], check_packages=[package])


# -- lookup and selection ------------------------------------------------------------------------------------


def test_get_by_id_name_or_alias_case_insensitively() -> None:
    by_id = REGISTRY.get("ais004")
    assert by_id is not None and by_id.id == "AIS004"
    assert REGISTRY.get(by_id.name.upper()) is by_id
    assert REGISTRY.get("XYZ999") is None


def test_select_filters_combine() -> None:
    search_high = REGISTRY.select(services=["src"], severities=["high"])
    assert search_high and all(item.id.startswith("SRC") and item.severity is Severity.HIGH
                               for item in search_high)
    by_pillar = REGISTRY.select(pillars=[Pillar.COST_OPTIMIZATION])
    assert by_pillar and all(Pillar.COST_OPTIMIZATION in item.pillars for item in by_pillar)
    assert [item.id for item in REGISTRY.select(ids=["AIS005", "ai-search-without-private-endpoint"])] == [
        "AIS005", "SRC007"]
    assert REGISTRY.select(pillars=["no-such-pillar"]) == []
    assert REGISTRY.select() == list(REGISTRY.rules)


# -- loading -------------------------------------------------------------------------------------------------

MINIMAL = {
    "id": "TST001", "name": "test-thing-open", "title": "Test thing is open",
    "resource_types": ["Test.Provider/things"], "pillars": ["security"], "design_area": "operations",
    "severity": "low", "condition": {"field": "properties.open", "equals": False}, "missing": "pass",
    "aliases": ["TST900", "old-test-thing-name"],
    "messages": {"fail": "{name} is open: {reason}"},
}


def _catalog(tmp_path: Path, *entries: dict[str, Any], file_name: str = "test.yaml") -> Path:
    directory = tmp_path / "catalog"
    directory.mkdir(exist_ok=True)
    (directory / file_name).write_text(yaml.safe_dump(list(entries)), encoding="utf-8")
    return directory


def _resource(resource_type: str, name: str, *, properties: Any = None,
              source_format: SourceFormat = SourceFormat.ARM) -> Resource:
    body: dict[str, Any] = {"type": resource_type, "name": name}
    if properties is not None:
        body["properties"] = properties
    return Resource.from_arm(body, Source(source_format, "test.json", 7, name))


def test_a_new_catalog_file_is_picked_up_without_code_changes(tmp_path: Path) -> None:
    registry = build_registry(catalog_dirs=[_catalog(tmp_path, MINIMAL)], check_packages=[])
    found = registry.get("old-test-thing-name")
    assert found is not None and found.id == "TST001" and found.kind == "declarative"
    assert registry.get("tst900") is found
    open_thing = _resource("test.provider/THINGS", "open-one", properties={"open": True})
    closed = _resource("Test.Provider/things", "closed", properties={"open": False})
    default = _resource("Test.Provider/things", "default")
    other = _resource("Test.Provider/other", "other")
    resources = [open_thing, closed, default, other]
    results = run_rules(resources, ResourceGraph(resources), [found])
    assert [(result.resource_name, result.status, result.message) for result in results] == [
        ("open-one", Status.FAIL, "open-one is open: properties.open is true, expected false"),
        ("closed", Status.PASS, "properties.open is false"),
        ("default", Status.PASS, "properties.open is not set (absent means pass for this rule)"),
    ]
    assert results[0].location is not None and results[0].location.line == 7


@pytest.mark.parametrize(("change", "message"), [
    ({"id": "ts1"}, "`id` must look like AIS001"),
    ({"name": "Test_Thing"}, "`name` must be kebab-case"),
    ({"severity": "critical"}, "`severity` is 'critical'"),
    ({"pillars": []}, "`pillars` must not be empty"),
    ({"design_area": "nowhere"}, "`design_area` is 'nowhere'"),
    ({"missing": "not_applicable"}, "`missing` must be pass, fail or unknown"),
    ({"condition": {"field": "a", "equalz": 1}}, "unknown operator equalz"),
    ({"condition": None}, "needs a `condition`"),
    ({"where": {"anyOf": []}}, "`anyOf` needs a non-empty list"),
    ({"colour": "red"}, "unknown key(s): colour"),
    ({"messages": {"fail": "{name} {resource_group}"}}, "uses resource_group"),
    ({"doc": {"what": "x", "how": "y"}}, "unknown doc section(s): how"),
    ({"maps_to": {"psrule": ["Azure.AI.PublicAccess"]}}, "`maps_to` must be a list"),
    ({"maps_to": [{"peer": "tfsec", "id": "x", "match": "exact"}]}, "`maps_to[0].peer` is 'tfsec'"),
    ({"maps_to": [{"peer": "checkov", "id": "CKV_AWS_1", "match": "exact"}]},
     "`maps_to[0].id` is 'CKV_AWS_1'; expected a Checkov id"),
    ({"maps_to": [{"peer": "azure_policy", "id": "not-a-guid", "match": "exact"}]},
     "expected an Azure Policy definition GUID"),
    ({"maps_to": [{"peer": "psrule", "id": "Azure.AI.PublicAccess"}]}, "`maps_to[0].match` is None"),
    ({"maps_to": [{"peer": "psrule", "id": "Azure.AI.PublicAccess", "match": "close"}]},
     "expected exact or partial"),
    ({"maps_to": [{"peer": "azqr", "id": "aif-004", "match": "partial"}]},
     "(aif-004) is partial: its `note` must say how the peer's rule differs"),
    ({"maps_to": [{"peer": "azqr", "id": "aif-004", "match": "partial", "note": "one\ntwo"}]}, "must be one line"),
    ({"maps_to": [{"peer": "azqr", "id": "aif-004", "match": "partial", "note": "x" * 201}]},
     "at most 200 characters"),
    ({"maps_to": [{"peer": "azqr", "id": "aif-004", "match": "exact", "url": "https://x"}]},
     "`maps_to[0]` has unknown key(s): url"),
    ({"maps_to": [{"peer": "aprl", "id": "70fcfe6d-00e9-5544-a63a-fff42b9f2edb", "match": "exact"},
                  {"peer": "aprl", "id": "70fcfe6d-00e9-5544-a63a-fff42b9f2edb", "match": "exact"}]},
     "`maps_to[1]` maps to aprl 70fcfe6d-00e9-5544-a63a-fff42b9f2edb a second time"),
    ({"maps_to": ["Azure.AI.PublicAccess"]}, "`maps_to[0]` must be a mapping"),
])
def test_a_broken_definition_is_reported_with_file_and_rule(tmp_path: Path, change: dict[str, Any],
                                                             message: str) -> None:
    directory = _catalog(tmp_path, {**MINIMAL, **change})
    with pytest.raises(RuleDefinitionError) as error:
        build_registry(catalog_dirs=[directory], check_packages=[])
    assert message in str(error.value)
    assert "test.yaml" in str(error.value)


def test_the_parsed_catalog_is_kept_beside_it_and_read_again_when_a_file_changes(tmp_path: Path) -> None:
    directory = _catalog(tmp_path, MINIMAL)
    first = read_catalog_dir(directory)
    assert [entry for entry, _ in first] == [MINIMAL]
    (cache,) = (directory / "__pycache__").glob("catalog.*.marshal")
    assert read_catalog_dir(directory) == first
    _catalog(tmp_path, {**MINIMAL, "title": "Test thing is open to everyone"})
    assert [entry["title"] for entry, _ in read_catalog_dir(directory)] == ["Test thing is open to everyone"]
    cache.write_bytes(b"not a cache")
    assert [entry["title"] for entry, _ in read_catalog_dir(directory)] == ["Test thing is open to everyone"]


def test_maps_to_entries_are_read_with_peer_id_match_and_note(tmp_path: Path) -> None:
    mapped = {**MINIMAL, "maps_to": [
        {"peer": "psrule", "id": "Azure.AI.PublicAccess", "match": "exact"},
        {"peer": "checkov", "id": "CKV_AZURE_134", "match": "partial", "note": "  reads one property  "},
    ]}
    registry = build_registry(catalog_dirs=[_catalog(tmp_path, mapped)], check_packages=[])
    found = registry.get("TST001")
    assert found is not None
    assert found.maps_to == (PeerMapping("psrule", "Azure.AI.PublicAccess", "exact"),
                             PeerMapping("checkov", "CKV_AZURE_134", "partial", "reads one property"))


def test_a_python_rule_with_a_malformed_mapping_is_refused_naming_it() -> None:
    def check(resource: Resource, graph: ResourceGraph) -> tuple[Status, str]:
        return Status.PASS, "fine"

    metadata = {key: value for key, value in MINIMAL.items() if key not in ("condition", "messages")}
    with pytest.raises(RuleDefinitionError, match=r"rule TST001: .*maps_to\[0\]\.match"):
        rule_from_mapping({**metadata, "maps_to": [{"peer": "azqr", "id": "aif-004", "match": "maybe"}]},
                          origin="test", check=check)


def test_every_catalog_mapping_names_a_peer_id_and_how_it_matches() -> None:
    mapped = [(item.id, mapping) for item in REGISTRY.rules for mapping in item.maps_to]
    assert len(mapped) >= 90
    assert {mapping.peer for _, mapping in mapped} == set(PEERS)
    assert {mapping.match for _, mapping in mapped} == {"exact", "partial"}
    assert all(mapping.note for _, mapping in mapped if mapping.match == "partial")


def test_the_catalog_is_read_with_the_c_yaml_loader_when_pyyaml_has_it(monkeypatch: pytest.MonkeyPatch) -> None:
    if getattr(yaml, "__with_libyaml__", False):
        assert yaml_loader() is yaml.CSafeLoader
    monkeypatch.delattr(yaml, "CSafeLoader", raising=False)
    assert yaml_loader() is yaml.SafeLoader


def test_duplicate_ids_names_and_aliases_are_refused(tmp_path: Path) -> None:
    second = {**MINIMAL, "id": "TST002", "name": "another-thing", "aliases": ["old-test-thing-name"]}
    directory = _catalog(tmp_path, MINIMAL, second)
    with pytest.raises(RuleDefinitionError, match="'old-test-thing-name' is already used by TST001"):
        build_registry(catalog_dirs=[directory], check_packages=[])


def test_a_catalog_file_that_is_not_a_list_is_refused(tmp_path: Path) -> None:
    directory = tmp_path / "catalog"
    directory.mkdir()
    (directory / "bad.yaml").write_text("id: TST001\n", encoding="utf-8")
    with pytest.raises(RuleDefinitionError, match="a catalog file is a YAML list"):
        build_registry(catalog_dirs=[directory], check_packages=[])
    (directory / "bad.yaml").write_text("- [unbalanced\n", encoding="utf-8")
    with pytest.raises(RuleDefinitionError, match="can't read the rule catalog"):
        build_registry(catalog_dirs=[directory], check_packages=[])


# -- the engine ----------------------------------------------------------------------------------------------


def _python_rule(check: Any, *, where: dict[str, Any] | None = None) -> Rule:
    metadata: dict[str, Any] = {**{key: value for key, value in MINIMAL.items()
                                   if key not in ("condition", "messages")}, "where": where}
    return rule_from_mapping(metadata, origin="test", check=check)


def test_a_rule_that_raises_gives_unknown_and_the_run_goes_on() -> None:
    def broken(resource: Resource, graph: ResourceGraph) -> tuple[Status, str]:
        raise KeyError("properties")

    def working(resource: Resource, graph: ResourceGraph) -> tuple[Status, str]:
        return Status.PASS, "fine"

    things = [_resource("Test.Provider/things", "one"), _resource("Test.Provider/things", "two")]
    broken_rule = _python_rule(broken)
    metadata = {key: value for key, value in MINIMAL.items() if key not in ("condition", "messages")}
    working_rule = rule_from_mapping(metadata | {"id": "TST003", "name": "other-thing", "aliases": []},
                                     origin="test", check=working)
    results = run_rules(things, ResourceGraph(things), [broken_rule, working_rule])
    assert [(result.rule.id, result.resource_name, result.status) for result in results] == [
        ("TST001", "one", Status.UNKNOWN), ("TST001", "two", Status.UNKNOWN),
        ("TST003", "one", Status.PASS), ("TST003", "two", Status.PASS),
    ]
    assert results[0].message == "rule error: KeyError: 'properties'"


def test_a_python_rule_behind_where_that_raises_on_one_of_resources_configured_alike_gives_unknown_there() -> None:
    # Resources configured alike share what `where` decides; the function still judges each, and an error on
    # one of them is that one's verdict alone.
    judged: list[str] = []

    def broken_on_two(resource: Resource, graph: ResourceGraph) -> tuple[Status, str]:
        judged.append(str(resource.name))
        if resource.name == "two":
            raise ValueError("no tier")
        return Status.PASS, f"{resource.name} is fine"

    rule = _python_rule(broken_on_two, where={"field": "properties.tier", "equals": "premium"})
    things = [_resource("Test.Provider/things", name, properties={"tier": "premium"})
              for name in ("one", "two", "three")]
    results = run_rules(things, ResourceGraph(things), [rule])
    assert [(result.resource_name, result.status, result.message) for result in results] == [
        ("one", Status.PASS, "one is fine"), ("two", Status.UNKNOWN, "rule error: ValueError: no tier"),
        ("three", Status.PASS, "three is fine"),
    ]
    assert judged == ["one", "two", "three"]


def test_where_decides_applicability_before_a_python_rule_runs() -> None:
    calls: list[str] = []

    def check(resource: Resource, graph: ResourceGraph) -> tuple[Status, str]:
        calls.append(str(resource.name))
        return Status.FAIL, "checked"

    tier = _python_rule(check, where={"field": "properties.tier", "equals": "premium"})
    resources = [
        _resource("Test.Provider/things", "premium", properties={"tier": "Premium"}),
        _resource("Test.Provider/things", "basic", properties={"tier": "basic"}),
        _resource("Test.Provider/things", "untiered"),
        Resource.from_arm({"type": "Test.Provider/things", "name": "unresolved",
                           "properties": {"tier": Unresolved("parameters('tier')", "no value")}},
                          Source(SourceFormat.ARM, "t.json")),
    ]
    statuses = {result.resource_name: result.status
                for result in run_rules(resources, ResourceGraph(resources), [tier])}
    assert statuses == {"premium": Status.FAIL, "basic": Status.NOT_APPLICABLE,
                        "untiered": Status.NOT_APPLICABLE, "unresolved": Status.UNKNOWN}
    assert calls == ["premium"]


GC_LOGIC = """
import gc

from aiwell.model import Status
from aiwell.rules import implements

SEEN = []


@implements("TST001")
def thing_open(resource, graph):
    SEEN.append(gc.isenabled())
    if resource.name == "stop":
        raise KeyboardInterrupt  # not a rule error: it ends the review
    return Status.FAIL, "open"
"""


def test_the_cyclic_collector_pauses_while_rules_judge_and_resumes_after(tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    found = _rule_with_logic(tmp_path, monkeypatch, "gc_checks", GC_LOGIC)
    assert found is not None
    seen = importlib.import_module("gc_checks.thing_open").SEEN
    things = [_resource("Test.Provider/things", "one"), _resource("Test.Provider/things", "two")]
    assert gc.isenabled()
    judged = run_rules(things, ResourceGraph(things), [found])
    assert len(judged) == 2
    assert seen == [False, False] and gc.isenabled() and gc.get_freeze_count() == 0
    # What the rules built is left in the oldest generation, where no young collection walks it.
    assert any(old is judged[0] for old in gc.get_objects(generation=2))
    stopping = [_resource("Test.Provider/things", "stop")]
    with pytest.raises(KeyboardInterrupt):
        run_rules(stopping, ResourceGraph(stopping), [found])
    assert gc.isenabled()
    gc.disable()
    try:  # a caller that had switched it off keeps it off
        run_rules(things, ResourceGraph(things), [found])
        assert not gc.isenabled()
    finally:
        gc.enable()


ALIKE_VALUES: list[Any] = [True, 1, "1", "true", "True", 1.0, 0, False, "", None, "ENABLED", "enabled",
                           [True], {"a": 1}, Unresolved("parameters('open')", "no value given")]
"""Values equal as dict keys, or alike as text, that a condition tells apart; and values that are no key."""


@pytest.mark.parametrize("order", ["as listed", "reversed"])
def test_verdicts_kept_for_alike_resources_tell_apart_each_value_its_type_and_the_resource(order: str) -> None:
    """A rule keeps what its conditions decide for the values they read: True, 1, 1.0 and "1" (equal or alike
    as dict keys), null and absent, are each judged as they are, whichever comes first, and a message naming the
    resource names each one."""
    entry = {**MINIMAL, "where": {"anyOf": [
                 {"field": "properties.kind", "exists": False}, {"field": "properties.kind", "notEquals": "legacy"}]},
             "condition": {"anyOf": [{"field": "properties.open", "equals": False},
                                     {"field": "properties.mode", "in": ["enabled", 2]}]},
             "messages": {"fail": "{name} ({type}) is open: {reason}", "pass": "closed: {reason}"}}
    positions = range(len(ALIKE_VALUES)) if order == "as listed" else range(len(ALIKE_VALUES) - 1, -1, -1)
    resources = []
    for index in positions:
        value = ALIKE_VALUES[index]
        for mode in (value, "other"):
            properties: dict[str, Any] = {"open": value, "mode": mode} if value is not None else {"mode": mode}
            shown = "value" if mode is value else "other"
            resources.append(_resource("Test.Provider/things", f"thing-{index}-{shown}", properties=properties))
            resources.append(_resource("Test.Provider/things", f"null-{index}-{shown}",
                                       properties={**properties, "open": None}))
            resources.append(_resource("Test.Provider/things", f"legacy-{index}-{shown}", properties={
                **properties, "kind": value if index % 2 else "legacy"}))
    memoised = rule_from_mapping(entry, origin="test")
    alone = rule_from_mapping(entry, origin="test")
    graph = ResourceGraph(resources)
    judged = {resource.name: memoised.evaluate(resource, graph) for resource in resources}
    assert memoised._alike, "the rule keeps its verdicts for resources configured alike"
    for resource in resources:
        assert judged[str(resource.name)] == alone._judged(None)(resource, graph), resource.name
    assert "properties.open is true, expected false" in judged["thing-0-other"][1]
    assert "properties.open is 1, expected false" in judged["thing-1-other"][1]
    assert "properties.open is '1', expected false" in judged["thing-2-other"][1]
    assert "properties.open is 1.0, expected false" in judged["thing-5-other"][1]
    assert judged["thing-7-other"][0] is Status.PASS and judged["null-7-other"][0] is Status.PASS
    for name, (status, message) in judged.items():
        assert status is not Status.FAIL or message.startswith(f"{name} (Test.Provider/things) is open: ")
    assert memoised._by_shape, "the rule keeps its verdicts for each document shape too"


def test_a_rule_that_reads_the_name_or_id_is_not_decided_by_document_shape() -> None:
    """Resources alike but for their names share a shape (`ResourceGraph.document_shape`), yet a rule whose
    condition reads the name, or the id, judges each by its own."""
    resources = [_resource("Test.Provider/things", name, properties={"open": True}) for name in ("prod", "dev")]
    graph = ResourceGraph(resources)
    assert graph.document_shape(resources[0]) == graph.document_shape(resources[1]) is not None
    for field in ("name", "Name", "id"):
        entry = {**MINIMAL, "condition": {"field": field, "contains": "prod"}, "messages": {}}
        rule = rule_from_mapping(entry, origin="test")
        verdicts = [rule.evaluate(resource, graph)[0] for resource in resources]
        assert verdicts == [Status.PASS, Status.FAIL], field
        assert not rule._by_shape
    by_shape = rule_from_mapping(MINIMAL, origin="test")
    assert [by_shape.evaluate(resource, graph) for resource in resources] == [
        (Status.FAIL, "prod is open: properties.open is true, expected false"),
        (Status.FAIL, "dev is open: properties.open is true, expected false")]
    assert len(by_shape._by_shape) == 1


def test_a_rule_that_reads_context_decides_alike_documents_once_per_set_of_context_values() -> None:
    """Resources alike but for their names, reviewed as production, as development and with no environment,
    get each review's verdict from a rule that reads `$context.environment` (kept per shape and context values,
    from one review to the next), as judged one by one."""
    from aiwell.model.context import ContextSetting, ReviewContext

    entry = {**MINIMAL, "context": ["environment"], "where": {"field": "$context.environment", "equals": "production"},
             "messages": {"fail": "{name} is open in production: {reason}"}}
    memoised, alone = rule_from_mapping(entry, origin="test"), rule_from_mapping(entry, origin="test")
    found = {}
    for environment in ("production", "development", None):
        resources = [_resource("Test.Provider/things", name, properties={"open": True}) for name in ("a", "b")]
        settings = {"environment": ContextSetting(environment, "--environment")} if environment else {}
        graph = ResourceGraph(resources, context=ReviewContext(settings=settings))
        found[environment] = [memoised.evaluate(resource, graph) for resource in resources]
        assert found[environment] == [alone._judged(None)(resource, graph) for resource in resources]
    assert found["production"] == [(Status.FAIL, "a is open in production: properties.open is true, expected false"),
                                   (Status.FAIL, "b is open in production: properties.open is true, expected false")]
    assert [status for status, _ in found["development"]] == [Status.NOT_APPLICABLE] * 2
    assert [status for status, _ in found[None]] == [Status.UNKNOWN] * 2
    assert len(memoised._by_shape) == 3


def test_a_rule_that_reads_every_item_of_a_list_decides_alike_documents_once_per_shape() -> None:
    """A condition on `[*]` reads more than one value (no set of values to key on): resources alike but for
    their names share one decision, with each one's name in its message, and the verdicts are those the rule
    gives judging one by one; a resource with a value that has no shape is judged on its own."""
    entry = {**MINIMAL, "condition": {"field": "properties.doors[*].open", "equals": False}, "missing": "fail",
             "messages": {"fail": "{name} has an open door: {reason}", "pass": "{name} is shut."}}
    memoised, alone = rule_from_mapping(entry, origin="test"), rule_from_mapping(entry, origin="test")
    doors = {"shut": [{"open": False}, {"open": False}], "open": [{"open": False}, {"open": True}], "none": []}
    resources = [_resource("Test.Provider/things", f"{kind}-{copy}", properties={"doors": value})
                 for kind, value in doors.items() for copy in ("a", "b")]
    resources.append(_resource("Test.Provider/things", "unresolved",
                               properties={"doors": [{"open": Unresolved("parameters('door')", "no value")}]}))
    graph = ResourceGraph(resources)
    judged = [memoised.evaluate(resource, graph) for resource in resources]
    assert judged == [alone._judged(None)(resource, graph) for resource in resources]
    assert judged[0] == (Status.PASS, "shut-a is shut.") and judged[1] == (Status.PASS, "shut-b is shut.")
    assert [status for status, _ in judged[2:]] == [Status.FAIL] * 2 + [Status.PASS] * 2 + [Status.UNKNOWN]
    assert judged[3][1].startswith("open-b has an open door: ") and judged[5] == (Status.PASS, "none-b is shut.")
    assert len(memoised._by_shape) == 3, "one decision per shape; none kept for the resource without a shape"


def test_a_python_rule_judged_by_the_document_runs_once_per_shape_and_source_format() -> None:
    """A Python rule whose logic is judged by the document (`@implements(..., by_document=True)`) calls its function
    once for resources alike but for their names and ids, once more for another source format, and once for each
    resource whose document has no shape; the verdicts are the function's. Without the declaration it is called
    for every resource."""
    calls: list[str] = []

    def check(resource: Resource, graph: ResourceGraph) -> tuple[Status, str]:
        calls.append(str(resource.name))
        open_ = resource.get("properties.open")
        formatted = resource.source.format.value
        return (Status.FAIL, f"open ({formatted})") if open_ is True else (Status.PASS, f"closed ({formatted})")

    entry = {key: value for key, value in MINIMAL.items() if key not in ("condition", "messages", "missing")}
    entry["check"] = "python"
    resources = [_resource("Test.Provider/things", name, properties={"open": True}) for name in ("a", "b", "c")]
    resources.append(_resource("Test.Provider/things", "shut", properties={"open": False}))
    resources.append(_resource("Test.Provider/things", "row", properties={"open": True},
                               source_format=SourceFormat.INVENTORY))
    resources += [_resource("Test.Provider/things", name, properties={"open": Unresolved("parameters('o')", "none")})
                  for name in ("u1", "u2")]
    graph = ResourceGraph(resources)
    by_document = rule_from_mapping(entry, origin="test", check=check, by_document=True)
    judged = [by_document.evaluate(resource, graph) for resource in resources]
    assert judged == [*[(Status.FAIL, "open (arm)")] * 3, (Status.PASS, "closed (arm)"),
                      (Status.FAIL, "open (inventory)"), *[(Status.PASS, "closed (arm)")] * 2]
    assert calls == ["a", "shut", "row", "u1", "u2"]
    calls.clear()
    each = rule_from_mapping(entry, origin="test", check=check)
    assert [each.evaluate(resource, graph) for resource in resources] == judged
    assert calls == [str(resource.name) for resource in resources]


@pytest.mark.parametrize(("left", "right"), [
    (True, 1), (1, 1.0), (0.0, -0.0), ("1", 1), (None, "null"), ([1], (1,)), ({"a": 1, "b": 2}, {"b": 2, "a": 1})])
def test_documents_that_differ_in_a_value_its_type_or_key_order_have_different_shapes(left: Any, right: Any) -> None:
    resources = [_resource("Test.Provider/things", name, properties={"open": value})
                 for name, value in (("one", left), ("two", right))]
    graph = ResourceGraph(resources)
    assert graph.document_shape(resources[0]) != graph.document_shape(resources[1])


def test_a_document_holding_an_unresolved_value_or_a_str_subclass_has_no_shape() -> None:
    class Text(str):
        pass

    resources = [_resource("Test.Provider/things", "one", properties={"open": Unresolved("parameters('x')", "")}),
                 _resource("Test.Provider/things", "two", properties={"open": Text("true")})]
    graph = ResourceGraph(resources)
    assert [graph.document_shape(resource) for resource in resources] == [None, None]
