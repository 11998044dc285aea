"""App Service plans, web apps and function apps (Microsoft.Web).

Provider: azurerm 4.x (checked against v4.81.0 docs, API 2023-12-01). `https_only` defaults to false (ARM's
absent: false too) and `public_network_access_enabled` to true. `ftp_publish_basic_authentication_enabled` and
`webdeploy_publish_basic_authentication_enabled` (default true) are the `ftp` and `scm`
basicPublishingCredentialsPolicies children ARM has for them. `site_config` defaults differ by type:
`always_on` is true for web apps, false for function apps; `use_32_bit_worker` true for web apps, false for Linux
function apps.
"""

from __future__ import annotations

from aiwell.loaders.terraform.azurerm._spec import (
    COMMON,
    Attr,
    Block,
    ChildMap,
    Const,
    Field,
    ResourceMap,
    TopLevel,
    boolean,
    enabled_disabled,
    enum,
    name_value_list,
)

API_VERSION = "2023-12-01"

SERVICE_PLAN = ResourceMap(
    tf_type="azurerm_service_plan",
    arm_type="Microsoft.Web/serverfarms",
    api_version=API_VERSION,
    naming=TopLevel(),
    fields=(
        *COMMON,
        Attr("sku_name", "sku.name"),
        Attr("worker_count", "sku.capacity"),
        Attr("os_type", "kind", enum({"Linux": "linux", "Windows": "app", "WindowsContainer": "windows"})),
        Attr("os_type", "properties.reserved", enum({"Linux": True, "Windows": False, "WindowsContainer": False})),
        Attr("os_type", "properties.hyperV", enum({"Linux": False, "Windows": False, "WindowsContainer": True})),
        Attr("zone_balancing_enabled", "properties.zoneRedundant", boolean),
        # Defaults to false.
        Attr("per_site_scaling_enabled", "properties.perSiteScaling", boolean, default=False),
        Attr("premium_plan_auto_scale_enabled", "properties.elasticScaleEnabled", boolean),
        Attr("maximum_elastic_worker_count", "properties.maximumElasticWorkerCount"),
        Attr("app_service_environment_id", "properties.hostingEnvironmentProfile.id"),
    ),
)


def _site_config(*, always_on: bool, use_32_bit_worker: bool) -> Block:
    return Block("site_config", "properties.siteConfig", (
        Attr("always_on", "alwaysOn", boolean, default=always_on),
        # Defaults to "1.2" (both).
        Attr("minimum_tls_version", "minTlsVersion", default="1.2"),
        Attr("scm_minimum_tls_version", "scmMinTlsVersion", default="1.2"),
        # Defaults to Disabled.
        Attr("ftps_state", "ftpsState", default="Disabled"),
        # ARM spells it http20Enabled.
        Attr("http2_enabled", "http20Enabled", boolean, default=False),
        Attr("vnet_route_all_enabled", "vnetRouteAllEnabled", boolean, default=False),
        Attr("health_check_path", "healthCheckPath"),
        Attr("remote_debugging_enabled", "remoteDebuggingEnabled", boolean, default=False),
        Attr("use_32_bit_worker", "use32BitWorkerProcess", boolean, default=use_32_bit_worker),
        Attr("websockets_enabled", "webSocketsEnabled", boolean, default=False),
        # Defaults to Allow.
        Attr("ip_restriction_default_action", "ipSecurityRestrictionsDefaultAction", default="Allow"),
        Attr("scm_ip_restriction_default_action", "scmIpSecurityRestrictionsDefaultAction", default="Allow"),
    ))


def _site_fields(site_config: Block) -> tuple[Field, ...]:
    return (
        *COMMON,
        Attr("service_plan_id", "properties.serverFarmId"),
        # Defaults to false.
        Attr("https_only", "properties.httpsOnly", boolean, default=False),
        # Defaults to true.
        Attr("public_network_access_enabled", "properties.publicNetworkAccess", enabled_disabled, default=True),
        Attr("client_certificate_enabled", "properties.clientCertEnabled", boolean, default=False),
        # Defaults to Required.
        Attr("client_certificate_mode", "properties.clientCertMode", default="Required"),
        # Defaults to false (ARM's absent: true).
        Attr("client_affinity_enabled", "properties.clientAffinityEnabled", boolean, default=False),
        # Defaults to true.
        Attr("enabled", "properties.enabled", boolean, default=True),
        Attr("key_vault_reference_identity_id", "properties.keyVaultReferenceIdentity"),
        Attr("virtual_network_subnet_id", "properties.virtualNetworkSubnetId"),
        # site_config before app_settings: the settings go inside the siteConfig object it builds.
        site_config,
        Attr("app_settings", "properties.siteConfig.appSettings", name_value_list),
    )


_PUBLISHING_POLICIES = (
    ChildMap(arm_type="Microsoft.Web/sites/basicPublishingCredentialsPolicies", api_version=API_VERSION,
             name="ftp", fields=(
                 Attr("ftp_publish_basic_authentication_enabled", "properties.allow", boolean, default=True),)),
    ChildMap(arm_type="Microsoft.Web/sites/basicPublishingCredentialsPolicies", api_version=API_VERSION,
             name="scm", fields=(
                 Attr("webdeploy_publish_basic_authentication_enabled", "properties.allow", boolean,
                      default=True),)),
)

LINUX_WEB_APP = ResourceMap(
    tf_type="azurerm_linux_web_app",
    arm_type="Microsoft.Web/sites",
    api_version=API_VERSION,
    naming=TopLevel(),
    fields=(Const("kind", "app,linux"), *_site_fields(_site_config(always_on=True, use_32_bit_worker=True))),
    children=_PUBLISHING_POLICIES,
)

WINDOWS_WEB_APP = ResourceMap(
    tf_type="azurerm_windows_web_app",
    arm_type="Microsoft.Web/sites",
    api_version=API_VERSION,
    naming=TopLevel(),
    fields=(Const("kind", "app"), *_site_fields(_site_config(always_on=True, use_32_bit_worker=True))),
    children=_PUBLISHING_POLICIES,
)

LINUX_FUNCTION_APP = ResourceMap(
    tf_type="azurerm_linux_function_app",
    arm_type="Microsoft.Web/sites",
    api_version=API_VERSION,
    naming=TopLevel(),
    fields=(Const("kind", "functionapp,linux"),
            *_site_fields(_site_config(always_on=False, use_32_bit_worker=False))),
    children=_PUBLISHING_POLICIES,
)

MAPS = (SERVICE_PLAN, LINUX_WEB_APP, WINDOWS_WEB_APP, LINUX_FUNCTION_APP)
