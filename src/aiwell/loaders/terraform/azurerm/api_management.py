"""API Management (Microsoft.ApiManagement/service) with its backends and APIs.

Provider: azurerm 4.x (checked against v4.81.0 docs, API 2024-05-01). `sku_name` is `<name>_<capacity>`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiwell.loaders.terraform.azurerm._spec import (
    COMMON,
    Attr,
    Block,
    ChildOfNamed,
    Derived,
    ResourceMap,
    TopLevel,
    boolean,
    enabled_disabled,
    location,
)
from aiwell.model import MISSING, Unresolved


def _sku(attributes: Mapping[str, Any]) -> Any:
    """`"Developer_1"` → `{name: Developer, capacity: 1}`; `"Consumption_0"` → capacity 0."""
    value = attributes.get("sku_name")
    if value is None or isinstance(value, Unresolved):
        return MISSING if value is None else value
    name, _, capacity = str(value).partition("_")
    sku: dict[str, Any] = {"name": name}
    if capacity.isdigit():
        sku["capacity"] = int(capacity)
    return sku


API_MANAGEMENT = ResourceMap(
    tf_type="azurerm_api_management",
    arm_type="Microsoft.ApiManagement/service",
    api_version="2024-05-01",
    naming=TopLevel(),
    fields=(
        *COMMON,
        Derived("sku", _sku),
        Attr("zones", "zones"),
        Attr("publisher_name", "properties.publisherName"),
        Attr("publisher_email", "properties.publisherEmail"),
        Attr("notification_sender_email", "properties.notificationSenderEmail"),
        # Defaults to true.
        Attr("public_network_access_enabled", "properties.publicNetworkAccess", enabled_disabled, default=True),
        Attr("public_ip_address_id", "properties.publicIpAddressId"),
        # Defaults to None.
        Attr("virtual_network_type", "properties.virtualNetworkType", default="None"),
        Block("virtual_network_configuration", "properties.virtualNetworkConfiguration", (
            Attr("subnet_id", "subnetResourceId"),)),
        Attr("client_certificate_enabled", "properties.enableClientCertificate", boolean),
        Attr("gateway_disabled", "properties.disableGateway", boolean),
        Attr("min_api_version", "properties.apiVersionConstraint.minApiVersion"),
        Block("additional_location", "properties.additionalLocations", (
            Attr("location", "location", location),
            Attr("capacity", "sku.capacity"),
            Attr("zones", "zones"),
            Attr("gateway_disabled", "disableGateway", boolean),
            Block("virtual_network_configuration", "virtualNetworkConfiguration", (
                Attr("subnet_id", "subnetResourceId"),)),
        ), many=True),
    ),
)

_IN_SERVICE = ChildOfNamed("Microsoft.ApiManagement/service", "api_management_name")

API_MANAGEMENT_BACKEND = ResourceMap(
    tf_type="azurerm_api_management_backend",
    arm_type="Microsoft.ApiManagement/service/backends",
    api_version="2024-05-01",
    naming=_IN_SERVICE,
    fields=(
        Attr("protocol", "properties.protocol"),
        Attr("url", "properties.url"),
        Attr("resource_id", "properties.resourceId"),
    ),
)

API_MANAGEMENT_API = ResourceMap(
    tf_type="azurerm_api_management_api",
    arm_type="Microsoft.ApiManagement/service/apis",
    api_version="2024-05-01",
    naming=_IN_SERVICE,
    fields=(
        Attr("path", "properties.path"),
        Attr("service_url", "properties.serviceUrl"),
    ),
)

MAPS = (API_MANAGEMENT, API_MANAGEMENT_BACKEND, API_MANAGEMENT_API)
