"""Measure how much of a corpus of real infrastructure-as-code aiwell analyses, per format (ARM, Bicep, Terraform).

Run by hand on local copies of public repositories (quickstart templates, AI landing zones, Azure Verified
Modules, reference architectures); such copies are never committed:

    .venv/bin/python bench/corpus_robustness.py DIR [DIR...] [--top 10] [--show-files]

The repositories measured, at which commits, and how the AI-workload corpus is built from them: `bench/corpus.md`.

Files are counted on disk, independently of aiwell's discovery, each file once however many results or
records name it: ARM templates (and parameter files) are `.json`/`.jsonc` files whose `$schema` names
`deploymentTemplate.json` (or `deploymentParameters.json`), Bicep files are `*.bicep`, Terraform files are `*.tf`.
Each is then one of

- **analysed**: named by an analysed input record (as the input, its parameter file or a file read with it), the
  source of at least one resource, or a `.tf` file in a module directory that was analysed;
- **file not on disk**: not analysed because a file it needs is not on disk: a module it uses (a registry module
  never restored, a local module missing from the copy), or, for a parameter file, the template its name names
  (`X.parameters.json` with no `X.json` or `X.bicep`; aiwell never hands it to another template on a guess).
  Reported, not a failure of the reader;
- **could not be read**: not analysed for any other reason (it does not parse, it is too large...). The goal is at
  most 1% per format, and only files that Azure itself would reject;
- **not reached**: none of these; discovery never reported it, so a review would drop it silently (a failure).

Records about a part of a file (a Terraform module call whose registry module is not on disk) are counted apart,
as module calls not analysed: the file that holds the call was analysed. Discovery is
`aiwell.loaders.load_inputs`, so the figures measure whatever loaders are wired. Each DIR is loaded separately;
a crash is reported, not fatal. Exit 1 when a goal is not met.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
import traceback
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import met  # noqa: E402

from aiwell.loaders import load_inputs  # noqa: E402
from aiwell.model import InputStatus  # noqa: E402

FORMATS = ("ARM", "Bicep", "Terraform")
UNREADABLE_GOAL = 0.01
"""At most this share of a format's files may be files that could not be read."""
_NOT_ON_DISK = re.compile(r"is not on disk|module .{0,200} does not exist|not in the module cache|"
                          r"parameter file not analysed: its template .{0,400} does not exist|"
                          r"registry module", re.IGNORECASE)
SKIPPED_DIRECTORIES = frozenset({".git", "node_modules", ".terraform", ".venv"})
_RECORD_FORMATS = {"arm": "ARM", "bicep": "Bicep", "terraform": "Terraform", "terraform-plan": "Terraform"}
_ARM_SCHEMA = re.compile(rb"deploymenttemplate\.json", re.IGNORECASE)
_ARM_PARAMETERS = re.compile(rb"deploymentparameters\.json", re.IGNORECASE)
_HEAD_BYTES = 64 * 1024


@dataclass(slots=True)
class FormatTally:
    """What happened to the files of one format."""

    seen: set[Path] = field(default_factory=set)
    analysed: set[Path] = field(default_factory=set)
    not_analysed: dict[Path, str] = field(default_factory=dict)
    reasons: Counter[str] = field(default_factory=Counter)

    @property
    def not_reached(self) -> set[Path]:
        """Files seen on disk that discovery neither analysed nor reported."""
        return self.seen - self.analysed - set(self.not_analysed)

    @property
    def not_on_disk(self) -> set[Path]:
        """Files not analysed because a module they use, or the template a parameter file names, is not on disk."""
        return {path for path, reason in self.not_analysed.items() if _NOT_ON_DISK.search(reason)}

    @property
    def unreadable(self) -> set[Path]:
        """Files not analysed for any other reason."""
        return set(self.not_analysed) - self.not_on_disk

    @property
    def unreadable_share(self) -> float:
        """Share of the files seen that could not be read (0.0 when none were seen)."""
        return len(self.unreadable) / len(self.seen) if self.seen else 0.0

    @property
    def meets_goal(self) -> bool:
        """At most 1% could not be read, and none was dropped silently."""
        return self.unreadable_share <= UNREADABLE_GOAL and not self.not_reached


