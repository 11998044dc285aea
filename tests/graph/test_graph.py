"""The resource graph: parent/child, private endpoints, diagnostic settings, references, and Unresolved ends."""

from __future__ import annotations

from typing import Any

import pytest

from aiwell.graph import ResourceGraph, parent_id, type_and_name_from_id
from aiwell.model import Resource, Source, SourceFormat, Unresolved

GROUP = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg"
ACCOUNT_ID = f"{GROUP}/providers/Microsoft.CognitiveServices/accounts/acct"
WORKSPACE_ID = f"{GROUP}/providers/Microsoft.OperationalInsights/workspaces/logs"
X = Unresolved("parameters('x')", "no value given")


def make(resource_type: str, name: str | Unresolved, *, rid: str | Unresolved | None = None, file: str = "main.json",
         **fields: Any) -> Resource:
    body: dict[str, Any] = {"type": resource_type, "name": name, **fields}
    return Resource.from_arm(body, Source(SourceFormat.ARM, file), resource_id=rid)


@pytest.mark.parametrize(("resource_id", "expected"), [
    (f"{GROUP}/providers/Microsoft.CognitiveServices/accounts/acct/deployments/gpt", ACCOUNT_ID),
    (ACCOUNT_ID, None),
    (f"{ACCOUNT_ID}/providers/Microsoft.Insights/diagnosticSettings/diag", ACCOUNT_ID),
    (f"{GROUP}/providers/Microsoft.Insights/diagnosticSettings/diag", None),
    ("acct", None),
    (f"{GROUP}/providers/Microsoft.CognitiveServices/accounts", None),
])
def test_parent_id(resource_id: str, expected: str | None) -> None:
    assert parent_id(resource_id) == expected


@pytest.mark.parametrize(("resource_id", "expected"), [
    (f"{ACCOUNT_ID}/deployments/gpt", ("Microsoft.CognitiveServices/accounts/deployments", "acct/gpt")),
    (f"{ACCOUNT_ID}/providers/Microsoft.Insights/diagnosticSettings/d", ("Microsoft.Insights/diagnosticSettings",
                                                                          "d")),
    ("Microsoft.CognitiveServices/accounts/acct", ("Microsoft.CognitiveServices/accounts", "acct")),
    ("acct", None),
    (f"{GROUP}/providers/Microsoft.CognitiveServices/accounts", None),
])
def test_type_and_name_from_id(resource_id: str, expected: tuple[str, str] | None) -> None:
    assert type_and_name_from_id(resource_id) == expected


def test_parent_and_children_by_id_and_by_name() -> None:
    account = make("Microsoft.CognitiveServices/accounts", "acct", rid=ACCOUNT_ID)
    by_id = make("Microsoft.CognitiveServices/accounts/deployments", "acct/gpt", rid=f"{ACCOUNT_ID}/deployments/gpt")
    by_name = make("microsoft.cognitiveservices/ACCOUNTS/deployments", "ACCT/embed")
    rai = make("Microsoft.CognitiveServices/accounts/raiPolicies", "acct/strict")
    orphan = make("Microsoft.CognitiveServices/accounts/deployments", "other/gpt")
    unresolved = make("Microsoft.CognitiveServices/accounts/deployments", X)
    graph = ResourceGraph([account, by_id, by_name, rai, orphan, unresolved])
    assert graph.parent(by_id) is account
    assert graph.parent(by_name) is account
    assert graph.parent(orphan) is None
    assert graph.parent(unresolved) is None
    assert graph.parent(account) is None
    assert graph.children(account) == [by_id, by_name, rai]
    assert graph.children(account, "Microsoft.CognitiveServices/accounts/DEPLOYMENTS") == [by_id, by_name]


def test_same_names_in_two_files_prefer_the_same_file() -> None:
    first = make("Microsoft.CognitiveServices/accounts", "acct", file="a.json")
    second = make("Microsoft.CognitiveServices/accounts", "acct", file="b.json")
    child = make("Microsoft.CognitiveServices/accounts/deployments", "acct/gpt", file="b.json")
    graph = ResourceGraph([first, second, child])
    assert graph.parent(child) is second


def test_sibling_works_without_the_parent() -> None:
    ptu = make("Microsoft.CognitiveServices/accounts/deployments", "acct/ptu", rid=f"{ACCOUNT_ID}/deployments/ptu")
    paygo = make("Microsoft.CognitiveServices/accounts/deployments", "acct/paygo",
                 rid=f"{ACCOUNT_ID}/deployments/PAYGO")
    elsewhere = make("Microsoft.CognitiveServices/accounts/deployments", "other/spare")
    named_only = make("Microsoft.CognitiveServices/accounts/deployments", "other/ptu")
    graph = ResourceGraph([ptu, paygo, elsewhere, named_only])
    assert graph.sibling(ptu, "paygo") is paygo
    assert graph.sibling(ptu, "spare") is None
    assert graph.sibling(named_only, "spare") is elsewhere


