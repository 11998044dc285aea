"""The options of `aiwell data profile`, as one object the runner and the facets read."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from msgspec import Struct

from aiwell.data.model import Severity


class ProfileOptions(Struct, frozen=True):
    """Everything a profile run is told; defaults are the command's defaults."""

    label: str | None = None
    time: str | None = None
    freshness: timedelta | None = None
    reference: str | None = None
    test: str | None = None
    datasheet: Path | None = None
    engine: str = "duckdb"
    segments: tuple[str, ...] = ()
    min_rows: int = 100
    min_class_rows: int = 50
    max_null_share: float = 0.05
    sample_rows: int = 10_000
    fail_on: Severity | None = Severity.HIGH
    as_of: datetime | None = None
    """The moment freshness is measured at (default: now, UTC)."""
    memory_limit: str | None = None
    ner: str | None = None
    """A spaCy model (installed package name or folder) for names and places in text; None: patterns only."""


__all__ = ["ProfileOptions"]
