"""`aiwell data`: readiness of training, grounding and production data.

One scan per table (DuckDB by default, Spark with `--engine spark`) profiles every column; the facets
(`volume`, `types`, `origins`, `sensitivity`, `preparation`, `freshness`, `balance`, `leakage`, `drift`) turn the
profiles into findings; the report is `aiwell.data/1` JSON (docs/data.md), terminal, Markdown or HTML.
This package never imports the review engine, and the review engine never imports it.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from aiwell.data.model import FACETS, Finding, Severity, Status
    from aiwell.data.options import ProfileOptions
    from aiwell.data.report import SCHEMA, DataReport, render_json
    from aiwell.data.run import profile_paths

_EXPORTS = {"FACETS": "model", "Finding": "model", "Severity": "model", "Status": "model",
            "ProfileOptions": "options", "SCHEMA": "report", "DataReport": "report", "render_json": "report",
            "profile_paths": "run"}
"""Imported when first used, so `aiwell data --help` (which imports `aiwell.data.cli`) loads none of DuckDB,
Arrow, PyYAML or numpy."""


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'aiwell.data' has no attribute {name!r}")
    return getattr(importlib.import_module(f"aiwell.data.{module}"), name)

__all__ = ["FACETS", "SCHEMA", "DataReport", "Finding", "ProfileOptions", "Severity", "Status", "profile_paths",
           "render_json"]
