"""Time `aiwell review` against checkov on the same directory, and count the files each one drops.

Run by hand: `.venv/bin/python bench/vs_checkov.py DIR [--venv PATH] [--checkov-version X.Y.Z]`.

checkov is installed with pip into its own virtual environment (default `~/.cache/aiwell-bench/checkov-venv`,
outside the repository), created on first use; if that fails the script says why and exits 2. Then it runs

    aiwell review DIR --format json -o <tmp>
    checkov -d DIR -o json --framework F --skip-download      (once for each F of arm, bicep, terraform)

checkov runs one framework per process: with all three in one process, a crash of one framework's runner
(checkov 3.3.30's ARM runner raises IndexError on some public templates) leaves the whole run hung with no
output. A framework run that crashes is reported, and its time up to the crash is still counted (which favours
checkov). Each run is measured as a whole process tree: wall time, CPU time (user + system, the process and the
workers it forks), and peak memory (resident memory of the tree summed, sampled every 50 ms). The goals printed:
aiwell at least 10x faster in wall and in CPU time, and at least 2x less peak memory.

Then every input of DIR is reviewed on its own in this process (parse caches emptied before each), and the
slowest ten are printed (CPU and wall time) against the goal of at most 1 s each. An input is what aiwell
deploys as one: a Bicep or ARM file with its parameter files and modules, a Terraform root with its modules.

Per format (ARM, Bicep, Terraform, counted on disk as `bench/corpus_robustness.py` counts them) it prints how
many files each tool parsed, reported as unparseable, and dropped without a word. checkov runs without
`--quiet`: quiet mode hides passing checks, and with them every file that only passes, which the file accounting
needs. A file checkov "parsed" is one that appears in any check result (for Terraform: any file of its module
directory); a Bicep or ARM file whose resources no checkov check covers therefore counts as dropped, which is
what a user sees.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import venv
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import ProcessRun, mb, met, run_measured  # noqa: E402
from corpus_robustness import FORMATS, SKIPPED_DIRECTORIES, format_on_disk  # noqa: E402

DEFAULT_VENV = Path.home() / ".cache" / "aiwell-bench" / "checkov-venv"


FRAMEWORKS = ("arm", "bicep", "terraform")
WALL_AND_CPU_GOAL = 10.0
MEMORY_GOAL = 2.0
SLOWEST_INPUT_GOAL = 1.0
CHECKOV_TIMEOUT = 3600.0


@dataclass(slots=True)
class ToolRun:
    """One tool's run: wall and CPU time, peak memory, exit codes, and the files it parsed or could not parse."""

    name: str
    seconds: float = 0.0
    cpu: float = 0.0
    peak_bytes: int = 0
    exit_codes: list[str] = field(default_factory=list)
    crashed: list[str] = field(default_factory=list)
    parsed: set[Path] = field(default_factory=set)
    unparsed: set[Path] = field(default_factory=set)

    def add(self, label: str, measured: ProcessRun) -> None:
        """Count one process of this tool (runs one after the other: times add up, memory is the largest)."""
        self.seconds += measured.wall
        self.cpu += measured.cpu
        self.peak_bytes = max(self.peak_bytes, measured.peak_bytes)
        self.exit_codes.append(f"{label}{measured.returncode}")


class BenchError(Exception):
    """A step of the benchmark failed; the message says which and why."""


def _bin(environment: Path, name: str) -> Path:
    return environment / ("Scripts" if os.name == "nt" else "bin") / name


def ensure_checkov(environment: Path, version: str | None) -> Path:
    """The checkov executable in `environment`, creating the venv and installing checkov when missing."""
    checkov = _bin(environment, "checkov")
    if checkov.exists() and version is None:
        return checkov
    if not _bin(environment, "python").exists():
        print(f"creating {environment} ...", file=sys.stderr)
        venv.EnvBuilder(with_pip=True, clear=False).create(environment)
    requirement = f"checkov=={version}" if version else "checkov"
    print(f"pip install {requirement} (into {environment}) ...", file=sys.stderr)
    done = subprocess.run([str(_bin(environment, "python")), "-m", "pip", "install", "-q", requirement],
                          capture_output=True, text=True, check=False)
    if done.returncode != 0 or not checkov.exists():
        raise BenchError(f"installing checkov failed (pip exit {done.returncode}):\n{done.stderr.strip()[-2000:]}")
    return checkov


def _aiwell_command() -> list[str]:
    script = Path(sys.executable).parent / "aiwell"
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "import sys; from aiwell.cli.main import main; sys.exit(main())"]


