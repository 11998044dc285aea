"""Configuration: defaults → `[tool.aiwell]` in `pyproject.toml` or `aiwell.toml` → `AIWELL_*` environment → flags.

The file is the nearest `aiwell.toml`, or `pyproject.toml` holding a `[tool.aiwell]` table, in the current
directory or above it, up to the root of the repository (the folder holding `.git`); `aiwell.toml` wins when both
sit in one folder. `--config FILE` (or `AIWELL_CONFIG`) names one instead. Paths in a file are relative to the
file's folder. Every key can be set in the environment as `AIWELL_<KEY>` (`AIWELL_FAIL_ON=medium`): lists are
comma-separated (`AIWELL_SELECT=security,AIS*`), tables `NAME=VALUE` pairs (`AIWELL_SEVERITY=AIS002=low,SRC003=
medium`) or a JSON object. An unknown key, in the file or the environment, is an error naming it and where it
is; so is a value of the wrong kind.

`aiwell config` prints the effective configuration and where each value came from.

Keys (see `KEYS` for each one's kind and default):

    fail_on = "high"                # high, medium, low or none
    allow_unknown = false           # true: results not decided (unknown) pass the gate
    allow_nothing_checked = false   # true: a review in which no rule applies to any resource passes the gate
    rule_set = "2026.12"            # the catalog version to gate on (default: latest)
    select = ["security", "AIS*"]   # rules by id, name, glob, pillar, design area or severity (default: all)
    ignore = ["AIS007"]             # same selectors, taken out after select
    severity = { AIS002 = "medium" }  # severity overrides by rule id or name
    pillars = ["security"]          # review only these pillars
    environment = "prod"            # the environment under review (shown in reports; rules may read it)
    azd_env = "prod"                # the azd environment whose .env values fill ${NAME} placeholders
    workload_purpose = "serving"    # what the workload is for (serving, training, batch-scoring, exploration)
    rules_dir = ["rules"]           # folders of a team's own rules
    pillar_weights = { "cost-optimization" = 0.5 }  # how much each pillar weighs (each in (0, 1])
    parameters = { location = "eastus2" }  # values for template parameters nothing else sets
    skip_paths = ["**/bin/**"]      # inputs not to read
    suppressions = ".aiwell/suppressions.yaml"
    baseline = ".aiwell/baseline.json"
    history = ".aiwell/history.db"
    outputs = ["sarif=out/aiwell.sarif", "terminal"]
    subscription_id, resource_group, location  # the deployment context
    bicep_cli = false
    subprocess_timeout = 300        # seconds one external command (bicep build) may run
    var_files = ["env/prod.tfvars"]; variables = { region = "eastus2" }   # Terraform
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from msgspec import Struct

from aiwell.errors import ConfigError

CONFIG_ENV = "AIWELL_CONFIG"
"""Names the configuration file, as `--config` does."""
_NOT_CONFIG_ENV = frozenset({CONFIG_ENV, "AIWELL_CASE_ID", "AIWELL_REPEAT"})
"""`AIWELL_*` variables that are not configuration keys (`aiwell eval` sets the last two for the targets it runs)."""

FAIL_ON = ("high", "medium", "low", "none")
_PILLARS = ("reliability", "security", "cost-optimization", "operational-excellence", "performance-efficiency")
_SEVERITIES = ("high", "medium", "low")


class Key(Struct, frozen=True):
    """One configuration key: its kind, default and one line of help."""

    kind: str
    """`text`, `choice`, `bool`, `seconds` (a positive number), `list`, `table`, `path`, `paths` (list of paths)
    or `values` (table of any value)."""
    default: Any
    help: str
    choices: tuple[str, ...] = ()


KEYS: dict[str, Key] = {
    "fail_on": Key("choice", "high", "exit 1 when a failure at or above this severity is found", FAIL_ON),
    "allow_unknown": Key("bool", False, "let results that could not be decided (unknown) pass the gate"),
    "allow_nothing_checked": Key("bool", False, "let a review in which no rule applies to any resource pass the gate"),
    "rule_set": Key("text", "latest", "the catalog version to run and gate on (latest, or a rule set: 2026.12)"),
    "select": Key("list", [], "rules to run: ids, names, globs, pillars, design areas or severities (empty: all)"),
    "ignore": Key("list", [], "rules not to run, with the same selectors"),
    "severity": Key("table", {}, "severity overrides: rule id or name = high, medium or low"),
    "pillars": Key("list", [], "review only these pillars", _PILLARS),
    "environment": Key("text", None, "the environment under review (dev, test, prod, ...)"),
    "azd_env": Key("text", None, "the azd environment whose values (.azure/NAME/.env beside azure.yaml) fill the "
                                 "parameter files' ${NAME} placeholders"),
    "workload_purpose": Key("text", None, "what the workload is for (serving, training, batch-scoring, "
                                          "exploration)"),
    "rules_dir": Key("paths", [], "folders of your own YAML rules to run with the catalog"),
    "pillar_weights": Key("values", {}, "how much each pillar weighs in results' weight and the top actions' "
                                        "order (each in (0, 1])"),
    "parameters": Key("values", {}, "values for template parameters that neither a parameter file nor a default "
                                    "sets"),
    "skip_paths": Key("list", [], "globs of inputs not to read (compiled bin/ output beside Bicep sources)"),
    "suppressions": Key("path", None, "the suppressions file (default: .aiwell/suppressions.yaml in the "
                                      "repository)"),
    "baseline": Key("path", None, "the findings baseline: gate only on failures not in it"),
    "history": Key("path", None, "the SQLite history to record each run in"),
    "outputs": Key("list", [], "reports to write: FORMAT or FORMAT=PATH (terminal, json, sarif, junit, markdown, "
                               "html)"),
    "subscription_id": Key("text", None, "subscription id used for resource ids"),
    "resource_group": Key("text", None, "resource group name used for resource ids"),
    "location": Key("text", None, "value of resourceGroup().location"),
    "bicep_cli": Key("bool", False, "compile Bicep with the bicep CLI"),
    "subprocess_timeout": Key("seconds", None, "longest time one external command (bicep build) may run; "
                                               "default 300"),
    "var_files": Key("paths", [], "Terraform variable files for every root module"),
    "variables": Key("table", {}, "Terraform variable values"),
}


class Setting(Struct, frozen=True):
    """A configuration value and where it came from: `default`, a file, `environment AIWELL_X` or a flag."""

    value: Any
    source: str


class Config(Struct, frozen=True):
    """The effective configuration: every key of `KEYS`, each with its source."""

    settings: Mapping[str, Setting]
    file: Path | None = None
    """The configuration file read, if any."""

    def __getitem__(self, key: str) -> Any:
        return self.settings[key].value

    def source(self, key: str) -> str:
        """Where the value of `key` came from."""
        return self.settings[key].source

    def with_flags(self, flags: Mapping[str, tuple[str, Any]]) -> Config:
        """This configuration with command-line values on top: key → (flag name, value); None values are flags
        not given. Flag values are checked as file values are; a table's entries are merged, entry by entry."""
        settings = dict(self.settings)
        for key, (flag, value) in flags.items():
            if value is None or value == () or value == []:
                continue
            checked = _checked(key, value, flag, base=Path())
            earlier = settings[key]
            if KEYS[key].kind in ("table", "values") and earlier.value:
                # Tables merge: a flag sets some entries and keeps the others.
                settings[key] = Setting({**earlier.value, **checked}, f"{earlier.source} + {flag}")
            else:
                settings[key] = Setting(checked, flag)
        return Config(settings, self.file)


