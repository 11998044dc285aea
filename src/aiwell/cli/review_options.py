"""The `aiwell review` options of the Well-Architected review proper: questionnaire answers and evidence, the
workload's context, a team's own rules, and how many top actions to show."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import click

from aiwell.model.context import ENVIRONMENT, WORKLOAD_PURPOSE


def review_options(function: Callable[..., Any]) -> Callable[..., Any]:
    """Add the options to a click command (they arrive as keyword arguments, see `review_keywords`)."""
    options = [
        click.option("--answers", "answers_path", type=click.Path(path_type=Path, dir_okay=False),
                     help="Questionnaire answers to merge into the review (`aiwell questionnaire init FILE`); "
                          "every question becomes a result, unanswered ones unknown."),
        click.option("--evidence", "evidence_files", multiple=True, type=click.Path(path_type=Path, dir_okay=False),
                     help="An aiwell eval, size or data JSON report that pre-fills questionnaire answers "
                          "(repeatable); implies the questionnaire."),
        click.option("--environment", metavar="ENV",
                     help="The workload's environment when no tag says it (production, staging, test, development, "
                          "sandbox; prod, dev, uat, ... accepted)."),
        click.option("--workload-purpose", "workload_purpose", metavar="PURPOSE",
                     help="What the workload is for when no tag says it (serving, training, batch-scoring, "
                          "exploration)."),
        click.option("--allow-unanswered", is_flag=True,
                     help="Gate on findings alone: questions left unanswered (with --answers or --evidence) don't "
                          "make the review exit 1."),
        click.option("--rules-dir", "rules_dirs", multiple=True, type=click.Path(path_type=Path, file_okay=False),
                     help="A folder of your own YAML rules to run with the catalog (repeatable; default: `rules_dir` "
                          "in [tool.aiwell])."),
        click.option("--top", "top_actions", type=click.IntRange(min=0), default=None, metavar="N",
                     help="How many top actions to rank and show first (default 5; 0: none)."),
    ]
    for option in reversed(options):
        function = option(function)
    return function


def review_keywords(*, answers_path: Path | None, evidence_files: Sequence[Path], environment: str | None,
                    workload_purpose: str | None, rules_dirs: Sequence[Path], top_actions: int | None,
                    rule_ids: Sequence[str]) -> dict[str, Any]:
    """The keyword arguments of `aiwell.review.review` these options stand for. `rule_ids` (from `--rule`, ids or
    names) are looked up among aiwell's rules and the custom ones; without them the whole catalog runs, the
    custom rules with it (`rules` None: the catalog alone)."""
    from aiwell.cli.settings import review_settings, workload_context
    from aiwell.errors import UsageError
    from aiwell.questionnaire import load_questions
    from aiwell.questionnaire.answers import load_answers
    from aiwell.questionnaire.evidence import load_evidence
    from aiwell.rules import Registry, load_registry
    from aiwell.rules.custom import load_custom_rules

    for path in (*(p for p in (answers_path,) if p is not None), *evidence_files):
        if not path.exists():
            raise UsageError(f"no such file: {path}")
    settings = review_settings(flags={ENVIRONMENT: environment, WORKLOAD_PURPOSE: workload_purpose},
                               rules_dirs=rules_dirs)
    answers = load_answers(answers_path, load_questions()) if answers_path is not None else None
    registry = load_registry()
    custom = load_custom_rules(settings.rules_dirs, built_in=registry.rules)
    catalog = Registry((*registry.rules, *custom)) if custom else registry
    rules: list[Any] | None = list(catalog.runnable) if custom else None
    if rule_ids:
        rules = []
        for wanted in rule_ids:
            found = catalog.get(wanted)
            if found is None:
                raise UsageError(f"unknown rule: {wanted}", hint="`aiwell rules` lists the catalog (with "
                                 "--rules-dir, your own rules too).")
            rules.append(found)
    return {
        "workload_context": workload_context(settings, answers.context if answers is not None else None),
        "answers": answers,
        "evidence": [load_evidence(path) for path in evidence_files],
        "actions": top_actions,
        "pillar_weights": settings.pillar_weights,
        "rules": rules,
    }


__all__ = ["review_keywords", "review_options"]
