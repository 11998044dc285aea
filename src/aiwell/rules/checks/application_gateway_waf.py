"""NET005: an Application Gateway that does not block attacks with a WAF in Prevention mode.

The gateway's WAF is its WAF policy (`properties.firewallPolicy.id`, a
`Microsoft.Network/ApplicationGatewayWebApplicationFirewallPolicies` found in the graph) or, on older gateways,
its inline `properties.webApplicationFirewallConfiguration`. A policy without `policySettings` is what Azure
creates by default: enabled, in Detection mode. Per-listener and per-path policies are not read.
"""

from __future__ import annotations

from typing import Any

from aiwell.graph import ResourceGraph, type_and_name_from_id
from aiwell.model import MISSING, Resource, Status, Unresolved
from aiwell.rules.base import implements
from aiwell.rules.declarative import describe_unresolved, values_equal

WAF_TIERS = ("WAF", "WAF_v2")
POLICY = "microsoft.network/applicationgatewaywebapplicationfirewallpolicies"


def _name(resource: Resource) -> str:
    return resource.name if isinstance(resource.name, str) else resource.name.expression


def _absent(value: Any) -> bool:
    return value is MISSING or value is None


def _policy_verdict(policy: Resource) -> tuple[Status, str]:
    state = policy.get("properties.policySettings.state")
    mode = policy.get("properties.policySettings.mode")
    for path, value in (("state", state), ("mode", mode)):
        if isinstance(value, Unresolved):
            return Status.UNKNOWN, (f"WAF policy {_name(policy)}'s policySettings.{path} is unresolved "
                                    f"({describe_unresolved(value)})")
    if not _absent(state) and not values_equal(state, "Enabled"):
        return Status.FAIL, f"its WAF policy {_name(policy)} is turned off (policySettings.state is {state})"
    if _absent(mode):
        return Status.FAIL, (f"its WAF policy {_name(policy)} sets no policySettings.mode, so it runs in Detection "
                             "mode: it logs attacks and lets them through")
    if not values_equal(mode, "Prevention"):
        return Status.FAIL, (f"its WAF policy {_name(policy)} is in {mode} mode (policySettings.mode): it logs "
                             "attacks and lets them through")
    return Status.PASS, f"WAF policy {_name(policy)} is enabled in Prevention mode"


def _classic_verdict(config: Any) -> tuple[Status, str]:
    if isinstance(config, Unresolved):
        return Status.UNKNOWN, f"webApplicationFirewallConfiguration is unresolved ({describe_unresolved(config)})"
    if not isinstance(config, dict):
        return Status.FAIL, "neither a WAF policy (firewallPolicy.id) nor a WAF configuration protects it"
    enabled = next((value for key, value in config.items() if key.lower() == "enabled"), MISSING)
    mode = next((value for key, value in config.items() if key.lower() == "firewallmode"), MISSING)
    for path, value in (("enabled", enabled), ("firewallMode", mode)):
        if isinstance(value, Unresolved):
            return Status.UNKNOWN, (f"webApplicationFirewallConfiguration.{path} is unresolved "
                                    f"({describe_unresolved(value)})")
    if not values_equal(enabled, True):
        return Status.FAIL, "its WAF configuration is turned off (webApplicationFirewallConfiguration.enabled)"
    if not values_equal(mode, "Prevention"):
        shown = "absent" if _absent(mode) else mode
        return Status.FAIL, (f"its WAF configuration's firewallMode is {shown}, not Prevention: it logs attacks "
                             "and lets them through")
    return Status.PASS, "its WAF configuration is enabled in Prevention mode"


@implements("NET005")
def gateway_without_waf_prevention(resource: Resource, graph: ResourceGraph) -> tuple[Status, str]:
    """Pass when a WAF-tier gateway's WAF policy (or classic WAF configuration) is enabled in Prevention mode."""
    tier = resource.get("properties.sku.tier")
    if _absent(tier):
        tier = resource.get("properties.sku.name")
    if isinstance(tier, Unresolved):
        return Status.UNKNOWN, f"its SKU tier is unresolved ({describe_unresolved(tier)})"
    if isinstance(tier, str) and not any(values_equal(tier, waf) for waf in WAF_TIERS):
        return Status.FAIL, (f"its tier is {tier}: no WAF inspects the requests it forwards (use the WAF_v2 tier "
                             "with a WAF policy in Prevention mode)")
    reference = resource.get("properties.firewallPolicy.id")
    if isinstance(reference, Unresolved) or (isinstance(reference, str) and reference.strip()):
        found = graph.referenced(reference, near=resource)
        if isinstance(found, Resource) and found.type_lower == POLICY:
            return _policy_verdict(found)
        if isinstance(found, Unresolved):
            return Status.UNKNOWN, f"its WAF policy can't be resolved ({describe_unresolved(found)})"
        if isinstance(found, Resource) or isinstance(reference, Unresolved):
            return Status.UNKNOWN, "its firewallPolicy.id names no WAF policy among the reviewed inputs"
        spelled = type_and_name_from_id(reference)
        named = spelled[1] if spelled is not None else str(reference)
        return Status.UNKNOWN, f"its WAF policy {named} is not among the reviewed inputs, so its mode can't be checked"
    return _classic_verdict(resource.get("properties.webApplicationFirewallConfiguration"))
