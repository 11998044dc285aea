"""The questionnaire in the terminal: arrow keys where the terminal allows (questionary on prompt_toolkit), numbered
plain prompts otherwise. Each answer is saved to the answers file as soon as it is given, so an interrupted session
loses nothing and the next one resumes with the first question no person has answered yet.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Protocol

from msgspec import Struct
from rich.console import Console
from rich.text import Text

from aiwell.model import DesignArea
from aiwell.model.context import CANONICAL, CONTEXT_KEYS, ENVIRONMENT, WORKLOAD_PURPOSE
from aiwell.questionnaire.answers import (
    Answer,
    AnswerSet,
    load_answers,
    render_answers_file,
    save_answer,
    save_context,
    write_text_atomically,
)
from aiwell.questionnaire.catalog import Question, QuestionCatalog

SKIP = "__skip__"
QUIT = "__quit__"


class Prompter(Protocol):
    """Asks one question and returns the choice ids selected, `SKIP` or `QUIT`; `choose` picks one of a few
    values (the workload context) and returns its id, `SKIP` or `QUIT`."""

    def ask(self, question: Question, default: Sequence[str] | None) -> list[str] | str: ...

    def choose(self, options: Sequence[str]) -> str: ...


def arrow_keys_available(stdin: object = None, stdout: object = None) -> bool:
    """Whether both ends are terminals that can take arrow-key prompts (not a pipe, not TERM=dumb)."""
    stdin = stdin if stdin is not None else sys.stdin
    stdout = stdout if stdout is not None else sys.stdout
    interactive = all(getattr(stream, "isatty", lambda: False)() for stream in (stdin, stdout))
    return interactive and os.environ.get("TERM", "") not in ("", "dumb")


class ArrowPrompter:
    """questionary's select and checkbox prompts (arrow keys, space to tick, enter to confirm)."""

    def ask(self, question: Question, default: Sequence[str] | None) -> list[str] | str:
        import questionary

        choices = question.all_choices
        if question.multi:
            picked = questionary.checkbox(
                "Select what applies (space ticks, enter confirms; none ticked means none of these):",
                choices=[questionary.Choice(c.label, value=c.id, checked=bool(default and c.id in default))
                         for c in choices if c.id != "not-applicable"]
                + ([questionary.Choice(question.not_applicable, value="not-applicable")]
                   if question.not_applicable else [])
                + [questionary.Choice("(skip for now)", value=SKIP), questionary.Choice("(save and quit)",
                                                                                         value=QUIT)],
                qmark="?").unsafe_ask()
            for special in (QUIT, SKIP):
                if special in picked:
                    return special
            return list(picked)
        options = [questionary.Choice(c.label, value=c.id) for c in choices]
        options += [questionary.Choice("(skip for now)", value=SKIP), questionary.Choice("(save and quit)",
                                                                                           value=QUIT)]
        start = default[0] if default else None
        picked_one: str = questionary.select("Your answer:", choices=options, default=start, qmark="?",
                                             use_shortcuts=False).unsafe_ask()
        return picked_one if picked_one in (SKIP, QUIT) else [picked_one]

    def choose(self, options: Sequence[str]) -> str:
        import questionary

        choices = [questionary.Choice(option, value=option) for option in options]
        choices += [questionary.Choice("(skip for now)", value=SKIP), questionary.Choice("(save and quit)",
                                                                                           value=QUIT)]
        picked: str = questionary.select("Your answer:", choices=choices, qmark="?", use_shortcuts=False).unsafe_ask()
        return picked


class PlainPrompter(Struct):
    """Numbered choices read from a line of input: works on any terminal, pipe or screen reader."""

    read: Callable[[str], str]
    write: Callable[[str], None]

    def ask(self, question: Question, default: Sequence[str] | None) -> list[str] | str:
        choices = question.all_choices
        for number, choice in enumerate(choices, start=1):
            self.write(f"  {number}) {choice.label}")
        self.write("  s) skip for now    q) save and quit")
        ids = [c.id for c in choices]
        shown = ""
        if default is not None:
            shown = " [" + (",".join(str(ids.index(c) + 1) for c in default if c in ids) or "0") + "]"
        hint = "numbers separated by commas, 0 for none" if question.multi else "a number"
        while True:
            text = self.read(f"Your answer ({hint}){shown}: ").strip().lower()
            if not text and default is not None:
                return list(default)
            if text in ("s", "skip"):
                return SKIP
            if text in ("q", "quit"):
                return QUIT
            picked = self._parse(text, len(choices), multi=question.multi)
            if picked is not None:
                selected = [ids[number - 1] for number in picked]
                if "not-applicable" in selected and len(selected) > 1:
                    self.write("  Not applicable can't be combined with other choices.")
                    continue
                return selected
            self.write(f"  Please give {hint} from the list, s or q.")

    def choose(self, options: Sequence[str]) -> str:
        for number, option in enumerate(options, start=1):
            self.write(f"  {number}) {option}")
        self.write("  s) skip for now    q) save and quit")
        while True:
            text = self.read("Your answer (a number): ").strip().lower()
            if text in ("s", "skip"):
                return SKIP
            if text in ("q", "quit"):
                return QUIT
            if text.isdigit() and 1 <= int(text) <= len(options):
                return options[int(text) - 1]
            self.write("  Please give a number from the list, s or q.")

    @staticmethod
    def _parse(text: str, count: int, *, multi: bool) -> list[int] | None:
        parts = [part.strip() for part in text.replace(" ", ",").split(",") if part.strip()]
        if not parts or not all(part.isdigit() for part in parts):
            return None
        numbers = list(dict.fromkeys(int(part) for part in parts))
        if multi and numbers == [0]:
            return []
        if not multi and len(numbers) != 1:
            return None
        if not all(1 <= number <= count for number in numbers):
            return None
        return numbers


