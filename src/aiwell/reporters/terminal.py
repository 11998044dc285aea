"""The terminal report (rich): inputs not analysed first, inputs partly reviewed, the workload's archetypes and the
top actions (each with its fix), then findings grouped by pillar, scores, the questionnaire, a summary.

Within a pillar, failures come first (most severe first), then unknowns, then the number of passes (listed
only with `verbose`). A rule in several pillars is listed under each; only the pillars the review was asked about
(`--pillar`) are shown. When the review holds more than one deployment, a finding whose deployment its file does
not already name (a template deployed with a parameter file, a Bicep module, a Terraform root) says which one
(`in main.json + main.parameters.prod.json`). Everything a user wrote (names, paths, reasons) is printed as plain
text, never as rich markup, with control characters shown as escapes (`reporters._text`): no escape sequence from the
input reaches the terminal. Colour follows the console: `NO_COLOR` is honoured.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterator
from operator import attrgetter

from msgspec import Struct
from rich import box
from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, RenderResult
from rich.padding import Padding
from rich.segment import Segment
from rich.style import Style
from rich.table import Table
from rich.text import Text

from aiwell.model import (
    AIW000,
    DesignArea,
    InputRecord,
    Location,
    Pillar,
    Result,
    RuleInfo,
    Severity,
    Status,
    display_text,
)
from aiwell.report import Report, nothing_checked
from aiwell.reporters._text import one_line, visible
from aiwell.scoring import Score
from aiwell.workload import ARCHETYPES

_SEVERITY_STYLE = {Severity.HIGH: "bold red", Severity.MEDIUM: "yellow", Severity.LOW: "cyan"}
_STATUS_STYLE = {Status.FAIL: "bold red", Status.UNKNOWN: "magenta", Status.PASS: "green"}
_STATUS_ORDER = {Status.FAIL: 0, Status.UNKNOWN: 1, Status.PASS: 2}


def _indented(renderable: Text | Table, *, by: int = 2) -> Padding:
    return Padding(renderable, (0, 0, 0, by), expand=False)


def _pillar_title(pillar: Pillar) -> str:
    return pillar.value.replace("-", " ").capitalize()


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


def _where(location: Location | None) -> str:
    if location is None:
        return ""
    return one_line(location.file if location.line is None else f"{location.file}:{location.line}")


_LINE_SUFFIX = re.compile(r":\d+$")


def fit_location(where: str, width: int) -> str:
    """`file:line` in at most `width` cells: a path too long loses the middle of its folders (`infra/…/main.bicep:12`),
    never its line number, and as much of its file name as the width allows."""
    if cell_len(where) <= width:
        return where
    match = _LINE_SUFFIX.search(where)
    suffix = match.group(0) if match else ""
    path = where[: len(where) - len(suffix)]
    room = max(1, width - cell_len(suffix) - 1)
    head_room = room // 3
    tail_room = room - head_room
    head, tail = path[:head_room], path[-tail_room:] if tail_room else ""
    shortened = f"{head}…{tail}{suffix}"
    while cell_len(shortened) > width and (head or tail):
        # Wide characters take two cells: drop more until it fits.
        head, tail = (head[:-1], tail) if len(head) > len(tail) // 2 else (head, tail[1:])
        shortened = f"{head}…{tail}{suffix}"
    return shortened


def _finding_detail(result: Result, *, with_message: bool, with_input: bool, width: int) -> list[tuple[str, str]]:
    """The lines of a finding's detail column, each with its style name, before wrapping."""
    lines = [(one_line(result.rule.title), "")]
    name = one_line(display_text(result.resource_name))
    where = _where(result.location)
    place = " · ".join(part for part in (name, where) if part)
    if cell_len(place) > width:
        # Resource and location on lines of their own read better than one wrapped mid-way; the location is never
        # wrapped (an editor or terminal must be able to open it), only shortened in the middle of its path.
        if name:
            lines.append((name, "dim"))
        if where:
            lines.append((fit_location(where, width), "dim"))
    elif place:
        lines.append((place, "dim"))
    if with_input and result.input and (result.location is None or result.input != result.location.file):
        lines.append((f"in {one_line(result.input)}", "dim"))
    if with_message and result.message:
        lines.append((visible(display_text(result.message)), "italic"))
    return lines


