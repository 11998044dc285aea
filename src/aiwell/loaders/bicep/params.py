"""Parameter values for a Bicep file: `.bicepparam` files and JSON parameter files.

A `.bicepparam` file names its Bicep file with `using './main.bicep'` (or `using none` for values shared by
several files) and assigns values with `param x = expr`. Its expressions are evaluated like a Bicep file's:
variables, functions, imports; `readEnvironmentVariable('X', 'default')` reads X from the azd environment given
with `--azd-env`, else gives its default (aiwell does not read the process environment, so without either the
value is `Unresolved`), and `getSecret(...)` is `Unresolved` (a Key Vault secret). `extends './base.bicepparam'`
takes the base file's values first; the file's own win.

A JSON parameter file (`X.parameters.json` beside `X.bicep`) is read as for an ARM template: `value` entries, Key
Vault `reference`s `Unresolved`, and so are azd environment placeholders (`"${AZURE_LOCATION}"`) unless an azd
environment is given (`--azd-env`). A string given to a `bool` or `int` parameter (`"true"`, `"3"`) is converted
as ARM converts it.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from msgspec import Struct

from aiwell.errors import TemplateError
from aiwell.loaders.arm.parameters import read_parameter_file
from aiwell.loaders.arm.scope import DeploymentContext
from aiwell.loaders.bicep import syntax as s
from aiwell.loaders.bicep.evaluate import evaluate_parameters
from aiwell.loaders.files import within
from aiwell.loaders.jsonc import load_json, read_text
from aiwell.model import Unresolved

BICEPPARAM_SUFFIX = ".bicepparam"

MAX_EXTENDS_DEPTH = 10
"""`.bicepparam` files extending each other deeper than this are refused (a file that extends itself)."""


class BicepParameters(Struct, frozen=True):
    """The parameter values a parameter file gives a Bicep file."""

    path: Path
    values: dict[str, Any]
    """Parameter name → value (`Unresolved` where the value can't be known offline)."""
    notes: tuple[str, ...] = ()


def _parse(path: Path) -> s.Program:
    from aiwell.loaders.bicep.parser import parse_bicep

    return parse_bicep(read_text(path), path=str(path))


def _using(program: s.Program) -> s.Using | None:
    return next((st for st in program.statements if isinstance(st, s.Using)), None)


def using_target(path: Path, program: s.Program, *, root: Path | None = None) -> Path | None:
    """The Bicep file a parsed `.bicepparam` program's `using` names, relative to the parameter file.

    None for `using none` and for a registry or template-spec reference (`br:`, `ts:`), which is not a local
    file. Raises `TemplateError` when the file has no `using` statement, or when it names a file outside `root`
    (the reviewed tree; that file is not read, and nothing of it is quoted).
    """
    using = _using(program)
    if using is None:
        raise TemplateError("a .bicepparam file must start with a 'using' statement", line=1)
    if using.path is None or using.path.startswith(("br:", "br/", "ts:", "ts/")):
        return None
    target = Path(os.path.normpath(path.parent / using.path))
    if root is not None and not within(target, root):
        raise TemplateError("parameter file not analysed: its `using` names a file outside the reviewed tree, which "
                            "is not read", line=using.line)
    return target


def using_reference(program: s.Program) -> str | None:
    """The registry module or template spec a parsed `.bicepparam` program's `using` names (`br/public:...`,
    `ts:...`), or None when it names a local file, `none`, or nothing."""
    using = _using(program)
    if using is None or using.path is None or not using.path.startswith(("br:", "br/", "ts:", "ts/")):
        return None
    return using.path


def read_bicepparam(path: Path, *, context: DeploymentContext | None = None, root: Path | None = None,
                    _depth: int = 0) -> BicepParameters:
    """Evaluate the values a `.bicepparam` file assigns. Raises `InputError` (with a line) on a bad file."""
    program = _parse(path)
    values: dict[str, Any] = {}
    notes: list[str] = []
    for statement in program.statements:
        if isinstance(statement, s.Extends):
            if _depth >= MAX_EXTENDS_DEPTH:
                raise TemplateError("parameter files extend each other too deeply (does one extend itself?)",
                                    line=statement.line)
            base_path = Path(os.path.normpath(path.parent / statement.path))
            if root is not None and not within(base_path, root):
                raise TemplateError("the extended parameter file is outside the reviewed tree; not read",
                                    line=statement.line)
            if not base_path.is_file():
                notes.append(f"extended parameter file {statement.path} does not exist; its values are not used")
                continue
            base = read_bicepparam(base_path, context=context, root=root, _depth=_depth + 1)
            values.update(base.values)
            notes.extend(base.notes)
    own, own_notes = evaluate_parameters(program, path, context=context, root=root)
    values.update(own)
    notes.extend(own_notes)
    return BicepParameters(path, values, tuple(notes))


def read_json_parameters(path: Path, *, context: DeploymentContext | None = None) -> BicepParameters:
    """The values of an ARM-style JSON parameter file. Raises `InputError` on a bad file."""
    parsed = read_parameter_file(load_json(path, track=()).value, path,
                                 azd_values=context.azd_values if context is not None else None)
    # An unresolved value is named as Bicep names the parameter (`x`), not as ARM does (`parameters('x')`).
    values = {name: Unresolved(name, value.reason) if isinstance(value, Unresolved) else value
              for name, value in parsed.values.items()}
    return BicepParameters(path, values, parsed.notes)


def read_parameters(path: Path, *, context: DeploymentContext | None = None,
                    root: Path | None = None) -> BicepParameters:
    """The values of a parameter file for a Bicep file: `.bicepparam`, else JSON."""
    if path.suffix.lower() == BICEPPARAM_SUFFIX:
        return read_bicepparam(path, context=context, root=root)
    return read_json_parameters(path, context=context)


__all__ = ["BICEPPARAM_SUFFIX", "BicepParameters", "read_bicepparam", "read_json_parameters",
           "read_parameters", "using_reference", "using_target"]
