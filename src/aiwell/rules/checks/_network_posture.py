"""The one network-posture policy every "reachable from any network" rule applies (docs/rule-format.md, "Network
posture").

A service's inbound posture is one of:

- **private**: public network access is disabled (`publicNetworkAccess: Disabled`), or the service is reachable
  only inside its virtual network (an AKS private cluster, API Management with `virtualNetworkType: Internal`, an
  internal Container Apps environment);
- **restricted**: public access is on, but the service firewall admits only listed sources: its default action is
  `Deny` (AI Services, Storage, Key Vault, Container Registry, ML workspaces, App Service), or, for services whose
  firewall has no default action (AI Search, Cosmos DB, AKS's authorized IP ranges), its IP or virtual-network
  rule list is not empty; or a network security perimeter governs it (`SecuredByPerimeter`);
- **open**: anything else: public access on (or unset: it defaults to on everywhere) with no firewall, a firewall
  that allows by default, or an allow rule for any address (`0.0.0.0/0`, `::/0`, `*`, and Cosmos DB's `0.0.0.0`,
  which admits every Azure datacenter).

The rules pass private and restricted services and fail open ones. An IP allow-list is accepted: it is how build
agents and administrators reach a service; whether the workload reaches it privately is what the private-endpoint
rules check, separately. A value that decides the posture but can't be resolved makes the result unknown; one that
can't change it (an unresolved `publicNetworkAccess` on a service whose firewall denies by default) does not.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from msgspec import Struct

from aiwell.graph import ResourceGraph
from aiwell.model import MISSING, Resource, Status, Unresolved, lookup
from aiwell.rules.declarative import describe_unresolved, show, value_readers, values_equal, values_read


class Posture(StrEnum):
    """Who can reach a service over the network."""

    PRIVATE = "private"
    RESTRICTED = "restricted"
    OPEN = "open"
    UNKNOWN = "unknown"


class Firewall(Struct, frozen=True):
    """Where a service type keeps its public-access switch and its firewall, as ARM paths."""

    default_action: str | None
    """The firewall's default action (`Allow`/`Deny`, absent meaning allow); None for a firewall that has none
    and restricts by having rules."""
    rule_lists: tuple[tuple[str, str | None], ...]
    """(list path, value key): the IP and virtual-network rule lists; value key None for lists of strings."""
    public_access: str = "properties.publicNetworkAccess"
    also_public: str | None = None
    """A boolean that, when true, opens the service whatever `publicNetworkAccess` says."""
    enabled_flag: str | None = None
    """A boolean that must be true for the rule lists to apply (Cosmos DB's virtual-network filter)."""
    any_address_values: tuple[str, ...] = ("0.0.0.0/0", "::/0", "*", "0.0.0.0-255.255.255.255", "any", "internet")
    private_when: tuple[str, Any] | None = None
    """(path, value): the service is private when the path has that value, whatever its public-access switch says
    (an AKS private cluster, API Management in an internal virtual network, an internal Container Apps
    environment)."""
    implicit_deny: bool = False
    """An absent default action denies what no rule allows once any rule exists (App Service's access
    restrictions, from before `ipSecurityRestrictionsDefaultAction`); rules whose `action` is `Deny` allow
    nothing."""


_ACLS = ("properties.networkAcls.ipRules", "value"), ("properties.networkAcls.virtualNetworkRules", "id")
FIREWALLS: dict[str, Firewall] = {
    "microsoft.cognitiveservices/accounts": Firewall("properties.networkAcls.defaultAction", _ACLS),
    "microsoft.storage/storageaccounts": Firewall("properties.networkAcls.defaultAction", _ACLS),
    "microsoft.keyvault/vaults": Firewall("properties.networkAcls.defaultAction", _ACLS),
    "microsoft.machinelearningservices/workspaces": Firewall(
        "properties.networkAcls.defaultAction", (("properties.networkAcls.ipRules", "value"),),
        also_public="properties.allowPublicAccessWhenBehindVnet"),
    "microsoft.containerregistry/registries": Firewall(
        "properties.networkRuleSet.defaultAction", (("properties.networkRuleSet.ipRules", "value"),)),
    "microsoft.search/searchservices": Firewall(None, (("properties.networkRuleSet.ipRules", "value"),)),
    "microsoft.documentdb/databaseaccounts": Firewall(
        None, (("properties.ipRules", "ipAddressOrRange"),),
        any_address_values=("0.0.0.0", "0.0.0.0/0", "::/0", "*")),
    "microsoft.web/sites": Firewall(
        "properties.siteConfig.ipSecurityRestrictionsDefaultAction",
        (("properties.siteConfig.ipSecurityRestrictions", "ipAddress"),
         ("properties.siteConfig.ipSecurityRestrictions", "vnetSubnetResourceId")), implicit_deny=True),
    "microsoft.containerservice/managedclusters": Firewall(
        None, (("properties.apiServerAccessProfile.authorizedIPRanges", None),),
        private_when=("properties.apiServerAccessProfile.enablePrivateCluster", True)),
    "microsoft.apimanagement/service": Firewall(None, (), private_when=("properties.virtualNetworkType", "Internal")),
    "microsoft.app/managedenvironments": Firewall(
        None, (), private_when=("properties.vnetConfiguration.internal", True)),
}
"""The firewall of each service type the policy applies to (lower-case types)."""

_COSMOS_VNET = ("properties.virtualNetworkRules", "id")


class Judgment(Struct, frozen=True):
    """A posture and the words that explain it."""

    posture: Posture
    reason: str


def _get(document: Any, path: str) -> Any:
    value = lookup(document, path)
    return MISSING if value is None else value


def _rules(document: Any, firewall: Firewall, resource_type: str) -> tuple[list[str], Unresolved | None]:
    """The firewall's allowed sources (IP values and subnet ids), and the first one that can't be resolved."""
    lists = list(firewall.rule_lists)
    if resource_type == "microsoft.documentdb/databaseaccounts":
        flag = _get(document, "properties.isVirtualNetworkFilterEnabled")
        if isinstance(flag, Unresolved):
            return [], flag
        if values_equal(flag, True):
            lists.append(_COSMOS_VNET)
    sources: list[str] = []
    for path, key in lists:
        members = _get(document, path)
        if isinstance(members, Unresolved):
            return sources, members
        for member in members if isinstance(members, list) else []:
            if firewall.implicit_deny and values_equal(lookup(member, "action"), "Deny"):
                continue
            value = lookup(member, key) if key is not None else member
            if isinstance(value, Unresolved):
                return sources, value
            if isinstance(member, Unresolved):
                return sources, member
            if isinstance(value, str) and value.strip():
                sources.append(value.strip())
    return sources, None


def _firewall_posture(document: Any, firewall: Firewall, resource_type: str) -> Judgment:
    """The posture the firewall alone gives a service whose public access is on."""
    sources, doubt = _rules(document, firewall, resource_type)
    open_rule = next((source for source in sources if source.lower() in firewall.any_address_values), None)
    if open_rule is not None:
        return Judgment(Posture.OPEN, f"a firewall rule allows any address ({show(open_rule)})")
    if doubt is not None:
        return Judgment(Posture.UNKNOWN, f"a firewall rule is unresolved ({describe_unresolved(doubt)})")
    counted = f"{len(sources)} allowed source{'s' if len(sources) != 1 else ''}"
    if firewall.default_action is not None:
        action = _get(document, firewall.default_action)
        if isinstance(action, Unresolved):
            return Judgment(Posture.UNKNOWN, f"{firewall.default_action} is unresolved "
                                             f"({describe_unresolved(action)})")
        if values_equal(action, "Deny"):
            return Judgment(Posture.RESTRICTED, f"its firewall denies by default ({firewall.default_action} is "
                                                f"'Deny', {counted})")
        if action is MISSING and firewall.implicit_deny and sources:
            return Judgment(Posture.RESTRICTED, f"its access restrictions admit only their rules ({counted}; "
                                                f"{firewall.default_action} is not set)")
        shown = "not set (absent means Allow)" if action is MISSING else f"{show(action)}"
        return Judgment(Posture.OPEN, f"its firewall allows by default ({firewall.default_action} is {shown})")
    if sources:
        return Judgment(Posture.RESTRICTED, f"its firewall admits only its rules ({counted})")
    return Judgment(Posture.OPEN, "its firewall has no IP or virtual network rules, so it admits every network")


def network_posture(resource: Resource, graph: ResourceGraph) -> Judgment:
    """The posture of one resource of a type in `FIREWALLS`, read as the graph sees it."""
    firewall = FIREWALLS[resource.type_lower]
    document = graph.document(resource)
    public = _get(document, firewall.public_access)
    forced = _get(document, firewall.also_public) if firewall.also_public is not None else MISSING
    if isinstance(forced, Unresolved):
        return Judgment(Posture.UNKNOWN, f"{firewall.also_public} is unresolved ({describe_unresolved(forced)})")
    forced_open = values_equal(forced, True)
    private_path, private_value = firewall.private_when or ("", None)
    inside = _get(document, private_path) if private_path else MISSING
    if private_path and values_equal(inside, private_value):
        return Judgment(Posture.PRIVATE, f"{private_path} is {show(private_value)}")
    if not forced_open and values_equal(public, "Disabled"):
        return Judgment(Posture.PRIVATE, f"{firewall.public_access} is 'Disabled'")
    if not forced_open and values_equal(public, "SecuredByPerimeter"):
        return Judgment(Posture.RESTRICTED, f"{firewall.public_access} is 'SecuredByPerimeter': a network "
                                            "security perimeter decides who reaches it")
    behind = _firewall_posture(document, firewall, resource.type_lower)
    if isinstance(inside, Unresolved) and behind.posture is not Posture.RESTRICTED:
        return Judgment(Posture.UNKNOWN, f"{private_path} is unresolved ({describe_unresolved(inside)}) and "
                                         f"{behind.reason}")
    if isinstance(public, Unresolved) and behind.posture is not Posture.RESTRICTED:
        return Judgment(Posture.UNKNOWN, f"{firewall.public_access} is unresolved ({describe_unresolved(public)}) "
                                         f"and {behind.reason}")
    if forced_open:
        opened = f"{firewall.also_public} is true"
    elif public is MISSING:
        opened = f"{firewall.public_access} is not set (absent means Enabled)"
    elif isinstance(public, Unresolved):
        opened = f"{firewall.public_access} is unresolved"
    else:
        opened = f"{firewall.public_access} is {show(public)}"
    return Judgment(behind.posture, f"{opened} and {behind.reason}")


def _read_paths(resource_type: str, firewall: Firewall) -> tuple[str, ...]:
    """Every path whose value `network_posture` may read for a resource of the type."""
    paths = [firewall.public_access, *(path for path in (firewall.also_public, firewall.default_action) if path),
             *(firewall.private_when[:1] if firewall.private_when else ()), *(path for path, _ in firewall.rule_lists)]
    if resource_type == "microsoft.documentdb/databaseaccounts":
        paths += ["properties.isVirtualNetworkFilterEnabled", _COSMOS_VNET[0]]
    return tuple(paths)


_READERS = {resource_type: value_readers(_read_paths(resource_type, firewall))
            for resource_type, firewall in FIREWALLS.items()}
"""What `_alike` reads, for each type: `lookup` of each path made into one function."""

_VERDICTS: dict[tuple[Any, ...], tuple[Status, str]] = {}
"""The verdict for each type and set of values read (`_alike`): the judgment is a function of those alone, and the
thousands of resources of an inventory are configured a few ways. Bounded by `_VERDICTS_KEPT`."""
_VERDICTS_KEPT = 4096


def _alike(resource_type: str, document: Any) -> tuple[Any, ...] | None:
    """What the judgment of a resource depends on, as a key: its type and each value read, typed (`values_read`);
    None when a value is not a scalar (a list of rules, an unresolved value)."""
    values = values_read(_READERS[resource_type], document)
    return None if values is None else (resource_type, values)


def network_posture_verdict(resource: Resource, graph: ResourceGraph) -> tuple[Status, str]:
    """Pass a private or restricted service, fail an open one, unknown when it can't be told. A function of the
    document alone: the rules that apply it are judged once per document shape (`by_document`), and this keeps
    the verdict for each set of values read, which resources of several shapes share."""
    alike = _alike(resource.type_lower, graph.document(resource))
    if alike is None:
        return _verdict(network_posture(resource, graph))
    known = _VERDICTS.get(alike)
    if known is None:
        known = _verdict(network_posture(resource, graph))
        if len(_VERDICTS) < _VERDICTS_KEPT:
            _VERDICTS[alike] = known
    return known


def _verdict(judged: Judgment) -> tuple[Status, str]:
    if judged.posture is Posture.UNKNOWN:
        return Status.UNKNOWN, f"can't tell who can reach it: {judged.reason}"
    if judged.posture is Posture.OPEN:
        return Status.FAIL, f"reachable from any network: {judged.reason}"
    return Status.PASS, f"{judged.posture.value}: {judged.reason}"
