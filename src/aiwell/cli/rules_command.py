"""`aiwell rules`: the catalog (aiwell's own rules and a team's own, `--rules-dir`), one rule's documentation, and
`--test` to run a rules folder's fixtures."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.console import Console
from rich.text import Text

from aiwell.cli.runner import write_output
from aiwell.errors import ExitCode, UsageError
from aiwell.model import DesignArea, Pillar, Severity

if TYPE_CHECKING:
    from aiwell.rules import Rule


def catalog_rules(rules_dirs: Sequence[Path]) -> list[Rule]:
    """aiwell's own rules and those of the folders (the config's `rules_dir` when none is given)."""
    from aiwell.cli.settings import review_settings
    from aiwell.rules import load_registry
    from aiwell.rules.custom import load_custom_rules

    registry = load_registry()
    folders = review_settings(flags={}, rules_dirs=rules_dirs).rules_dirs
    return [*registry.rules, *load_custom_rules(folders, built_in=registry.rules)]


@click.command(name="rules")
@click.argument("rule_id", required=False)
@click.option("--pillar", "pillars", multiple=True, type=click.Choice([p.value for p in Pillar]),
              help="Only rules of these pillars.")
@click.option("--design-area", "areas", multiple=True, type=click.Choice([a.value for a in DesignArea]),
              help="Only rules of these design areas.")
@click.option("--service", "services", multiple=True, metavar="PREFIX",
              help="Only rules of these services, by id prefix (AIS, AID, MLW, SRC, WKL, ...).")
@click.option("--severity", "severities", multiple=True, type=click.Choice([s.value for s in Severity]),
              help="Only rules of these severities.")
@click.option("--rules-dir", "rules_dirs", multiple=True, type=click.Path(path_type=Path, file_okay=False),
              help="A folder of your own YAML rules to list with the catalog (repeatable; default: `rules_dir` in "
                   "[tool.aiwell]).")
@click.option("--test", "run_tests", is_flag=True,
              help="Run the fixtures of the --rules-dir folders (DIR/fixtures/<ID>.yaml); exit 1 when one fails or "
                   "a rule has none.")
@click.option("--docs", "docs_dir", type=click.Path(path_type=Path, file_okay=False), metavar="DIR",
              help="Write the documentation pages (one per rule, an index by pillar and design area, the "
                   "questionnaire) to DIR; with --rules-dir, the pages of those rules only.")
@click.option("-f", "--format", "output_format", type=click.Choice(["table", "json"]), default="table",
              show_default=True)
def rules_command(rule_id: str | None, pillars: tuple[str, ...], areas: tuple[str, ...], services: tuple[str, ...],
                  severities: tuple[str, ...], rules_dirs: tuple[Path, ...], run_tests: bool,
                  docs_dir: Path | None, output_format: str) -> None:
    """List the rule catalog (with --format json: every rule's metadata as a JSON list), or show one rule's
    documentation (RULE_ID: id or name)."""
    from aiwell.cli import rules_view
    from aiwell.rules import Registry

    rules = catalog_rules(rules_dirs)
    if run_tests:
        _run_tests(rules_dirs)
        return
    if docs_dir is not None:
        _write_docs(docs_dir, rules_dirs)
        return
    registry = Registry(tuple(rules))
    console = Console()
    if rule_id is not None:
        found = registry.get(rule_id)
        if found is None:
            raise UsageError(f"unknown rule: {rule_id}", hint="`aiwell rules` lists the catalog.")
        if output_format == "json":
            write_output(None, rules_view.rule_json(found) + "\n")
        else:
            rules_view.show_rule(found, console)
        return
    selected = registry.select(
        pillars=[Pillar(p) for p in pillars] or None,
        services=[s.upper() for s in services] or None,
        severities=[Severity(s) for s in severities] or None,
    )
    if areas:
        selected = [rule for rule in selected if rule.design_area.value in areas]
    if output_format == "json":
        write_output(None, rules_view.catalog_json(selected) + "\n")
    else:
        rules_view.show_catalog(selected, console)


def _write_docs(folder: Path, rules_dirs: tuple[Path, ...]) -> None:
    from aiwell.cli.settings import review_settings
    from aiwell.questionnaire import load_questions
    from aiwell.rule_docs import GENERATED_MARK, render_rule_docs
    from aiwell.rules import load_registry
    from aiwell.rules.custom import load_custom_rules

    registry = load_registry()
    custom_folders = review_settings(flags={}, rules_dirs=rules_dirs).rules_dirs
    if custom_folders:
        pages = render_rule_docs(load_custom_rules(custom_folders, built_in=registry.rules), None)
    else:
        pages = render_rule_docs(registry.rules, load_questions())
    try:
        folder.mkdir(parents=True, exist_ok=True)
        # Pages of rules that are gone are removed; files a person wrote (without the mark) are left alone.
        stale = [path for path in folder.glob("*.md") if path.name not in pages
                 and GENERATED_MARK in path.read_text(encoding="utf-8", errors="replace")[:200]]
        for path in stale:
            path.unlink()
        for name, text in pages.items():
            (folder / name).write_text(text, encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"can't write the documentation to {folder}: {exc.strerror or exc}") from None
    removed = f", removed {len(stale)} stale" if stale else ""
    Console(highlight=False).print(f"Wrote {len(pages)} pages to {folder}{removed}", markup=False)


def _run_tests(rules_dirs: tuple[Path, ...]) -> None:
    from aiwell.cli.settings import review_settings
    from aiwell.rule_fixtures import run_fixtures, untested
    from aiwell.rules import load_registry
    from aiwell.rules.custom import load_custom_rules

    folders = review_settings(flags={}, rules_dirs=rules_dirs).rules_dirs
    if not folders:
        raise UsageError("--test needs a rules folder", hint="Give --rules-dir DIR (or rules_dir in [tool.aiwell]).")
    console = Console(highlight=False)
    failed = 0
    for folder in folders:
        rules = load_custom_rules([folder], built_in=load_registry().rules)
        outcomes = run_fixtures(rules, folder)
        for outcome in outcomes:
            mark = Text("pass", style="green") if outcome.passed else Text("FAIL", style="bold red")
            console.print(Text.assemble(mark, f" {outcome.rule_id} {outcome.case}"))
            for problem in outcome.problems:
                console.print(Text(f"     {problem}"))
        missing = untested(rules, outcomes, folder)
        for problem in missing:
            console.print(Text.assemble(("FAIL", "bold red"), f" {problem}"))
        failed += sum(1 for o in outcomes if not o.passed) + len(missing)
        console.print(f"{folder}: {len(rules)} rules, {len(outcomes)} fixture cases, "
                      f"{sum(1 for o in outcomes if not o.passed)} failed, {len(missing)} rules not fully covered")
    if failed:
        raise SystemExit(ExitCode.FINDINGS)


__all__ = ["catalog_rules", "rules_command"]
