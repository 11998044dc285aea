"""Datasheets: where a dataset comes from and what it may be used for (after Gebru et al., "Datasheets for
Datasets", 2021). `aiwell data init` writes the template; the `origins` facet checks a filled-in one.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import yaml
from msgspec import Struct

from aiwell.errors import UsageError

SCHEMA = "aiwell.datasheet/1"
REQUIRED = ("source", "owner", "licence", "collection_period", "consent", "intended_use")
"""The fields the WAF's "origins" question needs answered."""
CONSENT_NOT_NEEDED = ("not-applicable", "not applicable", "n/a", "none-needed")
_PLACEHOLDERS = {"", "todo", "tbd", "tba", "?", "unknown", "n/k", "fixme", "xxx"}
FILE_NAMES = ("datasheet.yaml", "datasheet.yml", "DATASHEET.yaml", "DATASHEET.yml")

TEMPLATE = f"""\
# A datasheet for one dataset: where it comes from and what it may be used for.
# `aiwell data profile PATH --datasheet THIS_FILE` checks that every field below is filled in
# (a file named datasheet.yaml in the dataset's folder, or NAME.datasheet.yaml beside a file, is found
# without the option). After Gebru et al., "Datasheets for Datasets" (2021).
schema: {SCHEMA}
name: ""              # what the dataset is called
description: ""       # what one row (or document) is, and what the dataset covers
source: ""            # where the data comes from: the system, vendor or public dataset (with its URL), and how
                      # it was collected
owner: ""             # the person or team accountable for it (who to ask, who approves new uses)
licence: ""           # an SPDX identifier (CC-BY-4.0, MIT, ...), "proprietary", or the terms of use
collection_period:
  start: ""           # YYYY-MM-DD
  end: ""             # YYYY-MM-DD, or "ongoing"
consent: ""           # the legal basis for using the people in the data this way: consent, contract,
                      # legitimate-interest, legal-obligation, ... or not-applicable when there are none
intended_use: ""      # what the data is for (training, grounding, evaluation) and what it must not be used for
personal_data: ""     # optional: which categories of personal data it holds, and how they are protected
retention: ""         # optional: how long it is kept and when it is deleted
"""


class Datasheet(Struct, frozen=True):
    """A datasheet as read from its file."""

    path: Path
    fields: dict[str, Any]

    def missing(self) -> list[str]:
        """Required fields that are absent, empty or a placeholder (TODO, TBD, ...)."""
        absent = []
        for name in REQUIRED:
            value = self.fields.get(name)
            if name == "collection_period":
                period = value if isinstance(value, dict) else {}
                if _blank(period.get("start")) or _blank(period.get("end")):
                    absent.append(name)
            elif _blank(value):
                absent.append(name)
        return absent

    def period(self) -> tuple[date | None, date | None | str]:
        """The collection period's start and end (`ongoing` as the string); None where unparseable."""
        period = self.fields.get("collection_period")
        if not isinstance(period, dict):
            return None, None
        end = period.get("end")
        return _date(period.get("start")), "ongoing" if str(end).strip().lower() == "ongoing" else _date(end)

    @property
    def consent_not_needed(self) -> bool:
        """The datasheet says no consent is needed (no personal data)."""
        return str(self.fields.get("consent", "")).strip().lower() in CONSENT_NOT_NEEDED


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and value.strip().lower() in _PLACEHOLDERS) or value == {}


def _date(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        return None


def load(path: Path) -> Datasheet:
    """Read a datasheet; a file that isn't one is a usage error."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise UsageError(f"cannot read datasheet {path}: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        raise UsageError(f"datasheet {path} is not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise UsageError(f"datasheet {path}: expected a mapping of fields",
                         hint="`aiwell data init` writes a template")
    return Datasheet(path, data)


def find_beside(files: list[Path], root: Path | None) -> Path | None:
    """A datasheet found by name: datasheet.yaml in the dataset's folder, or NAME.datasheet.yaml beside its file."""
    candidates: list[Path] = []
    if root is not None:
        candidates += [root / name for name in FILE_NAMES]
    if len(files) == 1:
        file = files[0]
        stem = file.name.split(".")[0]
        candidates += [file.with_name(f"{stem}.datasheet.yaml"), file.with_name(f"{stem}.datasheet.yml")]
        candidates += [file.parent / name for name in FILE_NAMES]
    return next((c for c in candidates if c.is_file()), None)


__all__ = ["REQUIRED", "SCHEMA", "TEMPLATE", "Datasheet", "find_beside", "load"]
