"""Compare the two HCL parsers on real Terraform: `python bench/terraform_parsers.py DIR...`.

Every `.tf`, `.tfvars` and `.tf.json` file under the directories is parsed three ways: python-hcl2 alone
(`engine="lark"`, the reference), tree-sitter alone (`engine="tree-sitter"`: what it can't vouch for is an error)
and the way the loader reads (`engine="auto"`: tree-sitter, python-hcl2 where tree-sitter can't vouch). The syntax
trees must be equal, lines included. Prints, per kind of file: files, equal trees, files tree-sitter left to
python-hcl2 (and why), files where the trees differ (a defect: the first ones are listed), the parse time of each
engine and the ratio. Repositories measured here are brought in locally and never committed.
"""

from __future__ import annotations

import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from aiwell.errors import ParseError
from aiwell.loaders.files import read_file_text
from aiwell.loaders.terraform.hcl import Engine, HclFile, parse_hcl
from aiwell.loaders.terraform.json_syntax import parse_json_config

SKIPPED = {".git", ".terraform", "node_modules"}
KINDS = {".tf": "HCL (.tf, .tfvars)", ".tfvars": "HCL (.tf, .tfvars)", ".json": "JSON (.tf.json)"}

Outcome = HclFile | ParseError


def _files(directories: list[Path]) -> list[Path]:
    found: list[Path] = []
    for directory in directories:
        for path in sorted(directory.rglob("*")):
            name = path.name
            if SKIPPED.intersection(path.parts) or not path.is_file():
                continue
            if name.endswith((".tf", ".tfvars", ".tf.json")):
                found.append(path)
    return found


def _parse(path: Path, text: str, engine: Engine) -> Outcome:
    parse: Callable[..., HclFile] = parse_json_config if path.name.endswith(".json") else parse_hcl
    try:
        return parse(text, str(path), engine=engine)
    except ParseError as error:
        return error


def _same(left: Outcome, right: Outcome) -> bool:
    if isinstance(left, ParseError) or isinstance(right, ParseError):
        return isinstance(left, ParseError) and isinstance(right, ParseError)
    return left == right


def main(arguments: list[str]) -> int:
    """Run the comparison; returns the exit code (1 when a tree differs)."""
    if not arguments:
        print(__doc__)
        return 2
    texts: list[tuple[Path, str]] = []
    unreadable = 0
    for path in _files([Path(a) for a in arguments]):
        try:
            texts.append((path, read_file_text(path)))
        except ParseError:
            unreadable += 1
    seconds: Counter[tuple[str, Engine]] = Counter()
    counts: Counter[tuple[str, str]] = Counter()
    reasons: Counter[str] = Counter()
    differences: list[str] = []
    for path, text in texts:
        kind = KINDS[path.suffix]
        outcomes: dict[Engine, Outcome] = {}
        for engine in ("lark", "tree-sitter", "auto"):
            started = time.perf_counter()
            outcomes[engine] = _parse(path, text, engine)
            seconds[(kind, engine)] += time.perf_counter() - started
        reference, strict, auto = outcomes["lark"], outcomes["tree-sitter"], outcomes["auto"]
        counts[(kind, "files")] += 1
        if isinstance(reference, ParseError):
            counts[(kind, "python-hcl2 rejects")] += 1
        if not _same(reference, auto):
            counts[(kind, "differ")] += 1
            differences.append(f"{path}: {_describe(reference)} | auto: {_describe(auto)}")
            continue
        counts[(kind, "equal")] += 1
        if isinstance(strict, ParseError) and not isinstance(reference, ParseError):
            counts[(kind, "left to python-hcl2")] += 1
            reasons[strict.message.removeprefix("not read by tree-sitter: ")] += 1
    print(f"unreadable files skipped: {unreadable}")
    for kind in sorted(set(KINDS.values())):
        files = counts[(kind, "files")]
        if not files:
            continue
        lark, tree_sitter, auto = (seconds[(kind, e)] for e in ("lark", "tree-sitter", "auto"))
        print(f"{kind}: {files} files, {counts[(kind, 'equal')]} equal, {counts[(kind, 'differ')]} differ; "
              f"{counts[(kind, 'python-hcl2 rejects')]} rejected by python-hcl2; "
              f"{counts[(kind, 'left to python-hcl2')]} valid files left to python-hcl2 by tree-sitter")
        print(f"  parse time: python-hcl2 {lark:.2f}s, tree-sitter {tree_sitter:.2f}s, auto {auto:.2f}s "
              f"(auto is {lark / auto if auto else float('inf'):.1f}x faster than python-hcl2)")
    for reason, count in reasons.most_common():
        print(f"  left to python-hcl2 ({count}): {reason}")
    for line in differences[:20]:
        print(f"  DIFFERS {line}")
    return 1 if differences else 0


def _describe(outcome: Outcome) -> str:
    if isinstance(outcome, ParseError):
        return f"error at line {outcome.line}: {outcome.message[:80]}"
    return f"{len(outcome.body.blocks)} blocks, {len(outcome.body.attributes)} attributes"


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
