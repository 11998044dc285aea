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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiwell.errors import ConfigError
from aiwell.model import Pillar
from aiwell.model.context import ENVIRONMENT, WORKLOAD_PURPOSE, ContextSetting, ReviewContext, canonical, known_values

SETTINGS_KEYS: Mapping[str, str] = {"environment": ENVIRONMENT, "workload_purpose": WORKLOAD_PURPOSE}
"""Configuration key → context key."""
KNOWN_KEYS = frozenset({*SETTINGS_KEYS, "rules_dir", "pillar_weights"})
"""Every key of `[tool.aiwell]` this part of aiwell reads; any other is an error."""


@dataclass(frozen=True, slots=True)
class ReviewSettings:
    """What the review reads from the settings: the workload context and the folders of custom rules."""

    context: dict[str, ContextSetting]
    rules_dirs: tuple[Path, ...]
    pillar_weights: dict[Pillar, float] = field(default_factory=dict)
    """Pillars weighed other than 1.0 (`[tool.aiwell.pillar_weights]`, each in (0, 1])."""


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


def _pillar_weights(value: object, source: str) -> dict[Pillar, float]:
    """`pillar_weights = {security = 1.0, "cost-optimization" = 0.5}`: pillars by name, each weight in (0, 1]."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ConfigError(f"{source}: pillar_weights is a table of pillar = weight",
                          hint='pillar_weights = {security = 1.0, "cost-optimization" = 0.5}')
    weights: dict[Pillar, float] = {}
    for name, weight in value.items():
        try:
            pillar = Pillar(str(name))
        except ValueError:
            raise ConfigError(f"{source}: pillar_weights names {name!r}, not one of "
                              f"{', '.join(p.value for p in Pillar)}") from None
        if isinstance(weight, bool) or not isinstance(weight, (int, float)) or not 0 < weight <= 1:
            raise ConfigError(f"{source}: pillar_weights.{name} is {weight!r}; a weight is a number above 0 and "
                              "at most 1 (the most a pillar weighs)")
        weights[pillar] = float(weight)
    return weights


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
    weights: dict[Pillar, float] = {}
    table = _tool_table(folder or Path.cwd())
    if table is not None:
        values, source = table
        unknown = sorted(set(values) - KNOWN_KEYS)
        if unknown:
            raise ConfigError(f"{source}: unknown key{'s' if len(unknown) > 1 else ''} {', '.join(unknown)}",
                              hint=f"Known keys: {', '.join(sorted(KNOWN_KEYS))}.")
        for config_key, key in SETTINGS_KEYS.items():
            if values.get(config_key) is not None:
                context[key] = _setting(key, values[config_key], f"{source} {config_key}")
        weights = _pillar_weights(values.get("pillar_weights"), source)
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
    return ReviewSettings(context, tuple(dirs), weights)


def workload_context(settings: ReviewSettings, answers_context: Mapping[str, ContextSetting] | None = None
                     ) -> ReviewContext:
    """The context a review's rules read: its settings, then the answers file's `context:` block."""
    return ReviewContext(settings=settings.context, answers=dict(answers_context or {}))


__all__ = ["SETTINGS_KEYS", "ReviewSettings", "review_settings", "workload_context"]
