"""Reporters: turn a `Report` into output. Each is a pure function of the report.

Text from the input is made inert for each format (`reporters._text`); `render_html`, `render_junit`,
`render_markdown`, `render_sarif` and `render_terminal` are imported on first use, so the JSON path pays for none of
them (nor for rich).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiwell.reporters.json import (
    SCHEMA_ID,
    SCHEMA_PATH,
    iter_json_bytes,
    render_json,
    render_json_bytes,
    report_document,
)

if TYPE_CHECKING:
    from aiwell.reporters.html import render_html
    from aiwell.reporters.junit import render_junit
    from aiwell.reporters.markdown import render_markdown
    from aiwell.reporters.sarif import render_sarif
    from aiwell.reporters.terminal import render_terminal

_LAZY = {"render_html": "aiwell.reporters.html", "render_junit": "aiwell.reporters.junit",
         "render_markdown": "aiwell.reporters.markdown", "render_sarif": "aiwell.reporters.sarif",
         "render_terminal": "aiwell.reporters.terminal"}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)


__all__ = [
    "SCHEMA_ID",
    "SCHEMA_PATH",
    "iter_json_bytes",
    "render_html",
    "render_json",
    "render_json_bytes",
    "render_junit",
    "render_markdown",
    "render_sarif",
    "render_terminal",
    "report_document",
]
