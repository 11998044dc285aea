"""`aiwell eval`: run a suite, compare two runs, plan a suite's size, start the stub model, import other results.

Exit codes as every aiwell command (DESIGN.md §1.6): 0 clean; 1 a gate failed (`--min-pass-rate`, `--baseline`
with `--margin`, `--fail-on-errors`, or `compare --fail-on-regression`); 2 a usage or configuration error; 3 a bug.
"""

from __future__ import annotations

import asyncio
import dataclasses
import sys
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import click
from rich.console import Console

from aiwell.cli.runner import lazy_module, open_output, run_group, stderr_console, write_output
from aiwell.errors import ExitCode, UsageError

if TYPE_CHECKING:
    from aiwell.eval import report as reports
else:
    reports = lazy_module("aiwell.eval.report")  # numpy and scipy only when a command needs them, not for --help

_FORMATS = ["terminal", "json", "junit", "markdown", "html"]
_DEFAULT_LOG_DIR = Path(".aiwell") / "eval"
_REPORT_WIDTH = 100


@click.group(name="eval", context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
def eval_group() -> None:
    """Statistical testing of nondeterministic AI systems: every number comes with its uncertainty."""


def _format_option(default: str = "terminal") -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    return click.option("-f", "--format", "output_format", type=click.Choice(_FORMATS), default=default,
                        show_default=True, help="Report format.")


_output_option = click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False),
                              help="Write the report to this file instead of standard output.")


def _default_log(suite_path: Path, *, resume: bool) -> Path:
    """A new log per run, so a later run never overwrites an earlier one; `--resume` takes the newest."""
    if resume:
        earlier = sorted(_DEFAULT_LOG_DIR.glob(f"{suite_path.stem}-*.jsonl"))
        if not earlier:
            raise UsageError(f"--resume: no earlier run log of {suite_path.name} in {_DEFAULT_LOG_DIR}",
                             hint="name the log to finish with --log")
        return earlier[-1]
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    return _DEFAULT_LOG_DIR / f"{suite_path.stem}-{stamp}.jsonl"


@eval_group.command("run")
@click.argument("suite_path", metavar="SUITE", type=click.Path(path_type=Path, dir_okay=False))
@_format_option()
@_output_option
@click.option("--repeats", type=click.IntRange(min=1), help="Samples per case (overrides the suite's `repeats`).")
@click.option("--concurrency", type=click.IntRange(min=1), help="Requests in flight at once (overrides the suite).")
@click.option("--rpm", type=click.IntRange(min=1), help="Requests-per-minute limit (overrides the suite).")
@click.option("--tpm", type=click.IntRange(min=1), help="Tokens-per-minute limit (overrides the suite).")
@click.option("--log", "log_path", type=click.Path(path_type=Path, dir_okay=False),
              help="Run log (JSONL) to write; default a new .aiwell/eval/<suite file name>-<UTC time>.jsonl per "
                   "run (with --resume: the newest one of that suite).")
@click.option("--resume", is_flag=True, help="Finish the run in --log without redoing the samples it holds.")
@click.option("--retry-errors", is_flag=True, help="With --resume, run the samples that errored again too.")
@click.option("--cache", "cache_dir", type=click.Path(path_type=Path, file_okay=False),
              help="Cache target outputs here, keyed on (target, parameters, input, repeat index); a rerun "
                   "reuses them. Off by default, so every run draws fresh samples.")
@click.option("--confidence", type=click.FloatRange(0.5, 0.999), default=0.95, show_default=True,
              help="Confidence level of every interval.")
@click.option("--min-pass-rate", type=click.FloatRange(0, 1),
              help="Gate: fail (exit 1) when the LOWER bound of the suite's interval is below this.")
@click.option("--baseline", type=click.Path(path_type=Path, dir_okay=False),
              help="Gate: an earlier run (report JSON or run log) this run must not be worse than by --margin.")
