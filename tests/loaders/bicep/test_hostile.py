"""Hostile Bicep inputs: nothing outside the reviewed tree is read or quoted, named pipes and devices are never
opened for reading, and odd escapes are a parse error or a value, never a crash."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from aiwell.errors import InputError, ParseError
from aiwell.loaders.bicep import load_bicep
from aiwell.loaders.bicep.params import read_parameters
from aiwell.model import InputStatus
from aiwell.reporters import render_json
from aiwell.review import review

_SECRET = "TOPSECRET-4242"


def _repository(tmp_path: Path) -> Path:
    repository = tmp_path / "repo"
    (repository / ".git").mkdir(parents=True)
    return repository


@pytest.mark.parametrize("using", ["../outside/secret.bicep", "ABSOLUTE"])
def test_a_bicepparam_using_a_file_outside_the_tree_is_refused_unread(tmp_path: Path, using: str) -> None:
    repository = _repository(tmp_path)
    secret = tmp_path / "outside" / "secret.bicep"
    secret.parent.mkdir()
    secret.write_text(f"{_SECRET} is not Bicep\n", encoding="utf-8")
    target = str(secret) if using == "ABSOLUTE" else using
    (repository / "dev.bicepparam").write_text(f"using '{target}'\nparam name = 'x'\n", encoding="utf-8")
    report = review([repository])
    (record,) = report.inputs
    assert record.status is InputStatus.NOT_ANALYSED
    assert "outside the reviewed tree" in record.reason and record.path.endswith("dev.bicepparam")
    assert _SECRET not in render_json(report)


def test_an_extended_parameter_file_outside_the_tree_is_refused(tmp_path: Path) -> None:
    repository = _repository(tmp_path)
    (tmp_path / "base.bicepparam").write_text(f"using none\nparam name = '{_SECRET}'\n", encoding="utf-8")
    (repository / "main.bicep").write_text("param name string\n", encoding="utf-8")
    params = repository / "dev.bicepparam"
    params.write_text("using 'main.bicep'\nextends '../base.bicepparam'\n", encoding="utf-8")
    with pytest.raises(InputError) as raised:
        read_parameters(params, root=repository)
    assert "outside the reviewed tree" in raised.value.message and raised.value.line == 2


def test_modules_and_loaded_files_above_the_named_files_folder_are_read_within_the_repository(
        tmp_path: Path) -> None:
    repository = _repository(tmp_path)
    (repository / "modules").mkdir()
    (repository / "scripts").mkdir()
    (repository / "infra").mkdir()
    (repository / "scripts" / "init.sh").write_text("echo ready\n", encoding="utf-8")
    (repository / "modules" / "account.bicep").write_text(
        "resource account 'Microsoft.CognitiveServices/accounts@2024-10-01' = {\n  name: 'oai-above'\n"
        "  location: 'westeurope'\n  kind: 'OpenAI'\n}\n", encoding="utf-8")
    main = repository / "infra" / "main.bicep"
    main.write_text("module account '../modules/account.bicep' = {\n  name: 'account'\n}\n"
                    "resource st 'Microsoft.Storage/storageAccounts@2023-05-01' = {\n  name: 'stabove'\n"
                    "  location: 'westeurope'\n  tags: { script: loadTextContent('../scripts/init.sh') }\n}\n",
                    encoding="utf-8")
    report = review([main])
    assert [r.status for r in report.inputs] == [InputStatus.ANALYSED]
    assert {r.name for r in report.resources} == {"account", "oai-above", "stabove"}
    (storage,) = [r for r in report.resources if r.name == "stabove"]
    assert storage.get("tags.script") == "echo ready\n"


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")
def test_named_pipes_named_like_bicep_files_are_not_read(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "main.bicep")
    with pytest.raises(ParseError) as raised:
        load_bicep(tmp_path / "main.bicep", root=tmp_path)
    assert "named pipe" in raised.value.message
    os.mkfifo(tmp_path / "dev.bicepparam")
    with pytest.raises(ParseError):
        read_parameters(tmp_path / "dev.bicepparam", root=tmp_path)
    os.mkfifo(tmp_path / "pipe.bicep")
    (tmp_path / "uses.bicep").write_text("module m 'pipe.bicep' = {\n  name: 'm'\n}\n"
                                         "var text = loadTextContent('pipe.bicep')\n"
                                         "resource st 'Microsoft.Storage/storageAccounts@2023-05-01' = {\n"
                                         "  name: 'st'\n  location: 'westeurope'\n  tags: { t: text }\n}\n",
                                         encoding="utf-8")
    load = load_bicep(tmp_path / "uses.bicep", root=tmp_path)
    (part,) = load.not_analysed
    assert "is not a regular file" in part.reason and part.line == 1
    (storage,) = [r for r in load.resources if r.name == "st"]
    assert "can't be read" in storage.get("tags.t").reason


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_a_device_behind_a_symbolic_link_is_not_read(tmp_path: Path) -> None:
    (tmp_path / "zero.json").symlink_to("/dev/zero")
    (tmp_path / "main.bicep").write_text(
        "var data = loadFileAsBase64('zero.json')\nmodule m 'zero.json' = {\n  name: 'm'\n}\n"
        "resource st 'Microsoft.Storage/storageAccounts@2023-05-01' = {\n  name: 'st'\n  location: 'westeurope'\n"
        "  tags: { d: data }\n}\n", encoding="utf-8")
    load = load_bicep(tmp_path / "main.bicep", root=tmp_path)
    assert [part.address for part in load.not_analysed] == ["m"]


def test_a_lone_surrogate_from_an_escape_is_a_value_not_a_crash(tmp_path: Path) -> None:
    (tmp_path / "main.bicep").write_text("resource st 'Microsoft.Storage/storageAccounts@2023-05-01' = {\n"
                                         "  name: 'st\\u{D800}'\n  location: 'westeurope'\n}\n", encoding="utf-8")
    (resource,) = load_bicep(tmp_path / "main.bicep", root=tmp_path).resources
    assert resource.name == "st\ud800"


def test_an_escape_beyond_unicode_is_a_parse_error_with_its_line(tmp_path: Path) -> None:
    (tmp_path / "main.bicep").write_text("var a = 'ok'\nvar b = '\\u{110000}'\n", encoding="utf-8")
    with pytest.raises(ParseError) as raised:
        load_bicep(tmp_path / "main.bicep", root=tmp_path)
    assert raised.value.line == 2 and "10FFFF" in raised.value.message


def test_a_cached_registry_module_that_is_a_named_pipe_is_not_read(tmp_path: Path, _empty_home: Path) -> None:
    if not hasattr(os, "mkfifo"):
        pytest.skip("named pipes are POSIX")
    folder = _empty_home / ".bicep" / "br" / "mcr.microsoft.com" / "bicep$avm$x" / "1.0$"
    folder.mkdir(parents=True)
    os.mkfifo(folder / "main.json")
    (tmp_path / "main.bicep").write_text("module m 'br/public:avm/x:1.0' = {\n  name: 'm'\n}\n", encoding="utf-8")
    load = load_bicep(tmp_path / "main.bicep", root=tmp_path)
    (part,) = load.unreviewed
    assert "is not in the local module cache" in part
    assert json.dumps([r.name for r in load.resources]) == '["m"]'
