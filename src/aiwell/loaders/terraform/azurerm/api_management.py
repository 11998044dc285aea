"""API Management (Microsoft.ApiManagement/service) with its backends, APIs, products and policies.

Provider: azurerm 4.x (checked against v4.81.0 docs, API 2024-05-01). `sku_name` is `<name>_<capacity>`. A policy
(of the service, an API or a product) is always named `policy`; its XML is `xml_content` (sent as `rawxml`) or
`xml_link` (`rawxml-link`, a URL the service fetches). A product is named by `product_id`, and its link to an API
by the API's name.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiwell.loaders.terraform.azurerm._spec import (
    COMMON,
    Attr,
    Block,
    ChildOf,
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

def _policy_value(attributes: Mapping[str, Any]) -> Any:
    content, link = attributes.get("xml_content"), attributes.get("xml_link")
    return content if content is not None else (link if link is not None else MISSING)


def _policy_format(attributes: Mapping[str, Any]) -> Any:
    if attributes.get("xml_content") is not None:
        return "rawxml"
    return "rawxml-link" if attributes.get("xml_link") is not None else MISSING


_POLICY_FIELDS = (Derived("properties.value", _policy_value), Derived("properties.format", _policy_format))

API_MANAGEMENT_POLICY = ResourceMap(
    tf_type="azurerm_api_management_policy",
    arm_type="Microsoft.ApiManagement/service/policies",
    api_version="2024-05-01",
    naming=ChildOf("api_management_id", name="policy"),
    fields=_POLICY_FIELDS,
)

API_MANAGEMENT_API_POLICY = ResourceMap(
    tf_type="azurerm_api_management_api_policy",
    arm_type="Microsoft.ApiManagement/service/apis/policies",
    api_version="2024-05-01",
    naming=ChildOfNamed("Microsoft.ApiManagement/service", "api_management_name", levels=("api_name",),
                        name="policy"),
    fields=_POLICY_FIELDS,
)

API_MANAGEMENT_PRODUCT = ResourceMap(
    tf_type="azurerm_api_management_product",
    arm_type="Microsoft.ApiManagement/service/products",
    api_version="2024-05-01",
    naming=ChildOfNamed("Microsoft.ApiManagement/service", "api_management_name", name_attribute="product_id"),
    fields=(
        Attr("display_name", "properties.displayName"),
        Attr("subscription_required", "properties.subscriptionRequired"),
        Attr("published", "properties.state", lambda value: "published" if value is True else (
            "notPublished" if value is False else value)),
    ),
)

API_MANAGEMENT_PRODUCT_POLICY = ResourceMap(
    tf_type="azurerm_api_management_product_policy",
    arm_type="Microsoft.ApiManagement/service/products/policies",
    api_version="2024-05-01",
    naming=ChildOfNamed("Microsoft.ApiManagement/service", "api_management_name", levels=("product_id",),
                        name="policy"),
    fields=_POLICY_FIELDS,
)

API_MANAGEMENT_PRODUCT_API = ResourceMap(
    tf_type="azurerm_api_management_product_api",
    arm_type="Microsoft.ApiManagement/service/products/apis",
    api_version="2024-05-01",
    naming=ChildOfNamed("Microsoft.ApiManagement/service", "api_management_name", levels=("product_id",),
                        name_attribute="api_name"),
)

MAPS = (API_MANAGEMENT, API_MANAGEMENT_BACKEND, API_MANAGEMENT_API, API_MANAGEMENT_POLICY,
        API_MANAGEMENT_API_POLICY, API_MANAGEMENT_PRODUCT, API_MANAGEMENT_PRODUCT_POLICY, API_MANAGEMENT_PRODUCT_API)
