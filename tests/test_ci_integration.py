"""The CI integration files at the repository root: the composite GitHub Action (action.yml), the Azure Pipelines
template (azure-pipelines/aiwell-review.yml) and the pre-commit hooks (.pre-commit-hooks.yaml). Each is valid
against its published schema (copies in tests/schemas/), and the scripts they run are run here as the CI would
run them (bash, the same environment variables), against the bundled example — all but `pip install`, whose
target is checked instead."""

from __future__ import annotations

import gzip
import json
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import jsonschema
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
SCHEMAS = ROOT / "tests" / "schemas"
EXAMPLE = "examples/ai-chat"
AIWELL = Path(sys.executable).with_name("aiwell")


def _schema(name: str) -> dict[str, Any]:
    path = SCHEMAS / name
    data = gzip.decompress(path.read_bytes()) if name.endswith(".gz") else path.read_bytes()
    schema: dict[str, Any] = json.loads(data)
    return schema


def _yaml(relative: str) -> Any:
    return yaml.safe_load((ROOT / relative).read_text(encoding="utf-8"))


def _errors(document: Any, schema: dict[str, Any]) -> list[str]:
    return [f"{list(error.path)}: {error.message[:200]}"
            for error in jsonschema.Draft7Validator(schema).iter_errors(document)]


def _fake_venv(folder: Path) -> None:
    """`folder/bin/aiwell` runs the aiwell under test (the CI's `pip install` is not repeated here)."""
    (folder / "bin").mkdir(parents=True)
    (folder / "bin" / "aiwell").symlink_to(AIWELL)


def _bash(script: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    clean = {key: value for key, value in os.environ.items() if not key.startswith("AIWELL_")}
    return subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script], cwd=cwd,
                          env={**clean, **env}, capture_output=True, text=True, timeout=120, check=False)


def _expanded(value: str, values: dict[str, str]) -> str:
    """`${{ name }}` expressions replaced from `values` (the CI's own expansion of inputs and parameters)."""
    def replace(match: re.Match[str]) -> str:
        expression = match.group(1).strip()
        for name, value in values.items():
            if expression == name or expression.startswith(name + " ||"):
                return value
        raise AssertionError(f"unexpected expression {expression!r}")
    return re.sub(r"\$\{\{(.*?)\}\}", replace, value)


def _env_names(steps: list[dict[str, Any]]) -> set[str]:
    return {name for step in steps for name in (step.get("env") or {})}


def test_scripts_take_inputs_from_the_environment_only() -> None:
    action = _yaml("action.yml")
    pipeline = _yaml("azure-pipelines/aiwell-review.yml")
    for step in action["runs"]["steps"]:
        assert "${{" not in step.get("run", ""), f"{step['name']}: an input spliced into the script"
    for step in pipeline["steps"]:
        assert "${{" not in step.get("bash", ""), f"{step['displayName']}: a parameter spliced into the script"
    # AIWELL_* variables are aiwell's configuration: the CI files must not set one by accident.
    assert not [name for name in _env_names(action["runs"]["steps"]) | _env_names(pipeline["steps"])
                if name.startswith("AIWELL_")]


def test_install_route_is_this_repository() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["name"] == "aiwell" and "aiwell" in project["scripts"]
    action = _yaml("action.yml")
    install = next(step for step in action["runs"]["steps"] if step["name"] == "Install aiwell")
    assert install["env"]["REVIEW_INSTALL"] == "${{ inputs.install || github.action_path }}"
    assert 'pip install --quiet "$REVIEW_INSTALL"' in install["run"]
    hooks = _yaml(".pre-commit-hooks.yaml")
    assert {hook["language"] for hook in hooks} == {"python"}


