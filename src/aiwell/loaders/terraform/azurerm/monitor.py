"""Diagnostic settings, Log Analytics workspaces and Application Insights (Microsoft.Insights,
Microsoft.OperationalInsights).

Provider: azurerm 4.x (checked against v4.81.0 docs). A diagnostic setting's Terraform id is `<target>|<name>`;
here it gets its ARM id `<target>/providers/Microsoft.Insights/diagnosticSettings/<name>` and a `scope`, the form
the graph links. `enabled_log`/`enabled_metric` (4.x) and the deprecated `log`/`metric` blocks (3.x, `enabled`
defaulting to true) are both read. An autoscale setting (`azurerm_monitor_autoscale_setting`) keeps its switch
(`enabled`, default true), its target (`target_resource_id` → `targetResourceUri`, which the graph links) and each
profile's name and capacity; its rules are not read.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiwell.loaders.terraform.azurerm._spec import (
    COMMON,
    LOCATION,
    TAGS,
    Attr,
    Block,
    Derived,
    ExtensionOf,
    ResourceMap,
    TopLevel,
    as_bool,
    boolean,
    enabled_disabled,
    invert,
)
from aiwell.model import MISSING, Unresolved


def _entries(attributes: Mapping[str, Any], blocks: tuple[str, ...], with_group: bool) -> Any:
    entries: list[Any] = []
    present = False
    for block_name in blocks:
        raw = attributes.get(block_name)
        if raw is None:
            continue
        present = True
        if isinstance(raw, Unresolved):
            return raw
        for block in raw if isinstance(raw, list) else [raw]:
            if not isinstance(block, dict):
                entries.append(block)
                continue
            entry: dict[str, Any] = {}
            # Plan JSON shows an unset category as "": the provider treats it as unset.
            if block.get("category") not in (None, ""):
                entry["category"] = block["category"]
            if with_group and block.get("category_group") not in (None, ""):
                entry["categoryGroup"] = block["category_group"]
            enabled = block.get("enabled", True)  # 3.x `log`/`metric`: defaults to true; 4.x blocks are enabled
            entry["enabled"] = enabled if isinstance(enabled, Unresolved) else as_bool(enabled) is not False
            entries.append(entry)
    return entries if present else MISSING


MONITOR_DIAGNOSTIC_SETTING = ResourceMap(
    tf_type="azurerm_monitor_diagnostic_setting",
    arm_type="Microsoft.Insights/diagnosticSettings",
    api_version="2021-05-01-preview",
    naming=ExtensionOf("target_resource_id"),
    fields=(
        Attr("log_analytics_workspace_id", "properties.workspaceId"),
        Attr("log_analytics_destination_type", "properties.logAnalyticsDestinationType"),
        Attr("storage_account_id", "properties.storageAccountId"),
        Attr("eventhub_authorization_rule_id", "properties.eventHubAuthorizationRuleId"),
        Attr("eventhub_name", "properties.eventHubName"),
        Attr("partner_solution_id", "properties.marketplacePartnerId"),
        Derived("properties.logs", lambda attributes: _entries(attributes, ("enabled_log", "log"), True)),
        Derived("properties.metrics", lambda attributes: _entries(attributes, ("enabled_metric", "metric"), False)),
    ),
)

LOG_ANALYTICS_WORKSPACE = ResourceMap(
    tf_type="azurerm_log_analytics_workspace",
    arm_type="Microsoft.OperationalInsights/workspaces",
    api_version="2023-09-01",
    naming=TopLevel(),
    fields=(
        *COMMON,
        # Defaults to PerGB2018.
        Attr("sku", "properties.sku.name", default="PerGB2018"),
        Attr("retention_in_days", "properties.retentionInDays"),
        # Defaults to -1 (no cap).
        Attr("daily_quota_gb", "properties.workspaceCapping.dailyQuotaGb", default=-1),
        # Both default to true.
        Attr("internet_ingestion_enabled", "properties.publicNetworkAccessForIngestion", enabled_disabled,
             default=True),
        Attr("internet_query_enabled", "properties.publicNetworkAccessForQuery", enabled_disabled, default=True),
        # 3.x and early 4.x: local_authentication_disabled; later 4.x: local_authentication_enabled (default true).
        Attr("local_authentication_disabled", "properties.features.disableLocalAuth", boolean),
        Attr("local_authentication_enabled", "properties.features.disableLocalAuth", invert, default=True),
        # Defaults to true (schema).
        Attr("allow_resource_only_permissions", "properties.features.enableLogAccessUsingOnlyResourcePermissions",
             boolean, default=True),
        Attr("cmk_for_query_forced", "properties.forceCmkForQuery", boolean),
        Attr("reservation_capacity_in_gb_per_day", "properties.sku.capacityReservationLevel"),
    ),
)

APPLICATION_INSIGHTS = ResourceMap(
    tf_type="azurerm_application_insights",
    arm_type="Microsoft.Insights/components",
    api_version="2020-02-02",
    naming=TopLevel(),
    fields=(
        LOCATION, TAGS,
        Attr("application_type", "kind"),
        Attr("application_type", "properties.Application_Type"),
        Attr("workspace_id", "properties.WorkspaceResourceId"),
        Attr("local_authentication_disabled", "properties.DisableLocalAuth", boolean),
    ),
)

AUTOSCALE_SETTING = ResourceMap(
    tf_type="azurerm_monitor_autoscale_setting",
    arm_type="Microsoft.Insights/autoscalesettings",
    api_version="2022-10-01",
    naming=TopLevel(),
    fields=(
        LOCATION,
        TAGS,
        # Defaults to true.
        Attr("enabled", "properties.enabled", boolean, default=True),
        Attr("target_resource_id", "properties.targetResourceUri"),
        Block("profile", "properties.profiles", (
            Attr("name", "name"),
            Block("capacity", "capacity", (
                Attr("default", "default"),
                Attr("minimum", "minimum"),
                Attr("maximum", "maximum"),
            )),
        ), many=True),
    ),
)

MAPS = (MONITOR_DIAGNOSTIC_SETTING, LOG_ANALYTICS_WORKSPACE, APPLICATION_INSIGHTS, AUTOSCALE_SETTING)
