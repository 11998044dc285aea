"""WKL001: several model back ends, and this one is not behind an API Management gateway."""

from __future__ import annotations

from aiwell.graph import ResourceGraph
from aiwell.model import Resource, SourceFormat, Status, Unresolved
from aiwell.rules.base import implements
from aiwell.rules.checks._workload import display, listed, mentions, model_accounts, names_of, same_workload

_GATEWAY_TARGETS = (("Microsoft.ApiManagement/service/backends", "properties.url"),
                    ("Microsoft.ApiManagement/service/apis", "properties.serviceUrl"))


@implements("WKL001")
def models_without_gateway(resource: Resource, graph: ResourceGraph) -> tuple[Status, str]:
    """Pass when a gateway's backend or API (in any input: a gateway may be deployed apart) points at the account;
    not applicable when its input has a single model back end."""
    accounts = [account for account in model_accounts(graph) if same_workload(account, resource)]
    if len(accounts) < 2:
        return Status.NOT_APPLICABLE, "does not apply: the workload has a single model back end"
    others = listed([display(a) for a in accounts if a is not resource])
    gateways = graph.of_type("Microsoft.ApiManagement/service")
    if not gateways:
        return Status.FAIL, (f"{len(accounts)} model back ends (this one and {others}) and no API Management "
                             "gateway to balance, fail over and meter them")
    needles = names_of(resource)
    if not needles:
        return Status.UNKNOWN, "its name can't be resolved, so the gateway's backends can't be matched to it"
    unresolved: list[str] = []
    for resource_type, path in _GATEWAY_TARGETS:
        for target in graph.of_type(resource_type):
            url = target.get(path)
            if isinstance(url, Unresolved):
                unresolved.append(f"{display(target)} {path} ({url.expression})")
            elif isinstance(url, str) and mentions(url, needles):
                return Status.PASS, f"behind gateway {display(target).split('/')[0]} ({display(target)}: {url})"
    if unresolved:
        return Status.UNKNOWN, f"a gateway target is unresolved: {unresolved[0]}"
    exported = [g for g in gateways if g.source.format == SourceFormat.INVENTORY]
    if exported:
        # Resource Graph's Resources table holds the API Management service but not its backends and APIs.
        return Status.UNKNOWN, (f"API Management {', '.join(display(g) for g in exported)} comes from an inventory "
                                "export, which does not list its backends and APIs: can't tell whether one points "
                                "at this account")
    return Status.FAIL, (f"API Management {', '.join(display(g) for g in gateways)} is in the workload, but none "
                         f"of its backends or APIs points at this account (other model back ends: {others})")
