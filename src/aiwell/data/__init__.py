"""`aiwell data`: readiness of training, grounding and production data.

One scan per table (DuckDB by default, Spark with `--engine spark`) profiles every column; the facets
(`volume`, `types`, `origins`, `sensitivity`, `preparation`, `freshness`, `balance`, `leakage`, `drift`) turn the
profiles into findings; the report is `aiwell.data/1` JSON (docs/data.md), terminal, Markdown or HTML.
This package never imports the review engine, and the review engine never imports it.
"""

from __future__ import annotations

from aiwell.data.model import FACETS, Finding, Severity, Status
from aiwell.data.options import ProfileOptions
from aiwell.data.report import SCHEMA, DataReport, render_json
from aiwell.data.run import profile_paths

__all__ = ["FACETS", "SCHEMA", "DataReport", "Finding", "ProfileOptions", "Severity", "Status", "profile_paths",
           "render_json"]
