"""Read and expand every ARM template under the given directories, with their defaults, and time it.

    python bench/arm_corpus.py DIR... [--baseline-python PATH] [--slowest N]

For each `.json` file that is an ARM deployment template (the compiled `main.json` of the Azure Verified Modules,
for instance), the file is parsed (`aiwell.loaders.jsonc.load_json`) and expanded once with its default parameter
values (`aiwell.loaders.arm.template.expand_template`). Prints the template count, the resources, the templates
that could not be expanded, CPU and wall seconds for parsing and for expanding, and the slowest files.

With `--baseline-python`, the same measurement also runs under another interpreter that has another aiwell
installed (a previous release in its own virtual environment), in the same run, and the ratios are printed. CPU
time is the figure to compare on a shared machine; wall time counts waiting for the CPU too.

The corpus is whatever you point it at (clones of public repositories, never committed). To compare with the
release before issue 7, install it into its own virtual environment outside the repository, for instance
`git archive abb01a6 | tar -x -C /tmp/base && python3 -m venv /tmp/base-venv && /tmp/base-venv/bin/pip install
/tmp/base`, then pass `--baseline-python /tmp/base-venv/bin/python`.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any


def template_files(roots: list[Path]) -> list[Path]:
    """Every `.json` file under `roots`, in a stable order (whether it is a template is decided when read)."""
    found: list[Path] = []
    for root in roots:
        if root.is_file():
            found.append(root)
        else:
            found.extend(path for path in root.rglob("*.json") if path.is_file())
    return sorted(found)


def measure(roots: list[Path]) -> dict[str, Any]:
    """Parse and expand every template under `roots`; the totals and per-file CPU seconds."""
    from aiwell.errors import InputError
    from aiwell.loaders.arm.template import expand_template, is_template
    from aiwell.loaders.jsonc import load_json

    totals = {"templates": 0, "resources": 0, "not_expanded": 0, "parse_cpu": 0.0, "expand_cpu": 0.0,
              "parse_wall": 0.0, "expand_wall": 0.0}
    per_file: list[tuple[float, str]] = []
    for path in template_files(roots):
        cpu, wall = time.process_time(), time.perf_counter()
        try:
            document = load_json(path)
        except InputError:
            continue
        parsed_cpu, parsed_wall = time.process_time(), time.perf_counter()
        if not is_template(document.value):
            continue
        totals["templates"] += 1
        try:
            totals["resources"] += len(expand_template(document, root=path.parent).resources)
        except InputError:
            totals["not_expanded"] += 1
        done_cpu, done_wall = time.process_time(), time.perf_counter()
        totals["parse_cpu"] += parsed_cpu - cpu
        totals["parse_wall"] += parsed_wall - wall
        totals["expand_cpu"] += done_cpu - parsed_cpu
        totals["expand_wall"] += done_wall - parsed_wall
        per_file.append((done_cpu - cpu, str(path)))
    per_file.sort(reverse=True)
    return {**totals, "slowest": per_file}


def _report(label: str, figures: dict[str, Any], slowest: int) -> None:
    print(f"{label}: {figures['templates']} templates, {figures['resources']:,} resources, "
          f"{figures['not_expanded']} not expanded")
    print(f"  parse   CPU {figures['parse_cpu']:8.2f} s   wall {figures['parse_wall']:8.2f} s")
    print(f"  expand  CPU {figures['expand_cpu']:8.2f} s   wall {figures['expand_wall']:8.2f} s")
    for seconds, path in figures["slowest"][:slowest]:
        print(f"    {seconds:7.3f} s CPU  {path}")


def main(argv: list[str] | None = None) -> int:
    """Run the measurement (and the baseline's); exit 0 whatever the figures (a measurement, not a gate)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("roots", nargs="+", type=Path, metavar="DIR")
    parser.add_argument("--baseline-python", type=Path, metavar="PATH",
                        help="an interpreter with the aiwell to compare against (e.g. a previous release's venv)")
    parser.add_argument("--slowest", type=int, default=10, metavar="N", help="slowest files to list (default 10)")
    parser.add_argument("--json", action="store_true", help=argparse.SUPPRESS)  # how a baseline run reports back
    options = parser.parse_args(argv)

    if options.json:
        print(json.dumps(measure(options.roots)))
        return 0
    current = measure(options.roots)
    _report("this aiwell", current, options.slowest)
    if options.baseline_python is not None:
        completed = subprocess.run(
            [str(options.baseline_python), __file__, "--json", *map(str, options.roots)],
            check=True, capture_output=True, text=True, cwd="/")
        baseline = json.loads(completed.stdout)
        _report(f"baseline ({options.baseline_python})", baseline, options.slowest)
        for what in ("parse", "expand"):
            cpu = baseline[f"{what}_cpu"] / max(current[f"{what}_cpu"], 1e-9)
            wall = baseline[f"{what}_wall"] / max(current[f"{what}_wall"], 1e-9)
            print(f"{what:<7} {cpu:6.1f}x faster (CPU)  {wall:6.1f}x faster (wall)")
        total_cpu = (baseline["parse_cpu"] + baseline["expand_cpu"]) / max(
            current["parse_cpu"] + current["expand_cpu"], 1e-9)
        print(f"total   {total_cpu:6.1f}x faster (CPU)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
