"""azapi_resource / azapi_update_resource → ARM bodies, through the same `to_arm` entry point as azurerm."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from aiwell.loaders.arm.scope import DeploymentContext
from aiwell.loaders.terraform.azapi import PATCH_MARKER, merge_updates
from aiwell.loaders.terraform.mapping import arm_id, to_arm
from aiwell.model import Unresolved

CONTEXT = DeploymentContext()
RG = "/subscriptions/s/resourceGroups/rg-ai"
ACCOUNT = f"{RG}/providers/Microsoft.CognitiveServices/accounts/oai"


def _one(tf_type: str, attributes: dict[str, Any]) -> dict[str, Any]:
    bodies = to_arm(tf_type, attributes, context=CONTEXT)
    assert bodies is not None and len(bodies) == 1
    return bodies[0]


def test_resource_in_a_group_with_an_hcl_object_body() -> None:
    body = _one("azapi_resource", {
        "type": "Microsoft.CognitiveServices/accounts@2024-10-01",
        "name": "oai",
        "parent_id": RG,
        "location": "Sweden Central",
        "identity": [{"type": "SystemAssigned", "identity_ids": []}],
        "tags": {"env": "prod"},
        "body": {"kind": "OpenAI", "sku": {"name": "S0"},
                 "properties": {"disableLocalAuth": True, "publicNetworkAccess": "Disabled"}},
    })
    assert body == {
        "type": "Microsoft.CognitiveServices/accounts",
        "apiVersion": "2024-10-01",
        "name": "oai",
        "id": ACCOUNT,
        "location": "swedencentral",
        "identity": {"type": "SystemAssigned"},
        "tags": {"env": "prod"},
        "kind": "OpenAI",
        "sku": {"name": "S0"},
        "properties": {"disableLocalAuth": True, "publicNetworkAccess": "Disabled"},
    }
    assert arm_id("azapi_resource", {"type": "Microsoft.CognitiveServices/accounts@2024-10-01", "name": "oai",
                                     "parent_id": RG}, context=CONTEXT) == ACCOUNT


def test_child_resource_with_a_jsonencode_string_body() -> None:
    body = _one("azapi_resource", {
        "type": "Microsoft.CognitiveServices/accounts/deployments@2024-10-01",
        "name": "gpt-4o",
        "parent_id": ACCOUNT,
        "body": '{"sku": {"name": "GlobalStandard", "capacity": 30}, "properties": {"model": {"name": "gpt-4o"}}}',
    })
    assert body["name"] == "oai/gpt-4o"
    assert body["id"] == f"{ACCOUNT}/deployments/gpt-4o"
    assert body["sku"] == {"name": "GlobalStandard", "capacity": 30}


def test_extension_resource_gets_a_scope() -> None:
    body = _one("azapi_resource", {
        "type": "Microsoft.Insights/diagnosticSettings@2021-05-01-preview",
        "name": "to-law",
        "parent_id": ACCOUNT,
        "body": {"properties": {"workspaceId": "/w", "logs": [{"categoryGroup": "allLogs", "enabled": True}]}},
    })
    assert body["scope"] == ACCOUNT
    assert body["id"] == f"{ACCOUNT}/providers/Microsoft.Insights/diagnosticSettings/to-law"


def test_unknown_parts_stay_unresolved() -> None:
    unknown_body = Unresolved("local.body", "unknown")
    body = _one("azapi_resource", {"type": "Microsoft.Search/searchServices@2024-06-01-preview", "name": "s",
                                   "parent_id": Unresolved("azurerm_resource_group.rg.id", "unknown"),
                                   "body": unknown_body})
    assert body["id"] == Unresolved("azurerm_resource_group.rg.id", "unknown")
    assert body["properties"] == unknown_body and body["sku"] == unknown_body
    bad = _one("azapi_resource", {"type": "Microsoft.Search/searchServices@x", "name": "s", "parent_id": RG,
                                  "body": "{not json"})
    assert isinstance(bad["properties"], Unresolved) and "not valid JSON" in bad["properties"].reason
    # Without a known type nothing can be said about the resource.
    assert to_arm("azapi_resource", {"type": Unresolved("var.t", "unknown"), "name": "x"}, context=CONTEXT) == []


def test_missing_parent_uses_the_placeholder_group() -> None:
    body = _one("azapi_resource", {"type": "Microsoft.KeyVault/vaults@2023-07-01", "name": "kv"})
    assert body["id"] == ("/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/aiwell-rg/providers/"
                          "Microsoft.KeyVault/vaults/kv")


def test_update_resource_merges_into_its_target() -> None:
    account = _one("azurerm_cognitive_account", {"name": "oai", "resource_group_name": "rg-ai", "kind": "OpenAI",
                                                 "sku_name": "S0", "network_acls": [{"default_action": "Allow"}]})
    patch = _one("azapi_update_resource", {
        "type": "Microsoft.CognitiveServices/accounts@2024-10-01",
        "resource_id": account["id"],
        "body": {"properties": {"networkAcls": {"defaultAction": "Deny"}, "disableLocalAuth": True}},
    })
    assert patch[PATCH_MARKER] is True and patch["id"] == account["id"] and patch["name"] == "oai"
    merged, notes = merge_updates([account, patch])
    assert notes == []
    assert len(merged) == 1
    assert merged[0]["properties"]["networkAcls"] == {"defaultAction": "Deny"}
    assert merged[0]["properties"]["disableLocalAuth"] is True
    assert merged[0]["properties"]["publicNetworkAccess"] == "Enabled"  # untouched by the patch
    assert merged[0]["kind"] == "OpenAI"


def test_update_resource_without_its_target_is_partial() -> None:
    patch = _one("azapi_update_resource", {"type": "Microsoft.Storage/storageAccounts@2023-05-01",
                                           "parent_id": RG, "name": "st",
                                           "body": {"properties": {"allowSharedKeyAccess": False}}})
    merged, notes = merge_updates([patch])
    assert merged == [{"properties": {"allowSharedKeyAccess": False}, "type": "Microsoft.Storage/storageAccounts",
                       "name": "st", "id": f"{RG}/providers/Microsoft.Storage/storageAccounts/st",
                       "apiVersion": "2023-05-01"}]
    assert len(notes) == 1 and "partial resource" in notes[0]


def test_azurerm_patch_resources_merge_the_same_way() -> None:
    account = _one("azurerm_cognitive_account", {"name": "oai", "resource_group_name": "rg-ai", "kind": "OpenAI",
                                                 "sku_name": "S0"})
    key = _one("azurerm_cognitive_account_customer_managed_key", {
        "cognitive_account_id": account["id"], "key_vault_key_id": "https://kv.vault.azure.net/keys/cmk/1"})
    merged, notes = merge_updates([account, key])
    assert notes == [] and merged == [account]  # merged in place: the caller's body is the one updated
    assert account["properties"]["encryption"]["keySource"] == "Microsoft.KeyVault"
    assert account["properties"]["disableLocalAuth"] is False


_MIXED_BODY = '''{
    kind = "OpenAI"
    sku  = { name = var.sku }
    properties = {
      publicNetworkAccess = "Disabled"
      disableLocalAuth    = local.local_auth_off
      customSubDomainName = var.name
      networkAcls         = { defaultAction = "Deny", ipRules = var.ip_rules }
    }
  }'''


def _mixed_body_config(body: str) -> str:
    return ('variable "name" {}\nvariable "sku" {}\nvariable "ip_rules" {}\n'
            'locals {\n  local_auth_off = true\n}\n'
            'resource "azapi_resource" "oai" {\n'
            '  type      = "Microsoft.CognitiveServices/accounts@2024-10-01"\n'
            '  name      = "oai"\n'
            f'  parent_id = "{RG}"\n'
            '  location  = "westeurope"\n'
            f'  body      = {body}\n'
            '}\n'
            'output "body_text" {\n  value = azapi_resource.oai.body\n}\n')


@pytest.mark.parametrize("body", [f"jsonencode({_MIXED_BODY})", _MIXED_BODY], ids=["jsonencode", "hcl-object"])
def test_body_fields_resolve_one_by_one(tmp_path: Path, body: str) -> None:
    """Literal fields stay known beside `var.*` references without a value: the rules on them can answer."""
    from aiwell.loaders.terraform import load_terraform

    (tmp_path / "main.tf").write_text(_mixed_body_config(body))
    (account,) = load_terraform(tmp_path, root=tmp_path).resources
    assert account.kind == "OpenAI"
    assert account.get("properties.publicNetworkAccess") == "Disabled"
    assert account.get("properties.disableLocalAuth") is True
    assert account.get("properties.networkAcls.defaultAction") == "Deny"
    for unknown in ("sku.name", "properties.customSubDomainName", "properties.networkAcls.ipRules"):
        assert isinstance(account.get(unknown), Unresolved), unknown


def test_a_reference_to_a_jsonencoded_body_still_sees_the_text(tmp_path: Path) -> None:
    from aiwell.loaders.terraform.load import evaluate_root
    from aiwell.loaders.terraform.module import ModuleEvaluator

    (tmp_path / "main.tf").write_text(_mixed_body_config('jsonencode({ kind = "OpenAI" })'))
    evaluation = evaluate_root(tmp_path, root=tmp_path)
    text = ModuleEvaluator(evaluation.files, state=evaluation.state, inputs={}).output("body_text")
    assert text == '{"kind":"OpenAI"}'
