"""Parse every .bicep and .bicepparam file under the given directories and report how many the parser accepts.

    python bench/bicep_corpus.py DIR... [--show N]

Prints the file count, parsed and failed counts, the share parsed, the speed, and the first N failures with their
line and reason. The corpus is whatever you point it at (clones of public repositories, never committed).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from aiwell.errors import ParseError
from aiwell.loaders.bicep import parse_bicep

_SUFFIXES = (".bicep", ".bicepparam")


def bicep_files(roots: list[Path]) -> list[Path]:
    """Every Bicep and Bicep parameter file under `roots`, in a stable order."""
    found: list[Path] = []
    for root in roots:
        if root.is_file():
            found.append(root)
            continue
        found.extend(path for path in root.rglob("*") if path.suffix in _SUFFIXES and path.is_file())
    return sorted(found)


def main(argv: list[str] | None = None) -> int:
    """Run the measurement; the exit code is 0 whatever the share (this is a measurement, not a gate)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("roots", nargs="+", type=Path, metavar="DIR")
    parser.add_argument("--show", type=int, default=20, metavar="N", help="failures to list (default 20)")
    options = parser.parse_args(argv)

    files = bicep_files(options.roots)
    failures: list[tuple[Path, str]] = []
    total_bytes = 0
    started = time.perf_counter()
    for path in files:
        text = path.read_text(encoding="utf-8-sig", errors="replace")
        total_bytes += len(text)
        try:
            parse_bicep(text, path=str(path))
        except ParseError as error:
            failures.append((path, error.message))
    elapsed = time.perf_counter() - started

    parsed = len(files) - len(failures)
    share = parsed / len(files) if files else 0.0
    print(f"files:   {len(files)}")
    print(f"parsed:  {parsed}")
    print(f"failed:  {len(failures)}")
    print(f"share:   {share:.2%}")
    print(f"speed:   {len(files) / elapsed:.1f} files/s ({total_bytes / elapsed / 1e6:.2f} MB/s, {elapsed:.2f} s)")
    for path, reason in failures[: options.show]:
        print(f"  {path}: {reason}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
