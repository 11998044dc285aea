"""Time `aiwell review` on a generated 50,000-row inventory and a 5,000-resource template, against the previous
release measured in the same run.

Run by hand: `.venv/bin/python bench/review_scale.py [--inventory-rows N] [--template-resources N]
[--previous-venv PATH] [--previous-commit SHA] [--repeats N]`.

The previous release (commit abb01a6 by default) is installed from this repository's history into its own
virtual environment (default `~/.cache/aiwell-bench/previous-<commit>`, outside the repository) on first use:
`git archive <commit>` into a scratch folder, then `pip install` of that folder (which compiles its bytecode; the
current package's is compiled too before measuring). Each input is reviewed by both
as a whole process (`aiwell review FILE`, start-up included), once with the terminal report (the default
format, written to a pipe as in CI) and once with `--format json -o FILE`, alternating current and previous,
`--repeats` times each (default 3: one run on a shared machine can be off by 15%, as slow spells come and go).
Printed per case: the median wall and CPU seconds (and the CPU's user and system parts: on a virtual machine
the system part, mostly the copy of a written report into the page cache, varies from run to run) and the
largest peak memory of each, the size of the JSON report each wrote, the ratio previous / current of wall and
CPU time (goal: at least 3x), and whether the current peak memory is under 500 MB.

The current catalog holds several times the rules of the previous release, so each input gets several times the
results. To tell the engine's speed from the catalog's growth, the current release is also run with only the rules
the previous one had (`--rule ID` for each id its `aiwell rules -f json` lists): that ratio is printed beside the
goal's, as information; the goal is judged on the whole catalog.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import venv
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import ProcessRun, mb, met, run_measured, write_inventory, write_template  # noqa: E402

REPOSITORY = Path(__file__).resolve().parent.parent
PREVIOUS_COMMIT = "abb01a6"
SPEED_GOAL = 3.0
MEMORY_LIMIT = 500 * 1000 * 1000


def _bin(environment: Path, name: str) -> Path:
    return environment / ("Scripts" if os.name == "nt" else "bin") / name


def ensure_previous(environment: Path, commit: str) -> Path:
    """The `aiwell` executable of `commit`, installed into `environment` when missing."""
    aiwell = _bin(environment, "aiwell")
    if aiwell.exists():
        return aiwell
    print(f"installing aiwell at {commit} into {environment} ...", file=sys.stderr)
    venv.EnvBuilder(with_pip=True, clear=False).create(environment)
    with tempfile.TemporaryDirectory() as scratch:
        archive = subprocess.run(["git", "-C", str(REPOSITORY), "archive", commit], capture_output=True, check=False)
        if archive.returncode != 0:
            raise SystemExit(f"git archive {commit} failed: {archive.stderr.decode(errors='replace')}")
        subprocess.run(["tar", "-x", "-C", scratch], input=archive.stdout, check=True)
        done = subprocess.run([str(_bin(environment, "python")), "-m", "pip", "install", "-q", scratch],
                              capture_output=True, text=True, check=False)
    if done.returncode != 0 or not aiwell.exists():
        raise SystemExit(f"installing aiwell {commit} failed:\n{done.stderr[-2000:]}")
    return aiwell


def compile_current() -> None:
    """Write the bytecode of the current package, as `pip install` did for the previous release: an editable
    install run with `PYTHONDONTWRITEBYTECODE` set would otherwise compile every module from source on each run,
    and the start-up measured would not be the one a user gets."""
    import aiwell

    package = Path(aiwell.__file__).parent
    done = subprocess.run([sys.executable, "-m", "compileall", "-q", str(package)], capture_output=True, text=True,
                          check=False, env={**os.environ, "PYTHONDONTWRITEBYTECODE": ""})
    if done.returncode != 0:
        raise SystemExit(f"compiling {package} failed:\n{done.stdout[-2000:]}{done.stderr[-2000:]}")


def previous_rule_ids(aiwell: Path) -> list[str]:
    """The ids of the rules the release at `aiwell` runs on resources (its reserved ones left out)."""
    listed = subprocess.run([str(aiwell), "rules", "-f", "json"], capture_output=True, text=True, check=False)
    if listed.returncode != 0:
        raise SystemExit(f"{aiwell} rules -f json exited {listed.returncode}:\n{listed.stderr[-2000:]}")
    return [rule["id"] for rule in json.loads(listed.stdout) if rule.get("kind") != "reserved"]


def _review(aiwell: Path, path: Path, output_format: str, scratch: Path, rule_ids: Sequence[str] = (),
            written: list[int] | None = None) -> ProcessRun:
    """One review as a whole process; for the JSON report, the size of the report it wrote is appended to
    `written`."""
    command = [str(aiwell), "review", str(path), *(part for rule_id in rule_ids for part in ("--rule", rule_id))]
    if output_format == "json":
        report = scratch / "report.json"
        # Removed before the run, not by it: freeing the blocks of the last run's report (1.2 GB for the previous
        # release's of the inventory) would be charged to whichever release ran next.
        report.unlink(missing_ok=True)
        command += ["--format", "json", "-o", str(report)]
    measured = run_measured(command, cwd=scratch)
    if measured.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(command)} exited {measured.returncode}:\n{measured.stderr[-2000:]}")
    if output_format == "json" and written is not None:
        written.append((scratch / "report.json").stat().st_size)
    return measured


def _median(runs: Sequence[ProcessRun]) -> ProcessRun:
    """The median wall, CPU, user and system seconds of `runs` (each taken on its own), with the largest peak
    memory."""
    return ProcessRun(wall=statistics.median(run.wall for run in runs), cpu=statistics.median(run.cpu for run in runs),
                      peak_bytes=max(run.peak_bytes for run in runs), returncode=runs[-1].returncode,
                      stdout=runs[-1].stdout, stderr=runs[-1].stderr,
                      user=statistics.median(run.user for run in runs),
                      system=statistics.median(run.system for run in runs))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--inventory-rows", type=int, default=50_000)
    parser.add_argument("--template-resources", type=int, default=5_000)
    parser.add_argument("--previous-commit", default=PREVIOUS_COMMIT)
    parser.add_argument("--previous-venv", type=Path, help="default: ~/.cache/aiwell-bench/previous-<commit>")
    parser.add_argument("--repeats", type=int, default=3,
                        help="runs of each release per case, alternating; the median is printed (default 3)")
    args = parser.parse_args()
    environment = args.previous_venv or Path.home() / ".cache" / "aiwell-bench" / f"previous-{args.previous_commit}"
    previous = ensure_previous(environment, args.previous_commit)
    current = _bin(Path(sys.executable).parent.parent, "aiwell")
    compile_current()
    same_rules = previous_rule_ids(previous)
    print(f"current {current}; previous ({args.previous_commit}) {previous}; {os.cpu_count()} cores; "
          f"median of {args.repeats} alternating runs each; the previous release's {len(same_rules)} rules: "
          f"{' '.join(same_rules)}")
    with tempfile.TemporaryDirectory() as folder:
        scratch = Path(folder)
        cases = [
            (f"inventory, {args.inventory_rows:,} rows",
             write_inventory(scratch / "inventory.json", args.inventory_rows)),
            (f"ARM template, {args.template_resources:,} resources",
             write_template(scratch / "template.json", args.template_resources)),
        ]
        print(f"\n{'input':<34} {'report':<9} {'release':<14} {'wall s':>8} {'CPU s':>8} {'user s':>8} "
              f"{'system s':>8} {'peak memory':>12} {'report size':>12}")
        verdicts: list[str] = []
        for label, path in cases:
            for output_format in ("terminal", "json"):
                runs: dict[str, list[ProcessRun]] = {"now": [], "before": [], "alike": []}
                written: dict[str, list[int]] = {"now": [], "before": [], "alike": []}
                for _ in range(args.repeats):  # alternating, so that a slow spell of the machine hits all three
                    runs["now"].append(_review(current, path, output_format, scratch, written=written["now"]))
                    runs["before"].append(_review(previous, path, output_format, scratch,
                                                  written=written["before"]))
                    runs["alike"].append(_review(current, path, output_format, scratch, same_rules,
                                                 written=written["alike"]))
                now, before, alike = (_median(runs[key]) for key in ("now", "before", "alike"))
                for release, run, key in (("current", now, "now"), ("previous", before, "before"),
                                          ("current, same", alike, "alike")):
                    size = mb(max(written[key])) if written[key] else "-"
                    print(f"{label:<34} {output_format:<9} {release:<14} {run.wall:>8.2f} {run.cpu:>8.2f} "
                          f"{run.user:>8.2f} {run.system:>8.2f} {mb(run.peak_bytes):>12} {size:>12}")
                wall, cpu = before.wall / now.wall, before.cpu / now.cpu
                fast, small = min(wall, cpu) >= SPEED_GOAL, now.peak_bytes < MEMORY_LIMIT
                verdicts.append(f"{label}, {output_format}: previous / current wall {wall:.1f}x, CPU {cpu:.1f}x "
                                f"(goal >= {SPEED_GOAL:.0f}x: {met(fast)}; user time alone "
                                f"{before.user / max(now.user, 1e-9):.1f}x); peak memory {mb(now.peak_bytes)} "
                                f"(goal < {mb(MEMORY_LIMIT)}: {met(small)}); with the previous release's "
                                f"{len(same_rules)} rules only: wall {before.wall / alike.wall:.1f}x, "
                                f"CPU {before.cpu / alike.cpu:.1f}x")
        print()
        for verdict in verdicts:
            print(verdict)


if __name__ == "__main__":
    main()