def _wrapped(text: str, width: int, console: Console) -> list[str]:
    """`text` as lines of at most `width` cells; only lines that need it, and are not printable ASCII, go through
    rich's (slow) wrapping."""
    lines: list[str] = []
    for line in text.splitlines() or [""]:
        if line.isascii() and line.isprintable():
            lines += [line] if len(line) <= width else _ascii_wrapped(line, width)
        elif cell_len(line) <= width:
            lines.append(line)
        else:
            lines += [part.plain.rstrip() for part in Text(line).wrap(console, width)]
    return lines


_WORD = re.compile(r"\s*\S+\s*")
"""A word and the blanks around it, as rich's wrapping reads words."""


def _ascii_wrapped(line: str, width: int) -> list[str]:
    """`rich.text.Text(line).wrap(console, width)` (each line's text, trailing blanks dropped) for a line of
    printable ASCII, where every character takes one cell: words laid greedily, a word longer than the width cut
    into pieces of the width. The same breaks as rich's, at a fraction of the cost: a verbose report wraps the
    message of every result."""
    breaks: list[int] = []
    offset = 0
    for word in _WORD.finditer(line):
        start, text = word.start(), word.group()
        length = len(text.rstrip())
        if width - offset >= length:
            offset += len(text)
        elif length > width:
            for position in range(0, len(text), width):
                if start:
                    breaks.append(start)
                offset = len(text[position:position + width])
                start += width
        elif offset and start:
            breaks.append(start)
            offset = len(text)
    return [line[begin:end].rstrip() for begin, end in zip([0, *breaks], [*breaks, len(line)], strict=True)]


AGGREGATE_OVER = 10
"""A rule that fails (or can't be decided) on more resources than this in a pillar is shown as one line with the
count, unless `--verbose` asks for every resource."""
_NAMED = 3
"""How many of an aggregated rule's resources are named."""


class _Aggregate(Struct, frozen=True):
    """One rule's failures (or unknowns) on many resources, shown as one entry: `SRC003 on 2,857 resources`."""

    results: tuple[Result, ...]

    @property
    def rule(self) -> RuleInfo:
        return self.results[0].rule

    @property
    def status(self) -> Status:
        return self.results[0].status

    def detail(self) -> list[tuple[str, str]]:
        count = len(self.results)
        shown = ", ".join(one_line(display_text(r.resource_name) or display_text(r.resource_id))
                          for r in self.results[:_NAMED])
        lines = [(one_line(self.rule.title), ""),
                 (f"on {count:,} resources: {shown} and {count - _NAMED:,} more (--verbose lists them)", "dim")]
        if self.status is Status.UNKNOWN:
            # Each distinct message made visible once (`visible` keeps the order of first appearance).
            messages = dict.fromkeys(display_text(r.message) for r in self.results)
            reasons = dict.fromkeys(visible(message) for message in messages)
            first = next(iter(reasons))
            lines.append((first if len(reasons) == 1 else f"{first} (and {len(reasons) - 1:,} other reasons)",
                          "italic"))
        return lines


def _aggregated(results: list[Result]) -> list[Result | _Aggregate]:
    """Sorted results with each run of one rule and status over `AGGREGATE_OVER` resources folded into one."""
    folded: list[Result | _Aggregate] = []
    for _, grouped in itertools.groupby(results, key=attrgetter("rule.id", "status")):
        run = list(grouped)
        if len(run) > AGGREGATE_OVER:
            folded.append(_Aggregate(tuple(run)))
        else:
            folded.extend(run)
    return folded


_DETAIL_WIDTH = 20
"""The narrowest the findings' detail column gets, however narrow the console."""


