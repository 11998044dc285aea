"""Rules on an App Service app's `properties.siteConfig` settings (APP010–APP014, APP016).

Settings are read as the graph sees the app (`ResourceGraph.document`): a `Microsoft.Web/sites/config` child named
`web` is merged in, and its values win, as ARM applies the child after the app. Resource Graph rows of
`Microsoft.Web/sites` don't carry the site configuration (it lives in that child, which exports leave out), so a
setting absent from an inventory row is unknown, not the platform default. In a template, an absent setting takes
the platform default the rule names.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from msgspec import Struct

from aiwell.graph import ResourceGraph
from aiwell.model import MISSING, Resource, SourceFormat, Status, Unresolved, lookup
from aiwell.rules.base import implements
from aiwell.rules.declarative import describe_unresolved, show

INVENTORY_HAS_NO_SITE_CONFIG = ("Resource Graph exports don't carry an app's site configuration "
                                "(properties.siteConfig.{key})")


class SiteSetting(Struct, frozen=True):
    """One `properties.siteConfig` key, the values that pass, and what an absent key means in a template."""

    key: str
    passes: Callable[[Any], bool]
    wanted: str
    """The passing values, as the message states them."""
    default: Any
    """The platform's value when a template leaves the key out (MISSING: no value, the rule fails)."""


def _text(value: Any) -> str:
    return str(value).strip().lower()


def _is_true(value: Any) -> bool:
    return value is True or _text(value) == "true"


def _is_false(value: Any) -> bool:
    return value is False or _text(value) == "false"


MIN_TLS = SiteSetting("minTlsVersion", lambda value: _text(value) in {"1.2", "1.3"}, "1.2 or 1.3", "1.2")
FTPS = SiteSetting("ftpsState", lambda value: _text(value) in {"disabled", "ftpsonly"}, "Disabled or FtpsOnly",
                   "AllAllowed")
HTTP2 = SiteSetting("http20Enabled", _is_true, "true", False)
ALWAYS_ON = SiteSetting("alwaysOn", _is_true, "true", False)
REMOTE_DEBUGGING = SiteSetting("remoteDebuggingEnabled", _is_false, "false", False)
HEALTH_CHECK = SiteSetting("healthCheckPath", lambda value: isinstance(value, str) and bool(value.strip()),
                           "a path", MISSING)


def site_setting_verdict(resource: Resource, graph: ResourceGraph, setting: SiteSetting) -> tuple[Status, str]:
    """Pass when the app's `properties.siteConfig.<key>`, its `config/web` child's included (or, absent from a
    template, its default) passes."""
    path = f"properties.siteConfig.{setting.key}"
    value = lookup(graph.document(resource), path)
    if isinstance(value, Unresolved):
        return Status.UNKNOWN, f"{path} can't be resolved ({describe_unresolved(value)})"
    shown = f"{path} is {show(value)}"
    if value is MISSING or value is None:
        if resource.source.format == SourceFormat.INVENTORY:
            return Status.UNKNOWN, INVENTORY_HAS_NO_SITE_CONFIG.format(key=setting.key)
        if setting.default is MISSING:
            return Status.FAIL, f"{path} is not set, expected {setting.wanted}"
        value, shown = setting.default, f"{path} is not set (the platform default is {show(setting.default)})"
    if setting.passes(value):
        return Status.PASS, shown
    return Status.FAIL, f"{shown}, expected {setting.wanted}"


@implements("APP010", by_document=True)
def tls_below_1_2(resource: Resource, graph: ResourceGraph) -> tuple[Status, str]:
    """Pass when the app accepts TLS 1.2 or later only."""
    return site_setting_verdict(resource, graph, MIN_TLS)


@implements("APP011", by_document=True)
def ftp_allowed(resource: Resource, graph: ResourceGraph) -> tuple[Status, str]:
    """Pass when plain FTP deployment is off."""
    return site_setting_verdict(resource, graph, FTPS)


@implements("APP012", by_document=True)
def http2_disabled(resource: Resource, graph: ResourceGraph) -> tuple[Status, str]:
    """Pass when the app serves HTTP/2."""
    return site_setting_verdict(resource, graph, HTTP2)


@implements("APP013", by_document=True)
def always_on_disabled(resource: Resource, graph: ResourceGraph) -> tuple[Status, str]:
    """Pass when the app is kept loaded (Always On)."""
    return site_setting_verdict(resource, graph, ALWAYS_ON)


@implements("APP014", by_document=True)
def remote_debugging_enabled(resource: Resource, graph: ResourceGraph) -> tuple[Status, str]:
    """Pass when remote debugging is off."""
    return site_setting_verdict(resource, graph, REMOTE_DEBUGGING)


@implements("APP016", by_document=True)
def without_health_check(resource: Resource, graph: ResourceGraph) -> tuple[Status, str]:
    """Pass when the app has a health check path."""
    return site_setting_verdict(resource, graph, HEALTH_CHECK)