def test_github_action(tmp_path: Path) -> None:
    action = _yaml("action.yml")
    assert _errors(action, _schema("github-action.json")) == []
    inputs = {f"inputs.{name}": str(spec.get("default", "")) for name, spec in action["inputs"].items()}
    inputs["inputs.paths"] = EXAMPLE
    inputs["inputs.sarif"] = str(tmp_path / "aiwell.sarif")
    steps = {step["name"]: step for step in action["runs"]["steps"]}
    runner_temp = tmp_path / "runner"
    _fake_venv(runner_temp / "aiwell")
    output_file = tmp_path / "github_output"
    output_file.touch()
    review = steps["Review"]
    env = {name: _expanded(value, inputs) for name, value in review["env"].items()}
    done = _bash(review["run"], {**env, "RUNNER_TEMP": str(runner_temp), "GITHUB_OUTPUT": str(output_file)}, ROOT)
    assert done.returncode == 0, done.stderr
    outputs = dict(line.split("=", 1) for line in output_file.read_text().splitlines())
    assert outputs["exit-code"] == "1"
    sarif = json.loads(Path(outputs["sarif"]).read_text())
    assert sarif["version"] == "2.1.0" and sarif["runs"][0]["results"]
    assert "exit 1: " in done.stdout
    summary_file = tmp_path / "step_summary"
    summary = steps["Job summary"]
    done = _bash(summary["run"], {"REVIEW_MARKDOWN": outputs["markdown"], "GITHUB_STEP_SUMMARY": str(summary_file)},
                 ROOT)
    assert done.returncode == 0 and summary_file.read_text().startswith("## aiwell review")
    gate = steps["Gate on fail-on"]
    assert _bash(gate["run"], {"REVIEW_EXIT_CODE": outputs["exit-code"]}, ROOT).returncode == 1
    # A usage error stops at the review step, with nothing to upload.
    inputs["inputs.args"] = "--rule-set 1999.01"
    env = {name: _expanded(value, inputs) for name, value in review["env"].items()}
    done = _bash(review["run"], {**env, "RUNNER_TEMP": str(runner_temp), "GITHUB_OUTPUT": str(output_file)}, ROOT)
    assert done.returncode == 2 and "rule set '1999.01' does not exist" in done.stderr


def _azure_macros(script: str, values: dict[str, str]) -> str:
    return re.sub(r"\$\(([A-Za-z.]+)\)", lambda match: values[match.group(1)], script)


def test_azure_pipelines_template(tmp_path: Path) -> None:
    template = _yaml("azure-pipelines/aiwell-review.yml")
    assert _errors(template, _schema("azure-pipelines-service-schema.json.gz")) == []
    parameters = {f"parameters.{p['name']}": str(p.get("default", "")) for p in template["parameters"]}
    parameters["parameters.paths"] = EXAMPLE
    macros = {"Agent.TempDirectory": str(tmp_path / "agent"), "Build.ArtifactStagingDirectory": str(tmp_path / "a")}
    _fake_venv(tmp_path / "agent" / "aiwell")
    review = next(step for step in template["steps"] if step.get("displayName") == "Review with aiwell")
    env = {name: _expanded(value, parameters) for name, value in review["env"].items()}
    done = _bash(_azure_macros(review["bash"], macros), env, ROOT)
    assert done.returncode == 0, done.stderr
    assert "##vso[task.setvariable variable=aiwellExitCode]1" in done.stdout
    junit = ElementTree.parse(tmp_path / "agent" / "aiwell-junit.xml").getroot()
    assert int(junit.get("failures", "0")) > 0
    publish = next(step for step in template["steps"] if step.get("task") == "PublishTestResults@2")
    assert publish["inputs"]["testResultsFormat"] == "JUnit"
    assert _azure_macros(publish["inputs"]["testResultsFiles"], macros) == str(tmp_path / "agent" / "aiwell-junit.xml")
    assert json.loads((tmp_path / "a" / "CodeAnalysisLogs" / "aiwell.sarif").read_text())["version"] == "2.1.0"
    gate = template["steps"][-1]
    assert _bash(_azure_macros(gate["bash"], {"aiwellExitCode": "1"}), {}, ROOT).returncode == 1


def test_pre_commit_hooks(tmp_path: Path) -> None:
    hooks = _yaml(".pre-commit-hooks.yaml")
    assert _errors(hooks, _schema("pre-commit-hooks.json")) == []
    (hook,) = hooks
    pattern = re.compile(hook["files"])
    for name in ("main.bicep", "main.bicepparam", "infra/azuredeploy.json", "main.tf", "prod.tfvars",
                 ".aiwell/suppressions.yaml"):
        assert pattern.search(name), name
    assert not pattern.search("README.md")
    entry = hook["entry"].split()
    assert entry[0] == "aiwell"
    done = subprocess.run([str(AIWELL), *entry[1:], *hook["args"]], cwd=ROOT / EXAMPLE, capture_output=True,
                          text=True, timeout=120, check=False,
                          env={k: v for k, v in os.environ.items() if not k.startswith("AIWELL_")})
    assert done.returncode == 1, done.stderr
    assert done.stdout and all(re.match(r"azuredeploy\.json:\d+: [A-Z]{3}\d{3} ", line)
                               for line in done.stdout.splitlines())


@pytest.mark.parametrize("relative", ["action.yml", "azure-pipelines/aiwell-review.yml", ".pre-commit-hooks.yaml"])
def test_files_say_how_to_use_them(relative: str) -> None:
    text = (ROOT / relative).read_text(encoding="utf-8")
    assert text.startswith("# ") and "pip install aiwell" not in text
