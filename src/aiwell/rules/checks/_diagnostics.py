"""Shared logic of the "sends its logs to Log Analytics" rules: a diagnostic setting on the resource that sends the
log categories that matter for its service to a Log Analytics workspace.

A setting sends a category when one of its `logs` entries is enabled for it: by `category`, by the `allLogs`
category group, or by the `audit` group for the categories listed here as audit categories. An entry with no
`enabled` but a `categoryGroup` is enabled (the 2021-05-01-preview shape); an entry with a `category` needs
`enabled: true`. Several settings on one resource add up.
"""

from __future__ import annotations

from typing import Any

from msgspec import Struct, field

from aiwell.graph import ResourceGraph
from aiwell.model import MISSING, Resource, SourceFormat, Status, Unresolved, lookup
from aiwell.rules.declarative import describe_unresolved, values_equal

INVENTORY_HAS_NO_DIAGNOSTICS = "Resource Graph exports carry no diagnostic settings"


class LogNeeds(Struct, frozen=True):
    """The log categories that matter for one service, and which of them the `audit` category group covers."""

    categories: tuple[str, ...]
    audit: frozenset[str] = field(default_factory=frozenset)
    by_kind: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...] = ()
    """(kinds, extra categories): categories that matter only for some `kind`s of the resource."""

    def for_kind(self, kind: Any) -> tuple[str, ...]:
        extra = [category for kinds, categories in self.by_kind
                 if isinstance(kind, str) and kind.lower() in {k.lower() for k in kinds} for category in categories]
        return (*self.categories, *extra)


LOG_NEEDS: dict[str, LogNeeds] = {
    "microsoft.cognitiveservices/accounts": LogNeeds(
        ("Audit", "RequestResponse"), frozenset({"Audit"}),
        by_kind=((("OpenAI", "AIServices"), ("AzureOpenAIRequestUsage",)),)),
    "microsoft.machinelearningservices/workspaces": LogNeeds(
        ("AmlComputeJobEvent", "AmlRunStatusChangedEvent", "ModelsChangeEvent")),
    "microsoft.machinelearningservices/workspaces/onlineendpoints": LogNeeds(
        ("AmlOnlineEndpointConsoleLog", "AmlOnlineEndpointTrafficLog", "AmlOnlineEndpointEventLog")),
    "microsoft.search/searchservices": LogNeeds(("OperationLogs",)),
    "microsoft.keyvault/vaults": LogNeeds(("AuditEvent",), frozenset({"AuditEvent"})),
    "microsoft.documentdb/databaseaccounts": LogNeeds(("DataPlaneRequests", "ControlPlaneRequests")),
    "microsoft.containerregistry/registries": LogNeeds(
        ("ContainerRegistryRepositoryEvents", "ContainerRegistryLoginEvents")),
    "microsoft.apimanagement/service": LogNeeds(("GatewayLogs",)),
    "microsoft.storage/storageaccounts/blobservices": LogNeeds(("StorageRead", "StorageWrite", "StorageDelete")),
}
"""What each service's logs rule asks for (lower-case types). `allLogs` covers everything."""


def _name(resource: Resource) -> str:
    return resource.name if isinstance(resource.name, str) else resource.name.expression


class _Sent(Struct):
    categories: set[str] = field(default_factory=set)
    doubt: Unresolved | None = None


def _sent_categories(setting: Resource, needs: LogNeeds) -> _Sent:
    """The categories (lower case, `*` for allLogs) a setting enables, and the first switch it can't resolve."""
    sent = _Sent()
    logs = lookup(setting.properties, "logs") if setting.properties is not MISSING else MISSING
    if isinstance(logs, Unresolved):
        sent.doubt = logs
        return sent
    for entry in logs if isinstance(logs, list) else []:
        if isinstance(entry, Unresolved):
            sent.doubt = sent.doubt or entry
            continue
        enabled, group, category = (lookup(entry, key) for key in ("enabled", "categoryGroup", "category"))
        for value in (enabled, group, category):
            if isinstance(value, Unresolved):
                sent.doubt = sent.doubt or value
        if any(isinstance(value, Unresolved) for value in (enabled, group, category)):
            continue
        on = values_equal(enabled, True) or (enabled in (MISSING, None) and isinstance(group, str) and bool(group))
        if not on:
            continue
        if isinstance(group, str) and group.lower() == "alllogs":
            sent.categories.add("*")
        elif isinstance(group, str) and group.lower() == "audit":
            sent.categories.update(category.lower() for category in needs.audit)
        elif isinstance(category, str):
            sent.categories.add(category.lower())
    return sent


def diagnostic_logs_verdict(resource: Resource, graph: ResourceGraph, *,
                            settings: list[Resource] | None = None, needs: LogNeeds | None = None,
                            ) -> tuple[Status, str]:
    """Pass when the resource's diagnostic settings send every category that matters to Log Analytics.

    `settings` and `needs` default to the settings on the resource and the needs of its type. A resource from an
    inventory is unknown rather than failing, since Resource Graph exports carry no diagnostic settings; so is
    one where a setting, its target or its workspace can't be resolved and the answer depends on it.
    """
    needs = needs or LOG_NEEDS[resource.type_lower]
    wanted = needs.for_kind(resource.kind)
    settings = graph.diagnostic_settings_for(resource) if settings is None else settings
    covered: set[str] = set()
    doubts: list[str] = []
    elsewhere: list[str] = []
    for setting in settings:
        workspace = graph.log_analytics_of(setting)
        if workspace is None:
            elsewhere.append(_name(setting))
            continue
        sent = _sent_categories(setting, needs)
        if isinstance(workspace, Unresolved):
            if sent.categories:
                doubts.append(f"diagnostic setting {_name(setting)} sends to a workspace that can't be resolved "
                              f"({describe_unresolved(workspace)})")
            continue
        covered |= sent.categories
        if sent.doubt is not None:
            doubts.append(f"diagnostic setting {_name(setting)}: whether a log category is sent is unresolved "
                          f"({describe_unresolved(sent.doubt)})")
    missing = [category for category in wanted if "*" not in covered and category.lower() not in covered]
    if not missing:
        names = ", ".join(_name(setting) for setting in settings if graph.log_analytics_of(setting) is not None)
        return Status.PASS, f"diagnostic setting {names} sends {', '.join(wanted)} to Log Analytics"
    if resource.source.format == SourceFormat.INVENTORY:
        return Status.UNKNOWN, INVENTORY_HAS_NO_DIAGNOSTICS
    unresolved = graph.unresolved_diagnostic_settings(could_target=resource)
    if unresolved:
        doubts.append(f"diagnostic setting {_name(unresolved[0])} has a target that can't be resolved")
    if isinstance(resource.id, Unresolved) or isinstance(resource.name, Unresolved):
        unmatched = graph.unmatched_diagnostic_settings()
        if unmatched:
            doubts.append(f"its name can't be resolved and diagnostic setting {_name(unmatched[0])} targets "
                          "a resource that is not among the inputs")
    if resource.source.partial:
        doubts.append(f"part of its input was not reviewed ({resource.source.partial})")
    if doubts:
        return Status.UNKNOWN, "; ".join(doubts)
    if not settings:
        return Status.FAIL, f"no diagnostic setting targets it (needs {', '.join(wanted)} sent to Log Analytics)"
    parts = [f"no diagnostic setting sends {', '.join(missing)} to Log Analytics"]
    if elsewhere:
        parts.append(f"{', '.join(elsewhere)} name{'s' if len(elsewhere) == 1 else ''} no Log Analytics workspace")
    return Status.FAIL, "; ".join(parts)
