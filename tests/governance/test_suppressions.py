"""Suppressions: the file (globs on rule and resource, reason required, expiry), inline comments in Bicep and
Terraform (inside or just above a resource), `metadata.aiwell` in ARM, and the warnings for expired entries and
entries that match nothing. Real files through the real loaders and rules."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from aiwell.errors import ConfigError
from aiwell.model import Status
from aiwell.report import Report
from aiwell.review import review
from aiwell.suppressions import apply_suppressions, declared_suppressions, load_suppressions_file

TODAY = dt.date(2026, 12, 2)

BICEP = """\
// aiwell:ignore AIS002 keys needed by the legacy batch job
@description('the account')
resource account 'Microsoft.CognitiveServices/accounts@2024-10-01' = {
  name: 'chat-oai'
  location: 'eastus2'
  kind: 'OpenAI'
  sku: { name: 'S0' }
  properties: {
    // aiwell:ignore AIS001 expires=2027-01-31 owner=platform-team private endpoint comes in Q1
    publicNetworkAccess: 'Enabled'
    // aiwell:ignore AIS007 expires=2026-11-30 custom domain was due in November
  }
  resource dep 'deployments' = {
    // aiwell:ignore AID001,AID002 the evaluation deployment
    name: 'gpt-4o'
    sku: { name: 'Standard', capacity: 10 }
    properties: { model: { format: 'OpenAI', name: 'gpt-4o', version: '2024-08-06' } }
  }
}

// aiwell:ignore AIS003
resource other 'Microsoft.CognitiveServices/accounts@2024-10-01' = {
  name: 'other-oai'
  location: 'eastus2'
  kind: 'OpenAI'
  sku: { name: 'S0' }
  properties: {}
}
"""

TERRAFORM = """\
# aiwell:ignore AIS002 terraform-managed keys for the batch job
resource "azurerm_cognitive_account" "oai" {
  name                = "tf-oai"
  location            = "eastus2"
  resource_group_name = "rg"
  kind                = "OpenAI"
  sku_name            = "S0"
  # aiwell:ignore ai-services-public-network-access owner=net private networking in 2027
}
"""

ARM = """\
{
  "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
  "contentVersion": "1.0.0.0",
  "resources": [
    {
      "type": "Microsoft.Search/searchServices",
      "apiVersion": "2024-06-01-preview",
      "name": "arm-search",
      "location": "eastus2",
      "sku": {"name": "basic"},
      "metadata": {"aiwell": {"ignore": [
        {"rule": "SRC003", "reason": "one replica in dev", "owner": "search-team", "expires": "2027-06-30"},
        "SRC004 indexing SLA not needed in dev"
      ]}},
      "properties": {"replicaCount": 1}
    }
  ]
}
"""


@pytest.fixture(scope="module")
def reviewed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Report, Path]]:
    root = tmp_path_factory.mktemp("suppress")
    (root / "main.bicep").write_text(BICEP, encoding="utf-8")
    (root / "tf").mkdir()
    (root / "tf" / "main.tf").write_text(TERRAFORM, encoding="utf-8")
    (root / "search.json").write_text(ARM, encoding="utf-8")
    previous = Path.cwd()
    os.chdir(root)
    try:
        yield review([Path(".")]), root
    finally:
        os.chdir(previous)


def _suppressed(results: list, name: str) -> dict[str, str]:  # type: ignore[type-arg]
    return {r.rule.id: r.suppression.source for r in results
            if r.resource_name == name and r.suppression is not None}


def test_inline_and_metadata_suppressions(reviewed: tuple[Report, Path]) -> None:
    report, root = reviewed
    previous = Path.cwd()
    os.chdir(root)
    try:
        declared = declared_suppressions(report.resources)
    finally:
        os.chdir(previous)
    results, warnings = apply_suppressions(report.results, report.resources, file_entries=[], declared=declared,
                                           today=TODAY)
    assert _suppressed(results, "chat-oai") == {"AIS002": "inline comment main.bicep:1",
                                                "AIS001": "inline comment main.bicep:9"}
    ais001 = next(r for r in results if r.resource_name == "chat-oai" and r.rule.id == "AIS001")
    assert ais001.suppression is not None
    assert (ais001.suppression.owner, ais001.suppression.expires) == ("platform-team", "2027-01-31")
    assert ais001.suppression.reason == "private endpoint comes in Q1"
    # The comment inside the child resource belongs to the child, not to its parent.
    open_on_child = {r.rule.id for r in report.results if r.resource_name == "chat-oai/gpt-4o"
                     and r.rule.id in ("AID001", "AID002") and r.status in (Status.FAIL, Status.UNKNOWN)}
    assert open_on_child and set(_suppressed(results, "chat-oai/gpt-4o")) == open_on_child
    assert _suppressed(results, "tf-oai") == {"AIS002": "inline comment tf/main.tf:1",
                                              "AIS001": "inline comment tf/main.tf:8"}
    assert _suppressed(results, "arm-search") == {"SRC003": "ARM metadata search.json:5",
                                                  "SRC004": "ARM metadata search.json:5"}
    # Expired: counts again and warns; no reason: warns, suppresses nothing.
    ais007 = next(r for r in results if r.resource_name == "chat-oai" and r.rule.id == "AIS007")
    assert ais007.status is Status.FAIL and ais007.suppression is None
    assert any("main.bicep:11 (AIS007 on *) expired on 2026-11-30: 1 result it covered counts" in w for w in warnings)
    assert "main.bicep:21: `aiwell:ignore AIS003` gives no reason; it suppresses nothing" in warnings
    assert _suppressed(results, "other-oai") == {}


def test_suppressions_file(reviewed: tuple[Report, Path], tmp_path: Path) -> None:
    report, _ = reviewed
    path = tmp_path / "suppressions.yaml"
    path.write_text("""\
