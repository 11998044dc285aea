"""`aiwell questionnaire`: the process questions of the Well-Architected guidance for AI workloads.

    aiwell questionnaire [--answers FILE]       ask in the terminal, saving after each answer; resumes
    aiwell questionnaire init FILE              write an answers file with every question and its guidance
    aiwell questionnaire list [--format json]   the questions
    aiwell questionnaire show ID                one question in full

Answers can be pre-filled from evidence (`--iac PATH` for infrastructure as code or inventory exports,
`--evidence FILE` for `aiwell eval`, `aiwell size` and `aiwell data` JSON reports); they are marked inferred.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table
from rich.text import Text

from aiwell.cli.runner import stderr_console, write_output
from aiwell.errors import UsageError
from aiwell.model import DesignArea

DEFAULT_ANSWERS = Path(".aiwell") / "answers.yaml"

_AREAS = [area.value for area in DesignArea]


def _evidence_options(function: Any) -> Any:
    function = click.option("--evidence", "evidence_files", multiple=True,
                            type=click.Path(path_type=Path, dir_okay=False),
                            help="An aiwell eval, size or data JSON report to pre-fill answers from (repeatable)."
                            )(function)
    return click.option("--iac", "iac_paths", multiple=True, type=click.Path(path_type=Path),
                        help="Infrastructure as code or an inventory export to pre-fill answers from (repeatable; "
                             "what `aiwell review` reads).")(function)


def prefilled(iac_paths: Sequence[Path], evidence_files: Sequence[Path]) -> dict[str, Any]:
    """The answers the evidence supports (see `aiwell.questionnaire.evidence`)."""
    from aiwell.questionnaire import load_questions
    from aiwell.questionnaire.evidence import infer_answers, load_evidence

    resources: list[Any] = []
    if iac_paths:
        from aiwell.loaders import load_inputs

        for path in iac_paths:
            if not path.exists():
                raise UsageError(f"no such file or directory: {path}")
        resources = list(load_inputs(list(iac_paths)).resources)
    reports = [load_evidence(path) for path in evidence_files]
    return infer_answers(load_questions(), resources=resources, reports=reports)


@click.group(name="questionnaire", invoke_without_command=True,
             context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option("-a", "--answers", "answers_path", type=click.Path(path_type=Path, dir_okay=False),
              default=DEFAULT_ANSWERS, show_default=True, help="The answers file to fill in (made when missing).")
@click.option("--area", "areas", multiple=True, type=click.Choice(_AREAS),
              help="Ask only the questions of these design areas (repeatable).")
@click.option("--redo", is_flag=True, help="Ask again the questions already answered.")
@click.option("--plain", is_flag=True, help="Numbered prompts instead of arrow keys, even on a terminal.")
@_evidence_options
@click.pass_context
def questionnaire_group(ctx: click.Context, answers_path: Path, areas: tuple[str, ...], redo: bool, plain: bool,
                        iac_paths: tuple[Path, ...], evidence_files: tuple[Path, ...]) -> None:
    """Answer the process questions of the Well-Architected review for AI workloads: asked in the terminal (arrow
    keys where the terminal allows), each answer saved at once to the answers file, resumed where it stopped.
    `aiwell review PATH --answers FILE` then merges the answers into the review."""
    if ctx.invoked_subcommand is not None:
        return
    from aiwell.questionnaire import load_questions
    from aiwell.questionnaire.interactive import ArrowPrompter, PlainPrompter, arrow_keys_available, run_session

    catalog = load_questions()
    inferred = prefilled(iac_paths, evidence_files)
    console = Console(highlight=False)
    prompter: Any = ArrowPrompter() if not plain and arrow_keys_available() else PlainPrompter(
        read=lambda prompt: click.prompt(prompt, default="", show_default=False, prompt_suffix=""),
        write=lambda line: click.echo(line))
    console.print(Text(f"Answers are saved to {answers_path} after each question.", style="dim"))
    try:
        summary = run_session(answers_path, catalog, prompter, console, prefill=inferred,
                              areas=[DesignArea(a) for a in areas] or None, redo=redo)
    except (KeyboardInterrupt, EOFError, click.exceptions.Abort):
        stderr_console().print(f"\nStopped. Every answer given is saved in {answers_path}; run the same command "
                               "to resume.")
        raise SystemExit(130) from None
    console.print()
    console.print(Text(f"{summary.answered} answered this session; {summary.remaining} of "
                       f"{len(catalog.questions)} questions still need a person's answer.", style="bold"))
    if summary.remaining:
        console.print(f"Resume with: aiwell questionnaire --answers {answers_path}")
    console.print(f"Merge into a review with: aiwell review PATH --answers {answers_path}")


@questionnaire_group.command("init")
@click.argument("path", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
@_evidence_options
def init_command(path: Path, force: bool, iac_paths: tuple[Path, ...], evidence_files: tuple[Path, ...]) -> None:
    """Write an answers file with every question, its choices and guidance as comments, and the answers the
    evidence supports pre-filled (marked inferred)."""
    from aiwell.questionnaire import load_questions
    from aiwell.questionnaire.answers import render_answers_file, write_text_atomically

    if path.exists() and not force:
        raise UsageError(f"{path} exists", hint="Use --force to overwrite it, or `aiwell questionnaire --answers "
                                                f"{path}` to go on answering it.")
    catalog = load_questions()
    inferred = prefilled(iac_paths, evidence_files)
    write_text_atomically(path, render_answers_file(catalog, inferred.values()))
    stderr_console().print(f"Wrote {path}: {len(catalog.questions)} questions, {len(inferred)} pre-filled from "
                           "evidence (marked inferred).")


def question_dict(question: Any) -> dict[str, Any]:
    """One question's metadata as plain data (the `questionnaire list --format json` entries)."""
    return {
        "id": question.id,
        "title": question.title,
        "design_area": question.design_area.value,
        "pillars": [p.value for p in question.pillars],
        "severity": question.severity.value,
        "multi": question.multi,
        "choices": [{"id": c.id, "label": c.label, "score": c.score} for c in question.choices],
        "not_applicable": question.not_applicable,
        "good": list(question.good),
        "why": question.why,
        "guidance": question.guidance,
        "references": list(question.references),
        "waf": list(question.waf),
        "challenges": list(question.challenges),
        "evidence": question.evidence or None,
    }


