"""The configuration cascade: defaults → aiwell.toml or [tool.aiwell] → AIWELL_* → flags, with where each value
came from; unknown keys and wrong kinds are errors naming the key and the file."""

from __future__ import annotations

from pathlib import Path

import pytest

from aiwell.config import KEYS, config_document, find_config_file, load_config
from aiwell.errors import ConfigError


def _repo(tmp_path: Path) -> Path:
    (tmp_path / ".git").mkdir(parents=True)
    return tmp_path


def test_cascade_and_sources(tmp_path: Path) -> None:
    root = _repo(tmp_path)
    (root / "pyproject.toml").write_text('[project]\nname = "x"\n\n[tool.aiwell]\nfail_on = "medium"\n'
                                         'rule_set = "2026.12"\nselect = ["security", "SRC*"]\n'
                                         'suppressions = "governance/suppressions.yaml"\n'
                                         'parameters = { location = "eastus2", replicas = 2 }\n', encoding="utf-8")
    nested = root / "infra" / "app"
    nested.mkdir(parents=True)
    config = load_config(cwd=nested, environ={"AIWELL_FAIL_ON": "low", "AIWELL_SEVERITY": "AIS002=low,SRC003=medium",
                                              "AIWELL_BICEP_CLI": "true", "HOME": "/x"})
    assert config.file == root / "pyproject.toml"
    assert (config["fail_on"], config.source("fail_on")) == ("low", "environment AIWELL_FAIL_ON")
    assert (config["rule_set"], config.source("rule_set")) == ("2026.12", f"{root / 'pyproject.toml'} [tool.aiwell]")
    assert config["select"] == ["security", "SRC*"]
    assert config["suppressions"] == root / "governance" / "suppressions.yaml"
    assert config["parameters"] == {"location": "eastus2", "replicas": 2}
    assert config["severity"] == {"AIS002": "low", "SRC003": "medium"}
    assert config["bicep_cli"] is True
    assert (config["ignore"], config.source("ignore")) == ([], "default")
    flagged = config.with_flags({"fail_on": ("--fail-on", "high"), "ignore": ("--ignore", ["AIS007"]),
                                 "baseline": ("--baseline", None)})
    assert (flagged["fail_on"], flagged.source("fail_on")) == ("high", "--fail-on")
    assert (flagged["ignore"], flagged.source("ignore")) == (["AIS007"], "--ignore")
    assert flagged.source("baseline") == "default"
    document = config_document(flagged)
    assert set(document["settings"]) == set(KEYS)
    assert document["settings"]["suppressions"]["value"] == str(root / "governance" / "suppressions.yaml")


def test_aiwell_toml_wins_and_search_stops_at_the_repository(tmp_path: Path) -> None:
    (tmp_path / "aiwell.toml").write_text('fail_on = "low"\n', encoding="utf-8")
    repo = _repo(tmp_path / "repo")
    (repo / "pyproject.toml").write_text('[tool.aiwell]\nfail_on = "medium"\n', encoding="utf-8")
    (repo / "aiwell.toml").write_text('fail_on = "none"\n', encoding="utf-8")
    assert find_config_file(repo) == (repo / "aiwell.toml", False)
    (repo / "aiwell.toml").unlink()
    assert load_config(cwd=repo, environ={})["fail_on"] == "medium"
    (repo / "pyproject.toml").write_text('[project]\nname = "x"\n', encoding="utf-8")
    # A pyproject.toml without [tool.aiwell] is not ours, and the search does not leave the repository.
    assert find_config_file(repo) is None
    assert load_config(cwd=repo, environ={}).source("fail_on") == "default"


@pytest.mark.parametrize(("text", "message"), [
    ('fail_on = "high"\nfial_on = "low"\n', "aiwell.toml:2: unknown key `fial_on`"),
    ('fail_on = "severe"\n', "aiwell.toml:1: `fail_on` must be one of high, medium, low, none"),
    ("select = 3\n", "aiwell.toml:1: `select` must be a list of text"),
    ('pillars = ["safety"]\n', "`pillars` has 'safety'; expected reliability"),
    ("fail_on = \n", "not valid TOML"),
    ("subprocess_timeout = 0\n", "aiwell.toml:1: `subprocess_timeout` must be a number of seconds above 0"),
    ('subprocess_timeout = "soon"\n', "`subprocess_timeout` must be a number of seconds above 0"),
])
def test_bad_file_is_an_error_naming_key_and_file(tmp_path: Path, text: str, message: str) -> None:
    root = _repo(tmp_path)
    (root / "aiwell.toml").write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(cwd=root, environ={})
    assert message in caught.value.message
    assert caught.value.message.startswith(("aiwell.toml", "configuration file aiwell.toml"))


def test_subprocess_timeout_from_file_and_environment(tmp_path: Path) -> None:
    root = _repo(tmp_path)
    (root / "aiwell.toml").write_text("subprocess_timeout = 60\n", encoding="utf-8")
    assert load_config(cwd=root, environ={})["subprocess_timeout"] == 60.0
    assert load_config(cwd=root, environ={"AIWELL_SUBPROCESS_TIMEOUT": "2.5"})["subprocess_timeout"] == 2.5
    with pytest.raises(ConfigError, match="AIWELL_SUBPROCESS_TIMEOUT: `subprocess_timeout` must be a number"):
        load_config(cwd=root, environ={"AIWELL_SUBPROCESS_TIMEOUT": "soon"})


def test_unknown_environment_key_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="environment AIWELL_FAILON: unknown key `failon`"):
        load_config(cwd=_repo(tmp_path), environ={"AIWELL_FAILON": "low"})
    # Variables aiwell eval sets for its targets are not configuration.
    assert load_config(cwd=tmp_path, environ={"AIWELL_CASE_ID": "c1"}).source("fail_on") == "default"


def test_explicit_file_and_pyproject_table(tmp_path: Path) -> None:
    root = _repo(tmp_path)
    other = root / "ci" / "pyproject.toml"
    other.parent.mkdir()
    other.write_text('[tool.aiwell]\nunknown = 1\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"pyproject.toml:2: unknown key `unknown` in \[tool.aiwell\]"):
        load_config(cwd=root, file=other, environ={})
    with pytest.raises(ConfigError, match="no such file"):
        load_config(cwd=root, environ={"AIWELL_CONFIG": str(root / "missing.toml")})
