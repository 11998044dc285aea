"""Terraform plan JSON → resources: modules flattened, unknown values, computed ids, references followed.

`chat.json` is `terraform show -json` output for an AI chat workload (written to the documented format; the
shapes follow hashicorp/terraform-json's test data): an Azure OpenAI account, a deployment, a private endpoint
and a diagnostic setting all created in this plan, an existing storage account, a key vault with `count`, an
azapi_update_resource patching the account, a random_string, a deleted vault, and a `search` module holding a
search service and its private endpoint.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from aiwell.errors import TemplateError
from aiwell.graph import ResourceGraph
from aiwell.loaders.jsonc import load_json, parse_text
from aiwell.loaders.terraform.plan import KNOWN_AFTER_APPLY, load_plan, looks_like_plan
from aiwell.model import MISSING, Resource, SourceFormat, Status, Unresolved
from aiwell.rules import load_registry, run_rules

PLANS = Path(__file__).parents[2] / "fixtures" / "terraform" / "plan"
SUB = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-chat/providers"
OAI_ID = f"{SUB}/Microsoft.CognitiveServices/accounts/oai-chat"


@pytest.fixture(scope="module")
def chat() -> list[Resource]:
    return load_plan(load_json(PLANS / "chat.json")).resources


def _one(resources: list[Resource], address: str) -> Resource:
    found = [resource for resource in resources if resource.source.address == address]
    assert len(found) == 1, [resource.source.address for resource in resources]
    return found[0]


def test_looks_like_plan() -> None:
    assert looks_like_plan(json.loads((PLANS / "chat.json").read_text()))
    assert looks_like_plan({"format_version": "1.2", "resource_changes": []})
    assert not looks_like_plan({"format_version": "1.0", "values": {}})  # state, not a plan
    assert not looks_like_plan({"$schema": "x", "resources": []})
    assert not looks_like_plan([])


def test_managed_resources_of_every_module_are_read_data_and_deleted_are_not(chat: list[Resource]) -> None:
    assert [(resource.type, resource.name, resource.source.address) for resource in chat] == [
        ("Microsoft.CognitiveServices/accounts", "oai-chat", "azurerm_cognitive_account.oai"),
        ("Microsoft.CognitiveServices/accounts/deployments", "oai-chat/gpt-4o", "azurerm_cognitive_deployment.gpt"),
        ("Microsoft.Network/privateEndpoints", "pe-oai", "azurerm_private_endpoint.oai"),
        ("Microsoft.Insights/diagnosticSettings", "oai-to-law", "azurerm_monitor_diagnostic_setting.oai"),
        ("Microsoft.Storage/storageAccounts", "stchat", "azurerm_storage_account.st"),
        ("Microsoft.KeyVault/vaults", "kv-chat-0", "azurerm_key_vault.kv[0]"),
        ("Microsoft.Search/searchServices", "srch-chat", "module.search.azurerm_search_service.this"),
        ("Microsoft.Network/privateEndpoints", "pe-srch", "module.search.azurerm_private_endpoint.this"),
    ]
    assert all(resource.source.format is SourceFormat.TERRAFORM_PLAN for resource in chat)
    assert all(resource.source.file.endswith("chat.json") for resource in chat)


def test_lines_point_at_planned_values(chat: list[Resource]) -> None:
    text = (PLANS / "chat.json").read_text().splitlines()
    for resource in chat:
        assert resource.source.line is not None
        assert f'"address": "{resource.source.address}"' in text[resource.source.line], resource.source.address


def test_ids_of_new_resources_are_computed_in_the_plans_subscription(chat: list[Resource]) -> None:
    account = _one(chat, "azurerm_cognitive_account.oai")
    assert account.id == OAI_ID  # the subscription every known id in the plan shares
    assert _one(chat, "azurerm_storage_account.st").id == f"{SUB}/Microsoft.Storage/storageAccounts/stchat"
    assert _one(chat, "azurerm_cognitive_deployment.gpt").id == f"{OAI_ID}/deployments/gpt-4o"


def test_unknown_references_follow_the_configuration(chat: list[Resource]) -> None:
    endpoint = _one(chat, "azurerm_private_endpoint.oai")
    assert endpoint.get("properties.privateLinkServiceConnections[0].properties.privateLinkServiceId") == OAI_ID
    # A data source's known id resolves a reference too.
    assert endpoint.get("properties.subnet.id").endswith("/virtualNetworks/vnet-hub/subnets/snet-pe")
    setting = _one(chat, "azurerm_monitor_diagnostic_setting.oai")
    assert setting.extra["scope"] == OAI_ID
    assert _one(chat, "azurerm_key_vault.kv[0]").get("properties.tenantId") == "22222222-2222-2222-2222-222222222222"
    # Inside a module, references are the module's own.
    search_endpoint = _one(chat, "module.search.azurerm_private_endpoint.this")
    assert search_endpoint.get("properties.privateLinkServiceConnections[0].properties.privateLinkServiceId") == (
        f"{SUB}/Microsoft.Search/searchServices/srch-chat")


def test_values_known_only_after_apply_stay_unresolved(chat: list[Resource]) -> None:
    workspace = _one(chat, "azurerm_monitor_diagnostic_setting.oai").get("properties.workspaceId")
    assert workspace == Unresolved("azurerm_monitor_diagnostic_setting.oai.log_analytics_workspace_id",
                                   KNOWN_AFTER_APPLY)
    subnet = _one(chat, "module.search.azurerm_private_endpoint.this").get("properties.subnet.id")
    assert isinstance(subnet, Unresolved)  # var.subnet_id in the module: not followed


def test_provider_defaults_in_the_plan_are_read_and_empty_strings_are_unset(chat: list[Resource]) -> None:
    account = _one(chat, "azurerm_cognitive_account.oai")
    assert account.get("properties.disableLocalAuth") is True
    assert account.get("identity.type") == "SystemAssigned"
    assert _one(chat, "azurerm_cognitive_deployment.gpt").get("sku") == {"name": "GlobalStandard", "capacity": 50}
    logs = _one(chat, "azurerm_monitor_diagnostic_setting.oai").get("properties.logs")
    assert logs == [{"categoryGroup": "allLogs", "enabled": True}]


def test_azapi_update_resource_is_merged_into_its_target(chat: list[Resource]) -> None:
    account = _one(chat, "azurerm_cognitive_account.oai")
    assert account.get("properties.restrictOutboundNetworkAccess") is True
    assert account.get("properties.allowedFqdnList") == ["contoso.blob.core.windows.net"]
    assert account.get("properties.customSubDomainName") == "oai-chat"
    assert "aiwell:patch" not in account.extra


def test_notes_name_unmapped_types() -> None:
    notes = load_plan(load_json(PLANS / "chat.json")).notes
    assert notes == ("resource types aiwell does not map to ARM were not reviewed: random_string (1)",)


def test_rules_see_the_graph_links(chat: list[Resource]) -> None:
    """The reason plan JSON is the best Terraform input: links to resources created in the same plan hold."""
    registry = load_registry()
    rules = [registry.get(key) for key in ("AIS004", "AIS005", "SRC007", "AIS002", "STG001")]
    assert all(rule is not None for rule in rules)
    results = run_rules(chat, ResourceGraph(chat), [rule for rule in rules if rule is not None])
    verdicts = {(result.rule.id, result.resource_name): result.status for result in results}
    assert verdicts[("AIS004", "oai-chat")] is Status.PASS       # private endpoint created in the same plan
    assert verdicts[("AIS005", "oai-chat")] is Status.UNKNOWN    # its workspace is known only after apply
    assert verdicts[("AIS002", "oai-chat")] is Status.PASS
    assert verdicts[("STG001", "stchat")] is Status.PASS
    assert verdicts[("SRC007", "srch-chat")] is Status.PASS     # inside the module, linked the same way


def _plan(resources: list[dict[str, Any]], changes: list[dict[str, Any]] | None = None,
          configuration: dict[str, Any] | None = None) -> str:
    plan: dict[str, Any] = {"format_version": "1.2", "planned_values": {"root_module": {"resources": resources}}}
    if changes is not None:
        plan["resource_changes"] = changes
    if configuration is not None:
        plan["configuration"] = configuration
    return json.dumps(plan)


def test_nested_unknowns_and_placeholder_subscription() -> None:
    text = _plan(
        [{"address": "azurerm_search_service.s", "mode": "managed", "type": "azurerm_search_service", "name": "s",
          "values": {"name": "srch", "resource_group_name": "rg", "sku": "basic",
                     "identity": [{"type": "SystemAssigned"}]}}],
        [{"address": "azurerm_search_service.s", "change": {"actions": ["create"], "after_unknown": {
            "id": True, "replica_count": True, "identity": [{"principal_id": True}]}}}])
    resource = load_plan(parse_text(text, "plan.json")).resources[0]
    assert resource.id == ("/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/"
                           "Microsoft.Search/searchServices/srch")
    assert resource.get("properties.replicaCount") == Unresolved("azurerm_search_service.s.replica_count",
                                                                 KNOWN_AFTER_APPLY)
    assert resource.get("identity.type") == "SystemAssigned"


def test_a_reference_mixed_with_variables_is_not_followed() -> None:
    account = {"address": "azurerm_cognitive_account.a", "mode": "managed", "type": "azurerm_cognitive_account",
               "name": "a", "values": {"name": "acct", "resource_group_name": "rg", "kind": "OpenAI",
                                       "sku_name": "S0"}}
    deployment = {"address": "azurerm_cognitive_deployment.d", "mode": "managed",
                  "type": "azurerm_cognitive_deployment", "name": "d", "values": {"name": "dep"}}
    configuration = {"root_module": {"resources": [{
        "address": "azurerm_cognitive_deployment.d", "mode": "managed", "type": "azurerm_cognitive_deployment",
        "name": "d", "expressions": {"cognitive_account_id": {
            "references": ["var.suffix", "azurerm_cognitive_account.a.id", "azurerm_cognitive_account.a"]}}}]}}
    text = _plan([account, deployment], [
        {"address": "azurerm_cognitive_deployment.d",
         "change": {"actions": ["create"], "after_unknown": {"cognitive_account_id": True}}}], configuration)
    loaded = load_plan(parse_text(text, "plan.json")).resources
    assert isinstance(loaded[1].id, Unresolved)
    assert isinstance(loaded[1].name, Unresolved)


def test_plan_without_planned_values_reads_resource_changes() -> None:
    text = json.dumps({"format_version": "1.2", "resource_changes": [
        {"address": "azurerm_key_vault.kv", "mode": "managed", "type": "azurerm_key_vault", "name": "kv",
         "change": {"actions": ["create"], "after": {"name": "kv", "resource_group_name": "rg",
                                                     "sku_name": "standard", "purge_protection_enabled": True},
                    "after_unknown": {"id": True}}},
        {"address": "azurerm_key_vault.gone", "mode": "managed", "type": "azurerm_key_vault", "name": "gone",
         "change": {"actions": ["delete"], "before": {"name": "gone"}, "after": None}}]})
    loaded = load_plan(parse_text(text, "plan.json")).resources
    assert [resource.name for resource in loaded] == ["kv"]
    assert loaded[0].get("properties.enablePurgeProtection") is True
    assert loaded[0].get("properties.networkAcls") is MISSING


def test_azapi_update_of_a_resource_outside_the_plan_is_a_partial_resource() -> None:
    target = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Search/searchServices/existing"
    text = _plan([{"address": "azapi_update_resource.u", "mode": "managed", "type": "azapi_update_resource",
                   "name": "u", "values": {"type": "Microsoft.Search/searchServices@2024-06-01-preview",
                                           "resource_id": target,
                                           "body": {"properties": {"disableLocalAuth": True}}}}])
    loaded = load_plan(parse_text(text, "plan.json"))
    assert [(resource.type, resource.name, resource.id) for resource in loaded.resources] == [
        ("Microsoft.Search/searchServices", "existing", target)]
    assert loaded.resources[0].get("properties.disableLocalAuth") is True
    assert any("partial resource" in note for note in loaded.notes)


def test_not_a_plan_is_a_template_error() -> None:
    with pytest.raises(TemplateError, match="not a Terraform plan"):
        load_plan(parse_text('{"format_version": "1.0", "values": {}}', "state.json"))
