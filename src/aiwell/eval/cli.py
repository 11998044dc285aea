"""`aiwell eval`: run a suite, compare two runs, plan a suite's size, start the stub model, import other results.

Exit codes as every aiwell command (DESIGN.md §1.6): 0 clean; 1 a gate failed (`--min-pass-rate`, `--baseline`
with `--margin`, `--max-errors` (on by default: any errored sample fails), or `compare --fail-on-regression`);
2 a usage or configuration error; 3 a bug; 130 interrupted (the message says how to resume).
"""

from __future__ import annotations

import errno
import sys
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, Literal

import click
from rich.console import Console

from aiwell.cli import runner
from aiwell.cli.runner import run_group, stderr_console
from aiwell.errors import ExitCode, UsageError

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


def write_output(path: Path | None, text: str) -> None:
    """Write a report to `path` (its folder made when missing, as `--output runs/main.json` expects) or stdout."""
    runner.write_output(_with_folder(path) if path is not None else None, text)


def open_output(path: Path) -> IO[str]:
    """Open a report file for writing, its folder made when missing."""
    return runner.open_output(_with_folder(path))


def _with_folder(path: Path) -> Path:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"cannot write {path}: cannot make its folder {path.parent} ({exc.strerror})") from exc
    return path


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
@click.option("--interval", "question", type=click.Choice(["cases-like-these", "these-cases"]),
              default="cases-like-these", show_default=True,
              help="What the headline interval and --min-pass-rate speak for: cases like the suite's (its cases "
                   "are a sample of the cases you could write) or these cases (the suite is the whole "
                   "specification; only repeats are random).")
@click.option("--sequential", is_flag=True,
              help="With --min-pass-rate: run round by round and stop as soon as an anytime-valid interval for "
                   "these cases decides the gate.")
@click.option("--baseline", type=click.Path(path_type=Path, dir_okay=False),
              help="Gate: an earlier run (report JSON or run log) this run must not be worse than by --margin.")
@click.option("--margin", type=click.FloatRange(0, 1), default=0.02, show_default=True,
              help="Non-inferiority margin for --baseline: fail when the lower bound of (this − baseline) is "
                   "below −margin.")
@click.option("--max-errors", default="0", show_default=True, metavar="N|RATE",
              help="Gate: fail when more samples errored than this: a count, or a share such as 1% or 0.01. "
                   "Errored samples are in no rate, so by default any error fails the run.")
@click.option("--fail-on-errors", type=click.IntRange(min=0), metavar="N", hidden=True,
              help="Older spelling of --max-errors N.")
@click.option("--prices", "prices_path", type=click.Path(path_type=Path, dir_okay=False),
              help="Price table (JSON or YAML: as_of, currency, models: {name: {input, output}} per 1M tokens) "
                   "for the cost; default: the built-in, dated Azure OpenAI list prices.")
