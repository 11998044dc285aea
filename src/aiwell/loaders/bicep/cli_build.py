"""The optional path through the Bicep CLI (`--bicep-cli`): `bicep build` compiles the file to ARM JSON, which the
ARM loader expands. The native loader is the default; this path exists for teams that want the compiler's own
reading of a file. Parameter values are read natively either way, so both paths deploy the same values.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
from pathlib import Path

from msgspec.structs import replace

from aiwell.errors import InputError, TemplateError, UsageError
from aiwell.loaders.arm.scope import DeploymentContext
from aiwell.loaders.arm.template import expand_template
from aiwell.loaders.bicep.load import BicepLoad
from aiwell.loaders.bicep.params import read_parameters
from aiwell.loaders.jsonc import parse_text
from aiwell.model import SourceFormat

BUILD_TIMEOUT_SECONDS = 300.0
"""The default limit on one `bicep build` (`--subprocess-timeout`): a cold start of the CLI and a large module tree
can take a minute or more; past the limit the file is not analysed."""


def bicep_cli() -> str:
    """The `bicep` executable on PATH; a `UsageError` when there is none."""
    found = shutil.which("bicep")
    if found is None:
        raise UsageError("--bicep-cli was given, but no `bicep` executable is on PATH",
                         hint="install the Bicep CLI, or leave out --bicep-cli to use aiwell's own Bicep reader")
    return found


def _run(command: list[str], timeout: float) -> tuple[int, str, str]:
    """Run `command` and return (exit code, standard output, standard error); `TemplateError` when it can't start
    or runs longer than `timeout` seconds.

    The command runs in its own process group (session), and on timeout the whole group is killed: `bicep` is
    often a wrapper script, and a child still holding the output pipes would otherwise keep the review waiting.
    """
    posix = os.name == "posix"
    try:
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                                   text=True, encoding="utf-8", errors="replace", start_new_session=posix)
    except OSError as exc:
        raise TemplateError(f"`bicep build` could not run: {exc.strerror or exc}") from exc
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        if posix:
            with contextlib.suppress(ProcessLookupError):  # the group is already gone
                os.killpg(process.pid, signal.SIGKILL)
        else:
            process.kill()
        process.communicate()
        raise TemplateError(f"`bicep build` did not finish in {timeout:g} s",
                            hint="raise the limit with --subprocess-timeout SECONDS") from exc
    return process.returncode, stdout, stderr


def load_bicep_with_cli(path: Path, *, parameter_file: Path | None = None,
                        context: DeploymentContext | None = None, root: Path | None = None,
                        timeout: float = BUILD_TIMEOUT_SECONDS) -> BicepLoad:
    """Compile `path` with `bicep build --stdout --no-restore` and expand the ARM template it prints.

    The build never restores: registry modules come from the local module cache, as for the native reader (a review
    never reaches the network), and a module that is not there fails the build with a hint to run `bicep restore`.
    Resources keep the Bicep file as their source (format `bicep`, address from the compiled template; no line,
    since the compiled lines are not the user's). Raises `TemplateError` when the build fails or runs longer than
    `timeout` seconds (the file is then not analysed).
    """
    executable = bicep_cli()
    returncode, stdout, stderr = _run([executable, "build", "--stdout", "--no-restore", str(path)], timeout)
    if returncode != 0:
        first = next((line for line in stderr.splitlines() if line.strip()), "no message")
        unrestored = "BCP190" in stderr or "has not been restored" in stderr
        raise TemplateError(f"`bicep build` failed: {first.strip()}",
                            hint="run `bicep restore` to fill the local module cache" if unrestored else None)
    values = {}
    notes = [f"resources from `bicep build` ({executable}), not aiwell's own Bicep reader"]
    if parameter_file is not None:
        try:
            read = read_parameters(parameter_file, context=context, root=root)
        except InputError as exc:
            raise TemplateError(f"parameter file {parameter_file}: {exc.message}", hint=exc.hint) from exc
        values = read.values
        notes.extend(read.notes)
    document = parse_text(stdout, str(path))
    expansion = expand_template(document, parameters=values, context=context,
                                root=root if root is not None else path.resolve().parent)
    resources = []
    for resource in expansion.resources:
        source = replace(resource.source, format=SourceFormat.BICEP, file=str(path), line=None, end_line=None)
        resource.source = source
        resources.append(resource)
    return BicepLoad(resources, notes + expansion.notes, [], expansion.unreviewed)


__all__ = ["BUILD_TIMEOUT_SECONDS", "bicep_cli", "load_bicep_with_cli"]