def _line_of(text: str, key: str) -> str:
    match = re.search(rf"^\s*{re.escape(key)}\s*=", text, re.MULTILINE)
    return f":{text.count(chr(10), 0, match.start()) + 1}" if match else ""


def _checked(key: str, value: Any, where: str, *, base: Path) -> Any:
    """`value` for `key`, checked against its kind; paths made relative to `base`."""
    spec = KEYS[key]

    def wrong(expected: str) -> ConfigError:
        return ConfigError(f"{where}: `{key}` must be {expected}, not {value!r}")

    if spec.kind in ("text", "choice"):
        if not isinstance(value, str) or not value.strip():
            raise wrong("text")
        value = value.strip()
        if spec.kind == "choice" and value.lower() not in spec.choices:
            raise wrong("one of " + ", ".join(spec.choices))
        return value.lower() if spec.kind == "choice" else value
    if spec.kind == "bool":
        if not isinstance(value, bool):
            raise wrong("true or false")
        return value
    if spec.kind == "seconds":
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value < float("inf"):
            raise wrong("a number of seconds above 0")
        return float(value)
    if spec.kind == "path":
        if not isinstance(value, str | Path) or not str(value).strip():
            raise wrong("a path")
        return base / Path(value)
    if spec.kind in ("list", "paths"):
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list | tuple) or not all(isinstance(item, str | Path) and str(item).strip()
                                                          for item in value):
            raise wrong("a list of text")
        items = [str(item).strip() for item in value]
        if spec.choices:
            for item in items:
                if item.lower() not in spec.choices:
                    raise ConfigError(f"{where}: `{key}` has {item!r}; expected {', '.join(spec.choices)}")
            items = [item.lower() for item in items]
        return [base / Path(item) for item in items] if spec.kind == "paths" else items
    if spec.kind in ("table", "values"):
        if not isinstance(value, Mapping):
            raise wrong("a table (NAME = VALUE)")
        if spec.kind == "table" and not all(isinstance(item, str | int | float) and not isinstance(item, bool)
                                            for item in value.values()):
            raise wrong("a table of text values")
        return {str(name): (str(item) if spec.kind == "table" else item) for name, item in value.items()}
    raise AssertionError(spec.kind)


