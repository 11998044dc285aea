"""The review settings this part of aiwell reads: the context keys (`environment`, `workload_purpose`) and the
folders of a team's own rules (`rules_dir`).

Sources, later ones winning: `[tool.aiwell]` in `pyproject.toml` or `aiwell.toml` in the current folder, the
`AIWELL_ENVIRONMENT`, `AIWELL_WORKLOAD_PURPOSE` and `AIWELL_RULES_DIR` environment variables, and the command's
flags. This is the one place they are read; it gives way to the configuration cascade (`aiwell.config`) when that
exists, behind the same `review_settings` function.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiwell.errors import ConfigError
from aiwell.model.context import ENVIRONMENT, WORKLOAD_PURPOSE, ContextSetting, ReviewContext, canonical, known_values

SETTINGS_KEYS: Mapping[str, str] = {"environment": ENVIRONMENT, "workload_purpose": WORKLOAD_PURPOSE}
"""Configuration key → context key."""


@dataclass(frozen=True, slots=True)
class ReviewSettings:
    """What the review reads from the settings: the workload context and the folders of custom rules."""

    context: dict[str, ContextSetting]
    rules_dirs: tuple[Path, ...]


def _tool_table(folder: Path) -> tuple[dict[str, Any], str] | None:
    for name, table in (("aiwell.toml", None), ("pyproject.toml", ("tool", "aiwell"))):
        path = folder / name
        if not path.is_file():
            continue
        try:
            document: Any = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"{path}: can't read the configuration: {exc}") from None
        if table is not None:
            for key in table:
                document = document.get(key) if isinstance(document, dict) else None
            if document is None:
                continue
        if not isinstance(document, dict):
            raise ConfigError(f"{path}: [tool.aiwell] must be a table")
        return document, f"{path} [tool.aiwell]" if table else str(path)
    return None


def _setting(key: str, value: object, source: str) -> ContextSetting:
    text = str(value)
    found = canonical(key, text)
    if found is None:
        spellings = "prod, dev, uat, ..." if key == ENVIRONMENT else "inference, train, batch, ..."
        raise ConfigError(f"{source}: {key} {text!r} is not one of {', '.join(known_values(key))} (or their usual "
                          f"spellings: {spellings})")
    return ContextSetting(found, source)


def review_settings(*, flags: Mapping[str, str | None], rules_dirs: Sequence[Path] = (),
                    folder: Path | None = None, environ: Mapping[str, str] | None = None) -> ReviewSettings:
    """The settings of a review: config file, then `AIWELL_*` variables, then `flags` (keyed by context key)."""
    environ = os.environ if environ is None else environ
    context: dict[str, ContextSetting] = {}
    dirs: list[Path] = []
    table = _tool_table(folder or Path.cwd())
    if table is not None:
        values, source = table
        unknown = sorted(set(values) - {*SETTINGS_KEYS, "rules_dir"})
        if unknown:
            raise ConfigError(f"{source}: unknown key{'s' if len(unknown) > 1 else ''} {', '.join(unknown)}",
                              hint=f"Known keys: {', '.join(sorted({*SETTINGS_KEYS, 'rules_dir'}))}.")
        for config_key, key in SETTINGS_KEYS.items():
            if values.get(config_key) is not None:
                context[key] = _setting(key, values[config_key], f"{source} {config_key}")
        configured = values.get("rules_dir")
        if configured is not None:
            items = configured if isinstance(configured, list) else [configured]
            base = Path(source.split(" ")[0]).parent
            dirs += [base / str(item) for item in items]
    for config_key, key in SETTINGS_KEYS.items():
        variable = f"AIWELL_{config_key.upper()}"
        if environ.get(variable):
            context[key] = _setting(key, environ[variable], variable)
    if environ.get("AIWELL_RULES_DIR"):
        dirs = [Path(item) for item in environ["AIWELL_RULES_DIR"].split(os.pathsep) if item]
    for key, value in flags.items():
        if value:
            context[key] = _setting(key, value, f"--{key}")
    if rules_dirs:
        dirs = list(rules_dirs)
    return ReviewSettings(context, tuple(dirs))


def workload_context(settings: ReviewSettings, answers_context: Mapping[str, ContextSetting] | None = None
                     ) -> ReviewContext:
    """The context a review's rules read: its settings, then the answers file's `context:` block."""
    return ReviewContext(settings=settings.context, answers=dict(answers_context or {}))


__all__ = ["SETTINGS_KEYS", "ReviewSettings", "review_settings", "workload_context"]