@click.option("--margin", type=click.FloatRange(0, 1), default=0.02, show_default=True,
              help="Non-inferiority margin for --baseline: fail when the lower bound of (this − baseline) is "
                   "below −margin.")
@click.option("--fail-on-errors", type=click.IntRange(min=0), metavar="N",
              help="Gate: fail when more than N samples errored (0: any error fails).")
def run_command(suite_path: Path, output_format: str, output: Path | None, repeats: int | None,
                concurrency: int | None, rpm: int | None, tpm: int | None, log_path: Path | None, resume: bool,
                retry_errors: bool, cache_dir: Path | None, confidence: float, min_pass_rate: float | None,
                baseline: Path | None, margin: float, fail_on_errors: int | None) -> None:
    """Run the suite in SUITE (YAML) and report every pass rate with its interval."""
    if not suite_path.is_file():
        raise UsageError(f"no such suite file: {suite_path}")
    from aiwell.eval.runner import run_suite
    from aiwell.eval.suite import load_suite

    baseline_report = reports.load_report(baseline) if baseline is not None else None
    suite = load_suite(suite_path)
    if repeats is not None:
        suite = suite.model_copy(update={"repeats": repeats})
    if retry_errors and not resume:
        raise UsageError("--retry-errors only applies with --resume")
    result = asyncio.run(run_suite(
        suite, log_path=log_path or _default_log(suite_path, resume=resume), resume=resume,
        retry_errors=retry_errors, concurrency=concurrency, rpm=rpm, tpm=tpm, cache_dir=cache_dir, progress=True,
    ))
    document = reports.report_from_log(Path(result.log_path), confidence=confidence)

    gates = []
    if min_pass_rate is not None:
        gates.append(reports.min_pass_rate_gate(document, min_pass_rate))
    if baseline_report is not None:
        comparison = reports.compare_reports(baseline_report, document, confidence=confidence)
        document["baseline"] = comparison
        gates.append(reports.non_inferiority_gate(comparison, margin))
    if fail_on_errors is not None:
        gates.append(reports.errors_gate(document, fail_on_errors))
    if gates:
        document["gates"] = [g.as_dict() for g in gates]
    _emit(document, output_format, output, min_pass_rate=min_pass_rate)
    stderr_console().print(f"Run log: {result.log_path}", highlight=False)
    if any(not g.passed for g in gates):
        sys.exit(ExitCode.FINDINGS)


@eval_group.command("compare")
@click.argument("run_a", metavar="A", type=click.Path(path_type=Path, dir_okay=False))
@click.argument("run_b", metavar="B", type=click.Path(path_type=Path, dir_okay=False))
@_format_option()
@_output_option
@click.option("--confidence", type=click.FloatRange(0.5, 0.999), default=0.95, show_default=True)
@click.option("--alpha", type=click.FloatRange(0.0001, 0.5), default=0.05, show_default=True,
              help="Significance level of the tests.")
@click.option("--adjust", type=click.Choice(["holm", "bh"]), default="holm", show_default=True,
              help="Multiple-comparison adjustment across tags: Holm (family-wise) or Benjamini–Hochberg (FDR).")
@click.option("--margin", type=click.FloatRange(0, 1),
              help="Gate: fail (exit 1) when the lower bound of (B − A) is below −margin (non-inferiority).")
@click.option("--fail-on-regression", is_flag=True, help="Gate: fail (exit 1) on a significant drop from A to B.")
def compare_command(run_a: Path, run_b: Path, output_format: str, output: Path | None, confidence: float,
                    alpha: float, adjust: Literal["holm", "bh"], margin: float | None,
                    fail_on_regression: bool) -> None:
    """Compare run B against run A on the same cases: the paired change (B − A), its interval and test.

    A and B are reports (`run --format json`, `import`) or run logs. Runs whose cases differ are refused."""
    comparison = reports.compare_reports(reports.load_report(run_a), reports.load_report(run_b),
                                         confidence=confidence, alpha=alpha, adjust=adjust)
    gates = []
    if margin is not None:
        gates.append(reports.non_inferiority_gate(comparison, margin))
    if fail_on_regression:
        dropped = comparison["significant"] and comparison["delta"] < 0
        gates.append(reports.Gate("regression", not dropped,
                                  "a significant drop from A to B" if dropped else "no significant drop from A to B"))
    if gates:
        comparison["gates"] = [g.as_dict() for g in gates]
    _emit(comparison, output_format, output)
    if any(not g.passed for g in gates):
        sys.exit(ExitCode.FINDINGS)


