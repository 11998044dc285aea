"""The azurerm → ARM tables, one module per service, indexed by Terraform resource type.

Provider version followed: azurerm 4.x (checked against the v4.81.0 documentation); 3.x attribute names are read
as aliases where they differ. Each module documents the provider defaults it applies and why.
"""

from __future__ import annotations

from aiwell.loaders.terraform.azurerm import (
    api_management,
    authorization,
    cognitive,
    consumption,
    container_apps,
    container_registry,
    cosmosdb,
    key_vault,
    kubernetes,
    machine_learning,
    monitor,
    network,
    search,
    security,
    storage,
    web,
)
from aiwell.loaders.terraform.azurerm._spec import ResourceMap

PROVIDER_VERSION = "4.81.0"
"""The azurerm release whose documentation the tables were checked against."""

TABLES: dict[str, ResourceMap] = {
    entry.tf_type: entry
    for module in (api_management, authorization, cognitive, consumption, container_apps, container_registry, cosmosdb,
                   key_vault, kubernetes, machine_learning, monitor, network, search, security, storage, web)
    for entry in module.MAPS
}
"""Every mapped Terraform resource type → its table."""

__all__ = ["PROVIDER_VERSION", "TABLES", "ResourceMap"]