def run_aiwell(directory: Path) -> ToolRun:
    """Run `aiwell review DIR --format json`; parsed files are analysed inputs, their parameter files and the
    files read with them, and files resources came from."""
    with tempfile.TemporaryDirectory() as scratch:
        output = Path(scratch) / "aiwell.json"
        measured = run_measured([*_aiwell_command(), "review", str(directory), "--format", "json",
                                 "--output", str(output)])
        if measured.returncode not in (0, 1) or not output.exists():
            raise BenchError(f"aiwell exited {measured.returncode}:\n{measured.stderr.strip()[-2000:]}")
        report = json.loads(output.read_text(encoding="utf-8"))
    run = ToolRun("aiwell")
    run.add("", measured)
    for record in report.get("inputs", []):
        analysed = record.get("status") == "analysed"
        target = run.parsed if analysed else run.unparsed
        target.add(Path(record["path"]).resolve())
        if record.get("parameters"):
            # A parameter file is named by its input's record and shares its fate.
            target.add(Path(record["parameters"]).resolve())
        if analysed:
            # Modules read with an input were parsed with it.
            run.parsed.update(Path(path).resolve() for path in record.get("files", []) if path)
    for resource in report.get("resources", []):
        source_file = (resource.get("source") or {}).get("file")
        if source_file:
            run.parsed.add(Path(source_file).resolve())
    return run


def _checkov_reports(stdout: str) -> list[dict[str, Any]]:
    start = min((index for index in (stdout.find("["), stdout.find("{")) if index >= 0), default=-1)
    if start < 0:
        raise BenchError(f"checkov printed no JSON:\n{stdout.strip()[-2000:]}")
    value = json.loads(stdout[start:])
    reports = value if isinstance(value, list) else [value]
    return [report for report in reports if isinstance(report, dict)]


def _checkov_path(directory: Path, reported: str) -> Path:
    # checkov prints paths relative to -d with a leading slash ("/main.bicep"), or absolute ones.
    candidate = Path(reported)
    if candidate.is_absolute() and candidate.exists():
        return candidate.resolve()
    return (directory / reported.lstrip("/")).resolve()


def run_checkov(checkov: Path, directory: Path) -> ToolRun:
    """Run `checkov -d DIR -o json` once per framework; parsed files are files any check reported."""
    run = ToolRun("checkov")
    for framework in FRAMEWORKS:
        print(f"checkov --framework {framework} ...", file=sys.stderr)
        measured = run_measured([str(checkov), "-d", str(directory), "-o", "json", "--framework", framework,
                                 "--skip-download"], timeout=CHECKOV_TIMEOUT)
        run.add(f"{framework} ", measured)
        try:
            if measured.timed_out or measured.returncode not in (0, 1):
                raise BenchError(f"exit {measured.returncode}" + (" (timed out)" if measured.timed_out else ""))
            reports = _checkov_reports(measured.stdout)
        except BenchError as exc:
            last = [line for line in measured.stderr.strip().splitlines() if line.strip()][-1:] or [""]
            run.crashed.append(f"{framework}: {str(exc).splitlines()[0]}; {last[0].strip()[:200]}")
            continue
        for report in reports:
            results = report.get("results") or {}
            for key in ("passed_checks", "failed_checks", "skipped_checks"):
                for check in results.get(key) or []:
                    run.parsed.add(_checkov_path(directory, check.get("file_path", "")))
            for reported in results.get("parsing_errors") or []:
                run.unparsed.add(_checkov_path(directory, reported))
    return run


def files_on_disk(directory: Path) -> dict[Path, str]:
    """Every ARM, Bicep and Terraform file under `directory`, with its format."""
    found: dict[Path, str] = {}
    for root, subdirectories, files in os.walk(directory):
        subdirectories[:] = sorted(d for d in subdirectories if d not in SKIPPED_DIRECTORIES)
        for name in files:
            path = Path(root) / name
            kind = format_on_disk(path)
            if kind is not None:
                found[path.resolve()] = kind
    return found


def _covered(reported: Iterable[Path], on_disk: dict[Path, str], kind: str) -> set[Path]:
    """The files of `kind` a tool reported on. Terraform reads a module directory as one unit, so a `.tf` file
    counts when the tool reported its directory or any file in it (variables.tf, outputs.tf have no findings)."""
    reported = set(reported)
    files = {path for path in reported if on_disk.get(path) == kind}
    if kind == "Terraform":
        directories = {path if path.is_dir() else path.parent for path in reported}
        files |= {path for path, found in on_disk.items() if found == kind and path.parent in directories}
    return files