@eval_group.command("plan")
@click.argument("pilot", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--effect", type=click.FloatRange(0.001, 1), default=0.05, show_default=True,
              help="Smallest change in pass rate to detect (0.05 = 5 points).")
@click.option("--power", type=click.FloatRange(0.5, 0.999), default=0.8, show_default=True)
@click.option("--alpha", type=click.FloatRange(0.0001, 0.5), default=0.05, show_default=True)
@click.option("--cost-per-sample", type=click.FloatRange(min=0), default=1.0, show_default=True,
              help="Cost of one target call.")
@click.option("--cost-per-case", type=click.FloatRange(min=0), default=0.0, show_default=True,
              help="Cost of writing one more case.")
@click.option("--max-repeats", type=click.IntRange(min=1), default=20, show_default=True)
@click.option("-f", "--format", "output_format", type=click.Choice(["terminal", "json"]), default="terminal",
              show_default=True)
@_output_option
def plan_command(pilot: Path, effect: float, power: float, alpha: float, cost_per_sample: float,
                 cost_per_case: float, max_repeats: int, output_format: str, output: Path | None) -> None:
    """From a PILOT run, recommend cases × repeats that detect a change of --effect with --power, cheapest first."""
    from aiwell.eval import stats

    outcomes = [o for o in reports.outcomes_by_case(reports.load_report(pilot)).values() if o]
    if len(outcomes) < 2:
        raise UsageError(f"{pilot}: a pilot needs at least two cases with outcomes to estimate variances")
    plan = stats.plan_from_pilot(outcomes, effect=effect, power=power, alpha=alpha, cost_per_sample=cost_per_sample,
                                 cost_per_case=cost_per_case, max_repeats=max_repeats)
    document = {"schema": "aiwell.eval-plan/1", "pilot": str(pilot), **dataclasses.asdict(plan)}
    if output_format == "json":
        write_output(output, reports.render_json(document))
    else:
        _to_console(output, lambda console: _print_plan(document, console))


def _print_plan(plan: Mapping[str, Any], console: Console) -> None:
    from rich.table import Table

    parts = plan["components"]
    console.print(
        f"pilot: {parts['n_cases']} cases, {parts['n_samples']} samples, pass rate {parts['mean'] * 100:.1f}%; "
        f"between-case variance {parts['between_var']:.4f}, within-case {parts['within_var']:.4f} "
        f"(ICC {parts['icc']:.2f})", highlight=False)
    console.print(f"to detect a change of {plan['effect'] * 100:.1f} points between two runs on the same cases with "
                  f"power {plan['power']:.0%} at α = {plan['alpha']}:", highlight=False)
    table = Table(show_edge=False)
    for column in ("repeats", "cases", "samples/run", "cost/run", "power", "± one run", "cases if unpaired"):
        table.add_column(column, justify="right")
    best = plan["recommended"]
    for row in plan["rows"]:
        table.add_row(str(row["repeats"]), str(row["n_cases"]), str(row["n_samples"]), f"{row['cost']:.0f}",
                      f"{row['power']:.2f}", f"{row['one_run_half_width'] * 100:.1f} pts", str(row["unpaired_n_cases"]),
                      style="bold green" if row == best else None)
    console.print(table)
    for note in plan["notes"]:
        console.print(f"note: {note}", highlight=False)
    if best is not None:
        console.print(f"recommended: {best['n_cases']} cases × {best['repeats']} repeats ({best['n_samples']} "
                      "samples per run)", highlight=False)