@dataclass(slots=True)
class CorpusReport:
    """Tallies per format over every directory, the time taken, and the directories whose loading crashed."""

    tallies: dict[str, FormatTally] = field(default_factory=lambda: {name: FormatTally() for name in FORMATS})
    seconds: float = 0.0
    crashes: list[tuple[Path, str]] = field(default_factory=list)
    modules_not_analysed: Counter[str] = field(default_factory=Counter)
    """Module calls (not files) that were not analysed, e.g. Terraform registry modules not on disk, by reason."""


def _walk(root: Path) -> Iterable[Path]:
    for directory, subdirectories, files in os.walk(root):
        subdirectories[:] = sorted(d for d in subdirectories if d not in SKIPPED_DIRECTORIES)
        for name in sorted(files):
            yield Path(directory) / name


def _is_arm_file(path: Path, schema: re.Pattern[bytes]) -> bool:
    """Whether the file's top-level `$schema` matches `schema`. A policy definition embeds templates with that
    schema deeper down, so JSON that parses is judged by its top level; JSON that doesn't, by its head."""
    try:
        data = path.read_bytes()
    except OSError:
        return False
    if not schema.search(data[:_HEAD_BYTES]):
        return False
    try:
        value = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return True
    return isinstance(value, dict) and bool(schema.search(str(value.get("$schema", "")).encode()))


def format_on_disk(path: Path) -> str | None:
    """The format a file is counted under, judged from its name and (for JSON) its `$schema`, or None.

    ARM counts templates and parameter files alike: a parameter file is analysed when it was deployed with a
    template (a record names it as its parameters) and not analysed when its template could not be found."""
    name = path.name.lower()
    if name.endswith(".bicep"):
        return "Bicep"
    if name.endswith((".tf", ".tf.json")):
        return "Terraform"
    if not name.endswith((".json", ".jsonc")):
        return None
    return "ARM" if any(_is_arm_file(path, schema) for schema in (_ARM_SCHEMA, _ARM_PARAMETERS)) else None


def normalise_reason(reason: str) -> str:
    """A not-analysed reason with paths, line numbers, quoted text and numbers blanked, so similar ones group."""
    text = re.sub(r"[/\\]?(?:[\w.+-]+[/\\])+[\w.+-]+", "<path>", reason)
    # Quoted text starts after a space or bracket, so the apostrophe of "doesn't" is left alone.
    text = re.sub(r"(?<![\w])('[^']*'|\"[^\"]*\"|`[^`]*`)", "<…>", text)
    text = re.sub(r"\d+", "N", text)
    return text[:140]