def _shown(folder: Path, cwd: Path) -> Path:
    """A folder as paths under it are best shown: relative to the working directory when inside it."""
    try:
        return folder.resolve().relative_to(cwd.resolve())
    except ValueError:
        return folder


def find_config_file(start: Path) -> tuple[Path, bool] | None:
    """The configuration file for a run started in `start`: (path, whether it is a pyproject.toml), or None."""
    folder = start.resolve()
    for candidate in (folder, *folder.parents):
        own = candidate / "aiwell.toml"
        if own.is_file():
            return own, False
        pyproject = candidate / "pyproject.toml"
        if pyproject.is_file() and _has_tool_table(pyproject):
            return pyproject, True
        if (candidate / ".git").exists():
            return None
    return None


def _has_tool_table(path: Path) -> bool:
    import tomllib  # only where there is a file to read (most runs have none)

    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        # A broken pyproject.toml is ours to report only when it holds our table.
        return "[tool.aiwell]" in text
    tool = document.get("tool")
    return isinstance(tool, dict) and "aiwell" in tool


def _read_file(path: Path, pyproject: bool, shown: Path) -> tuple[dict[str, Any], str]:
    import tomllib

    try:
        text = path.read_text(encoding="utf-8")
        document = tomllib.loads(text)
    except FileNotFoundError:
        raise ConfigError(f"configuration file {shown}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"configuration file {shown}: cannot read it: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"configuration file {shown}: not valid TOML: {exc}") from None
    if pyproject:
        table = document.get("tool", {}).get("aiwell", {})
        if not isinstance(table, dict):
            raise ConfigError(f"{shown}: [tool.aiwell] must be a table")
        return table, text
    return document, text