class _Findings:
    """The findings as aligned columns (status, severity, rule id, detail), the detail wrapped under itself.

    Rendered straight to segments rather than through rich `Text` or `Table`, whose layout passes cost more than
    the review itself for the hundred thousand findings a large inventory gives (and written as plain lines where
    no style shows, `_print_findings`); only lines too long for the column that are not printable ASCII go
    through rich's wrapping.
    """

    def __init__(self, results: list[Result | _Aggregate], *, verbose: bool, with_input: bool) -> None:
        self.results = results
        self.verbose = verbose
        self.with_input = with_input

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        styles: dict[str, Style] = {}

        def style(name: str) -> Style:
            found = styles.get(name)
            if found is None:
                found = styles[name] = console.get_style(name) if name else Style.null()
            return found

        id_width, offset = self._columns()
        hanging, space, newline = Segment(" " * offset), Segment(" "), Segment.line()
        for result, lines in self.rows(console, options.max_width):
            rule = result.rule
            yield Segment("  ")
            yield Segment(result.status.value.ljust(7), style(_STATUS_STYLE[result.status]))
            yield space
            yield Segment(rule.severity.value.ljust(6), style(_SEVERITY_STYLE[rule.severity]))
            yield space
            yield Segment(rule.id.ljust(id_width), style("bold"))
            yield space
            for position, (piece, style_name) in enumerate(lines):
                if position:
                    yield newline
                    yield hanging
                yield Segment(piece, style(style_name))
            yield newline

    def _columns(self) -> tuple[int, int]:
        """The width of the rule id column, and the cells before the detail column."""
        id_width = max(6, *(len(r.rule.id) for r in self.results))
        return id_width, 2 + 7 + 1 + 6 + 1 + id_width + 1

    def fits(self, max_width: int) -> bool:
        """Whether every line fits in `max_width` cells (else rich crops the detail column's narrowest lines)."""
        return max_width - self._columns()[1] >= _DETAIL_WIDTH

    def plain_lines(self, console: Console, width: int) -> Iterator[str]:
        """The findings' lines as text, what rich prints of `__rich_console__` where no style is shown: written
        without rich's layout passes, which take seconds for the hundreds of thousands of lines of a verbose
        report."""
        id_width, offset = self._columns()
        hanging = " " * offset
        heads: dict[tuple[Status, Severity, str], str] = {}
        for result, lines in self.rows(console, width):
            rule = result.rule
            key = (result.status, rule.severity, rule.id)
            head = heads.get(key)
            if head is None:
                head = heads[key] = (f"  {result.status.value.ljust(7)} {rule.severity.value.ljust(6)} "
                                     f"{rule.id.ljust(id_width)} ")
            yield head + lines[0][0]
            for piece, _ in lines[1:]:
                yield hanging + piece

    def rows(self, console: Console, max_width: int) -> Iterator[tuple[Result | _Aggregate, list[tuple[str, str]]]]:
        """Each finding with the lines of its detail column laid out for `max_width` cells (at least one), each
        with its style name."""
        width = max(_DETAIL_WIDTH, max_width - self._columns()[1])
        # The same rule titles and messages come back for thousands of resources: each text is wrapped once.
        wrapped: dict[str, list[str]] = {}
        for result in self.results:
            # An unknown needs its reason to be acted on; other messages only when asked for.
            detail = result.detail() if isinstance(result, _Aggregate) else _finding_detail(
                result, with_message=self.verbose or result.status is Status.UNKNOWN, with_input=self.with_input,
                width=width)
            lines: list[tuple[str, str]] = []
            for text, style_name in detail:
                pieces = wrapped.get(text)
                if pieces is None:
                    pieces = wrapped[text] = _wrapped(text, width, console)
                lines += [(piece, style_name) for piece in pieces]
            yield result, lines or [("", "")]


