"""Time `aiwell review` on a generated 50,000-row inventory, a 5,000-resource template and the bundled examples.

Run by hand: `.venv/bin/python bench/review_scale.py [--inventory-rows N] [--template-resources N]`.
Prints resources per second for each input; there is no pass/fail threshold here.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import timed_review, write_inventory, write_template  # noqa: E402

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--inventory-rows", type=int, default=50_000)
    parser.add_argument("--template-resources", type=int, default=5_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        cases = [
            (f"inventory, {args.inventory_rows:,} rows", write_inventory(Path(scratch) / "inv.json",
                                                                        args.inventory_rows)),
            (f"ARM template, {args.template_resources:,} resources",
             write_template(Path(scratch) / "big.json", args.template_resources)),
            ("bundled examples", EXAMPLES),
        ]
        print(f"{'input':<36} {'seconds':>8} {'resources':>10} {'results':>9} {'resources/s':>12}")
        for label, path in cases:
            seconds, resources, results = timed_review(path)
            rate = resources / seconds if seconds else float("inf")
            print(f"{label:<36} {seconds:>8.2f} {resources:>10,} {results:>9,} {rate:>12,.0f}")


if __name__ == "__main__":
    main()