def run_command(suite_path: Path, output_format: str, output: Path | None, repeats: int | None,
                concurrency: int | None, rpm: int | None, tpm: int | None, log_path: Path | None, resume: bool,
                retry_errors: bool, cache_dir: Path | None, confidence: float, min_pass_rate: float | None,
                question: str, sequential: bool, baseline: Path | None, margin: float, max_errors: str,
                fail_on_errors: int | None, prices_path: Path | None) -> None:
    """Run the suite in SUITE (YAML) and report every pass rate with its interval."""
    from aiwell.eval import report as reports

    if not suite_path.is_file():
        raise UsageError(f"no such suite file: {suite_path}")
    from aiwell.eval.prices import load_prices
    from aiwell.eval.runner import run_suite, run_until_ctrl_c
    from aiwell.eval.sequential import SequentialGate
    from aiwell.eval.suite import load_suite

    try:
        allowed_errors = float(fail_on_errors) if fail_on_errors is not None else reports.parse_max_errors(max_errors)
    except ValueError as exc:
        raise UsageError(f"--max-errors {max_errors!r}: {exc}", hint="a count (0, 3) or a share (1%, 0.01)") from exc
    if fail_on_errors is not None:
        allowed_errors = int(fail_on_errors)
    if sequential and min_pass_rate is None:
        raise UsageError("--sequential stops when the --min-pass-rate gate is decided; give --min-pass-rate")
    if sequential and question == "cases-like-these" and _given("question"):
        raise UsageError("--sequential decides for these cases: repeats can't make a suite speak for more cases "
                         "than it has", hint="drop --interval cases-like-these, or run without --sequential")
    if sequential:
        question = "these-cases"
    if retry_errors and not resume:
        raise UsageError("--retry-errors only applies with --resume")
    prices = load_prices(prices_path) if prices_path is not None else None
    baseline_report = reports.load_report(baseline) if baseline is not None else None
    suite = load_suite(suite_path)
    if repeats is not None:
        suite = suite.model_copy(update={"repeats": repeats})
    log = log_path or _default_log(suite_path, resume=resume)
    gate = SequentialGate(min_pass_rate, confidence) if sequential and min_pass_rate is not None else None
    try:
        result = run_until_ctrl_c(run_suite(
            suite, log_path=log, resume=resume, retry_errors=retry_errors, concurrency=concurrency, rpm=rpm,
            tpm=tpm, cache_dir=cache_dir, progress=True, sequential=gate,
        ))
    except KeyboardInterrupt:
        err = stderr_console()
        err.print(f"Interrupted. The samples finished so far are in {log}.", highlight=False)
        if log.is_file():
            err.print(f"Resume with: aiwell eval run {suite_path} --log {log} --resume", highlight=False)
        sys.exit(130)
    document = reports.report_from_log(Path(result.log_path), confidence=confidence,
                                       question=question,  # type: ignore[arg-type]
                                       prices=prices)

    gates = []
    if result.stopped is not None:
        import msgspec

        stop = msgspec.to_builtins(result.stopped)
        document["summary"]["sequential"] = stop
        assert min_pass_rate is not None
        gates.append(reports.sequential_gate(stop, min_pass_rate))
    elif min_pass_rate is not None:
        gates.append(reports.min_pass_rate_gate(document, min_pass_rate))
    if baseline_report is not None:
        comparison = reports.compare_reports(baseline_report, document, confidence=confidence)
        document["baseline"] = comparison
        gates.append(reports.non_inferiority_gate(comparison, margin))
    gates.append(reports.errors_gate(document, allowed_errors))
    if document["summary"]["n_cases"] == 0 and not any(g.name == "min-pass-rate" for g in gates):
        gates.append(reports.Gate("scored", False, "no sample was scored: nothing was tested"))
    document["gates"] = [g.as_dict() for g in gates]
    _emit(document, output_format, output, min_pass_rate=min_pass_rate)
    stderr_console().print(f"Run log: {result.log_path}", highlight=False)
    if any(not g.passed for g in gates):
        sys.exit(ExitCode.FINDINGS)


def _given(name: str) -> bool:
    """Whether the option `name` was given on the command line (not left at its default)."""
    context = click.get_current_context()
    return context.get_parameter_source(name) is click.core.ParameterSource.COMMANDLINE


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
    from aiwell.eval import report as reports

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
@click.option("--cost-per-sample", type=click.FloatRange(min=0),
              help="Cost of one target call; default: the pilot's mean token usage priced with --prices.")
@click.option("--cost-per-case", type=click.FloatRange(min=0), default=0.0, show_default=True,
              help="Cost of writing one more case.")
@click.option("--max-repeats", type=click.IntRange(min=1), default=20, show_default=True)
@click.option("--prices", "prices_path", type=click.Path(path_type=Path, dir_okay=False),
              help="Price table for the cost per sample (default: the built-in, dated Azure OpenAI prices).")
@click.option("-f", "--format", "output_format", type=click.Choice(["terminal", "json"]), default="terminal",
              show_default=True)
@_output_option
def plan_command(pilot: Path, effect: float, power: float, alpha: float, cost_per_sample: float | None,
                 cost_per_case: float, max_repeats: int, prices_path: Path | None, output_format: str,
                 output: Path | None) -> None:
    """From a PILOT run, recommend cases × repeats that detect a change of --effect with --power, cheapest first.

    When the pilot's cases have clusters, the plan counts clusters, as compare tests at that level."""
    from aiwell.eval import report as reports
    from aiwell.eval import stats
    from aiwell.eval.prices import default_prices, load_prices, usage_of

    report = reports.load_report(pilot)
    by_case = {case: o for case, o in reports.outcomes_by_case(report).items() if o}
    if len(by_case) < 2:
        raise UsageError(f"{pilot}: a pilot needs at least two cases with outcomes to estimate variances")
    cluster_of = {c["id"]: c.get("cluster") for c in report["cases"]}
    keys = [cluster_of.get(case) for case in by_case]
    table = load_prices(prices_path) if prices_path is not None else default_prices()
    usage = usage_of(report["samples"], table).as_dict(table)
    unit = "per sample (given)"
    if cost_per_sample is None:
        if usage["cost_per_sample"] is not None and usage["complete"]:
            cost_per_sample, unit = usage["cost_per_sample"], f"{usage['currency']} (pilot usage, prices of " \
                                                               f"{usage['prices']['as_of']})"
        else:
            cost_per_sample, unit = 1.0, "samples (the pilot has no priced usage; --cost-per-sample sets one)"
    try:
        plan = stats.plan_from_pilot(list(by_case.values()), effect=effect, power=power, alpha=alpha,
                                     cost_per_sample=cost_per_sample, cost_per_case=cost_per_case,
                                     max_repeats=max_repeats, clusters=keys if any(keys) else None)
    except stats.InsufficientDataError as exc:
        raise UsageError(f"{pilot}: {exc.message}", hint=exc.hint) from exc
    import msgspec

    document = {"schema": "aiwell.eval-plan/1", "pilot": str(pilot), "cost_unit": unit,
                **msgspec.to_builtins(plan)}
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
        clusters = f" in {best['n_clusters']} clusters" if best.get("n_clusters") else ""
        console.print(f"recommended: {best['n_cases']} cases{clusters} × {best['repeats']} repeats "
                      f"({best['n_samples']} samples per run), cost {best['cost']:.4g} {plan['cost_unit']} per run",
                      highlight=False)


