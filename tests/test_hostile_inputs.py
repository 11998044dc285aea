"""Hostile input around discovery and reporting: never a crash, a hang or a silent drop, nothing read outside the
reviewed tree, and a report file that is either whole or not written at all.

Cases that could hang (named pipes) run aiwell in a subprocess with a timeout, so a regression fails the test
instead of stopping the suite.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from aiwell.cli.main import main
from aiwell.loaders import load_inputs
from aiwell.model import InputStatus
from aiwell.review import review

TEMPLATE_SCHEMA = "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#"
PARAMETERS_SCHEMA = "https://schema.management.azure.com/schemas/2019-04-01/deploymentParameters.json#"


def _template(resource_name: str = "st", **parameters: Any) -> str:
    return json.dumps({
        "$schema": TEMPLATE_SCHEMA, "contentVersion": "1.0.0.0",
        "parameters": {key: {"type": "string", "defaultValue": value} for key, value in parameters.items()},
        "resources": [{"type": "Microsoft.Storage/storageAccounts", "apiVersion": "2023-01-01", "name": resource_name,
                       "properties": {"allowBlobPublicAccess": True}}]})


def _cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as done:
        main(list(args))
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    code = done.value.code
    assert isinstance(code, int)
    return code, captured.out, " ".join(captured.err.split())


def _subprocess_review(*args: str) -> tuple[int, dict[str, Any]]:
    done = subprocess.run([sys.executable, "-c", "from aiwell.cli.main import main; main()", "review", *args,
                           "--format", "json"], capture_output=True, text=True, timeout=120, check=False)
    assert "Traceback" not in done.stderr, done.stderr
    return done.returncode, json.loads(done.stdout)


def _reasons(report: dict[str, Any]) -> dict[str, str]:
    return {Path(record["path"]).name: record["reason"] for record in report["inputs"]
            if record["status"] == "not_analysed"}


# --- walking -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["main.json", "main.bicep", "main.bicepparam"])
def test_a_fifo_in_a_reviewed_folder_is_reported_without_hanging(tmp_path: Path, name: str) -> None:
    (tmp_path / "ok.json").write_text(_template(), encoding="utf-8")
    os.mkfifo(tmp_path / name)
    code, report = _subprocess_review(str(tmp_path))
    assert "named pipe" in _reasons(report)[name]
    assert code == 1


def test_a_link_to_a_device_is_not_read(tmp_path: Path) -> None:
    (tmp_path / "zero.json").symlink_to("/dev/zero")
    code, report = _subprocess_review(str(tmp_path))
    assert "zero.json" in _reasons(report)
    assert code == 1


def test_symbolic_link_loops_are_reported(tmp_path: Path) -> None:
    (tmp_path / "a.json").symlink_to(tmp_path / "b.json")
    (tmp_path / "b.json").symlink_to(tmp_path / "a.json")
    (tmp_path / "again").symlink_to(tmp_path, target_is_directory=True)  # a folder link loop: not followed
    (tmp_path / "ok.json").write_text(_template(), encoding="utf-8")
    outcome = load_inputs([tmp_path])
    reasons = {Path(r.path).name: r.reason for r in outcome.inputs if r.status is InputStatus.NOT_ANALYSED}
    assert reasons == {"a.json": "not read: a symbolic link loop", "b.json": "not read: a symbolic link loop"}
    assert [str(resource.name) for resource in outcome.resources] == ["st"]


def test_a_dangling_link_is_reported(tmp_path: Path) -> None:
    (tmp_path / "main.json").symlink_to(tmp_path / "gone.json")
    (record,) = load_inputs([tmp_path]).inputs
    assert record.status is InputStatus.NOT_ANALYSED and "dangling" in record.reason


def test_an_unreadable_folder_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    (locked / "main.json").write_text(_template(), encoding="utf-8")
    (tmp_path / "ok.json").write_text(_template(), encoding="utf-8")
    real_scandir = os.scandir

    def scandir(path: Any = ".") -> Any:
        # As root, permissions don't stop reading: make the folder fail as an unreadable one does.
        if Path(path) == locked:
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    outcome = load_inputs([tmp_path])
    (record,) = [r for r in outcome.inputs if r.status is InputStatus.NOT_ANALYSED]
    assert record.path == str(locked) and record.reason == "folder could not be read: Permission denied"


def test_a_json_file_that_cannot_be_read_is_reported(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "settings.json")  # not meant as a template, but nothing says so: it was not read
    (record,) = load_inputs([tmp_path]).inputs
    assert record.status is InputStatus.NOT_ANALYSED and "named pipe" in record.reason


def test_a_linked_file_outside_the_tree_is_not_read_nor_quoted(tmp_path: Path) -> None:
    secret = tmp_path / "secret.json"
    secret.write_text('{"resources": "TOPSECRET-TOKEN', encoding="utf-8")
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    (repo / "main.json").symlink_to(secret)
    (record,) = load_inputs([repo]).inputs
    assert record.status is InputStatus.NOT_ANALYSED
    assert record.reason == "not read: a symbolic link to a file outside the reviewed tree"
    assert "TOPSECRET" not in repr(record)


# --- parameter files that can't be read ----------------------------------------------------------------------


def test_a_broken_parameter_file_makes_its_deployment_not_analysed(tmp_path: Path) -> None:
    (tmp_path / "main.json").write_text(_template("[parameters('name')]", name="st-default"), encoding="utf-8")
    (tmp_path / "main.parameters.json").write_text(f'{{"$schema": "{PARAMETERS_SCHEMA}", "parameters": {{',
                                                   encoding="utf-8")
    outcome = load_inputs([tmp_path])
    (record,) = outcome.inputs
    assert record.status is InputStatus.NOT_ANALYSED
    assert record.parameters == str(tmp_path / "main.parameters.json")
    assert record.reason.startswith(f"its parameter file {tmp_path / 'main.parameters.json'}:1 can't be read")
    assert outcome.resources == []  # not reviewed with its defaults instead


def test_a_broken_parameter_file_beside_a_good_one_spares_the_good_one(tmp_path: Path) -> None:
    (tmp_path / "main.json").write_text(_template("[parameters('name')]", name="st-default"), encoding="utf-8")
    (tmp_path / "main.parameters.dev.json").write_text(json.dumps({
        "$schema": PARAMETERS_SCHEMA, "contentVersion": "1.0.0.0", "parameters": {"name": {"value": "st-dev"}}}),
        encoding="utf-8")
    (tmp_path / "main.parameters.prod.json").write_text("{", encoding="utf-8")
    outcome = load_inputs([tmp_path])
    statuses = {Path(r.parameters or "").name: r.status for r in outcome.inputs}
    assert statuses == {"main.parameters.dev.json": InputStatus.ANALYSED,
                        "main.parameters.prod.json": InputStatus.NOT_ANALYSED}
    assert [str(resource.name) for resource in outcome.resources] == ["st-dev"]


def test_a_broken_explicit_parameter_file_is_not_replaced_by_defaults(tmp_path: Path,
                                                                      capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "main.json").write_text(_template("[parameters('name')]", name="st-default"), encoding="utf-8")
    (tmp_path / "values.json").write_text("{ not json", encoding="utf-8")
    code, out, _ = _cli(capsys, "review", str(tmp_path / "main.json"), "-p", str(tmp_path / "values.json"),
                        "--format", "json")
    report = json.loads(out)
    assert report["resources"] == []
    (record,) = report["inputs"]
    assert record["status"] == "not_analysed" and record["parameters"] == str(tmp_path / "values.json")
    assert code == 1


def test_a_broken_bicepparam_file_makes_its_deployment_not_analysed(tmp_path: Path) -> None:
    (tmp_path / "main.bicep").write_text(
        "param name string = 'st-default'\n"
        "resource st 'Microsoft.Storage/storageAccounts@2023-01-01' = {\n  name: name\n  location: 'westeurope'\n"
        "  kind: 'StorageV2'\n  sku: { name: 'Standard_LRS' }\n}\n", encoding="utf-8")
    (tmp_path / "main.bicepparam").write_text("using 'main.bicep'\nparam name = 'st-\n", encoding="utf-8")
    outcome = load_inputs([tmp_path])
    (record,) = outcome.inputs
    assert record.status is InputStatus.NOT_ANALYSED
    assert record.path == str(tmp_path / "main.bicep") and record.parameters == str(tmp_path / "main.bicepparam")
    assert outcome.resources == []


def test_a_bicepparam_using_a_file_outside_the_tree_is_refused(tmp_path: Path) -> None:
    (tmp_path / "outside.bicep").write_text("param secret string = 'TOPSECRET'\n", encoding="utf-8")
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    (repo / "main.bicepparam").write_text("using '../outside.bicep'\n", encoding="utf-8")
    (record,) = load_inputs([repo]).inputs
    assert record.status is InputStatus.NOT_ANALYSED and "outside the reviewed tree" in record.reason
    assert "TOPSECRET" not in repr(record)


# --- the report file -----------------------------------------------------------------------------------------


def test_output_naming_an_input_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    template = tmp_path / "main.json"
    template.write_text(_template(), encoding="utf-8")
    code, _, err = _cli(capsys, "review", str(template), "--format", "json", "-o", str(template))
    assert code == 2 and "one of the inputs" in err
    assert template.read_text(encoding="utf-8") == _template()


def test_output_naming_a_file_found_in_a_folder_is_refused(tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "main.json").write_text(_template("[parameters('name')]", name="x"), encoding="utf-8")
    parameters = tmp_path / "main.parameters.json"
    parameters.write_text(json.dumps({"$schema": PARAMETERS_SCHEMA, "contentVersion": "1.0.0.0",
                                      "parameters": {"name": {"value": "st"}}}), encoding="utf-8")
    before = parameters.read_bytes()
    code, _, err = _cli(capsys, "review", str(tmp_path), "-o", str(parameters))
    assert code == 2 and "one of the inputs" in err
    assert parameters.read_bytes() == before


@pytest.mark.parametrize("target", ["/dev/full", "a-file/report.json"])
def test_an_output_that_cannot_be_written_is_a_usage_error(tmp_path: Path, target: str,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    template = tmp_path / "main.json"
    template.write_text(_template(), encoding="utf-8")
    # A file where the report's folder should be: the folder can't be created (a missing one is).
    (tmp_path / "a-file").write_text("", encoding="utf-8")
    output = target if target.startswith("/") else str(tmp_path / target)
    if target == "/dev/full" and not Path(target).exists():
        pytest.skip("no /dev/full on this system")
    code, _, err = _cli(capsys, "review", str(template), "--format", "json", "-o", output)
    assert code == 2 and "cannot write" in err


def test_a_failed_write_leaves_the_previous_report_whole(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    template = tmp_path / "main.json"
    template.write_text(_template(), encoding="utf-8")
    report = tmp_path / "out" / "report.json"
    report.parent.mkdir()
    report.write_text("previous report\n", encoding="utf-8")

    def no_space(*_: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", no_space)
    code, _, err = _cli(capsys, "review", str(template), "--format", "json", "-o", str(report))
    assert code == 2 and "No space left on device" in err
    assert report.read_text(encoding="utf-8") == "previous report\n"
    assert sorted(path.name for path in report.parent.iterdir()) == ["report.json"]  # no temporary file left


@pytest.mark.parametrize("output_format", ["json", "terminal"])
def test_a_lone_surrogate_never_breaks_a_report(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                output_format: str) -> None:
    template = tmp_path / "main.json"
    template.write_text(_template("st\\ud800"), encoding="utf-8")  # JSON escape of a lone surrogate
    odd_name = tmp_path / os.fsdecode(b"odd\xff.json")  # a file name that is not UTF-8
    odd_name.write_text(_template("st-odd"), encoding="utf-8")
    output = tmp_path / f"report.{output_format}"
    code, _, err = _cli(capsys, "review", str(tmp_path), "--format", output_format, "-o", str(output))
    assert code == 1, err
    text = output.read_text(encoding="utf-8")
    if output_format == "json":
        report = json.loads(text)
        names = {resource["name"] for resource in report["resources"]}
        assert names == {"st\\ud800", "st-odd"}
        assert {result["resource_name"] for result in report["results"]} == names
    else:
        assert "st\\ud800" in text and "odd\\udcff.json" in text and text.rstrip().endswith(text.split("\n")[-2])
    code, out, _ = _cli(capsys, "review", str(tmp_path), "--format", output_format)  # to standard output
    assert code == 1
    shown = {r["name"] for r in json.loads(out)["resources"]} if output_format == "json" else out
    assert "st\\ud800" in shown


# --- deterministic -------------------------------------------------------------------------------------------


def _tree(root: Path) -> Path:
    (root / ".git").mkdir(parents=True)
    for name in ("b", "a"):
        folder = root / name
        folder.mkdir()
        (folder / "main.json").write_text(_template(f"st{name}"), encoding="utf-8")
    return root


def test_the_report_does_not_depend_on_the_working_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    root = _tree(tmp_path / "repo")
    outputs = []
    for cwd in (tmp_path, root, root / "a", Path("/")):
        monkeypatch.chdir(cwd)
        _cli(capsys, "review", str(root), "--format", "json", "-o", str(tmp_path / "report.json"))
        outputs.append((tmp_path / "report.json").read_text(encoding="utf-8"))
    assert len(set(outputs)) == 1
    # Relative paths: the same report, each path as the user gave it.
    relative = []
    for cwd, given in ((tmp_path, "repo"), (root, ".")):
        monkeypatch.chdir(cwd)
        _cli(capsys, "review", given, "--format", "json", "-o", str(tmp_path / "report.json"))
        text = (tmp_path / "report.json").read_text(encoding="utf-8")
        relative.append(text.replace('"repo/', '"').replace('"./', '"').replace('"a/', '"a/'))
    assert relative[0] == relative[1]


def test_a_path_named_twice_gives_no_duplicate_records_or_results(tmp_path: Path) -> None:
    root = _tree(tmp_path / "repo")
    report = review([root, root / "a", root / "a" / "main.json"])
    assert len(report.inputs) == len(set(report.inputs)) == 2
    assert len(report.results) == len(set(report.results))
