"""Azure Developer CLI environments: the values azd deploys a template with.

An azd project is the folder holding `azure.yaml`; each environment keeps its values in `.azure/<name>/.env`
(written by `azd env new`, `azd env set` and `azd provision`). azd puts them into the parameter files'
`${NAME}` placeholders and into the environment the Bicep build reads (`readEnvironmentVariable`). `--azd-env
NAME` reviews a template as azd would deploy it to that environment; the process environment is never read.
"""

from __future__ import annotations

import re
from pathlib import Path

from aiwell.errors import UsageError

PROJECT_FILE = "azure.yaml"
_LINE = re.compile(r"^\s*(?:export\s+)?(?P<key>[A-Za-z_][A-Za-z0-9_.]*)\s*=\s*(?P<value>.*?)\s*$")
_ESCAPE = re.compile(r"\\(.)")
_ESCAPED = {"n": "\n", "r": "\r", "t": "\t"}


def find_environment_file(name: str, start: Path) -> Path:
    """`.azure/<name>/.env` of the azd project holding `start` (the nearest folder above it with `azure.yaml`).

    Raises `UsageError` when no project holds `start` or the project has no such environment.
    """
    if not name or Path(name).name != name or name in (".", ".."):
        raise UsageError(f"--azd-env {name!r}: an environment name, without folders")
    here = start.resolve()
    for folder in (here, *here.parents) if here.is_dir() else here.parents:
        if (folder / PROJECT_FILE).is_file():
            found = folder / ".azure" / name / ".env"
            if not found.is_file():
                known = sorted(p.parent.name for p in (folder / ".azure").glob("*/.env"))
                raise UsageError(f"--azd-env {name}: {found} does not exist",
                                 hint=f"environments of {folder}: {', '.join(known) or 'none'} "
                                      "(`azd env new NAME` creates one)")
            return found
    raise UsageError(f"--azd-env {name}: no {PROJECT_FILE} in {here} or a folder above it",
                     hint="azd environments belong to an azd project (the folder holding azure.yaml)")


def read_environment_file(path: Path) -> dict[str, str]:
    """The values of an azd `.env` file (`KEY="value"` lines, as azd writes them; `#` comments and blank lines
    skipped). Raises `UsageError` naming the line of one that is neither."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"{path}: can't be read ({exc})") from None
    values: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        match = _LINE.match(line)
        if match is None:
            raise UsageError(f"{path}:{number}: expected NAME=VALUE, not {line.strip()[:60]!r}")
        values[match.group("key")] = _unquote(match.group("value"))
    return values


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return _ESCAPE.sub(lambda m: _ESCAPED.get(m.group(1), m.group(1)), value[1:-1])
    if len(value) >= 2 and value[0] == value[-1] == "'":
        return value[1:-1]
    return value


def load_environment(name: str, start: Path) -> dict[str, str]:
    """The values of azd environment `name` of the project holding `start`, with `AZURE_ENV_NAME` (azd sets it to
    the environment's name when the file does not)."""
    values = read_environment_file(find_environment_file(name, start))
    values.setdefault("AZURE_ENV_NAME", name)
    return values


__all__ = ["PROJECT_FILE", "find_environment_file", "load_environment", "read_environment_file"]