def _print_findings(findings: _Findings, console: Console) -> None:
    """Print the findings: as plain lines straight to the console's file when it shows no styles (a pipe, a
    file, `NO_COLOR`), records nothing and is wide enough for every line, else through rich. The plain lines
    go to `console.file` itself, past any `Console.capture` (the reporter renders inside none)."""
    if console.color_system is None and not console.record and not console.is_jupyter \
            and findings.fits(console.width):
        console.file.write("".join(line + "\n" for line in findings.plain_lines(console, console.width)))
    else:
        console.print(findings)


def _listed(report: Report) -> list[Result]:
    """Results shown under the pillars: not suppressed, not `AIW000` (shown at the top), and not the questions left
    unanswered (counted in the questionnaire line instead)."""
    return [r for r in report.results if r.status is not Status.NOT_APPLICABLE and r.suppression is None
            and r.rule.id != AIW000.id and not (r.rule.id.startswith("Q-") and _unanswered(r))]


def _unanswered(result: Result) -> bool:
    return result.rule.id.startswith("Q-") and result.answer is None and result.status is Status.UNKNOWN


def _finding_order() -> Callable[[Result], tuple[int, int, str, str, str]]:
    """The order of findings under a pillar: failures first, then unknowns, then passes; high severity first;
    then rule id, resource name (lower case) and input. A name is lower-cased once, not once per rule."""
    lowered: dict[int, tuple[object, str]] = {}
    ranks = {severity: -severity.rank for severity in Severity}

    def order(result: Result) -> tuple[int, int, str, str, str]:
        rule, name = result.rule, result.resource_name
        # Results on one resource hold the same name object: its `id()` stands for it while the results live.
        kept = lowered.get(id(name))
        if kept is None or kept[0] is not name:
            kept = (name, display_text(name).lower())
            lowered[id(name)] = kept
        return (_STATUS_ORDER[result.status], ranks[rule.severity], rule.id, kept[1], result.input)

    return order


def _render_header(report: Report, console: Console) -> None:
    analysed = len(report.inputs) - len(report.not_analysed)
    header = Text(f"aiwell {report.tool_version}", style="bold")
    header.append(f" · {analysed} of {len(report.inputs)} inputs analysed"
                  f" · {len(report.resources)} resources")
    if len(report.pillars) < len(Pillar):
        header.append(" · " + ", ".join(_pillar_title(pillar) for pillar in report.pillars) + " only")
    console.print(header)


def _input_label(record: InputRecord, *, line: int | None = None) -> str:
    label = _where(Location(record.path, line))
    return label if record.parameters is None else f"{label} (parameters {one_line(record.parameters)})"


def _render_not_analysed(report: Report, console: Console) -> None:
    records = report.not_analysed
    if not records:
        return
    console.print()
    count = "1 input" if len(records) == 1 else f"{len(records)} inputs"
    console.print(Text(f"{count} not analysed: their resources were not reviewed", style="bold red"))
    table = Table.grid(padding=(0, 1))
    table.add_column(no_wrap=True)
    table.add_column()
    # The file:line is never wrapped: shortened in the middle of its path to the detail column's width.
    room = max(20, console.width - 2 - len(AIW000.id) - 1)
    for record in records:
        detail = Text(fit_location(_where(Location(record.path, record.line)), room), style="bold")
        if record.parameters is not None:
            detail.append(f" (parameters {one_line(record.parameters)})")
        if record.address:
            detail.append(f" ({one_line(record.address)})")
        detail.append("\n" + visible(record.reason or "the input could not be analysed"))
        table.add_row(Text(AIW000.id, style="bold red"), detail)
    console.print(_indented(table))


def _render_partial(report: Report, console: Console) -> None:
    partial = report.partial_inputs
    if not partial:
        return
    console.print()
    count = "1 input" if len(partial) == 1 else f"{len(partial)} inputs"
    console.print(Text(f"{count} partly reviewed: what the parts below hold was not reviewed, and rules that look "
                       "for it answer unknown", style="bold yellow"))
    for label, parts in partial.items():
        console.print(_indented(Text(one_line(label), style="bold")))
        for part in parts:
            console.print(_indented(Text(visible(part)), by=4))