def test_by_id_is_case_insensitive_and_ignores_a_trailing_slash() -> None:
    account = make("Microsoft.CognitiveServices/accounts", "acct", rid=ACCOUNT_ID)
    graph = ResourceGraph([account])
    assert graph.by_id(ACCOUNT_ID.upper() + "/") is account
    assert graph.by_id(f"{ACCOUNT_ID}x") is None


def _endpoint(name: str, *targets: Any, manual: bool = False) -> Resource:
    key = "manualPrivateLinkServiceConnections" if manual else "privateLinkServiceConnections"
    connections = [{"name": f"c{index}", "properties": {"privateLinkServiceId": target}}
                   for index, target in enumerate(targets)]
    return make("Microsoft.Network/privateEndpoints", name, properties={key: connections})


def test_private_endpoints_to_their_targets() -> None:
    account = make("Microsoft.CognitiveServices/accounts", "acct", rid=ACCOUNT_ID)
    search_id = f"{GROUP}/providers/Microsoft.Search/searchServices/search"
    search = make("Microsoft.Search/searchServices", "search", rid=search_id)
    automatic = _endpoint("pe-auto", ACCOUNT_ID.lower())
    manual = _endpoint("pe-manual", ACCOUNT_ID.upper(), manual=True)
    both = _endpoint("pe-both", ACCOUNT_ID, search_id)
    unknown = _endpoint("pe-unknown", X)
    outside = _endpoint("pe-outside", f"{GROUP}/providers/Microsoft.CognitiveServices/accounts/elsewhere")
    graph = ResourceGraph([account, search, automatic, manual, both, unknown, outside])
    assert graph.private_endpoints_to(account) == [automatic, manual, both]
    assert graph.private_endpoints_to(search) == [both]
    assert graph.unresolved_private_endpoints() == [unknown]
    assert graph.private_endpoints_to_unknown_targets("Microsoft.CognitiveServices/accounts") == [outside]


def test_private_endpoints_with_unresolved_parts_never_raise() -> None:
    whole = make("Microsoft.Network/privateEndpoints", "pe-props", properties=X)
    connections = make("Microsoft.Network/privateEndpoints", "pe-list", properties={"privateLinkServiceConnections": X})
    odd = make("Microsoft.Network/privateEndpoints", "pe-odd", properties={"privateLinkServiceConnections": [None, 3]})
    bare = make("Microsoft.Network/privateEndpoints", "pe-bare")
    graph = ResourceGraph([whole, connections, odd, bare])
    assert graph.unresolved_private_endpoints() == [whole, connections]


def test_diagnostic_settings_in_every_form_and_their_workspace() -> None:
    account = make("Microsoft.CognitiveServices/accounts", "acct", rid=ACCOUNT_ID)
    workspace = make("Microsoft.OperationalInsights/workspaces", "logs", rid=WORKSPACE_ID)
    scoped = make("Microsoft.Insights/diagnosticSettings", "scoped", scope=ACCOUNT_ID,
                  properties={"workspaceId": WORKSPACE_ID.upper()})
    relative = make("Microsoft.Insights/diagnosticSettings", "relative",
                    scope="Microsoft.CognitiveServices/accounts/acct", properties={"workspaceId": X})
    nested = make("Microsoft.CognitiveServices/accounts/providers/diagnosticSettings",
                  "acct/Microsoft.Insights/nested", properties={"workspaceId": "/subscriptions/s/other"})
    exported = make("microsoft.insights/diagnosticsettings", "exported",
                    rid=f"{ACCOUNT_ID}/providers/microsoft.insights/diagnosticSettings/exported", properties={})
    unresolved = make("Microsoft.Insights/diagnosticSettings", "unresolved", scope=X)
    elsewhere = make("Microsoft.Insights/diagnosticSettings", "elsewhere",
                     scope=f"{GROUP}/providers/Microsoft.Search/searchServices/gone")
    subscription_level = make("Microsoft.Insights/diagnosticSettings", "activity-log")
    graph = ResourceGraph([account, workspace, scoped, relative, nested, exported, unresolved, elsewhere,
                           subscription_level])
    assert graph.diagnostic_settings_for(account) == [scoped, relative, nested, exported]
    assert graph.parent(nested) is account
    assert graph.unresolved_diagnostic_settings() == [unresolved]
    assert graph.unmatched_diagnostic_settings() == [elsewhere]
    assert graph.log_analytics_of(scoped) is workspace
    assert graph.log_analytics_of(relative) is X
    assert graph.log_analytics_of(nested) == "/subscriptions/s/other"
    assert graph.log_analytics_of(exported) is None


def test_depends_on_and_references() -> None:
    account = make("Microsoft.CognitiveServices/accounts", "acct", rid=ACCOUNT_ID)
    deployment = make("Microsoft.CognitiveServices/accounts/deployments", "acct/gpt",
                      dependsOn=[ACCOUNT_ID, "acct", X, "not-here"])
    graph = ResourceGraph([account, deployment])
    assert graph.depends_on(deployment) == [account, account, X]
    assert graph.resolve_reference("ACCT") is account
    assert graph.of_type("microsoft.cognitiveservices/ACCOUNTS") == [account]
    assert graph.resources == (account, deployment)


def _instance_id(instance: str) -> Unresolved:
    return Unresolved(f"{instance}.azurerm_cognitive_account.this.id", "the name is only known when applied")


