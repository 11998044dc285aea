"""Registry and template-spec modules are read from the local module cache `bicep restore` fills (`~/.bicep`, or
`cacheRootDirectory` in bicepconfig.json), laid out as the Bicep CLI lays it out; a module not there leaves the
input partial. The test suite's home directory is an empty temporary one (tests/conftest.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from aiwell.loaders.bicep import load_bicep
from aiwell.loaders.bicep.registry import encode_tag
from aiwell.model import InputStatus, SourceFormat, Status, Unresolved
from aiwell.review import review

_ACCOUNT_TEMPLATE = {
    "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
    "contentVersion": "1.0.0.0",
    "parameters": {"name": {"type": "string"}, "publicNetworkAccess": {"type": "string", "defaultValue": "Enabled"}},
    "resources": [
        {"type": "Microsoft.CognitiveServices/accounts", "apiVersion": "2024-10-01", "name": "[parameters('name')]",
         "location": "[resourceGroup().location]", "kind": "OpenAI", "sku": {"name": "S0"},
         "properties": {"publicNetworkAccess": "[parameters('publicNetworkAccess')]",
                        "customSubDomainName": "[parameters('name')]"}},
    ],
}


def _cache(folder: Path, template: object) -> Path:
    folder.mkdir(parents=True)
    path = folder / "main.json"
    path.write_text(json.dumps(template), encoding="utf-8")
    for name in ("manifest", "metadata"):
        (folder / name).write_text("{}", encoding="utf-8")
    return path


def _bicep(tmp_path: Path, reference: str) -> Path:
    (tmp_path / ".git").mkdir()
    main = tmp_path / "main.bicep"
    main.write_text(f"module account '{reference}' = {{\n  name: 'account'\n"
                    "  params: {\n    name: 'oai-cached'\n  }\n}\n", encoding="utf-8")
    return main


@pytest.mark.parametrize(("tag", "encoded"), [
    ("0.9.0", "0.9.0$"),
    ("V1", "V1$1"),
    ("aBc", "aBc$2"),
    ("a" * 64 + "B", "a" * 64 + "B$10000000000000000"),
])
def test_tags_are_encoded_as_bicep_names_their_cache_folders(tag: str, encoded: str) -> None:
    assert encode_tag(tag) == encoded


def test_a_public_registry_module_is_read_from_the_default_cache(tmp_path: Path, _empty_home: Path) -> None:
    cached = _cache(_empty_home / ".bicep" / "br" / "mcr.microsoft.com"
                    / "bicep$avm$res$cognitive-services$account" / "0.9.0$", _ACCOUNT_TEMPLATE)
    main = _bicep(tmp_path, "br/public:avm/res/cognitive-services/account:0.9.0")
    load = load_bicep(main, root=tmp_path)
    assert load.unreviewed == []
    deployment, account = load.resources
    assert (deployment.type, deployment.name) == ("Microsoft.Resources/deployments", "account")
    assert (account.type, account.name, account.source.address) == (
        "Microsoft.CognitiveServices/accounts", "oai-cached", "account.resources[0]")
    assert account.get("properties.publicNetworkAccess") == "Enabled"
    assert account.source.format is SourceFormat.ARM and account.source.file == str(cached)
    assert load.files == [cached.resolve()]


def test_a_private_registry_reference_and_a_template_spec_alias_follow_bicepconfig(tmp_path: Path,
                                                                                   _empty_home: Path) -> None:
    (tmp_path / "bicepconfig.json").write_text(json.dumps({"moduleAliases": {
        "br": {"corp": {"registry": "Corp.azurecr.io:443", "modulePath": "bicep/modules"}},
        "ts": {"specs": {"subscription": "AAAA", "resourceGroup": "RG-Specs"}},
    }}), encoding="utf-8")
    _cache(_empty_home / ".bicep" / "br" / "corp.azurecr.io$443" / "bicep$modules$ai$account" / "V2$1",
           _ACCOUNT_TEMPLATE)
    # A template spec is cached as the template spec version Azure returns; its mainTemplate is the template.
    _cache(_empty_home / ".bicep" / "ts" / "aaaa" / "rg-specs" / "account" / "v3",
           {"id": "/subscriptions/AAAA/...", "properties": {"mainTemplate": _ACCOUNT_TEMPLATE}})
    main = tmp_path / "main.bicep"
    main.write_text("module fromAlias 'br/corp:ai/account:V2' = {\n  name: 'from-alias'\n"
                    "  params: { name: 'oai-alias' }\n}\n"
                    "module fromSpec 'ts/specs:account:V3' = {\n  name: 'from-spec'\n"
                    "  params: { name: 'oai-spec' }\n}\n", encoding="utf-8")
    load = load_bicep(main, root=tmp_path)
    assert load.unreviewed == []
    assert [r.name for r in load.resources] == ["from-alias", "oai-alias", "from-spec", "oai-spec"]


def test_cache_root_directory_is_read_inside_the_reviewed_tree_only(tmp_path: Path) -> None:
    repository = tmp_path / "repo"
    repository.mkdir()
    main = _bicep(repository, "br:example.azurecr.io/ai/account:1.0")
    (repository / "bicepconfig.json").write_text(json.dumps({"cacheRootDirectory": ".bicep-cache"}),
                                                 encoding="utf-8")
    _cache(repository / ".bicep-cache" / "br" / "example.azurecr.io" / "ai$account" / "1.0$", _ACCOUNT_TEMPLATE)
    assert [r.name for r in load_bicep(main, root=repository).resources] == ["account", "oai-cached"]

    outside = tmp_path / "elsewhere"
    _cache(outside / "br" / "example.azurecr.io" / "ai$account" / "1.0$", _ACCOUNT_TEMPLATE)
    (repository / "bicepconfig.json").write_text(json.dumps({"cacheRootDirectory": str(outside)}),
                                                 encoding="utf-8")
    load = load_bicep(main, root=repository)
    assert [r.name for r in load.resources] == ["account"]
    assert any("outside the reviewed tree" in note for note in load.notes)
    assert load.unreviewed and "outside the reviewed tree" in load.unreviewed[0]


def test_a_module_cache_inside_the_reviewed_tree_is_not_reviewed_on_its_own(tmp_path: Path) -> None:
    """Reviewing the repository walks past its `cacheRootDirectory`: the cached module is reviewed once, as the
    module of the file that uses it, not again as a template of its own (with findings no deployment has)."""
    main = _bicep(tmp_path, "br:example.azurecr.io/ai/account:1.0")
    (tmp_path / "bicepconfig.json").write_text(json.dumps({"cacheRootDirectory": "./.bicep-cache"}),
                                               encoding="utf-8")
    _cache(tmp_path / ".bicep-cache" / "br" / "example.azurecr.io" / "ai$account" / "1.0$", _ACCOUNT_TEMPLATE)
    report = review([tmp_path])
    assert [record.path for record in report.inputs] == [str(main)]
    accounts = [r for r in report.resources if r.is_type("Microsoft.CognitiveServices/accounts")]
    assert [a.name for a in accounts] == ["oai-cached"]


def test_a_registry_module_not_in_the_cache_leaves_the_input_partial(tmp_path: Path) -> None:
    main = _bicep(tmp_path, "br/public:avm/res/cognitive-services/account:0.9.0")
    load = load_bicep(main, root=tmp_path)
    assert load.not_analysed == []
    (part,) = load.unreviewed
    assert "is not in the local module cache" in part and "bicep restore" in part


def test_rules_decide_on_what_a_cached_module_deploys(tmp_path: Path, _empty_home: Path) -> None:
    _cache(_empty_home / ".bicep" / "br" / "mcr.microsoft.com" / "bicep$avm$res$cognitive-services$account"
           / "0.9.0$", _ACCOUNT_TEMPLATE)
    report = review([_bicep(tmp_path, "br/public:avm/res/cognitive-services/account:0.9.0")])
    results = {r.rule.id: r.status for r in report.results if r.resource_name == "oai-cached"}
    assert results["AIS001"] is Status.FAIL  # public network access enabled, read from the cached template


def test_outputs_of_a_cached_module_flow_into_the_file(tmp_path: Path, _empty_home: Path) -> None:
    template = {**_ACCOUNT_TEMPLATE, "outputs": {
        "resourceId": {"type": "string",
                       "value": "[resourceId('Microsoft.CognitiveServices/accounts', parameters('name'))]"},
        "endpoint": {"type": "string", "value": "[reference(parameters('name'), '2024-10-01').endpoint]"}}}
    _cache(_empty_home / ".bicep" / "br" / "mcr.microsoft.com" / "bicep$avm$res$cognitive-services$account"
           / "0.9.0$", template)
    main = _bicep(tmp_path, "br/public:avm/res/cognitive-services/account:0.9.0")
    main.write_text(main.read_text(encoding="utf-8") + "output accountId string = account.outputs.resourceId\n"
                    "resource lock 'Microsoft.Authorization/locks@2020-05-01' = {\n  name: 'lock'\n"
                    "  properties: { level: 'CanNotDelete', notes: account.outputs.resourceId }\n}\n"
                    "resource search 'Microsoft.Search/searchServices@2023-11-01' = {\n  name: 'srch'\n"
                    "  location: 'westeurope'\n  properties: { endpoint: account.outputs.endpoint }\n}\n",
                    encoding="utf-8")
    load = load_bicep(main, root=tmp_path)
    lock = next(r for r in load.resources if r.name == "lock")
    assert lock.get("properties.notes") == ("/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/"
                                            "aiwell-rg/providers/Microsoft.CognitiveServices/accounts/oai-cached")
    search = next(r for r in load.resources if r.name == "srch")
    assert isinstance(search.get("properties.endpoint"), Unresolved)  # known only once deployed


def test_a_bicepparam_for_a_registry_module_deploys_the_cached_template(tmp_path: Path, _empty_home: Path) -> None:
    cached = _cache(_empty_home / ".bicep" / "br" / "mcr.microsoft.com" / "bicep$avm$res$cognitive-services$account"
                    / "0.9.0$", _ACCOUNT_TEMPLATE)
    (tmp_path / ".git").mkdir()
    (tmp_path / "prod.bicepparam").write_text("using 'br/public:avm/res/cognitive-services/account:0.9.0'\n"
                                              "param name = 'oai-prod'\nparam publicNetworkAccess = 'Disabled'\n",
                                              encoding="utf-8")
    report = review([tmp_path])
    (record,) = report.inputs
    assert record.status is InputStatus.ANALYSED and record.path.endswith("prod.bicepparam")
    assert record.files == (str(cached.resolve()),)
    (account,) = report.resources
    assert (account.name, account.get("properties.publicNetworkAccess")) == ("oai-prod", "Disabled")
    assert {r.rule.id: r.status for r in report.results if r.rule.id == "AIS001"} == {"AIS001": Status.PASS}


def test_a_bicepparam_for_a_registry_module_not_in_the_cache_is_not_analysed(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / "prod.bicepparam").write_text("using 'br/public:avm/res/cognitive-services/account:0.9.0'\n"
                                              "param name = 'oai-prod'\n", encoding="utf-8")
    (record,) = review([tmp_path]).inputs
    assert record.status is InputStatus.NOT_ANALYSED
    assert "is not in the local module cache" in record.reason and "bicep restore" in record.reason
    assert "using none" not in record.reason