@eval_group.command("stub")
@click.option("--config", "config_path", type=click.Path(path_type=Path, dir_okay=False),
              help="Stub configuration (YAML or JSON): per-case pass probabilities, latency, 429/500 rates, seed.")
@click.option("--port", type=click.IntRange(0, 65535), default=0, show_default=True,
              help="Port on 127.0.0.1 (0: any free port).")
def stub_command(config_path: Path | None, port: int) -> None:
    """Serve a stub OpenAI-compatible chat model on 127.0.0.1 for demos and tests, until Ctrl-C."""
    from aiwell.eval import stub

    config = stub.load_stub_config(config_path) if config_path is not None else stub.StubConfig()
    stub.serve_forever(config, port=port, on_ready=lambda url: click.echo(
        f"stub model listening on {url} (OpenAI-compatible: {url}/v1/chat/completions); Ctrl-C stops it"))


@eval_group.command("import")
@click.argument("source_file", metavar="FILE", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--from", "source", type=click.Choice(["promptfoo", "inspect", "azure-ai-evaluation"]), required=True,
              help="The harness that wrote FILE.")
@_output_option
@click.option("--threshold", type=float, default=1.0, show_default=True,
              help="Inspect: the score a sample must reach to pass (\"C\" is 1, \"P\" 0.5).")
@click.option("--confidence", type=click.FloatRange(0.5, 0.999), default=0.95, show_default=True)
def import_command(source_file: Path, source: str, output: Path | None, threshold: float, confidence: float) -> None:
    """Convert another harness's results in FILE to an aiwell eval report (JSON), so compare and plan work on them."""
    from aiwell.eval.importers import import_results

    if not source_file.is_file():
        raise UsageError(f"no such file: {source_file}")
    imported = import_results(source_file, source, threshold=threshold)
    document = reports.build_report(imported.samples, suite=imported.suite, confidence=confidence,
                                    source={"format": imported.source, "file": str(source_file), **imported.details})
    write_output(output, reports.render_json(document))
    summary = document["summary"]
    stderr_console().print(f"imported {len(imported.samples)} samples of {summary['n_cases']} cases "
                    f"({summary['errors']} errored) from {source_file}", highlight=False)


def _emit(document: dict[str, Any], output_format: str, output: Path | None, *,
          min_pass_rate: float | None = None) -> None:
    """Render a report or a comparison in `output_format` to `output` (or standard output)."""
    is_compare = document["schema"] == reports.COMPARE_SCHEMA
    if output_format == "terminal":
        def draw(console: Console) -> None:
            if is_compare:
                reports.render_compare_terminal(document, console)
                return
            reports.render_terminal(document, console)
            if document.get("baseline"):
                console.print("[bold]against the baseline[/]")
                reports.render_compare_terminal(document["baseline"], console)

        _to_console(output, draw)
        return
    if output_format == "json":
        text = reports.render_json(document)
    elif output_format == "junit":
        text = reports.render_compare_junit(document) if is_compare else reports.render_junit(
            document, min_pass_rate=min_pass_rate)
    elif output_format == "markdown":
        text = reports.render_compare_markdown(document) if is_compare else reports.render_markdown(document)
    else:
        text = reports.render_compare_html(document) if is_compare else reports.render_html(document)
    write_output(output, text)


def _to_console(output: Path | None, draw: Callable[[Console], Any]) -> None:
    if output is None:
        draw(Console())
        return
    with open_output(output) as handle:
        draw(Console(file=handle, width=_REPORT_WIDTH, color_system=None, soft_wrap=False))


def main(argv: Sequence[str] | None = None) -> None:
    """Run `aiwell eval` on its own (tests, `python -m`), with the exit codes of DESIGN.md §1.6."""
    run_group(eval_group, argv, prog_name="aiwell eval")


__all__ = ["eval_group", "main"]