def _endpoint_to(name: str, target: str | Unresolved) -> Resource:
    return make("Microsoft.Network/privateEndpoints", name, properties={"privateLinkServiceConnections": [
        {"name": "c", "properties": {"privateLinkServiceId": target, "groupIds": ["account"]}}]})


def _setting_for(name: str, scope: str | Unresolved, workspace: str | Unresolved = WORKSPACE_ID) -> Resource:
    return make("Microsoft.Insights/diagnosticSettings", name, rid=Unresolved(f"{name}.id", "computed"),
                scope=scope, properties={"workspaceId": workspace, "logs": [{"categoryGroup": "allLogs"}]})


def test_unresolved_ids_that_name_their_instance_join_each_endpoint_to_its_own_account() -> None:
    """A module called twice: each instance's endpoint and diagnostic setting point at its own account, whose
    name (so id) is unresolved but names the instance."""
    east = make("Microsoft.CognitiveServices/accounts", X, rid=_instance_id("module.east"))
    west = make("Microsoft.CognitiveServices/accounts", X, rid=_instance_id("module.west[0]"))
    workspace = make("Microsoft.OperationalInsights/workspaces", "logs",
                     rid=Unresolved("azurerm_log_analytics_workspace.logs.id", "computed"))
    east_pe, west_pe = _endpoint_to("pe-east", _instance_id("module.east")), _endpoint_to("pe-west",
                                                                                     _instance_id("module.west[0]"))
    east_diag = _setting_for("module.east.diag", _instance_id("module.east"),
                         Unresolved("azurerm_log_analytics_workspace.logs.id", "computed"))
    west_diag = _setting_for("module.west.diag", _instance_id("module.west[0]"))
    graph = ResourceGraph([east, west, workspace, east_pe, west_pe, east_diag, west_diag])
    assert graph.private_endpoints_to(east) == [east_pe]
    assert graph.private_endpoints_to(west) == [west_pe]
    assert graph.unresolved_private_endpoints() == []
    assert graph.diagnostic_settings_for(east) == [east_diag]
    assert graph.diagnostic_settings_for(west) == [west_diag]
    assert graph.unresolved_diagnostic_settings() == []
    assert graph.log_analytics_of(east_diag) is workspace


def test_an_unresolved_id_several_resources_share_joins_nothing() -> None:
    """Two deployments of one template (dev and prod parameter files) give the same unresolved expression: which
    account an endpoint targets can't be told, so it stays unresolved rather than guessed."""
    shared = Unresolved("[resourceId('Microsoft.CognitiveServices/accounts', parameters('name'))]", "no value")
    dev = make("Microsoft.CognitiveServices/accounts", X, rid=shared, file="dev")
    prod = make("Microsoft.CognitiveServices/accounts", X, rid=shared, file="prod")
    endpoint = _endpoint_to("pe", shared)
    setting = _setting_for("diag", shared)
    graph = ResourceGraph([dev, prod, endpoint, setting])
    assert graph.private_endpoints_to(dev) == graph.private_endpoints_to(prod) == []
    assert graph.unresolved_private_endpoints() == [endpoint]
    assert graph.unresolved_diagnostic_settings() == [setting]
    assert graph.resolve_reference(shared) == shared


def test_an_extension_resource_carrying_its_scopes_unresolved_id_is_not_its_own_target() -> None:
    scope = Unresolved("parameters('targetId')", "no value")
    setting = make("Microsoft.Insights/diagnosticSettings", "to-logs", rid=scope, scope=scope,
                   properties={"workspaceId": WORKSPACE_ID, "logs": [{"categoryGroup": "allLogs"}]})
    graph = ResourceGraph([setting])
    assert graph.unresolved_diagnostic_settings() == [setting]
    assert graph.diagnostic_settings_for(setting) == []


def test_workspace_outbound_rules_written_as_children_merge_under_their_names() -> None:
    workspace = make("Microsoft.MachineLearningServices/workspaces", "mlw", properties={"managedNetwork": {
        "isolationMode": "AllowOnlyApprovedOutbound", "outboundRules": {"data": {"type": "PrivateEndpoint"}}}})
    child = make("Microsoft.MachineLearningServices/workspaces/outboundRules", "mlw/pypi",
                 properties={"type": "FQDN", "destination": "pypi.org"})
    document = ResourceGraph([workspace, child]).document(workspace)
    assert document["properties"]["managedNetwork"] == {
        "isolationMode": "AllowOnlyApprovedOutbound",
        "outboundRules": {"data": {"type": "PrivateEndpoint"}, "pypi": {"type": "FQDN", "destination": "pypi.org"}}}


def test_an_outbound_rule_child_leaves_an_unresolved_managed_network_unresolved() -> None:
    workspace = make("Microsoft.MachineLearningServices/workspaces", "mlw", properties={"managedNetwork": X})
    child = make("Microsoft.MachineLearningServices/workspaces/outboundRules", "mlw/pypi", properties={"type": "FQDN"})
    assert ResourceGraph([workspace, child]).document(workspace)["properties"]["managedNetwork"] is X
