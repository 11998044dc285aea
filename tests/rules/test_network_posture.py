"""One network posture, one verdict, on every service (docs/rule-format.md, "Network posture").

Each scenario below is a posture written in each service's own properties; every "reachable from any network" rule
must give the scenario's verdict. A service whose firewall can't express a scenario (AI Search and Cosmos DB have no
default action) skips it. A new rule implemented by the posture policy joins the table by its resource type, and
the test fails until the type has a writer here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from aiwell.graph import ResourceGraph
from aiwell.model import Resource, Source, SourceFormat, Status, Unresolved
from aiwell.rules import load_registry, run_rules
from aiwell.rules.checks.network_posture import reachable_from_any_network

UNRESOLVED = Unresolved("parameters('x')", "no value given")
ANY = "0.0.0.0/0"
ONE_IP = "203.0.113.10"

# A scenario: public access (None: unset), firewall default action (None: unset), allowed IPs (None: no list).
SCENARIOS: dict[str, tuple[Any, Any, Any, Status]] = {
    "nothing set": (None, None, None, Status.FAIL),
    "public access enabled, no firewall": ("Enabled", None, None, Status.FAIL),
    "public access disabled": ("Disabled", None, None, Status.PASS),
    "public access disabled, firewall allows": ("Disabled", "Allow", None, Status.PASS),
    "secured by a perimeter": ("SecuredByPerimeter", None, None, Status.PASS),
    "firewall denies by default, no rules": ("Enabled", "Deny", [], Status.PASS),
    "firewall denies by default, one IP allowed": ("Enabled", "Deny", [ONE_IP], Status.PASS),
    "public access unset, one IP allowed": (None, "Deny", [ONE_IP], Status.PASS),
    "firewall allows by default": ("Enabled", "Allow", [], Status.FAIL),
    "an IP rule admits any address": ("Enabled", "Deny", [ANY], Status.FAIL),
    "public access unresolved, firewall allows": (UNRESOLVED, "Allow", [], Status.UNKNOWN),
    "public access unresolved, one IP allowed": (UNRESOLVED, "Deny", [ONE_IP], Status.PASS),
    "the allowed IPs are unresolved": ("Enabled", "Deny", UNRESOLVED, Status.UNKNOWN),
    "the default action is unresolved": ("Enabled", UNRESOLVED, [], Status.UNKNOWN),
}


def _acls(public: Any, action: Any, ips: Any, *, acls: str = "networkAcls") -> dict[str, Any]:
    properties: dict[str, Any] = {}
    if public is not None:
        properties["publicNetworkAccess"] = public
    firewall: dict[str, Any] = {}
    if action is not None:
        firewall["defaultAction"] = action
    if ips is not None:
        firewall["ipRules"] = ips if isinstance(ips, Unresolved) else [{"value": ip} for ip in ips]
    if firewall:
        properties[acls] = firewall
    return properties


def _rules_only(public: Any, action: Any, ips: Any, *, to_rule: Callable[[str], dict[str, Any]],
                path: tuple[str, ...]) -> dict[str, Any] | None:
    """A firewall without a default action: the scenario is expressible when its action says what the rule list
    does (deny with rules restricts; allow, or deny with no rule, can't be written: an empty list admits all)."""
    if action == "Deny" and ips == []:
        return None
    if isinstance(action, Unresolved):
        return None
    properties: dict[str, Any] = {}
    if public is not None:
        properties["publicNetworkAccess"] = public
    if action == "Deny" and ips is not None:
        rules = ips if isinstance(ips, Unresolved) else [to_rule(ip) for ip in ips]
        container = properties
        for key in path[:-1]:
            container = container.setdefault(key, {})
        container[path[-1]] = rules
    return properties


def _site(public: Any, action: Any, ips: Any) -> dict[str, Any]:
    properties: dict[str, Any] = {}
    if public is not None:
        properties["publicNetworkAccess"] = public
    config: dict[str, Any] = {}
    if action is not None:
        config["ipSecurityRestrictionsDefaultAction"] = action
    if ips is not None:
        config["ipSecurityRestrictions"] = ips if isinstance(ips, Unresolved) else [
            {"ipAddress": ip if "/" in ip else f"{ip}/32", "action": "Allow", "priority": 100} for ip in ips]
    if config:
        properties["siteConfig"] = config
    return properties


def _no_firewall(public: Any, action: Any, ips: Any) -> dict[str, Any] | None:
    """A service without an IP firewall (API Management, Container Apps environments): only scenarios without one,
    or with one that allows everything, can be written."""
    if action not in (None, "Allow") or ips not in (None, []):
        return None
    return {} if public is None else {"publicNetworkAccess": public}


WRITERS: dict[str, Callable[[Any, Any, Any], dict[str, Any] | None]] = {
    "microsoft.cognitiveservices/accounts": _acls,
    "microsoft.storage/storageaccounts": _acls,
    "microsoft.keyvault/vaults": _acls,
    "microsoft.machinelearningservices/workspaces": _acls,
    "microsoft.containerregistry/registries": lambda p, a, i: _acls(p, a, i, acls="networkRuleSet"),
    "microsoft.search/searchservices": lambda p, a, i: _rules_only(
        p, a, i, to_rule=lambda ip: {"value": ip}, path=("networkRuleSet", "ipRules")),
    "microsoft.documentdb/databaseaccounts": lambda p, a, i: _rules_only(
        p, a, i, to_rule=lambda ip: {"ipAddressOrRange": ip}, path=("ipRules",)),
    "microsoft.web/sites": _site,
    "microsoft.containerservice/managedclusters": lambda p, a, i: _rules_only(
        p, a, i, to_rule=lambda ip: ip, path=("apiServerAccessProfile", "authorizedIPRanges")),
    "microsoft.apimanagement/service": _no_firewall,
    "microsoft.app/managedenvironments": _no_firewall,
}
"""How each service writes a scenario: its own property names for the same posture."""

EXTRA: dict[str, dict[str, Any]] = {
    "microsoft.search/searchservices": {"sku": {"name": "standard"}},
    "microsoft.containerregistry/registries": {"sku": {"name": "Premium"}},
}
"""What a resource needs besides its network settings for the posture rule to apply (a tier with a firewall)."""

POSTURE_RULES = [rule for rule in load_registry().runnable if rule.check is reachable_from_any_network.function]


def test_every_posture_rule_has_a_writer() -> None:
    assert len(POSTURE_RULES) >= 2
    for rule in POSTURE_RULES:
        for resource_type in rule.resource_types:
            assert resource_type.lower() in WRITERS, f"{rule.id}: no scenario writer for {resource_type}"


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_one_posture_gets_one_verdict_on_every_service(scenario: str) -> None:
    public, action, ips, wanted = SCENARIOS[scenario]
    verdicts: dict[str, Status] = {}
    for rule in POSTURE_RULES:
        for resource_type in rule.resource_types:
            properties = WRITERS[resource_type.lower()](public, action, ips)
            if properties is None:
                continue
            body = {"type": resource_type, "name": f"{rule.id.lower()}-posture", "properties": properties,
                    **EXTRA.get(resource_type.lower(), {})}
            resource = Resource.from_arm(body, Source(SourceFormat.ARM, "posture.json"))
            [result] = run_rules([resource], ResourceGraph([resource]), [rule])
            verdicts[f"{rule.id} {resource_type}"] = result.status
    assert verdicts, "no service can express the scenario"
    assert verdicts == dict.fromkeys(verdicts, wanted), verdicts


def test_resources_configured_alike_share_a_verdict_told_apart_by_each_value_read() -> None:
    """Verdicts are kept for the values the policy reads, typed and spelled as they are."""
    rule = next(rule for rule in POSTURE_RULES if "Microsoft.Storage/storageAccounts" in rule.resource_types)

    def verdict(name: str, properties: dict[str, Any]) -> tuple[Status, str]:
        body = {"type": "Microsoft.Storage/storageAccounts", "name": name, "properties": properties}
        resource = Resource.from_arm(body, Source(SourceFormat.ARM, "posture.json"))
        [result] = run_rules([resource], ResourceGraph([resource]), [rule])
        return result.status, result.message

    enabled = verdict("a", _acls("Enabled", "Allow", None))
    assert enabled == verdict("b", _acls("Enabled", "Allow", None))
    assert enabled[0] is Status.FAIL and "'Enabled'" in enabled[1]
    lower = verdict("c", _acls("enabled", "Allow", None))
    assert lower[0] is Status.FAIL and "'enabled'" in lower[1]
    assert verdict("d", _acls(True, "Allow", None))[1] != enabled[1]
    assert verdict("e", _acls("Enabled", "Deny", [ONE_IP]))[0] is Status.PASS
    assert verdict("f", _acls("Enabled", "Deny", [ANY]))[0] is Status.FAIL
    # A firewall's rule lists are no key of the values read: such documents are kept by the rule, by their shape
    # (the rules of the policy are judged by the document).
    kept = len(rule._by_shape)
    listed = verdict("g", _acls("Enabled", "Deny", [ONE_IP, ANY]))
    assert len(rule._by_shape) == kept + 1
    assert verdict("h", _acls("Enabled", "Deny", [ONE_IP, ANY])) == listed
    assert len(rule._by_shape) == kept + 1
    assert verdict("i", _acls("Enabled", "Deny", [ONE_IP]))[0] is Status.PASS