def _render_notes(report: Report, console: Console) -> None:
    noted = [record for record in report.inputs if record.notes]
    if not noted:
        return
    console.print()
    console.print(Text("Notes", style="bold yellow"))
    for record in noted:
        console.print(_indented(Text(_input_label(record), style="bold")))
        for note in record.notes:
            console.print(_indented(Text(visible(note)), by=4))


def _render_nothing_checked(report: Report, console: Console) -> None:
    if not nothing_checked(report):
        return
    count = len(report.resources)
    console.print()
    console.print(Text(f"Nothing was checked: none of the rules run applies to these {count} resource"
                       f"{'s' if count != 1 else ''}, so the absence of findings proves nothing (check --rule, "
                       "--pillar and the rules' resource types).", style="bold yellow"))


def _render_pillar(pillar: Pillar, results: list[Result], score: Score, console: Console, *,
                   verbose: bool, with_input: bool) -> None:
    console.print()
    title = Text(f" {_pillar_title(pillar)} · score {_percent(score.score)}"
                 f" · coverage {_percent(score.coverage)}% ", style="bold")
    console.rule(title, align="left")
    statuses = list(map(attrgetter("status"), results))
    passed = statuses.count(Status.PASS)
    shown = sorted(results if verbose or not passed else itertools.compress(
        results, map(Status.PASS.__ne__, statuses)), key=_finding_order())
    if shown:
        _print_findings(_Findings(list[Result | _Aggregate](shown) if verbose else _aggregated(shown),
                                  verbose=verbose, with_input=with_input), console)
    if passed and not verbose:
        console.print(_indented(Text(f"{passed:,} passed (--verbose lists them)", style="green")))


_AREA_TITLES = {DesignArea.MLOPS_LLMOPS: "MLOps / LLMOps", DesignArea.RESPONSIBLE_AI: "Responsible AI"}
"""Design areas whose title is not their name capitalised."""


def _area_title(area: DesignArea) -> str:
    return _AREA_TITLES.get(area, area.value.replace("-", " ").capitalize())


def _score_table(heading: str) -> Table:
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    table.add_column(heading, no_wrap=True)
    for column in ("score", "coverage", "failed", "unknown", "passed"):
        table.add_column(column, justify="right", no_wrap=True)
    return table


def _score_row(table: Table, label: str, score: Score, style: str = "") -> None:
    coverage = "—" if score.coverage is None else f"{score.coverage:.1f}%"
    # A score decided by one or two minor results is marked (and explained under the table), rather than passing
    # for a measured 0 or 100.
    shown = _percent(score.score) + ("*" if score.thin else "")
    table.add_row(label, shown, coverage, str(score.failed), str(score.unknown), str(score.passed), style=style)


def _thin_notes(rows: list[tuple[str, Score]], console: Console) -> None:
    for label, score in rows:
        if score.thin:
            console.print(_indented(Text(f"* {label}: scored from {score.basis()} only", style="dim")))


def _render_scores(report: Report, console: Console) -> None:
    pillars = _score_table("pillar")
    for pillar, score in report.scores.pillars.items():
        _score_row(pillars, _pillar_title(pillar), score)
    pillars.add_section()
    _score_row(pillars, "Overall", report.scores.overall, style="bold")
    console.print()
    console.rule(Text(" Scores ", style="bold"), align="left")
    console.print(_indented(pillars))
    _thin_notes([(_pillar_title(p), score) for p, score in report.scores.pillars.items()], console)
    # Design areas that no rule of this run touched are left out: a row of dashes says nothing.
    areas = [(area, score) for area, score in report.scores.design_areas.items()
             if score.passed or score.failed or score.unknown]
    if areas:
        table = _score_table("AI design area")
        for area, score in areas:
            _score_row(table, _area_title(area), score)
        console.print()
        console.print(_indented(table))
        _thin_notes([(_area_title(area), score)
                     for area, score in areas], console)


