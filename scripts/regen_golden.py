"""Regenerate the reporters' golden files in tests/golden/ from the sample review.

Run `.venv/bin/python scripts/regen_golden.py`, then review the diff: goldens are never edited by hand. The
reporter tests call `render_goldens()` from this file and compare, so the script and the tests can't drift.

The sample review is tests/fixtures/inventory/sample-review.json: inputs, rule metadata and results over the
resources of the Resource Graph fixture beside it (read through the real inventory loader). Its `governed` part
adds what the SARIF, JUnit, Markdown and HTML goldens show besides: rule documentation, a suppression, a failure
in the findings baseline, warnings, a rule set and an environment.
"""

from __future__ import annotations

import json
import sys
from io import StringIO
from pathlib import Path
from typing import Any

from msgspec.structs import replace
from rich.console import Console

from aiwell.loaders.inventory import load_inventory
from aiwell.loaders.jsonc import parse_text
from aiwell.model import (
    DesignArea,
    InputRecord,
    InputStatus,
    Location,
    Pillar,
    Resource,
    Result,
    RuleInfo,
    Severity,
    Status,
    Suppression,
)
from aiwell.report import Report, build_report, exit_reason
from aiwell.reporters import render_html, render_json, render_junit, render_markdown, render_sarif, render_terminal
from aiwell.rules import Doc, Rule

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "inventory"
SAMPLE = FIXTURES / "sample-review.json"
GOLDEN = ROOT / "tests" / "golden"
TOOL_VERSION = "0.0.0-golden"
"""A fixed version, so a release doesn't change the goldens."""
WIDTH = 80


def _rule(rule_id: str, meta: dict[str, Any]) -> RuleInfo:
    return RuleInfo(
        id=rule_id,
        name=meta["name"],
        title=meta["title"],
        severity=Severity(meta["severity"]),
        pillars=tuple(Pillar(p) for p in meta["pillars"]),
        design_area=DesignArea(meta["design_area"]),
    )


def _input(entry: dict[str, Any]) -> InputRecord:
    return InputRecord(
        path=entry["path"],
        format=entry["format"],
        status=InputStatus(entry["status"]),
        reason=entry.get("reason", ""),
        line=entry.get("line"),
        resources=entry.get("resources", 0),
        parameters=entry.get("parameters"),
        notes=tuple(entry.get("notes", ())),
        unreviewed=tuple(entry.get("unreviewed", ())),
    )


def _result(entry: dict[str, Any], rules: dict[str, RuleInfo], resources: dict[str, Resource]) -> Result:
    resource = resources[entry["resource"]]
    return Result(
        rule=rules[entry["rule"]],
        status=Status(entry["status"]),
        resource_id=str(resource.id),
        resource_type=resource.type,
        resource_name=str(resource.name),
        message=entry["message"],
        location=Location(resource.source.file, resource.source.line),
        input=resource.source.input,
    )


def _documented(info: RuleInfo, doc: dict[str, Any]) -> Rule:
    return Rule(info=info, resource_types=(), kind="python", references=tuple(doc.get("references", ())),
                doc=Doc(what=doc.get("what", ""), why=doc.get("why", ""), use_instead=doc.get("use_instead", {})))


def _governed(results: list[Result], governed: dict[str, Any]) -> list[Result]:
    """The results with the governed variant's suppressions and baseline marks applied."""
    suppressions = {(entry["rule"], entry["resource"]): entry for entry in governed["suppressions"]}
    baselined = {(entry["rule"], entry["resource"]) for entry in governed["baselined"]}
    marked = []
    for result in results:
        key = (result.rule.id, result.resource_name)
        entry = suppressions.get(key)
        if entry is not None:
            result = replace(result, suppression=Suppression(reason=entry["reason"], owner=entry.get("owner"),
                                                             expires=entry.get("expires"), source=entry["source"]))
        if key in baselined:
            result = replace(result, baselined=True)
        marked.append(result)
    return marked


def sample_report(*, with_inputs: bool = True, with_results: bool = True, governed: bool = False) -> Report:
    """The sample review's report; without inputs or results it shows how an empty review renders; `governed` adds
    rule documentation, a suppression, a baseline mark, warnings, a rule set and an environment."""
    sample = json.loads(SAMPLE.read_text(encoding="utf-8"))
    inventory = sample["inventory"]
    text = (FIXTURES / inventory["file"]).read_text(encoding="utf-8")
    document = parse_text(text, inventory["path"], track=("data", "value"), root_items=True)
    resources = load_inventory(document)
    for resource in resources:
        resource.source = replace(resource.source, input=inventory["path"])
    by_name = {str(r.name): r for r in resources}
    rules = {rule_id: _rule(rule_id, meta) for rule_id, meta in sample["rules"].items()}
    inputs = [_input(entry) for entry in sample["inputs"]] if with_inputs else []
    results = [_result(entry, rules, by_name) for entry in sample["results"]] if with_results else []
    if not governed:
        return build_report(inputs, resources if with_results else [], results, tool_version=TOOL_VERSION)
    extra = sample["governed"]
    documented = [_documented(rules[rule_id], doc) for rule_id, doc in extra["docs"].items()]
    return build_report(inputs, resources if with_results else [], _governed(results, extra),
                        tool_version=TOOL_VERSION, rules=documented, warnings=extra["warnings"],
                        rule_set=extra["rule_set"], environment=extra["environment"])


def render_terminal_text(report: Report, *, verbose: bool) -> str:
    """The terminal report rendered at 80 columns without colour, as the goldens hold it.

    Trailing spaces (rich pads table cells to their width) are stripped, so editors that trim them can't
    break the comparison.
    """
    buffer = StringIO()
    render_terminal(report, Console(file=buffer, width=WIDTH, color_system=None), verbose=verbose)
    return "".join(line.rstrip() + "\n" for line in buffer.getvalue().splitlines())


def render_quiet_text(report: Report) -> str:
    """The quiet terminal report (`--quiet`, the default --fail-on high), as the golden holds it."""
    from aiwell.reporters.quiet import render_quiet

    buffer = StringIO()
    render_quiet(report, Console(file=buffer, width=WIDTH, color_system=None), fail_on=Severity.HIGH)
    return buffer.getvalue()


def render_goldens() -> dict[str, str]:
    """Every golden file's name and expected content."""
    report = sample_report()
    empty = sample_report(with_inputs=False, with_results=False)
    governed = sample_report(governed=True)
    return {
        "report.json": render_json(report) + "\n",
        "terminal-80.txt": render_terminal_text(report, verbose=False),
        "terminal-80-verbose.txt": render_terminal_text(report, verbose=True),
        "terminal-80-empty.txt": render_terminal_text(empty, verbose=False),
        "terminal-quiet.txt": render_quiet_text(governed),
        "report.sarif": render_sarif(governed, baseline_used=True).decode("utf-8"),
        "report.junit.xml": render_junit(governed),
        "report.md": render_markdown(governed, gate=exit_reason(governed, Severity.HIGH)),
        "report-empty.md": render_markdown(empty, gate=exit_reason(empty, Severity.HIGH)),
        "report.html": render_html(governed, gate=exit_reason(governed, Severity.HIGH)),
    }


def main() -> int:
    """Write the goldens and say which changed."""
    GOLDEN.mkdir(parents=True, exist_ok=True)
    for name, content in render_goldens().items():
        path = GOLDEN / name
        old = path.read_text(encoding="utf-8") if path.exists() else None
        if old != content:
            path.write_text(content, encoding="utf-8")
            print(f"{'updated' if old is not None else 'created'} {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