@questionnaire_group.command("list")
@click.option("-f", "--format", "output_format", type=click.Choice(["table", "json"]), default="table",
              show_default=True)
@click.option("--area", "areas", multiple=True, type=click.Choice(_AREAS), help="Only these design areas.")
def list_command(output_format: str, areas: tuple[str, ...]) -> None:
    """List the questions (as a JSON list with --format json)."""
    from aiwell.questionnaire import load_questions

    questions = [q for q in load_questions().questions if not areas or q.design_area.value in areas]
    if output_format == "json":
        write_output(None, json.dumps([question_dict(q) for q in questions], indent=2) + "\n")
        return
    console = Console()
    table = Table(pad_edge=False, expand=True)
    table.add_column("id", no_wrap=True)
    table.add_column("sev", no_wrap=True)
    # One pillar a line, so the question keeps the rest of a narrow terminal.
    table.add_column("pillars", no_wrap=True, min_width=len("operational-excellence"))
    table.add_column("question", ratio=1)
    for question in questions:
        table.add_row(question.id, question.severity.value, "\n".join(p.value for p in question.pillars),
                      question.title)
    console.print(table)
    console.print(f"{len(questions)} questions. `aiwell questionnaire show ID` shows one in full.")


@questionnaire_group.command("show")
@click.argument("question_id")
def show_command(question_id: str) -> None:
    """Show one question: its choices and scores, the good answer, why it matters, references."""
    from aiwell.questionnaire import load_questions

    question = load_questions().get(question_id)
    if question is None:
        raise UsageError(f"unknown question: {question_id}", hint="`aiwell questionnaire list` lists them.")
    console = Console()
    console.print(Text.assemble((question.id, "bold"), "  ", question.title))
    console.print(f"design area {question.design_area.value} · severity {question.severity.value} · pillars "
                  f"{', '.join(p.value for p in question.pillars)}"
                  + (f" · WAF {', '.join(question.waf)}" if question.waf else ""))
    console.print(Text("\nChoices" + (" (select every one that applies)" if question.multi else ""), style="bold"))
    for choice in question.all_choices:
        mark = "✓" if choice.id in question.good else " "
        score = "" if choice.id == "not-applicable" else f" ({choice.score})"
        console.print(Text(f"  {mark} {choice.id}: {choice.label}{score}"))
    console.print(Text("\nWhy it matters", style="bold"))
    console.print(Text(f"  {question.why}"))
    console.print(Text("\nWhat good looks like", style="bold"))
    console.print(Text(f"  {question.guidance}"))
    if question.evidence:
        console.print(Text("\nPre-filled from", style="bold"))
        console.print(Text(f"  {question.evidence}"))
    console.print(Text("\nReferences", style="bold"))
    console.print(Text("\n".join(f"  {ref}" for ref in question.references), no_wrap=True, overflow="ignore"))


__all__ = ["DEFAULT_ANSWERS", "prefilled", "question_dict", "questionnaire_group"]
