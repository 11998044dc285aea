"""The facets: each turns the profiles of a run into findings.

A facet is a function of the run's `Context` that yields `Finding`s, registered with `@facet(NAME)`; modules
register on import, and `run_facets` runs them in the order of `model.FACETS`. Facets don't read data themselves:
what they need beyond the profiles they ask the engine (`Context.engine`).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from typing import Any

from msgspec import Struct, field

from aiwell.data.datasheet import Datasheet
from aiwell.data.engine import Engine, Handle
from aiwell.data.model import FACETS, Finding, Severity, Status, TableProfile
from aiwell.data.options import ProfileOptions
from aiwell.data.sources import Source


class Dataset(Struct):
    """A dataset of the run: what was asked for, what its scan found, and the engine's hold on it."""

    source: Source
    role: str
    """`data` (a PATH), `reference` (--reference) or `test` (--test)."""
    profile: TableProfile | None = None
    handle: Handle | None = None
    error: str | None = None
    datasheet: Datasheet | None = None

    @property
    def label(self) -> str:
        """The dataset's name in findings."""
        return self.source.label


class Context(Struct):
    """What the facets read."""

    datasets: list[Dataset]
    reference: Dataset | None
    test: Dataset | None
    options: ProfileOptions
    engine: Engine
    now: datetime
    drift: dict[str, list[Any]] = field(default_factory=dict)
    """Per dataset, the drift measures (`facets.drift.ColumnDrift`) the drift facet computed, for the report."""

    @property
    def readable(self) -> Iterator[tuple[Dataset, TableProfile]]:
        """The PATH datasets that were read, with their profiles."""
        for dataset in self.datasets:
            if dataset.profile is not None:
                yield dataset, dataset.profile


FacetFunction = Callable[[Context], Iterable[Finding]]
_REGISTRY: dict[str, FacetFunction] = {}
_MODULES = ("volume", "types", "origins", "sensitivity", "preparation", "freshness", "balance", "leakage", "drift")


def facet(name: str) -> Callable[[FacetFunction], FacetFunction]:
    """Register a facet function under one of `model.FACETS`."""
    if name not in FACETS:
        raise ValueError(f"unknown facet {name!r}")

    def register(function: FacetFunction) -> FacetFunction:
        _REGISTRY[name] = function
        return function

    return register


def run_facets(context: Context) -> list[Finding]:
    """Every facet's findings, facet by facet in report order."""
    for module in _MODULES:
        importlib.import_module(f"aiwell.data.facets.{module}")
    findings: list[Finding] = []
    for name in FACETS:
        findings.extend(_REGISTRY[name](context))
    return findings


class Findings:
    """A facet's findings as it builds them, with its name filled in."""

    def __init__(self, facet_name: str) -> None:
        self.facet = facet_name
        self.items: list[Finding] = []

    def add(self, check: str, dataset: str, column: str | None, status: Status, severity: Severity, message: str,
            *, value: float | None = None, approximate: bool = False) -> None:
        """Record one finding."""
        self.items.append(Finding(self.facet, check, dataset, column, status, severity, message, value=value,
                                  approximate=approximate))

    def passed(self, check: str, dataset: str, column: str | None, message: str, *, severity: Severity = Severity.LOW,
               value: float | None = None, approximate: bool = False) -> None:
        """Record a passed check."""
        self.add(check, dataset, column, Status.PASS, severity, message, value=value, approximate=approximate)

    def failed(self, check: str, dataset: str, column: str | None, severity: Severity, message: str, *,
               value: float | None = None, approximate: bool = False) -> None:
        """Record a failed check."""
        self.add(check, dataset, column, Status.FAIL, severity, message, value=value, approximate=approximate)

    def unknown(self, check: str, dataset: str, column: str | None, severity: Severity, message: str) -> None:
        """Record a check that could not be decided."""
        self.add(check, dataset, column, Status.UNKNOWN, severity, message)


def percent(share: float) -> str:
    """A share as a percentage with the precision it needs (0.04%, 3.2%, 45%)."""
    value = share * 100
    if value == 0:
        return "0%"
    if value < 0.1:
        return f"{value:.2g}%"
    if value < 10:
        return f"{value:.1f}%"
    return f"{value:.0f}%"


def count(number: int | float) -> str:
    """A count with thousands separators."""
    return f"{int(number):,}"


__all__ = ["Context", "Dataset", "Findings", "count", "facet", "percent", "run_facets"]
