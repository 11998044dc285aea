"""Reporters: turn a `Report` into output. Each is a pure function of the report."""

from aiwell.reporters.json import SCHEMA_ID, SCHEMA_PATH, render_json, render_json_bytes, report_document
from aiwell.reporters.terminal import render_terminal

__all__ = ["SCHEMA_ID", "SCHEMA_PATH", "render_json", "render_json_bytes", "render_terminal", "report_document"]
