"""Resource ids built by the template loader, for the scopes and type forms ARM has."""

from __future__ import annotations

import pytest

from aiwell.loaders.arm.identity import id_path, render
from aiwell.loaders.arm.template import resource_id
from aiwell.model import Unresolved

GROUP = "/subscriptions/s/resourceGroups/g"


@pytest.mark.parametrize(("prefix", "resource_type", "name", "scope", "expected"), [
    (GROUP, "Microsoft.Search/searchServices", "srch", None,
     f"{GROUP}/providers/Microsoft.Search/searchServices/srch"),
    (GROUP, "Microsoft.Network/virtualNetworks/subnets", "vnet/snet", None,
     f"{GROUP}/providers/Microsoft.Network/virtualNetworks/vnet/subnets/snet"),
    ("/subscriptions/s", "Microsoft.Resources/resourceGroups", "rg-ai", None, "/subscriptions/s/resourceGroups/rg-ai"),
    ("", "Microsoft.Management/managementGroups", "mg", None, "/providers/Microsoft.Management/managementGroups/mg"),
    (GROUP, "Microsoft.Insights/diagnosticSettings", "diag", f"{GROUP}/providers/Microsoft.Web/sites/app",
     f"{GROUP}/providers/Microsoft.Web/sites/app/providers/Microsoft.Insights/diagnosticSettings/diag"),
    (GROUP, "Microsoft.Web/sites/providers/diagnosticSettings", "app/Microsoft.Insights/diag", None,
     f"{GROUP}/providers/Microsoft.Web/sites/app/providers/Microsoft.Insights/diagnosticSettings/diag"),
])
def test_resource_id(prefix: str, resource_type: str, name: str, scope: str | None, expected: str) -> None:
    assert resource_id(prefix, resource_type, name, scope) == expected


@pytest.mark.parametrize(("prefix", "name", "scope"), [
    (GROUP, Unresolved("parameters('n')", "no value"), None),
    (Unresolved("parameters('rg')", "no value"), "srch", None),
    (GROUP, "srch", Unresolved("parameters('scope')", "no value")),
    (GROUP, "too/many", None),
])
def test_unresolved_parts_give_an_unresolved_id(prefix: str | Unresolved, name: str | Unresolved,
                                                scope: Unresolved | None) -> None:
    assert isinstance(resource_id(prefix, "Microsoft.Search/searchServices", name, scope), Unresolved)


@pytest.mark.parametrize("prefix", [GROUP, "/subscriptions/s", ""])
@pytest.mark.parametrize("resource_type", [
    "Microsoft.Search/searchServices", "microsoft.resources/RESOURCEGROUPS", "Microsoft.Web/providers",
    "Microsoft.Web/", "/sites", "Microsoft.Web/sites/slots",
])
@pytest.mark.parametrize("name", ["srch", "a/b", "", "Ünïcode name"])
def test_top_level_ids_spelled_as_the_general_path_spells_them(prefix: str, resource_type: str, name: str) -> None:
    """`resource_id` builds most ids (one type segment, one name segment) without `id_path`: the same text."""
    general = id_path((prefix,), resource_type, [(part,) for part in name.split("/")], extension=False)
    built = resource_id(prefix, resource_type, name)
    if general is None or "" in name.split("/"):
        assert isinstance(built, Unresolved)
    else:
        assert built == render(general)