def _environment_value(key: str, text: str, name: str) -> Any:
    kind = KEYS[key].kind
    if kind == "bool":
        lowered = text.strip().lower()
        if lowered in ("1", "true", "yes", "on"):
            return True
        if lowered in ("0", "false", "no", "off", ""):
            return False
        raise ConfigError(f"environment {name}: `{key}` must be true or false, not {text!r}")
    if kind == "seconds":
        try:
            return float(text)
        except ValueError:
            raise ConfigError(f"environment {name}: `{key}` must be a number of seconds, not {text!r}") from None
    if kind == "paths":
        # Folders as PATH lists them (os.pathsep) or comma-separated.
        return [item.strip() for part in text.split(os.pathsep) for item in part.split(",") if item.strip()]
    if kind == "list":
        return [item.strip() for item in text.split(",") if item.strip()]
    if kind in ("table", "values"):
        if text.strip().startswith("{"):
            try:
                parsed = json.loads(text)
            except json.JSONDecodeError as exc:
                raise ConfigError(f"environment {name}: not a JSON object: {exc}") from None
            return parsed
        table: dict[str, str] = {}
        for pair in (item for item in text.split(",") if item.strip()):
            key_name, equals, value = pair.partition("=")
            if not equals or not key_name.strip():
                raise ConfigError(f"environment {name}: expected NAME=VALUE pairs separated by commas, not {pair!r}")
            table[key_name.strip()] = value.strip()
        return table
    return text


def load_config(*, cwd: Path | None = None, file: Path | None = None,
                environ: Mapping[str, str] | None = None) -> Config:
    """The configuration for a run in `cwd` (default: the current directory), before flags.

    `file` (or `AIWELL_CONFIG`) names the configuration file; otherwise it is looked for (module docstring).
    """
    here = cwd or Path.cwd()
    environ = os.environ if environ is None else environ
    settings = {key: Setting(spec.default, "default") for key, spec in KEYS.items()}
    named = file or (Path(environ[CONFIG_ENV]) if environ.get(CONFIG_ENV) else None)
    found = (named, named.name == "pyproject.toml") if named is not None else find_config_file(here)
    config_file: Path | None = None
    if found is not None:
        config_file, pyproject = found
        shown = _shown(config_file.parent, here) / config_file.name
        values, text = _read_file(config_file, pyproject, shown)
        label = f"{shown} [tool.aiwell]" if pyproject else str(shown)
        for key, value in values.items():
            where = f"{shown}{_line_of(text, key)}"
            if key not in KEYS:
                raise ConfigError(f"{where}: unknown key `{key}`" + (" in [tool.aiwell]" if pyproject else ""),
                                  hint="`aiwell config` lists the keys: " + ", ".join(KEYS))
            settings[key] = Setting(_checked(key, value, where, base=_shown(config_file.parent, here)), label)
    for name, text in sorted(environ.items()):
        if not name.startswith("AIWELL_") or name in _NOT_CONFIG_ENV:
            continue
        key = name.removeprefix("AIWELL_").lower()
        if key not in KEYS:
            raise ConfigError(f"environment {name}: unknown key `{key}`",
                              hint="the AIWELL_ variables are the configuration keys in capitals: "
                                   + ", ".join(f"AIWELL_{k.upper()}" for k in KEYS))
        where = f"environment {name}"
        settings[key] = Setting(_checked(key, _environment_value(key, text, name), where, base=Path()), where)
    return Config(settings, config_file)


def render_config(config: Config, *, formatter: Callable[[Any], str] | None = None) -> list[tuple[str, str, str]]:
    """Rows of (key, value, source) for `aiwell config`."""
    show = formatter or _show
    return [(key, show(config[key]), config.source(key)) for key in KEYS]


def _show(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, list):
        return "[" + ", ".join(_show(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{name} = {json.dumps(item)}" for name, item in value.items()) + "}"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def config_document(config: Config) -> dict[str, Any]:
    """The effective configuration as JSON-ready data: key → {value, source}."""
    def plain(value: Any) -> Any:
        if isinstance(value, Path):
            return str(value)
        if isinstance(value, list):
            return [plain(item) for item in value]
        return value

    return {"file": str(config.file) if config.file else None,
            "settings": {key: {"value": plain(config[key]), "source": config.source(key)} for key in KEYS}}


__all__ = ["CONFIG_ENV", "FAIL_ON", "KEYS", "Config", "Key", "Setting", "config_document", "find_config_file",
           "load_config", "render_config"]
