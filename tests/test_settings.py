"""Review settings: `[tool.aiwell]` (pyproject.toml or aiwell.toml), then `AIWELL_*` variables, then flags."""

from __future__ import annotations

from pathlib import Path

import pytest

from aiwell.cli.settings import review_settings
from aiwell.errors import ConfigError
from aiwell.model import Pillar


def test_flags_beat_environment_variables_beat_the_configuration(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.aiwell]\nenvironment = "prod"\nworkload_purpose = "training"\nrules_dir = ["org-rules"]\n',
        encoding="utf-8")
    configured = review_settings(flags={}, folder=tmp_path, environ={})
    assert configured.context["environment"].value == "production"
    assert "pyproject.toml [tool.aiwell] environment" in configured.context["environment"].source
    assert configured.context["workload-purpose"].value == "training"
    # Paths in the file are relative to its folder, written as seen from the folder the run starts in.
    assert configured.rules_dirs == (Path("org-rules"),)

    environ = {"AIWELL_ENVIRONMENT": "dev", "AIWELL_RULES_DIR": "a:b"}
    from_environment = review_settings(flags={}, folder=tmp_path, environ=environ)
    assert from_environment.context["environment"].value == "development"
    assert from_environment.context["environment"].source == "environment AIWELL_ENVIRONMENT environment"
    assert from_environment.rules_dirs == (Path("a"), Path("b"))

    flagged = review_settings(flags={"environment": "uat"}, rules_dirs=[Path("c")], folder=tmp_path,
                              environ=environ)
    assert flagged.context["environment"].value == "staging"
    assert flagged.context["environment"].source == "--environment"
    assert flagged.context["workload-purpose"].value == "training"   # still from the configuration
    assert flagged.rules_dirs == (Path("c"),)


def test_aiwell_toml_is_read_as_the_table_itself(tmp_path: Path) -> None:
    (tmp_path / "aiwell.toml").write_text('environment = "sandbox"\n', encoding="utf-8")
    assert review_settings(flags={}, folder=tmp_path, environ={}).context["environment"].value == "sandbox"


@pytest.mark.parametrize(("text", "message"), [
    ('[tool.aiwell]\nenvironment = "moon"\n', "environment 'moon' is not one of"),
    ('[tool.aiwell]\nenviroment = "prod"\n', "unknown key `enviroment`"),
    ("[tool.aiwell]\nenvironment = \n", "not valid TOML"),
    ('[tool.aiwell]\npillar_weights = {security = 1.5}\n', "pillar_weights.security is 1.5"),
    ('[tool.aiwell]\npillar_weights = {safety = 0.5}\n', "pillar_weights names 'safety'"),
    ('[tool.aiwell]\npillar_weights = 0.5\n', "`pillar_weights` must be a table"),
])
def test_a_bad_configuration_is_an_error_naming_the_file(tmp_path: Path, text: str, message: str) -> None:
    (tmp_path / "pyproject.toml").write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match="pyproject.toml") as raised:
        review_settings(flags={}, folder=tmp_path, environ={})
    assert message in str(raised.value)


def test_a_bad_flag_value_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="--workload-purpose: workload-purpose 'gaming' is not one of .*train"):
        review_settings(flags={"workload-purpose": "gaming"}, folder=tmp_path, environ={})


def _wkl002(capsys: pytest.CaptureFixture[str], *args: str) -> list[str]:
    import json

    from aiwell.cli.main import main

    with pytest.raises(SystemExit):
        main(["review", str(Path(__file__).resolve().parent.parent / "examples" / "ai-chat"), "--format", "json",
              *args])
    results = json.loads(capsys.readouterr().out)["results"]
    return [result["status"] for result in results if result["rule_id"] == "WKL002"]


def test_the_review_reads_the_context_from_flags_and_the_answers_file(
        capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)   # no configuration file around
    assert _wkl002(capsys) == ["unknown"]                              # nothing says the environment
    assert _wkl002(capsys, "--environment", "prod") == ["pass"]        # production: its deployments are Global
    assert _wkl002(capsys, "--environment", "dev") == []               # not production: not applicable
    answers = tmp_path / "answers.yaml"
    answers.write_text("schema: aiwell.answers/1\ncontext:\n  environment: prod\n", encoding="utf-8")
    assert _wkl002(capsys, "--answers", str(answers)) == ["pass"]
    assert _wkl002(capsys, "--answers", str(answers), "--environment", "sandbox") == []   # the flag wins
    (tmp_path / "aiwell.toml").write_text('environment = "production"\n', encoding="utf-8")
    assert _wkl002(capsys) == ["pass"]


def test_pillar_weights_from_the_configuration(tmp_path: Path) -> None:
    (tmp_path / "aiwell.toml").write_text('pillar_weights = {"cost-optimization" = 0.5, security = 1}\n',
                                          encoding="utf-8")
    settings = review_settings(flags={}, folder=tmp_path, environ={})
    assert settings.pillar_weights == {Pillar.COST_OPTIMIZATION: 0.5, Pillar.SECURITY: 1.0}


def test_pillar_weights_change_result_weights_and_the_order_of_top_actions(
        capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import json

    from cli_run import run_cli

    monkeypatch.chdir(tmp_path)
    example = str(Path(__file__).resolve().parent.parent / "examples" / "ai-chat")
    _, out, _ = run_cli(capsys, "review", example, "--format", "json", "--top", "50")
    plain = json.loads(out)
    (tmp_path / "aiwell.toml").write_text('pillar_weights = {security = 0.25}\n', encoding="utf-8")
    _, out, _ = run_cli(capsys, "review", example, "--format", "json", "--top", "50")
    weighed = json.loads(out)
    weights = {r["rule_id"]: r["weight"] for r in weighed["results"]}
    assert weights["AIS002"] == 25            # high (100) × security 0.25
    assert weights["SRC003"] == 100           # high, reliability: unchanged
    assert {r["rule_id"]: r["weight"] for r in plain["results"]}["AIS002"] == 100
    order = [a["rule_id"] for a in weighed["top_actions"]]
    assert order.index("SRC003") < order.index("AIS002")   # among the high actions, security now comes last
    assert [a["rule_id"] for a in plain["top_actions"]].index("AIS002") < [
        a["rule_id"] for a in plain["top_actions"]].index("SRC003")