class SessionSummary(Struct, frozen=True):
    """What one terminal session did."""

    asked: int
    answered: int
    remaining: int
    """Questions no person has answered yet (skipped, inferred only, or not reached)."""
    quit: bool


def _to_ask(catalog: QuestionCatalog, current: AnswerSet, *, areas: Iterable[DesignArea] | None,
            redo: bool) -> list[Question]:
    wanted = set(areas) if areas else set(DesignArea)
    chosen = []
    for question in catalog.questions:
        if question.design_area not in wanted:
            continue
        answer = current.get(question.id)
        if redo or answer is None or not answer.answered or answer.inferred is not None:
            chosen.append(question)
    return chosen


def run_session(path: Path, catalog: QuestionCatalog, prompter: Prompter, console: Console, *,
                prefill: Mapping[str, Answer] | None = None, areas: Iterable[DesignArea] | None = None,
                redo: bool = False) -> SessionSummary:
    """Ask the questions no person has answered yet (all of them with `redo`), saving each answer at once. A full
    session (no `areas`) first asks the workload context the file does not state yet (environment, purpose).

    A new answers file is written first, holding every question and the pre-filled (inferred) answers; an existing
    one keeps its answers, and fresh evidence fills only questions it leaves unanswered.
    """
    if not path.exists():
        write_text_atomically(path, render_answers_file(catalog, (prefill or {}).values()))
    current = load_answers(path, catalog)
    if areas is None and _ask_context(path, catalog, current, prompter, console, redo=redo):
        final = load_answers(path, catalog)
        remaining = sum(1 for q in catalog.questions
                        if (a := final.get(q.id)) is None or not a.answered or a.inferred is not None)
        return SessionSummary(asked=0, answered=0, remaining=remaining, quit=True)
    pending = _to_ask(catalog, current, areas=areas, redo=redo)
    total = len(catalog.questions)
    asked = answered = 0
    quit_early = False
    for question in pending:
        existing = current.get(question.id)
        inferred = (prefill or {}).get(question.id)
        default: Sequence[str] | None = None
        evidence: str | None = None
        if existing is not None and existing.answered:
            default, evidence = existing.choices, existing.inferred
        elif inferred is not None and inferred.answered:
            default, evidence = inferred.choices, inferred.inferred
        _show(console, question, catalog.questions.index(question) + 1, total, evidence)
        asked += 1
        picked = prompter.ask(question, default)
        if picked == QUIT:
            quit_early = True
            break
        if picked == SKIP:
            continue
        assert isinstance(picked, list)
        save_answer(path, catalog, question, picked)
        answered += 1
    final = load_answers(path, catalog)
    remaining = sum(1 for q in catalog.questions
                    if (a := final.get(q.id)) is None or not a.answered or a.inferred is not None)
    return SessionSummary(asked=asked, answered=answered, remaining=remaining, quit=quit_early)


_CONTEXT_PROMPTS = {
    ENVIRONMENT: "Which environment is this workload (rules that depend on it read this when no tag says it)?",
    WORKLOAD_PURPOSE: "What is the workload for (serving users, training models, scoring in batches, exploring)?",
}


def _ask_context(path: Path, catalog: QuestionCatalog, current: AnswerSet, prompter: Prompter, console: Console,
                 *, redo: bool) -> bool:
    """Ask the context values the file does not state yet (all with `redo`), saving each; True when the person
    chose to quit."""
    for key in CONTEXT_KEYS:
        if key in current.context and not redo:
            continue
        console.print()
        console.print(Text.assemble(("context", "bold"), f" · {key}"))
        console.print(Text(_CONTEXT_PROMPTS[key], style="bold"))
        picked = prompter.choose(list(dict.fromkeys(CANONICAL[key].values())))
        if picked == QUIT:
            return True
        if picked != SKIP:
            save_context(path, catalog, key, picked)
    return False


def _show(console: Console, question: Question, number: int, total: int, evidence: str | None) -> None:
    console.print()
    console.print(Text.assemble((f"{question.id}", "bold"), f"  {number}/{total} · {question.design_area.value} · ",
                                (question.severity.value, "yellow"), " · ",
                                ", ".join(p.value for p in question.pillars)))
    console.print(Text(question.title, style="bold"))
    console.print(Text(f"Why it matters: {question.why}", style="dim"))
    if evidence:
        console.print(Text(f"Pre-filled from evidence: {evidence}. Enter keeps it.", style="cyan"))


__all__ = ["QUIT", "SKIP", "ArrowPrompter", "PlainPrompter", "Prompter", "SessionSummary", "arrow_keys_available",
           "run_session"]
