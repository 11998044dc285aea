"""Role assignments, management locks, user-assigned identities and resource groups.

Provider: azurerm 4.x (checked against v4.81.0 docs). A role assignment without `name` gets a GUID the provider
generates at apply time: its name and id are unresolved. A role given by `role_definition_name` is looked up by
the provider at apply time: `roleDefinitionId` is unresolved, naming the role in its expression.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiwell.loaders.terraform.azurerm._spec import (
    LOCATION,
    TAGS,
    Attr,
    Derived,
    ExtensionOf,
    InSubscription,
    ResourceMap,
    TopLevel,
)
from aiwell.model import MISSING, Unresolved


def _role_by_name(attributes: Mapping[str, Any]) -> Any:
    if attributes.get("role_definition_id") is not None:
        return MISSING
    name = attributes.get("role_definition_name")
    if name is None or isinstance(name, Unresolved):
        return MISSING if name is None else name
    return Unresolved(f"role_definition_name = {name!r}",
                      "the provider looks the role definition id up by name at apply time")


ROLE_ASSIGNMENT = ResourceMap(
    tf_type="azurerm_role_assignment",
    arm_type="Microsoft.Authorization/roleAssignments",
    api_version="2022-04-01",
    naming=ExtensionOf("scope"),
    fields=(
        Attr("role_definition_id", "properties.roleDefinitionId"),
        Derived("properties.roleDefinitionId", _role_by_name),
        Attr("principal_id", "properties.principalId"),
        Attr("principal_type", "properties.principalType"),
        Attr("condition", "properties.condition"),
        Attr("condition_version", "properties.conditionVersion"),
        Attr("description", "properties.description"),
        Attr("delegated_managed_identity_resource_id", "properties.delegatedManagedIdentityResourceId"),
    ),
)

MANAGEMENT_LOCK = ResourceMap(
    tf_type="azurerm_management_lock",
    arm_type="Microsoft.Authorization/locks",
    api_version="2020-05-01",
    naming=ExtensionOf("scope"),
    fields=(
        Attr("lock_level", "properties.level"),
        Attr("notes", "properties.notes"),
    ),
)

USER_ASSIGNED_IDENTITY = ResourceMap(
    tf_type="azurerm_user_assigned_identity",
    arm_type="Microsoft.ManagedIdentity/userAssignedIdentities",
    api_version="2024-11-30",
    naming=TopLevel(),
    fields=(LOCATION, TAGS),
)

RESOURCE_GROUP = ResourceMap(
    tf_type="azurerm_resource_group",
    arm_type="Microsoft.Resources/resourceGroups",
    api_version="2022-09-01",
    naming=InSubscription(),
    fields=(LOCATION, TAGS),
)

MAPS = (ROLE_ASSIGNMENT, MANAGEMENT_LOCK, USER_ASSIGNED_IDENTITY, RESOURCE_GROUP)