@eval_group.command("stub")
@click.option("--config", "config_path", type=click.Path(path_type=Path, dir_okay=False),
              help="Stub configuration (YAML or JSON): per-case pass probabilities, latency, 429/500 rates, seed.")
@click.option("--port", type=click.IntRange(0, 65535), default=0, show_default=True,
              help="Port on 127.0.0.1 (0: any free port).")
def stub_command(config_path: Path | None, port: int) -> None:
    """Serve a stub OpenAI-compatible chat model on 127.0.0.1 for demos and tests, until Ctrl-C."""
    from aiwell.eval import stub

    config = stub.load_stub_config(config_path) if config_path is not None else stub.StubConfig()
    try:
        stub.serve_forever(config, port=port, on_ready=lambda url: click.echo(
            f"stub model listening on {url} (OpenAI-compatible: {url}/v1/chat/completions); Ctrl-C stops it"))
    except OSError as exc:
        if exc.errno in (errno.EADDRINUSE, errno.EACCES, errno.EADDRNOTAVAIL):
            reason = {errno.EADDRINUSE: "in use", errno.EACCES: "not allowed for this user"}.get(exc.errno,
                                                                                                "not available")
            raise UsageError(f"port {port} on 127.0.0.1 is {reason}; try --port 0",
                             hint="--port 0 takes any free port and prints it") from exc
        raise


@eval_group.command("import")
@click.argument("source_file", metavar="FILE", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--from", "source", type=click.Choice(["promptfoo", "inspect", "azure-ai-evaluation", "lm-eval"]),
              required=True, help="The harness that wrote FILE.")
@_output_option
@click.option("--threshold", type=float, default=1.0, show_default=True,
              help="Inspect and lm-eval: the score a sample must reach to pass (Inspect's \"C\" is 1, \"P\" 0.5).")
@click.option("--filter", "lm_eval_filter", metavar="NAME",
              help="lm-eval: the filter whose scores to import, when the file has several.")
@click.option("--confidence", type=click.FloatRange(0.5, 0.999), default=0.95, show_default=True)
def import_command(source_file: Path, source: str, output: Path | None, threshold: float, lm_eval_filter: str | None,
                   confidence: float) -> None:
    """Convert another harness's results in FILE to an aiwell eval report (JSON), so compare and plan work on them."""
    from aiwell.eval import report as reports
    from aiwell.eval.importers import import_results

    if not source_file.is_file():
        raise UsageError(f"no such file: {source_file}")
    if lm_eval_filter is not None and source != "lm-eval":
        raise UsageError("--filter applies to --from lm-eval only")
    imported = import_results(source_file, source, threshold=threshold, lm_eval_filter=lm_eval_filter)
    document = reports.build_report(imported.samples, suite=imported.suite, confidence=confidence,
                                    source={"format": imported.source, "file": str(source_file), **imported.details})
    write_output(output, reports.render_json(document))
    summary = document["summary"]
    unscored = summary.get("n_cases_errored") or 0
    note = f"; {unscored} case(s) with every sample errored" if unscored else ""
    stderr_console().print(f"imported {len(imported.samples)} samples of {summary['n_cases'] + unscored} cases "
                           f"({summary['errors']} errored{note}) from {source_file}", highlight=False)


def _emit(document: dict[str, Any], output_format: str, output: Path | None, *,
          min_pass_rate: float | None = None) -> None:
    """Render a report or a comparison in `output_format` to `output` (or standard output)."""
    from aiwell.eval import report as reports

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
