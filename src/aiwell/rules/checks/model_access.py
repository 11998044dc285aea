"""Identity-based access to model accounts: a workload identity holds a data-plane role on the account (AIS009), and
an app that runs next to a model account has been granted one (APP027), instead of calling it with keys."""

from __future__ import annotations

from aiwell.graph import ResourceGraph
from aiwell.model import MISSING, Resource, SourceFormat, Status, Unresolved, lookup
from aiwell.rules.base import implements, shown_name
from aiwell.rules.checks._roles import Grant, grants_to_workloads, identities_of, principal_owner
from aiwell.rules.declarative import describe_unresolved, values_equal

MODEL_KINDS = ("OpenAI", "AIServices")
ACCOUNT = "Microsoft.CognitiveServices/accounts"
NO_ROLE_ASSIGNMENTS = "Resource Graph's Resources table carries no role assignments"


@implements("AIS009")
def account_without_data_plane_role(resource: Resource, graph: ResourceGraph) -> tuple[Status, str]:
    """Pass when a role assignment on the account (or its group or subscription) grants a model data-plane role to
    a workload identity."""
    grants, doubts = grants_to_workloads(resource, graph)
    if grants:
        first = grants[0]
        return Status.PASS, f"role assignment {shown_name(first.assignment)} grants {first.role} on it"
    if resource.source.format == SourceFormat.INVENTORY:
        return Status.UNKNOWN, NO_ROLE_ASSIGNMENTS
    if resource.source.partial:
        doubts.append(f"part of its input was not reviewed ({resource.source.partial})")
    if doubts:
        return Status.UNKNOWN, "no role assignment is known to grant a data-plane role on it, but " + "; ".join(doubts)
    return Status.FAIL, ("no managed identity holds a data-plane role on it (Cognitive Services OpenAI User, "
                         "Cognitive Services User, Azure AI User): its callers use keys")


def _find_model_accounts(graph: ResourceGraph) -> list[Resource]:
    return [account for account in graph.of_type(ACCOUNT)
            if isinstance(account.kind, str) and any(values_equal(account.kind, kind) for kind in MODEL_KINDS)]


def _model_accounts(graph: ResourceGraph) -> list[Resource]:
    """The model accounts of the review, found once per review rather than once per app judged."""
    return graph.derived("APP027 model accounts", _find_model_accounts)


def _account_grants(graph: ResourceGraph) -> list[tuple[Resource, list[Grant], list[str]]]:
    """Each model account with its grants to workloads and the doubts about them, worked out once per review."""
    return graph.derived("APP027 model account grants", lambda whole: [
        (account, *grants_to_workloads(account, whole)) for account in _model_accounts(whole)])


@implements("APP027")
def app_without_model_role(resource: Resource, graph: ResourceGraph) -> tuple[Status, str]:
    """Among the model accounts of the review, pass when one grants the app's identity a data-plane role."""
    accounts = _model_accounts(graph)
    if not accounts:
        return Status.NOT_APPLICABLE, "does not apply: no Azure OpenAI or AI Services account is among the inputs"
    identity_type = lookup(resource.identity, "type") if resource.identity is not MISSING else MISSING
    if isinstance(identity_type, Unresolved):
        return Status.UNKNOWN, f"identity.type is unresolved ({describe_unresolved(identity_type)})"
    if identity_type is MISSING or values_equal(identity_type, "None"):
        return Status.NOT_APPLICABLE, "does not apply: it has no managed identity (APP002 reports that)"
    mine = {id(identity) for identity in identities_of(resource, graph)}
    doubts: list[str] = []
    for account, grants, account_doubts in _account_grants(graph):
        doubts.extend(account_doubts)
        for grant in grants:
            owner = principal_owner(grant.assignment, graph)
            if isinstance(owner, Resource) and id(owner) in mine:
                return Status.PASS, (f"role assignment {shown_name(grant.assignment)} grants it {grant.role} on "
                                     f"{shown_name(account)}")
            if isinstance(owner, Unresolved) or (owner is None and isinstance(
                    lookup(grant.assignment.properties, "principalId"), str)):
                doubts.append(f"role assignment {shown_name(grant.assignment)} on {shown_name(account)} grants "
                              f"{grant.role} to a principal that can't be told apart from its identity")
    if resource.source.format == SourceFormat.INVENTORY:
        return Status.UNKNOWN, NO_ROLE_ASSIGNMENTS
    if doubts:
        return Status.UNKNOWN, "; ".join(dict.fromkeys(doubts))
    names = ", ".join(shown_name(account) for account in accounts[:3])
    return Status.FAIL, (f"its identity holds no data-plane role on {names}: it can only call the model with keys")
