"""Time `aiwell review` against `checkov -d` on the same directory, and count the files each one drops.

Run by hand: `.venv/bin/python bench/vs_checkov.py DIR [--venv PATH] [--checkov-version X.Y.Z]`.

checkov is installed with pip into its own virtual environment (default `~/.cache/aiwell-bench/checkov-venv`,
outside the repository), created on first use; if that fails the script says why and exits 2. Then it runs

    aiwell review DIR --format json -o <tmp>
    checkov -d DIR -o json --framework arm bicep terraform --skip-download

and prints both wall times, the ratio, and per format (ARM, Bicep, Terraform, counted on disk as
`bench/corpus_robustness.py` counts them) how many files each tool parsed, reported as unparseable, and dropped
without a word. checkov runs without `--quiet`: quiet mode hides passing checks, and with them every file that
only passes, which the file accounting needs; the parsing work is the same either way. A file checkov "parsed" is
one that appears in any check result (for Terraform: any file of its module directory); a Bicep or ARM file whose
resources no checkov check covers therefore counts as dropped, which is what a user sees.
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

from corpus_robustness import FORMATS, SKIPPED_DIRECTORIES, format_on_disk  # noqa: E402

DEFAULT_VENV = Path.home() / ".cache" / "aiwell-bench" / "checkov-venv"


@dataclass(slots=True)
class ToolRun:
    """One tool's run: wall time, exit code, and the files it parsed or said it could not parse."""

    name: str
    seconds: float
    exit_code: int
    parsed: set[Path] = field(default_factory=set)
    unparsed: set[Path] = field(default_factory=set)


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


def _timed(command: Sequence[str], *, cwd: Path | None = None) -> tuple[float, subprocess.CompletedProcess[str]]:
    start = time.perf_counter()
    done = subprocess.run(list(command), capture_output=True, text=True, check=False, cwd=cwd)
    return time.perf_counter() - start, done


def run_aiwell(directory: Path) -> ToolRun:
    """Run `aiwell review DIR --format json`; parsed files are analysed inputs, their parameter files and the
    files read with them, and files resources came from."""
    with tempfile.TemporaryDirectory() as scratch:
        output = Path(scratch) / "aiwell.json"
        seconds, done = _timed([*_aiwell_command(), "review", str(directory), "--format", "json",
                                "--output", str(output)])
        if done.returncode not in (0, 1) or not output.exists():
            raise BenchError(f"aiwell exited {done.returncode}:\n{done.stderr.strip()[-2000:]}")
        report = json.loads(output.read_text(encoding="utf-8"))
    run = ToolRun("aiwell", seconds, done.returncode)
    for record in report.get("inputs", []):
        analysed = record.get("status") == "analysed"
        target = run.parsed if analysed else run.unparsed
        target.add(Path(record["path"]).resolve())
        if analysed:
            # Parameter files and modules read with an input were parsed with it.
            run.parsed.update(Path(path).resolve() for path in [record.get("parameters"), *record.get("files", [])]
                              if path)
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
    """Run `checkov -d DIR -o json` on ARM, Bicep and Terraform; parsed files are files any check reported."""
    seconds, done = _timed([str(checkov), "-d", str(directory), "-o", "json", "--framework", "arm", "bicep",
                            "terraform", "--skip-download"])
    if done.returncode not in (0, 1):
        raise BenchError(f"checkov exited {done.returncode}:\n{done.stderr.strip()[-2000:]}")
    run = ToolRun("checkov", seconds, done.returncode)
    for report in _checkov_reports(done.stdout):
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


def print_comparison(on_disk: dict[Path, str], runs: Sequence[ToolRun]) -> None:
    """Print wall times, the ratio, and per-format file counts for each tool."""
    for run in runs:
        print(f"{run.name:<8} {run.seconds:>8.2f} s  (exit {run.exit_code})")
    aiwell, checkov = runs
    if aiwell.seconds > 0:
        print(f"ratio    checkov / aiwell = {checkov.seconds / aiwell.seconds:.1f}x")
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


def main(argv: Sequence[str] | None = None) -> int:
    """Install checkov if needed, run both tools, print the comparison. Exit 2 when a step fails."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("directory", type=Path, metavar="DIR")
    parser.add_argument("--venv", type=Path, default=DEFAULT_VENV, help="where checkov is installed")
    parser.add_argument("--checkov-version", help="pin a checkov version (default: the latest)")
    args = parser.parse_args(argv)
    directory: Path = args.directory.resolve()
    if not directory.is_dir():
        parser.error(f"not a directory: {args.directory}")
    try:
        checkov = ensure_checkov(args.venv, args.checkov_version)
        aiwell_run = run_aiwell(directory)
        checkov_run = run_checkov(checkov, directory)
    except BenchError as exc:
        print(f"vs_checkov: {exc}", file=sys.stderr)
        return 2
    print(f"directory {directory}")
    print_comparison(files_on_disk(directory), [aiwell_run, checkov_run])
    return 0


if __name__ == "__main__":
    sys.exit(main())
