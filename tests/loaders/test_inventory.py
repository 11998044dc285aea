"""Inventory exports (Resource Graph, az resource list, ARM list responses) → resources."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aiwell.errors import TemplateError
from aiwell.loaders.inventory import (
    NO_PROPERTIES_REASON,
    _plain_row_to_resource,
    _row_to_resource,
    load_inventory,
    looks_like_inventory,
    read_inventory,
)
from aiwell.loaders.jsonc import JsonDocument, load_json, parse_text
from aiwell.model import MISSING, SourceFormat, Unresolved

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "inventory"
SUB = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-chat/providers"


def _load(name: str) -> JsonDocument:
    return load_json(FIXTURES / name, track=("data", "value"), root_items=True)


def _text(value: Any) -> JsonDocument:
    return parse_text(json.dumps(value, indent=1), "inline.json", track=("data", "value"), root_items=True)


def _row(rid: str, rtype: str, name: str, **extra: Any) -> dict[str, Any]:
    return {"id": rid, "type": rtype, "name": name, **extra}


@pytest.mark.parametrize("name", ["resource-graph.json", "resource-graph-bare.jsonc", "resource-list.json",
                                  "arm-list.json", "resource-graph-paged.json"])
def test_export_fixtures_look_like_inventories(name: str) -> None:
    assert looks_like_inventory(_load(name).value)


@pytest.mark.parametrize("value", [
    {"$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
     "contentVersion": "1.0.0.0", "resources": []},
    {"$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentParameters.json#",
     "contentVersion": "1.0.0.0", "parameters": {"value": {"value": 1}}},
    {"name": "my-package", "version": "1.0.0"},
    {"data": "not a list"},
    {"data": [], "unrelated": True},
    {"value": [1, 2, 3]},
    [],
    [1, 2, 3],
    [{"id": "no-leading-slash", "type": "Microsoft.Web/sites"}],
    [{"id": "/subscriptions/x", "name": "no type"}],
    "text",
    None,
], ids=repr)
def test_other_json_is_not_an_inventory(value: Any) -> None:
    assert not looks_like_inventory(value)


def test_empty_wrappers_are_inventories_with_no_resources() -> None:
    assert looks_like_inventory({"count": 0, "data": [], "skip_token": None})
    assert looks_like_inventory({"value": []})
    assert load_inventory(_text({"count": 0, "data": []})) == []


def test_resource_graph_rows_become_resources_with_provenance() -> None:
    document = _load("resource-graph.json")
    resources = load_inventory(document)
    assert [r.name for r in resources] == ["chat-oai", "chat-oai/gpt-4o", "chat-search", "chatdocs",
                                           "chat-hub/ci-dev", "chat-kv"]
    account = resources[0]
    # Types stay as Resource Graph gives them; comparisons are case-insensitive.
    assert account.type == "microsoft.cognitiveservices/accounts"
    assert account.is_type("Microsoft.CognitiveServices/accounts")
    assert account.id == f"{SUB}/Microsoft.CognitiveServices/accounts/chat-oai"
    assert account.source.format is SourceFormat.INVENTORY
    assert account.source.file == str(FIXTURES / "resource-graph.json")
    assert (account.source.line, account.source.end_line) == (4, 26)
    assert account.source.address == account.id
    assert account.kind == "OpenAI"
    assert account.get("properties.publicNetworkAccess") == "Enabled"
    assert account.get("sku.name") == "S0"
    # Null top-level fields are absent, as in ARM: a rule reading identity.type sees MISSING.
    assert account.identity is MISSING
    assert account.get("identity.type") is MISSING
    assert account.extra["resourceGroup"] == "rg-chat"


def test_child_rows_keep_full_type_and_get_full_name_from_id() -> None:
    resources = load_inventory(_load("resource-graph.json"))
    deployment = resources[1]
    assert deployment.type == "microsoft.cognitiveservices/accounts/deployments"
    assert deployment.name == "chat-oai/gpt-4o"
    assert deployment.id == f"{SUB}/Microsoft.CognitiveServices/accounts/chat-oai/deployments/gpt-4o"
    assert deployment.get("sku.capacity") == 50


def test_grandchild_name_is_rebuilt_and_full_names_are_kept() -> None:
    base = f"{SUB}/Microsoft.MachineLearningServices/workspaces/ws"
    document = _text([
        _row(f"{base}/onlineEndpoints/ep/deployments/blue",
             "microsoft.machinelearningservices/workspaces/onlineendpoints/deployments", "blue"),
        _row(f"{base}/computes/gpu", "Microsoft.MachineLearningServices/workspaces/computes", "ws/gpu"),
    ])
    assert [r.name for r in load_inventory(document)] == ["ws/ep/blue", "ws/gpu"]


def test_extension_resource_name_comes_from_the_last_provider_segment() -> None:
    target = f"{SUB}/Microsoft.CognitiveServices/accounts/chat-oai"
    rid = f"{target}/providers/Microsoft.Insights/diagnosticSettings/to-law"
    (setting,) = load_inventory(_text([_row(rid, "microsoft.insights/diagnosticsettings", "to-law",
                                            properties={})]))
    assert setting.name == "to-law"


def test_missing_name_is_taken_from_the_id_or_unresolved() -> None:
    rid = f"{SUB}/Microsoft.KeyVault/vaults/kv1"
    named, unnamed = load_inventory(_text([
        {"id": rid, "type": "Microsoft.KeyVault/vaults", "properties": {}},
        {"id": "/odd-id", "type": "Microsoft.KeyVault/vaults", "name": None, "properties": {}},
    ]))
    assert named.name == "kv1"
    assert isinstance(unnamed.name, Unresolved)


def test_az_resource_list_rows_have_unresolved_properties() -> None:
    account, site = load_inventory(_load("resource-list.json"))
    assert account.type == "Microsoft.CognitiveServices/accounts"
    assert account.properties == Unresolved("properties", NO_PROPERTIES_REASON)
    # Any property path reads as unknown, never as absent (which a rule could turn into fail).
    assert isinstance(account.get("properties.disableLocalAuth"), Unresolved)
    # What the export does carry is read as usual.
    assert account.get("identity.type") == "SystemAssigned"
    assert site.get("identity.type") is MISSING
    assert site.kind == "app,linux"


def test_resource_graph_row_without_properties_is_unresolved_too() -> None:
    compute = load_inventory(_load("resource-graph.json"))[4]
    assert isinstance(compute.properties, Unresolved)


def test_arm_list_response_and_next_link_note() -> None:
    export = read_inventory(_load("arm-list.json"))
    (cosmos,) = export.resources
    assert cosmos.type == "Microsoft.DocumentDB/databaseAccounts"
    assert (cosmos.source.line, cosmos.source.end_line) == (3, 10)
    assert isinstance(cosmos.get("properties.disableLocalAuth"), Unresolved)
    assert export.notes == ("the export holds only its first page (1 rows, nextLink set); resources on later "
                            "pages were not reviewed",)


def test_resource_graph_first_page_only_is_noted() -> None:
    export = read_inventory(_load("resource-graph-paged.json"))
    assert len(export.resources) == 1
    assert export.skipped_rows == 0
    (note,) = export.notes
    assert note.startswith("the export holds only its first page (1 of 250 rows)")


def test_bare_jsonc_list_skips_non_resources_and_repeated_ids() -> None:
    export = read_inventory(_load("resource-graph-bare.jsonc"))
    assert [(r.name, r.source.line) for r in export.resources] == [("ml-ws", 3), ("ml-ws/score/blue", 13)]
    # The first row with an id wins.
    assert export.resources[0].get("properties.publicNetworkAccess") == "Disabled"
    assert export.skipped_rows == 3
    assert export.notes == ("2 row(s) skipped: not resources (no id or type)",
                            "1 row(s) skipped: the same resource id appears more than once")


def test_ids_repeat_case_insensitively() -> None:
    rid = f"{SUB}/Microsoft.KeyVault/vaults/kv1"
    export = read_inventory(_text([_row(rid, "Microsoft.KeyVault/vaults", "kv1", properties={}),
                                   _row(rid.upper(), "Microsoft.KeyVault/vaults", "KV1", properties={})]))
    assert len(export.resources) == 1
    assert export.skipped_rows == 1


@pytest.mark.parametrize("value", [
    {"resources": []},
    {"data": "not a list"},
    "a string",
    12,
], ids=repr)
def test_non_exports_raise_template_error(value: Any) -> None:
    with pytest.raises(TemplateError, match="not an inventory export"):
        load_inventory(_text(value))


def test_list_without_any_resource_row_raises_template_error() -> None:
    with pytest.raises(TemplateError, match="none of its 2 rows"):
        load_inventory(_load("not-resources.json"))


def test_fifty_thousand_rows_load(tmp_path: Path) -> None:
    rows = [
        {
            "id": f"{SUB}/Microsoft.CognitiveServices/accounts/acct{i}/deployments/dep",
            "name": "dep",
            "type": "microsoft.cognitiveservices/accounts/deployments",
            "sku": {"name": "Standard", "capacity": 10},
            "properties": {"raiPolicyName": "Microsoft.Default"},
        }
        for i in range(50_000)
    ]
    path = tmp_path / "big.json"
    path.write_text(json.dumps({"count": len(rows), "data": rows}), encoding="utf-8")
    resources = load_inventory(load_json(path, track=("data", "value"), root_items=True))
    assert len(resources) == 50_000
    assert resources[-1].name == "acct49999/dep"
    assert resources[-1].source.line == 1


# --- Azure PowerShell: Get-AzResource | ConvertTo-Json ---------------------------------------------------------
# The fixtures hold the rows of resource-graph.json as Get-AzResource returns them: `powershell-expanded.json`
# with -ExpandProperties | ConvertTo-Json -Depth 100 -EnumsAsStrings, `powershell-depth2.json` with
# -ExpandProperties at ConvertTo-Json's default depth and enums as numbers, `powershell-5.1-utf16.json` without
# properties from Windows PowerShell 5.1 (UTF-16 with a BOM, `{"value": [...], "Count": n}`), `powershell-one.json`
# a single resource (converted as an object, not a list).


@pytest.mark.parametrize("name", ["powershell-expanded.json", "powershell-depth2.json", "powershell-one.json"])
def test_powershell_exports_look_like_inventories(name: str) -> None:
    assert looks_like_inventory(_load(name).value)


def _review_triples(path: Path) -> set[tuple[str, str, str]]:
    from aiwell.review import review

    return {(result.rule.id, result.resource_id.lower(), result.status.value) for result in review([path]).results}


def test_a_powershell_export_reviews_as_the_resource_graph_export_does() -> None:
    powershell = _review_triples(FIXTURES / "powershell-expanded.json")
    assert powershell == _review_triples(FIXTURES / "resource-graph.json")
    assert {status for _, _, status in powershell} >= {"pass", "fail", "unknown"}


def test_powershell_fields_are_read_as_their_arm_fields() -> None:
    account, deployment, search, *_ = load_inventory(_load("powershell-expanded.json"))
    assert account.type == "Microsoft.CognitiveServices/accounts"
    assert account.id == f"{SUB}/Microsoft.CognitiveServices/accounts/chat-oai"
    assert (account.name, account.kind, account.location) == ("chat-oai", "OpenAI", "swedencentral")
    assert account.get("sku.name") == "S0"
    assert account.tags == {"workload": "chat"}
    assert account.get("properties.disableLocalAuth") is False
    assert account.extra["resourceGroup"] == "rg-chat"
    assert not {"ResourceName", "TagsTable", "CreatedTime", "ParentResource"} & set(account.extra)
    assert deployment.name == "chat-oai/gpt-4o"
    assert deployment.get("sku.capacity") == 50
    assert search.get("identity.type") == "SystemAssigned"
    assert search.get("identity.principalId") == "11111111-0000-0000-0000-000000000000"


def test_values_powershell_cut_off_at_its_depth_are_unresolved() -> None:
    export = read_inventory(_load("powershell-depth2.json"))
    account, deployment, search, *_ = export.resources
    model = deployment.get("properties.model")
    assert isinstance(model, Unresolved) and "-Depth" in model.reason
    assert isinstance(account.get("properties.privateEndpointConnections"), Unresolved)
    # An ARM value that looks like a .NET name is kept.
    assert deployment.get("properties.raiPolicyName") == "Microsoft.DefaultV2"
    identity_type = search.get("identity.type")
    assert isinstance(identity_type, Unresolved) and "-EnumsAsStrings" in identity_type.reason
    assert export.notes == ("2 value(s) were cut off by PowerShell's ConvertTo-Json at its -Depth (default 2) "
                            "and are unresolved; export with ConvertTo-Json -Depth 100",)


@pytest.mark.parametrize("value", ["Microsoft.KeyVault", "Microsoft.DefaultV2", "@{triggerBody()}",
                                   "@{variables('name')}", "System"])
def test_arm_values_that_look_like_depth_cuts_are_kept(value: str) -> None:
    row = {"ResourceId": f"{SUB}/Microsoft.Storage/storageAccounts/st",
           "ResourceType": "Microsoft.Storage/storageAccounts", "Name": "st",
           "Properties": {"encryption": {"keySource": value}, "other": "@{depth=cut}"}}
    (storage,) = load_inventory(_text([row]))
    assert storage.get("properties.encryption.keySource") == value
    assert isinstance(storage.get("properties.other"), Unresolved)


def test_a_windows_powershell_export_in_utf16_without_properties() -> None:
    document = load_json(FIXTURES / "powershell-5.1-utf16.json", track=("data", "value"), root_items=True)
    assert looks_like_inventory(document.value)
    resources = load_inventory(document)
    assert [resource.name for resource in resources] == ["chat-oai", "chat-oai/gpt-4o", "chat-search", "chatdocs",
                                                         "chat-hub/ci-dev", "chat-kv"]
    account = resources[0]
    assert account.properties == Unresolved("properties", NO_PROPERTIES_REASON)
    assert account.get("sku.name") == "S0"
    assert (account.source.line, account.source.end_line) == (3, 36)


def test_one_resource_converted_on_its_own() -> None:
    (account,) = load_inventory(_load("powershell-one.json"))
    assert account.name == "chat-oai"
    assert (account.source.line, account.source.end_line) == (1, 39)  # the closing brace, not the newline after it


_ROW_KEYS = ["id", "type", "name", "Name", "NAME", "location", "Location", "kind", "sku", "identity", "tags",
             "Tags", "zones", "properties", "Properties", "apiVersion", "apiversion", "dependsOn", "resourceGroup",
             "subscriptionId", "managedBy", "plan", "tenantId", "etag"]
_ROW_VALUES = st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=6),
                        st.sampled_from(["", "acct", "acct/dep", "2024-01-01"]),
                        st.lists(st.text(max_size=4), max_size=2),
                        st.dictionaries(st.text(max_size=4), st.integers(), max_size=2))


@settings(max_examples=400, deadline=None)
@given(extra=st.dictionaries(st.sampled_from(_ROW_KEYS), _ROW_VALUES, max_size=10),
       rid=st.sampled_from([f"{SUB}/Microsoft.CognitiveServices/accounts/acct/deployments/dep", f"{SUB}/x", "/y"]),
       rtype=st.sampled_from(["Microsoft.CognitiveServices/accounts/deployments", "microsoft.web/sites"]),
       first=st.booleans())
def test_plain_rows_convert_as_the_general_path_does(extra: dict[str, Any], rid: str, rtype: str,
                                                     first: bool) -> None:
    """The direct conversion of an ARM-shaped row (`_plain_row_to_resource`) gives the resource the general path
    gives (with the depth-cut walk on, which finds none here), field for field and in the same key order."""
    extra = {key: value for key, value in extra.items() if key not in ("id", "type")}
    row = {"id": rid, "type": rtype, **extra} if first else {**extra, "id": rid, "type": rtype}
    cuts: list[str] = []
    general = _row_to_resource(row, "inv.json", (3, 9), depth_cuts=cuts, label="inv.json")
    assert cuts == []
    plain = _plain_row_to_resource(row, "inv.json", (3, 9), "inv.json")
    canonical = {"type", "name", "id", "apiVersion", "dependsOn", "kind", "sku", "identity", "location", "zones",
                 "tags", "properties"}
    if any(key.lower() in {c.lower() for c in canonical} and key not in canonical for key in row):
        assert plain is None  # another spelling of a field: left to the general path
        return
    assert plain is not None
    assert plain == general
    assert list(plain.extra.items()) == list(general.extra.items())
    assert plain.source == general.source