_SNIPPET_LINES = 12
"""How many lines of a remediation snippet the top actions show (the rest: `aiwell rules ID`)."""


def _render_workload(report: Report, console: Console) -> None:
    if not report.workload:
        if report.resources:
            # Said, not left out: the pattern rules and archetype-specific advice did not find their workload.
            console.print(Text("Workload: none of the AI archetypes (" + ", ".join(ARCHETYPES)
                               + ") recognised in these resources", style="dim"))
        return
    line = Text("Workload: ", style="bold")
    for index, archetype in enumerate(report.workload):
        if index:
            line.append("; ")
        line.append(archetype.name, style="bold cyan")
        line.append(f" ({archetype.reason})")
    console.print(line)


_ACTION_NAMED = 5
"""How many of a top action's resources are named."""


def _last_names(results: list[Result], resource_ids: set[str]) -> dict[str, str]:
    """The name of each of `resource_ids` that has one: of the results on it with a name, the last one's."""
    names: dict[str, str] = {}
    pending = set(resource_ids)
    for result in reversed(results):
        if not pending:
            break
        if result.resource_id in pending and result.resource_name:
            names[result.resource_id] = display_text(result.resource_name)
            pending.discard(result.resource_id)
    return names


def _render_top_actions(report: Report, console: Console) -> None:
    if not report.top_actions:
        return
    console.print()
    console.rule(Text(" Top actions ", style="bold"), align="left")
    # Actions list resource ids; they are named as the findings below name them (an unresolved id says little).
    names = _last_names(report.results, {resource_id for action in report.top_actions
                                         for resource_id in action.resources[:_ACTION_NAMED]})
    for number, action in enumerate(report.top_actions, start=1):
        rule = action.rule
        head = Text(f" {number}. ")
        head.append(rule.severity.value.ljust(6), style=_SEVERITY_STYLE[rule.severity])
        head.append(" ")
        head.append(rule.id, style="bold")
        head.append(f"  {rule.title}")
        console.print(head)
        count = len(action.resources)
        facts = [f"+{action.gain:.1f} points"]
        if rule.waf:
            facts.append(rule.waf[0])
        if action.resources:
            named = [one_line(names.get(resource_id) or resource_id.rsplit("/", 1)[-1])
                     for resource_id in action.resources[:_ACTION_NAMED]]
            shown = ", ".join(named) + (f" and {count - _ACTION_NAMED:,} more" if count > _ACTION_NAMED else "")
            facts.insert(0, f"{count:,} resource{'s' if count != 1 else ''}: {shown}")
        else:
            facts.insert(0, "a process change")
        console.print(_indented(Text(" · ".join(facts), style="dim"), by=5))
        if action.message:
            console.print(_indented(Text(one_line(action.message), style="italic"), by=5))
        if action.remediation_format == "text":
            console.print(_indented(Text(action.remediation), by=5))
        elif action.remediation:
            lines = action.remediation.splitlines()
            console.print(_indented(Text(f"Fix ({action.remediation_format}):", style="bold"), by=5))
            snippet = "\n".join(lines[:_SNIPPET_LINES])
            if len(lines) > _SNIPPET_LINES:
                snippet += f"\n… ({len(lines) - _SNIPPET_LINES} more lines: aiwell rules {rule.id})"
            console.print(_indented(Text(snippet), by=7))


