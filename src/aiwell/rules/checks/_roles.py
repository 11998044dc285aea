"""Shared logic of the role-assignment rules: which assignments grant a data-plane role on a model account, and whose
identity they grant it to."""

from __future__ import annotations

import re
from typing import Any

from msgspec import Struct

from aiwell.graph import ResourceGraph
from aiwell.model import MISSING, Resource, Unresolved, lookup
from aiwell.rules.base import shown_name
from aiwell.rules.declarative import describe_unresolved, values_equal

ROLE_ASSIGNMENT = "Microsoft.Authorization/roleAssignments"

MODEL_DATA_ROLES = {
    "5e0bd9bd-7b93-4f28-af87-19fc36ad61bd": "Cognitive Services OpenAI User",
    "a001fd3d-188f-4b5d-821b-7da978bf7442": "Cognitive Services OpenAI Contributor",
    "a97b65f3-24c7-4388-baec-2e87135dc908": "Cognitive Services User",
    "53ca6127-db72-4b80-b1b0-d745d6d5456d": "Azure AI User",
    "64702f94-c441-49e6-a78b-ef80e0188fee": "Azure AI Developer",
}
"""Built-in roles that let an identity call a model account's data plane (inference), by role definition GUID."""

HUMAN_PRINCIPALS = ("User", "Group")
"""Principal types that are people, not workload identities."""

_GUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.IGNORECASE)
_ROLE_NAME = re.compile(r"role_definition_name\s*=\s*'([^']+)'")


class Grant(Struct, frozen=True):
    """What one role assignment grants: a model data-plane role (its name) or not (None), and any doubt."""

    assignment: Resource
    role: str | None
    doubt: str = ""


def role_of(assignment: Resource) -> Grant:
    """The model data-plane role a role assignment grants, read from `roleDefinitionId` (a GUID at its end) or, for
    Terraform's `role_definition_name`, from the name the loader kept."""
    definition = lookup(assignment.properties, "roleDefinitionId") if assignment.properties is not MISSING else MISSING
    if isinstance(definition, Unresolved):
        named = _ROLE_NAME.search(definition.expression)
        if named is not None:
            wanted = named.group(1).strip().lower()
            role = next((name for name in MODEL_DATA_ROLES.values() if name.lower() == wanted), None)
            return Grant(assignment, role)
        guid = _GUID.findall(definition.expression)
        if guid:
            return Grant(assignment, MODEL_DATA_ROLES.get(guid[-1].lower()))
        return Grant(assignment, None, f"role assignment {shown_name(assignment)} has a role that can't be resolved "
                                       f"({describe_unresolved(definition)})")
    if isinstance(definition, str):
        guid = _GUID.findall(definition)
        return Grant(assignment, MODEL_DATA_ROLES.get(guid[-1].lower()) if guid else None)
    return Grant(assignment, None)


def _to_workload(assignment: Resource) -> Grant | None:
    """What a role assignment grants to a principal that is not a person: a model role, a doubt, or None (no model
    data-plane role, or a person)."""
    grant = role_of(assignment)
    if grant.doubt:
        return grant
    if grant.role is None:
        return None
    kind = lookup(assignment.properties, "principalType")
    if isinstance(kind, str) and any(values_equal(kind, human) for human in HUMAN_PRINCIPALS):
        return None
    return grant


def grants_to_workloads(resource: Resource, graph: ResourceGraph) -> tuple[list[Grant], list[str]]:
    """The role assignments on `resource` (or above it) that grant a model data-plane role to a principal that is not
    a person, and the doubts that may hide one (an unresolved role or scope, or a grant another deployment makes on
    a resource group of the same name)."""
    grants: list[Grant] = []
    doubts: list[str] = []
    for assignment in graph.extensions_on(resource, ROLE_ASSIGNMENT):
        grant = _to_workload(assignment)
        if grant is not None and grant.doubt:
            doubts.append(grant.doubt)
        elif grant is not None:
            grants.append(grant)
    unresolved = graph.unresolved_extensions(ROLE_ASSIGNMENT, could_target=resource)
    if unresolved:
        doubts.append(f"role assignment {shown_name(unresolved[0])} has a scope that can't be resolved")
    for assignment in graph.extensions_elsewhere_on_scope_of(resource, ROLE_ASSIGNMENT):
        grant = _to_workload(assignment)
        if grant is not None:
            doubts.append(f"role assignment {shown_name(assignment)} of another input ({assignment.source.input}) "
                          f"grants {grant.role or 'a role'} on a resource group or subscription of the same name, "
                          "which applies to it only if both are deployed there")
            break
    return grants, doubts


def principal_owner(assignment: Resource, graph: ResourceGraph) -> Resource | Unresolved | None:
    """The resource whose managed identity a role assignment's `principalId` names (an app, a user-assigned
    identity), `Unresolved` when it names one that can't be told, None for a literal principal id."""
    principal: Any = lookup(assignment.properties, "principalId") if assignment.properties is not MISSING else MISSING
    if isinstance(principal, Unresolved):
        return graph.by_reference(principal, near=assignment) or principal
    return None


def identities_of(app: Resource, graph: ResourceGraph) -> list[Resource]:
    """The resources whose identity an app runs as: itself (system-assigned) and its user-assigned identities that
    are among the inputs."""
    found = [app]
    assigned = lookup(app.identity, "userAssignedIdentities") if app.identity is not MISSING else MISSING
    if isinstance(assigned, dict):
        for key in assigned:
            target = graph.referenced(key, near=app) if isinstance(key, str) else None
            if isinstance(target, Resource):
                found.append(target)
    return found
