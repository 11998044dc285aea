"""One AI workload, written in every input format, gives the same results in every format.

The workload under `workload/` is written as an ARM template with a parameter file, Bicep (with a local module and
a `.bicepparam` file), Terraform with azurerm (a local module and `terraform.tfvars`), Terraform with azapi, the
plan JSON of the azurerm version, and the Resource Graph export of the deployed workload. For every format the
set of (rule id, resource type, resource name, status) over pass/fail/unknown results must equal the set in
`expected.yaml`, so the formats equal each other. The inventory is compared with the documented exceptions below,
each for something a Resource Graph export cannot show. See docs/conformance.md.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest
import yaml

from aiwell.model import InputStatus, Status
from aiwell.report import Report
from aiwell.review import review

HERE = Path(__file__).parent
WORKLOAD = HERE / "workload"

ResultKey = tuple[str, str, str, str]
"""(rule id, resource type in lower case, resource name, status)."""

IAC_FORMATS = {
    "arm": "arm",
    "bicep": "bicep",
    "terraform-azurerm": "terraform",
    "terraform-azapi": "terraform",
    "plan": "terraform-plan",
}
"""Directory under workload/ → the input format its input records must carry."""

NOT_YET_WIRED: frozenset[str] = frozenset()
"""Formats whose loader is not wired into discovery yet: their tests are expected to fail (not strictly).
Remove a format from this set once `aiwell.loaders.load_inputs` reads it."""

INVENTORY_HAS_NO_DIAGNOSTICS = frozenset({"AIS005", "MLW003", "SRC008", "KVT006", "COS007", "ACR009", "GWY008",
                                          "MLE007", "STG013"})
"""Rules that need diagnostic settings: Resource Graph's Resources table has none, so from an export they are
`unknown` whatever the template said."""

INVENTORY_HAS_NO_ROLES_OR_ZONE_GROUPS = frozenset({"AIS009", "NET001", "STG007"})
"""Rules that need role assignments (Resource Graph keeps them in `authorizationresources`, not `Resources`),
private DNS zone groups (child resources of the endpoint the Resources table does not list) or storage lifecycle
policies (children of the account it does not list either): `unknown` from an export."""

INVENTORY_HAS_NO_SITE_CONFIG = frozenset({"APP003", "APP012", "APP013", "APP014", "APP016"})
"""App Service site settings the export's `siteConfig` leaves out (Resource Graph rows of `Microsoft.Web/sites` carry
few of them, and no app settings): `unknown` from an export."""

NOT_IN_RESOURCES_TABLE = frozenset({
    "microsoft.cognitiveservices/accounts/deployments",
    "microsoft.machinelearningservices/workspaces/computes",
})
"""Child resources the export of the Resources table does not list (model deployments are read with
`az cognitiveservices account deployment list`, computes with `az ml compute list`), so their rules have
nothing to run on."""

UNKNOWN_ONLY_FROM_INVENTORY: frozenset[ResultKey] = frozenset({
    ("WKL004", "microsoft.search/searchservices", "srch-contoso-chat", "unknown"),
})
"""Results the templates decide as not applicable (not listed) that an export leaves unknown: WKL004 applies to a
search service written while it serves, and the Resources table shows neither indexer links nor agent
connections."""

UNKNOWN_FROM_PLAN: frozenset[ResultKey] = frozenset({
    ("KVT004", "microsoft.keyvault/vaults", "kv-contoso-chat", "unknown"),
    ("STG005", "microsoft.storage/storageaccounts", "stcontosochat", "unknown"),
    ("SRC008", "microsoft.search/searchservices", "srch-contoso-chat", "unknown"),
    ("COS008", "microsoft.documentdb/databaseaccounts", "cosmos-contoso-chat", "unknown"),
    ("MLC005", "microsoft.machinelearningservices/workspaces/computes", "mlw-contoso-chat/cpu-cluster", "unknown"),
    ("APP019", "microsoft.web/serverfarms", "asp-contoso-chat", "unknown"),
})
"""Results the plan leaves unknown that the templates decide, because the plan shows the value as known after
apply: the workload writes no `network_acls` / `network_rules` block, which the provider computes (while an absent
firewall in a template means the platform's default, Allow), the search module's diagnostic setting gets the
id of a workspace the same plan creates; the Cosmos DB account's `multiple_write_locations_enabled`, the
cluster's `ssh_public_access_enabled` and the service plan's `worker_count`, left out, are computed too."""

ONLY_FROM_PLAN: frozenset[ResultKey] = frozenset({
    ("STG009", "microsoft.storage/storageaccounts/blobservices", "stcontosochat/default", "unknown"),
    ("STG010", "microsoft.storage/storageaccounts/blobservices", "stcontosochat/default", "unknown"),
    ("STG013", "microsoft.storage/storageaccounts/blobservices", "stcontosochat/default", "fail"),
})
"""Results on a resource only the plan shows: the templates declare no blob service, while the plan lists the
account's `blob_properties` as known after apply, so the blob service's soft-delete switches are unknown and no
diagnostic setting targets it."""


def _marks(directory: str) -> list[pytest.MarkDecorator]:
    if directory in NOT_YET_WIRED:
        return [pytest.mark.xfail(strict=False, reason="loader not wired yet")]
    return []


def _iac_params() -> list[object]:
    return [pytest.param(directory, id=directory, marks=_marks(directory)) for directory in IAC_FORMATS]


@cache
def _review(directory: str) -> Report:
    return review([WORKLOAD / directory])


def _result_set(report: Report) -> set[ResultKey]:
    return {(result.rule.id, result.resource_type.lower(), result.resource_name, result.status.value)
            for result in report.listed_results}


def _expected() -> set[ResultKey]:
    rows = yaml.safe_load((HERE / "expected.yaml").read_text(encoding="utf-8"))
    return {(str(rule), str(type_), str(name), str(status)) for rule, type_, name, status in rows}


def _difference(actual: set[ResultKey], expected: set[ResultKey]) -> str:
    missing = "\n".join(f"  - {row}" for row in sorted(expected - actual))
    extra = "\n".join(f"  + {row}" for row in sorted(actual - expected))
    return f"expected but not produced:\n{missing or '  (none)'}\nproduced but not expected:\n{extra or '  (none)'}"


def _assert_analysed(report: Report, input_format: str) -> None:
    assert report.inputs, "no input was found"
    not_analysed = [(record.path, record.reason) for record in report.inputs
                    if record.status is InputStatus.NOT_ANALYSED]
    assert not not_analysed, f"inputs not analysed: {not_analysed}"
    assert {record.format for record in report.inputs} == {input_format}


@pytest.mark.parametrize("directory", _iac_params())
def test_every_input_is_analysed(directory: str) -> None:
    _assert_analysed(_review(directory), IAC_FORMATS[directory])


@pytest.mark.parametrize("directory", _iac_params())
def test_format_gives_the_expected_results(directory: str) -> None:
    actual = _result_set(_review(directory))
    expected = _expected()
    if directory == "plan":
        decided = {key[:3] for key in UNKNOWN_FROM_PLAN}
        expected = {key for key in expected if key[:3] not in decided} | UNKNOWN_FROM_PLAN | ONLY_FROM_PLAN
    assert actual == expected, f"{directory}:\n{_difference(actual, expected)}"


def test_expected_results_cover_every_status() -> None:
    """The workload mixes passing and failing settings, so agreement between formats means something."""
    statuses = {status for _, _, _, status in _expected()}
    assert {Status.PASS.value, Status.FAIL.value} <= statuses


def test_inventory_is_analysed() -> None:
    _assert_analysed(_review("inventory"), "inventory")


def test_inventory_matches_the_templates_except_where_an_export_cannot_tell() -> None:
    cannot_tell = INVENTORY_HAS_NO_DIAGNOSTICS | INVENTORY_HAS_NO_ROLES_OR_ZONE_GROUPS | INVENTORY_HAS_NO_SITE_CONFIG
    expected = {
        (rule, type_, name, Status.UNKNOWN.value if rule in cannot_tell else status)
        for rule, type_, name, status in _expected()
        if type_ not in NOT_IN_RESOURCES_TABLE
    } | UNKNOWN_ONLY_FROM_INVENTORY
    actual = _result_set(_review("inventory"))
    assert actual == expected, f"inventory:\n{_difference(actual, expected)}"