def _render_questionnaire(report: Report, console: Console, *, verbose: bool) -> None:
    summary = report.questionnaire
    console.print()
    if summary is None:
        console.print(Text("Process questions were not part of this review: `aiwell questionnaire init FILE`, "
                           "then `aiwell review ... --answers FILE`.", style="dim"))
        return
    where = f" ({summary.answers_file})" if summary.answers_file else ""
    console.print(Text(f"Questionnaire{where}: {summary.answered} answered, {summary.inferred} inferred from "
                       f"evidence, {summary.not_applicable} not applicable, {summary.unanswered} unanswered "
                       f"(unknown) of {summary.questions}.", style="bold"))
    if summary.unanswered:
        command = f"aiwell questionnaire --answers {summary.answers_file or 'FILE'}"
        unanswered = [result for result in report.results if _unanswered(result)]
        by_area = {area: [r.rule.id for r in unanswered if r.rule.design_area is area] for area in DesignArea}
        listed = [(area, ids) for area, ids in by_area.items() if ids]
        if verbose:
            for area, ids in listed:
                console.print(_indented(Text(f"{_area_title(area)}: {', '.join(ids)}"), by=2))
        elif listed:
            console.print(_indented(Text("Unanswered by design area: " + ", ".join(
                f"{_area_title(area)} {len(ids)}" for area, ids in listed)
                + " (--verbose lists them)"), by=2))
        console.print(Text(f"Unanswered questions are unknown: they lower coverage and fail the gate (exit 1) "
                           f"unless --allow-unanswered; answer them with `{command}`.", style="dim"))


def summary_line(report: Report, *, listed: list[Result] | None = None) -> str:
    """The one-line summary: `12 failed, 3 unknown, 40 passed · 2 inputs not analysed · score 61.5`.

    Counts are of the findings listed (answered questions included); inputs not analysed, inputs partly reviewed
    and questions left unanswered are counted on their own. `listed` is `_listed(report)` when the caller has it.
    """
    counts = dict.fromkeys(_STATUS_ORDER, 0)
    for result in _listed(report) if listed is None else listed:
        counts[result.status] += 1
    parts = [f"{counts[Status.FAIL]} failed, {counts[Status.UNKNOWN]} unknown, {counts[Status.PASS]} passed"]
    if report.summary.suppressed:
        parts.append(f"{report.summary.suppressed} suppressed")
    not_analysed = len(report.not_analysed)
    if not_analysed:
        parts.append(f"{not_analysed} input{'s' if not_analysed != 1 else ''} not analysed")
    partial = report.summary.partial
    if partial:
        parts.append(f"{partial} input{'s' if partial != 1 else ''} partly reviewed")
    unanswered = report.questionnaire.unanswered if report.questionnaire is not None else 0
    if unanswered:
        parts.append(f"{unanswered} question{'s' if unanswered != 1 else ''} unanswered")
    overall = report.scores.overall.score
    parts.append("no score" if overall is None else f"score {overall:.1f}")
    return " · ".join(parts)


def _by_pillar(results: list[Result], pillars: tuple[Pillar, ...]) -> Iterator[tuple[Pillar, list[Result]]]:
    grouped: dict[Pillar, list[Result]] = {pillar: [] for pillar in pillars}
    for result in results:
        for pillar in result.rule.pillars:
            group = grouped.get(pillar)
            if group is not None:
                group.append(result)
    return ((pillar, found) for pillar, found in grouped.items() if found)


def render_terminal(report: Report, console: Console, *, verbose: bool = False, gate: str | None = None) -> None:
    """Print the report for a person at a terminal. `verbose` lists passes and every message; `gate` is why the
    exit code is what it is (`exit 1: 5 high findings ≥ --fail-on high`), printed last."""
    _render_header(report, console)
    _render_not_analysed(report, console)
    _render_partial(report, console)
    _render_workload(report, console)
    _render_top_actions(report, console)
    _render_notes(report, console)
    _render_nothing_checked(report, console)
    with_input = len(report.input_labels) > 1
    listed = _listed(report)
    for pillar, in_pillar in _by_pillar(listed, report.pillars):
        _render_pillar(pillar, in_pillar, report.scores.pillars[pillar], console, verbose=verbose,
                       with_input=with_input)
    _render_scores(report, console)
    _render_questionnaire(report, console, verbose=verbose)
    console.print()
    console.print(Text(summary_line(report, listed=listed), style="bold"))
    if gate:
        console.print(Text(gate, style="bold red" if gate.startswith("exit 1") else "bold green"))


__all__ = ["fit_location", "render_terminal", "summary_line"]
