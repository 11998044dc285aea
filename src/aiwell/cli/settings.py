"""The review settings the Well-Architected review reads: the context keys (`environment`, `workload_purpose`),
the folders of a team's own rules (`rules_dir`) and the pillar weights (`pillar_weights`).

They come from the configuration cascade (`aiwell.config`: `[tool.aiwell]` in `pyproject.toml` or `aiwell.toml`,
then `AIWELL_ENVIRONMENT`, `AIWELL_WORKLOAD_PURPOSE`, `AIWELL_RULES_DIR`, ... variables), then the command's flags;
here they are checked for what they mean (a known environment, weights in (0, 1]).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from msgspec import Struct, field

from aiwell.errors import ConfigError
from aiwell.model import Pillar
from aiwell.model.context import ENVIRONMENT, WORKLOAD_PURPOSE, ContextSetting, ReviewContext, canonical, known_values

if TYPE_CHECKING:
    from aiwell.config import Config

SETTINGS_KEYS: Mapping[str, str] = {"environment": ENVIRONMENT, "workload_purpose": WORKLOAD_PURPOSE}
"""Configuration key → context key."""


class ReviewSettings(Struct, frozen=True):
    """What the review reads from the settings: the workload context and the folders of custom rules."""

    context: dict[str, ContextSetting]
    rules_dirs: tuple[Path, ...]
    pillar_weights: dict[Pillar, float] = field(default_factory=dict)
    """Pillars weighed other than 1.0 (`[tool.aiwell.pillar_weights]`, each in (0, 1])."""


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
                    folder: Path | None = None, environ: Mapping[str, str] | None = None,
                    config: Config | None = None) -> ReviewSettings:
    """The settings of a review from the configuration cascade (`aiwell.config`: the file found from `folder`,
    then `AIWELL_*` variables; or `config`, the one the command already read, from its `--config` file), then
    `flags` (keyed by context key) and `rules_dirs`."""
    from aiwell.config import load_config

    if config is None:
        config = load_config(cwd=folder, environ=environ)
    context: dict[str, ContextSetting] = {}
    for config_key, key in SETTINGS_KEYS.items():
        if config[config_key] is not None:
            context[key] = _setting(key, config[config_key], f"{config.source(config_key)} {config_key}")
    for key, value in flags.items():
        if value:
            context[key] = _setting(key, value, f"--{key}")
    weights = _pillar_weights(config["pillar_weights"] or None, config.source("pillar_weights"))
    dirs = list(rules_dirs) or list(config["rules_dir"])
    return ReviewSettings(context, tuple(dirs), weights)


def workload_context(settings: ReviewSettings, answers_context: Mapping[str, ContextSetting] | None = None
                     ) -> ReviewContext:
    """The context a review's rules read: its settings, then the answers file's `context:` block."""
    return ReviewContext(settings=settings.context, answers=dict(answers_context or {}))


__all__ = ["SETTINGS_KEYS", "ReviewSettings", "review_settings", "workload_context"]
