"""The hostile-names review every reporter is tested on: resources, a folder, a broken file, a suppression and a
warning whose text tries HTML, script, Markdown links and mentions, terminal escape sequences, bidi overrides,
NUL, CDATA ends and a lone surrogate. Read through the real loaders, rules and suppressions."""

from __future__ import annotations

import datetime as dt
import os
import shutil
from pathlib import Path

import pytest

from aiwell.report import Report, build_report
from aiwell.review import review
from aiwell.suppressions import Entry, apply_suppressions

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "reporters" / "hostile-inventory.json"
HOSTILE_FOLDER = "<img src=x onerror=alert(1)>\x1b[2J"
HOSTILE_FILE = '"><svg onload=alert(1)>\u202e.json'
HOSTILE_REASON = "<script>alert('reason')</script> [x](javascript:alert(1)) @team \x1b[5m"
MARKERS = ("<img src=x onerror=alert(1)>", '"><script>alert(1)</script>', "\x1b[31m", "\u202e", "\x00",
           "[click](javascript:alert(1))")
"""What each format must render inert."""


@pytest.fixture(scope="session")
def hostile_report(tmp_path_factory: pytest.TempPathFactory) -> Report:
    root = tmp_path_factory.mktemp("hostile")
    folder = root / HOSTILE_FOLDER
    folder.mkdir()
    shutil.copy(FIXTURE, folder / "export.json")
    (folder / HOSTILE_FILE).write_text('{"$schema": "https://schema.management.azure.com/schemas/2019-04-01/'
                                       'deploymentTemplate.json#", "resources": [ {', encoding="utf-8")
    previous = Path.cwd()
    os.chdir(root)
    try:
        reviewed = review([Path(HOSTILE_FOLDER)])
    finally:
        os.chdir(previous)
    entries = [Entry(rule="AIS002", resource="<img*", reason=HOSTILE_REASON, owner="@everyone <b>",
                     source=f"suppressions file {HOSTILE_FOLDER}/.aiwell/suppressions.yaml:1"),
               Entry(rule="KVT*", resource='"><script>nothing</script>', reason="unused",
                     source=f"suppressions file {HOSTILE_FOLDER}/.aiwell/suppressions.yaml:5")]
    results, warnings = apply_suppressions(reviewed.results, reviewed.resources, file_entries=entries,
                                           today=dt.date(2026, 12, 1))
    return build_report(reviewed.inputs, reviewed.resources, results, warnings=warnings,
                        rules=reviewed.rules.values(), environment="<i>prod</i>\x1b[1m")