def measure(directories: Sequence[Path]) -> CorpusReport:
    """Load each directory with aiwell's discovery and tally every ARM, Bicep and Terraform file under it."""
    report = CorpusReport()
    for root in directories:
        on_disk: dict[Path, str] = {}
        for path in _walk(root):
            found = format_on_disk(path)
            if found is not None:
                on_disk[path.resolve()] = found
        for path, found in on_disk.items():
            report.tallies[found].seen.add(path)
        start = time.perf_counter()
        try:
            outcome = load_inputs([root])
        except Exception:  # a crash is a finding of this benchmark, not the end of it
            report.crashes.append((root, traceback.format_exc(limit=3)))
            continue
        finally:
            report.seconds += time.perf_counter() - start
        analysed_paths: set[Path] = set()
        for record in outcome.inputs:
            path = Path(record.path).resolve()
            if record.address is not None:
                # A record about a part of a file (a module call), not the file: counted on its own.
                if record.status is InputStatus.NOT_ANALYSED:
                    report.modules_not_analysed[normalise_reason(record.reason)] += 1
                continue
            if record.status is InputStatus.ANALYSED:
                analysed_paths.add(path)
                analysed_paths.update(Path(other).resolve() for other in record.files)
                if record.parameters:
                    analysed_paths.add(Path(record.parameters).resolve())
                continue
            counted_as = on_disk.get(path) or _RECORD_FORMATS.get(record.format)
            if counted_as is None:
                continue
            tally = report.tallies[counted_as]
            tally.seen.add(path)
            tally.not_analysed[path] = record.reason
            tally.reasons[normalise_reason(record.reason)] += 1
            # The parameter file named by a template that could not be read shares its fate (and was reported).
            parameters = Path(record.parameters).resolve() if record.parameters else None
            if parameters is not None and on_disk.get(parameters) == "ARM":
                arm = report.tallies["ARM"]
                arm.not_analysed[parameters] = f"its template could not be read: {record.reason}"
                arm.reasons[normalise_reason(arm.not_analysed[parameters])] += 1
        analysed_paths.update(Path(resource.source.file).resolve() for resource in outcome.resources
                              if resource.source.file)
        # Terraform reads a module directory as one unit: a record may name the directory, and variables.tf
        # or outputs.tf yield no resources of their own.
        analysed_directories = {path if path.is_dir() else path.parent for path in analysed_paths}
        for path, found in on_disk.items():
            if path in report.tallies[found].not_analysed:
                continue
            if path in analysed_paths or (found == "Terraform" and path.parent in analysed_directories):
                report.tallies[found].analysed.add(path)
    return report


def print_report(report: CorpusReport, *, top: int, show_files: bool) -> None:
    """Print the per-format table, the most common reasons, and (optionally) the files concerned."""
    print(f"{'format':<10} {'files':>6} {'analysed':>9} {'file not on disk':>19} {'could not be read':>18} "
          f"{'not reached':>12}")
    for name, tally in report.tallies.items():
        print(f"{name:<10} {len(tally.seen):>6} {len(tally.analysed):>9} {len(tally.not_on_disk):>19} "
              f"{len(tally.unreadable):>9} ({tally.unreadable_share:>5.1%}) {len(tally.not_reached):>12}  "
              f"{met(tally.meets_goal)}")
    print(f"\ngoal per format: at most {UNREADABLE_GOAL:.0%} could not be read (only files Azure rejects), none "
          f"not reached; loading took {report.seconds:.1f} s")
    for name, tally in report.tallies.items():
        if tally.reasons:
            print(f"\n{name}: most common reasons for not analysing a file")
            for reason, count in tally.reasons.most_common(top):
                print(f"  {count:>5}  {reason}")
        if show_files:
            for path, reason in sorted(tally.not_analysed.items()):
                kind = "file not on disk" if path in tally.not_on_disk else "could not be read"
                print(f"  {kind}  {path}: {reason}")
            for path in sorted(tally.not_reached):
                print(f"  not reached   {path}")
    if report.modules_not_analysed:
        total = sum(report.modules_not_analysed.values())
        print(f"\nmodule calls not analysed (not files; e.g. registry modules not on disk): {total}")
        for reason, count in report.modules_not_analysed.most_common(top):
            print(f"  {count:>5}  {reason}")
    for root, trace in report.crashes:
        print(f"\nloading {root} crashed (an aiwell bug):\n{trace}")


def main(argv: Sequence[str] | None = None) -> int:
    """Parse arguments, measure, print. Exit 1 when a format misses its goal or a directory crashed."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("directories", nargs="+", type=Path, metavar="DIR")
    parser.add_argument("--top", type=int, default=10, help="how many reasons to list per format")
    parser.add_argument("--show-files", action="store_true", help="list every file not analysed or not reached")
    args = parser.parse_args(argv)
    missing = [str(directory) for directory in args.directories if not directory.is_dir()]
    if missing:
        parser.error(f"not a directory: {', '.join(missing)}")
    report = measure(args.directories)
    print_report(report, top=args.top, show_files=args.show_files)
    below = any(not tally.meets_goal for tally in report.tallies.values())
    return 1 if below or report.crashes else 0


if __name__ == "__main__":
    sys.exit(main())
