"""Measure how much real-world Terraform the HCL loader reads: `python bench/terraform_corpus.py DIR...`.

Every `.tf` file under the directories is parsed; every directory holding `.tf` files is then evaluated as a
root module (local modules followed). Prints files, parsed, failed, the parsed share, modules evaluated without
a crash, and the first failures. Repositories measured here are brought in locally and never committed.
"""

from __future__ import annotations

import sys
import time
import traceback
from pathlib import Path

from aiwell.errors import ParseError
from aiwell.loaders.terraform import load_terraform
from aiwell.loaders.terraform.hcl import parse_hcl

SKIPPED = {".git", ".terraform", "node_modules"}


def _tf_files(directories: list[Path]) -> list[Path]:
    found = []
    for directory in directories:
        for path in sorted(directory.rglob("*.tf")):
            if not SKIPPED.intersection(path.parts) and path.is_file():
                found.append(path)
    return found


def main(arguments: list[str]) -> int:
    """Run the measurement; returns the exit code."""
    if not arguments:
        print(__doc__)
        return 2
    directories = [Path(a) for a in arguments]
    files = _tf_files(directories)
    failures: list[str] = []
    started = time.perf_counter()
    for path in files:
        try:
            parse_hcl(path.read_text(encoding="utf-8-sig"), str(path))
        except ParseError as error:
            failures.append(f"{path}:{error.line}: {error.message}")
        except UnicodeDecodeError as error:
            failures.append(f"{path}: {error}")
    parse_seconds = time.perf_counter() - started
    module_dirs = sorted({p.parent for p in files})
    crashes: list[str] = []
    resources = 0
    started = time.perf_counter()
    for directory in module_dirs:
        try:
            resources += len(load_terraform(directory, root=directory.parent).resources)
        except Exception:  # noqa: BLE001 - a crash is what this script counts
            crashes.append(f"{directory}: {traceback.format_exc(limit=3).splitlines()[-1]}")
    load_seconds = time.perf_counter() - started
    parsed = len(files) - len(failures)
    share = parsed / len(files) if files else 1.0
    print(f"files:    {len(files)}")
    print(f"parsed:   {parsed}")
    print(f"failed:   {len(failures)}")
    print(f"share:    {share:.1%}  (parsing took {parse_seconds:.2f}s)")
    print(f"modules:  {len(module_dirs)} evaluated, {len(module_dirs) - len(crashes)} without a crash, "
          f"{resources} resources mapped ({load_seconds:.2f}s)")
    for line in (failures + crashes)[:20]:
        print(f"  {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
