"""`aiwell rules ID`: one rule's documentation, its peer mappings included, in the terminal and as JSON."""

from __future__ import annotations

import json
from io import StringIO

from rich.console import Console

from aiwell.cli.rules_view import catalog_json, rule_json, show_rule
from aiwell.rules import load_registry

REGISTRY = load_registry()


def _shown(rule_id: str, width: int = 100) -> str:
    found = REGISTRY.get(rule_id)
    assert found is not None
    out = StringIO()
    show_rule(found, Console(file=out, width=width, color_system=None))
    return out.getvalue()


def test_the_terminal_shows_each_mapping_with_its_match_and_how_it_differs() -> None:
    text = _shown("MLW001")
    mappings = text[text.index("Maps to"):]
    assert "PSRule Azure.ML.PublicAccess exact" in mappings
    assert "Azure Policy 438c38d2-3772-465a-a9cc-7a6666a275ce partial" in mappings
    assert "not allowPublicAccessWhenBehindVnet" in mappings
    assert "Checkov CKV2_AZURE_49 partial" in mappings


def test_a_guid_is_never_cut_in_a_narrow_terminal() -> None:
    text = _shown("AIS001", width=60)
    assert "037eea7a-bd0a-46c5-9a66-03aea78705d3" in text


def test_a_rule_without_mappings_shows_no_mapping_section() -> None:
    assert "Maps to" not in _shown("AIS007")


def test_json_lists_mappings_as_peer_id_match_note() -> None:
    found = REGISTRY.get("SRC005")
    assert found is not None
    mappings = json.loads(rule_json(found))["maps_to"]
    assert mappings[0] == {"peer": "psrule", "id": "Azure.Search.SKU", "match": "partial",
                           "note": mappings[0]["note"]}
    assert mappings[0]["note"]
    exact = json.loads(rule_json(REGISTRY.get("SRC003") or found))["maps_to"][0]
    assert exact == {"peer": "psrule", "id": "Azure.Search.QuerySLA", "match": "exact", "note": None}


def test_the_catalog_json_carries_every_mapping() -> None:
    rules = json.loads(catalog_json(REGISTRY.rules))
    assert sum(len(entry["maps_to"]) for entry in rules) == sum(len(item.maps_to) for item in REGISTRY.rules)
    assert all(set(mapping) == {"peer", "id", "match", "note"} for entry in rules for mapping in entry["maps_to"])
