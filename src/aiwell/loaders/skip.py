"""`--skip-path` (`skip_paths` in the configuration): inputs not to read, by glob.

A pattern without `/` matches a file or folder name anywhere (`bin`, `*.generated.json`); one with `/` matches the
path from the folder named on the command line or from the working directory (`infra/bin`, `**/bin/**`,
`modules/*/test`). `*` and `?` stay within one name, `**` spans any number of folders, and a folder that matches is
skipped with everything in it. Case is compared as written. The typical use: the compiled `bin/` output beside
Bicep sources, which would otherwise be reviewed twice.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Sequence
from pathlib import Path, PurePosixPath


def _regex(pattern: str) -> re.Pattern[str]:
    parts: list[str] = []
    index = 0
    while index < len(pattern):
        if pattern.startswith("**/", index):
            parts.append("(?:.*/)?")
            index += 3
        elif pattern.startswith("**", index):
            parts.append(".*")
            index += 2
        elif pattern[index] == "*":
            parts.append("[^/]*")
            index += 1
        elif pattern[index] == "?":
            parts.append("[^/]")
            index += 1
        else:
            parts.append(re.escape(pattern[index]))
            index += 1
    return re.compile("".join(parts) + "(?:/.*)?", re.DOTALL)


class SkipPaths:
    """The skip patterns of a run, asked about each file and folder the walk meets."""

    def __init__(self, patterns: Sequence[str]) -> None:
        self.patterns = tuple(pattern.strip().replace("\\", "/").strip("/") for pattern in patterns
                              if pattern.strip().strip("/"))
        self._names = [_regex(p) for p in self.patterns if "/" not in p]
        self._paths = [_regex(p.removeprefix("./")) for p in self.patterns if "/" in p]

    def __bool__(self) -> bool:
        return bool(self.patterns)

    def skips(self, path: Path, top: Path) -> bool:
        """Whether `path`, met while walking `top` (a folder named on the command line), is skipped."""
        if any(pattern.fullmatch(path.name) for pattern in self._names):
            return True
        if not self._paths:
            return False
        candidates = {PurePosixPath(path).as_posix().removeprefix("./")}
        with contextlib.suppress(ValueError):
            candidates.add(path.relative_to(top).as_posix())
        return any(pattern.fullmatch(candidate) for pattern in self._paths for candidate in candidates)


__all__ = ["SkipPaths"]
