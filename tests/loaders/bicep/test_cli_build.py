"""`--bicep-cli` never hangs the review: each `bicep build` runs under a time limit (`--subprocess-timeout`), and a
build that runs out of time, with every process it started, is stopped and its file reported as not analysed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from aiwell.cli.main import cli
from aiwell.loaders.bicep.cli_build import BUILD_TIMEOUT_SECONDS

CLI_FIXTURES = Path(__file__).parents[2] / "fixtures" / "cli" / "bicep"


@pytest.mark.skipif(os.name != "posix", reason="the stand-in bicep is a shell script")
@pytest.mark.parametrize("limit", [["--subprocess-timeout", "1"], "AIWELL_SUBPROCESS_TIMEOUT"])
def test_a_bicep_build_that_never_returns_is_stopped_and_not_analysed(tmp_path: Path, limit: Any) -> None:
    # A stand-in `bicep` that never finishes, with a child that holds its output open: killing the script
    # alone would leave the review waiting on the child.
    fake = tmp_path / "bin" / "bicep"
    fake.parent.mkdir()
    fake.write_text("#!/bin/sh\nsleep 3600 &\nsleep 3600\n", encoding="utf-8")
    fake.chmod(0o755)
    environment = {**os.environ, "PATH": f"{fake.parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    # The limit comes from the flag or, through the configuration cascade, from the environment.
    flags = limit if isinstance(limit, list) else []
    if isinstance(limit, str):
        environment[limit] = "1"
    command = [sys.executable, "-c", "from aiwell.cli.main import main; main()", "review",
               str(CLI_FIXTURES / "main.bicep"), "--bicep-cli", *flags, "--format", "json"]
    # The outer limit only keeps a regression from hanging the test suite; it is not a measurement.
    done = subprocess.run(command, capture_output=True, text=True, env=environment, timeout=120, check=False)
    assert done.returncode == 1, done.stderr
    (record,) = json.loads(done.stdout)["inputs"]
    assert record["status"] == "not_analysed"
    assert "did not finish in 1 s" in record["reason"]


def test_the_documented_default_limit_is_the_one_applied() -> None:
    result = CliRunner().invoke(cli, ["review", "--help"], terminal_width=200)
    assert "--subprocess-timeout" in result.output
    assert f"default {BUILD_TIMEOUT_SECONDS:g}" in " ".join(result.output.split())


@pytest.mark.parametrize("value", ["0", "-5", "soon"])
def test_a_limit_that_is_not_a_positive_number_is_a_usage_error(value: str) -> None:
    result = CliRunner().invoke(cli, ["review", str(CLI_FIXTURES), "--subprocess-timeout", value])
    assert result.exit_code == 2


def _stand_in(tmp_path: Path, script: str) -> dict[str, str]:
    fake = tmp_path / "bin" / "bicep"
    fake.parent.mkdir(exist_ok=True)
    fake.write_text(f"#!{sys.executable}\n{script}", encoding="utf-8")
    fake.chmod(0o755)
    return {**os.environ, "PATH": f"{fake.parent}{os.pathsep}{os.environ.get('PATH', '')}"}


def _inputs_reviewed_with(environment: dict[str, str]) -> list[dict[str, Any]]:
    command = [sys.executable, "-c", "from aiwell.cli.main import main; main()", "review",
               str(CLI_FIXTURES / "main.bicep"), "--bicep-cli", "--format", "json"]
    done = subprocess.run(command, capture_output=True, text=True, env=environment, timeout=120, check=False)
    inputs: list[dict[str, Any]] = json.loads(done.stdout)["inputs"]
    return inputs


@pytest.mark.skipif(os.name != "posix", reason="the stand-in bicep is an executable script")
def test_the_build_never_restores_registry_modules(tmp_path: Path) -> None:
    # A review never reaches the network: `bicep build` would download missing registry modules unless told not to.
    arguments = tmp_path / "arguments.json"
    template = {"$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
                "contentVersion": "1.0.0.0", "resources": []}
    environment = _stand_in(tmp_path, f"import json, sys\njson.dump(sys.argv[1:], open({str(arguments)!r}, 'w'))\n"
                                      f"print({json.dumps(template)!r})\n")
    (record,) = _inputs_reviewed_with(environment)
    assert record["status"] == "analysed"
    assert "--no-restore" in json.loads(arguments.read_text(encoding="utf-8"))


@pytest.mark.skipif(os.name != "posix", reason="the stand-in bicep is an executable script")
def test_a_build_that_needs_a_restore_says_so(tmp_path: Path) -> None:
    environment = _stand_in(tmp_path, "import sys\nsys.stderr.write('main.bicep(1,15) : Error BCP190: The artifact "
                                      "with reference \"br:mcr.microsoft.com/bicep/x:1.0\" has not been restored.\\n')"
                                      "\nsys.exit(1)\n")
    (record,) = _inputs_reviewed_with(environment)
    assert record["status"] == "not_analysed"
    assert "BCP190" in record["reason"] and "bicep restore" in record["reason"]