- rule: STG*
  resource: nothing-matches-this
  reason: a typo
- rule: ai-services-*
  resource: "*/accounts/other-oai"
  reason: the other account is being decommissioned
  owner: team-b
  expires: 2027-01-15
- rule: SRC001
  resource: Microsoft.Search/searchServices
  reason: old
  expires: 2026-01-01
""", encoding="utf-8")
    entries = load_suppressions_file(path)
    results, warnings = apply_suppressions(report.results, report.resources, file_entries=entries, today=TODAY)
    other = {r.rule.id for r in results if r.resource_name == "other-oai" and r.suppression is not None}
    failing = {r.rule.id for r in report.results if r.resource_name == "other-oai"
               and r.rule.name.startswith("ai-services-") and r.status in (Status.FAIL, Status.UNKNOWN)}
    assert other == failing and other
    source = next(r for r in results if r.resource_name == "other-oai" and r.suppression).suppression
    assert source is not None and source.source == f"suppressions file {path}:4"
    assert any(r.rule.id == "SRC001" and r.suppression is None and r.status is Status.FAIL for r in results)
    assert warnings == [
        f"suppression {path}:1 (STG* on nothing-matches-this) matches no failing or unknown result: remove it, "
        "or fix its rule or resource",
        f"suppression {path}:9 (SRC001 on Microsoft.Search/searchServices) expired on 2026-01-01: 1 result it "
        "covered counts and gates again"]
    # Passes are never marked.
    assert all(r.suppression is None for r in results if r.status is Status.PASS)


@pytest.mark.parametrize(("text", "message"), [
    ("- rule: AIS002\n  resource: x\n", "x.yaml:1: a suppression needs `reason`: say why the risk is accepted"),
    ("- rule: AIS002\n  resource: x\n  reason: r\n  until: 2027-01-01\n", "x.yaml:1: unknown key until"),
    ("- rule: AIS002\n  resource: x\n  reason: r\n  expires: soon\n", "`expires` is 'soon'; expected an ISO date"),
    ("rule: AIS002\n", "expected a list of entries"),
    ("- rule: [AIS002\n", "not valid YAML"),
    ("- rule: A\n  reason: r\n  resource: x\n\n- rule: B\n  reason: r\n", "x.yaml:5: a suppression needs `resource`"),
])
def test_malformed_file_is_a_configuration_error(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "x.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=None) as caught:
        load_suppressions_file(path)
    assert message in caught.value.message


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_metadata_suppression_holds_when_a_string_holds_a_line_separator(tmp_path: Path, newline: str) -> None:
    # U+2028 is a line break to `str.splitlines` but not to JSON: the lines of the metadata must be counted
    # as the loader counts the resource's, or the suppression lands on no resource.
    template = ARM.replace('"contentVersion": "1.0.0.0",',
                           '"contentVersion": "1.0.0.0",\n  "metadata": {"description": "one\u2028two"},')
    path = tmp_path / "search.json"
    path.write_bytes(template.replace("\n", newline).encode("utf-8"))
    report = review([path])
    declared = declared_suppressions(report.resources)
    results, _ = apply_suppressions(report.results, report.resources, file_entries=[], declared=declared,
                                    today=TODAY)
    assert set(_suppressed(results, "arm-search")) == {"SRC003", "SRC004"}