def _ratio(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator > 0 else float("inf")


def print_comparison(on_disk: dict[Path, str], runs: Sequence[ToolRun]) -> None:
    """Print wall and CPU times, peak memory, the ratios against the goals, and per-format file counts."""
    print(f"{'tool':<8} {'wall s':>8} {'CPU s':>8} {'peak memory':>12}  exit")
    for run in runs:
        codes = ", ".join(run.exit_codes)
        print(f"{run.name:<8} {run.seconds:>8.2f} {run.cpu:>8.2f} {mb(run.peak_bytes):>12}  {codes}")
    aiwell, checkov = runs
    wall, cpu = _ratio(checkov.seconds, aiwell.seconds), _ratio(checkov.cpu, aiwell.cpu)
    memory = _ratio(checkov.peak_bytes, aiwell.peak_bytes)
    for label, ratio, goal in (("wall time  ", wall, WALL_AND_CPU_GOAL), ("CPU time   ", cpu, WALL_AND_CPU_GOAL),
                               ("peak memory", memory, MEMORY_GOAL)):
        print(f"{label} checkov / aiwell = {ratio:.1f}x  (goal >= {goal:.0f}x: {met(ratio >= goal)})")
    for crash in checkov.crashed:
        print(f"checkov crashed: {crash}")
    print(f"\n{'format':<10} {'files':>6}   {'tool':<8} {'parsed':>7} {'unparseable':>12} {'dropped silently':>17}")
    for kind in FORMATS:
        total = sum(1 for found in on_disk.values() if found == kind)
        if not total:
            continue
        for run in runs:
            parsed = _covered(run.parsed, on_disk, kind)
            unparsed = _covered(run.unparsed, on_disk, kind) - parsed
            dropped = total - len(parsed) - len(unparsed)
            print(f"{kind:<10} {total:>6}   {run.name:<8} {len(parsed):>7} {len(unparsed):>12} {dropped:>17}")


def time_each_input(directory: Path) -> list[tuple[float, float, str]]:
    """Review every input of `directory` on its own, in this process, parse caches emptied before each:
    (CPU seconds, wall seconds, input), slowest CPU first. On a loaded machine wall time counts waiting for a
    core, so both are given."""
    from aiwell.loaders import forget_parsed_files, load_inputs
    from aiwell.review import review

    inputs = sorted({record.input or record.path for record in load_inputs([directory]).inputs
                     if record.address is None})
    timings: list[tuple[float, float, str]] = []
    for label in inputs:
        target = Path(label.split(" + ", 1)[0])
        forget_parsed_files()
        start, cpu_start = time.perf_counter(), time.process_time()
        review([target])
        timings.append((time.process_time() - cpu_start, time.perf_counter() - start, label))
    return sorted(timings, reverse=True)


def print_slowest(timings: Sequence[tuple[float, float, str]], directory: Path) -> None:
    """Print the ten slowest inputs and whether the slowest meets the goal, in CPU and in wall time."""
    cpu = max((timing[0] for timing in timings), default=0.0)
    wall = max((timing[1] for timing in timings), default=0.0)
    print(f"\nslowest inputs of {len(timings)} reviewed one by one (goal <= {SLOWEST_INPUT_GOAL:.0f} s each: "
          f"CPU {cpu:.2f} s {met(cpu <= SLOWEST_INPUT_GOAL)}; wall {wall:.2f} s {met(wall <= SLOWEST_INPUT_GOAL)})")
    print(f"  {'CPU s':>6}  {'wall s':>6}  input")
    for cpu_seconds, wall_seconds, label in timings[:10]:
        shown = label.replace(str(directory) + os.sep, "")
        print(f"  {cpu_seconds:>6.2f}  {wall_seconds:>6.2f}  {shown}")


def main(argv: Sequence[str] | None = None) -> int:
    """Install checkov if needed, run both tools, print the comparison. Exit 2 when a step fails."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("directory", type=Path, metavar="DIR")
    parser.add_argument("--venv", type=Path, default=DEFAULT_VENV, help="where checkov is installed")
    parser.add_argument("--checkov-version", help="pin a checkov version (default: the latest)")
    parser.add_argument("--skip-per-input", action="store_true", help="do not time each input on its own")
    args = parser.parse_args(argv)
    directory: Path = args.directory.resolve()
    if not directory.is_dir():
        parser.error(f"not a directory: {args.directory}")
    try:
        checkov = ensure_checkov(args.venv, args.checkov_version)
        version = subprocess.run([str(checkov), "--version"], capture_output=True, text=True, check=False)
        aiwell_run = run_aiwell(directory)
        checkov_run = run_checkov(checkov, directory)
    except BenchError as exc:
        print(f"vs_checkov: {exc}", file=sys.stderr)
        return 2
    files = files_on_disk(directory)
    counts = ", ".join(f"{sum(1 for kind in files.values() if kind == name)} {name}" for name in FORMATS)
    print(f"directory {directory} ({counts}); checkov {version.stdout.strip()}; {os.cpu_count()} cores")
    print_comparison(files, [aiwell_run, checkov_run])
    if not args.skip_per_input:
        print_slowest(time_each_input(directory), directory)
    return 0


if __name__ == "__main__":
    sys.exit(main())
