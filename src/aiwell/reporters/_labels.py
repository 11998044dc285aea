"""How every reporter names pillars and design areas and writes scores."""

from __future__ import annotations

from aiwell.model import DesignArea, Pillar

_AREA_TITLES = {DesignArea.MLOPS_LLMOPS: "MLOps / LLMOps", DesignArea.RESPONSIBLE_AI: "Responsible AI"}
"""Design areas whose title is not their name capitalised."""


def pillar_title(pillar: Pillar) -> str:
    """`Cost optimization` for `cost-optimization`."""
    return pillar.value.replace("-", " ").capitalize()


def area_title(area: DesignArea) -> str:
    """`Data platform` for `data-platform`, `MLOps / LLMOps` for `mlops-llmops`."""
    return _AREA_TITLES.get(area, area.value.replace("-", " ").capitalize())


def number(value: float | None, suffix: str = "") -> str:
    """A score or percentage with one decimal, or `—` when there is none."""
    return "—" if value is None else f"{value:.1f}{suffix}"


__all__ = ["area_title", "number", "pillar_title"]
