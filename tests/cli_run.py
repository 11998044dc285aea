"""Running the `aiwell` command line inside a test, as a user's shell would."""

from __future__ import annotations

import pytest

from aiwell.cli.main import main


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """Run `aiwell ARGS...`; return its exit code, standard output and standard error."""
    with pytest.raises(SystemExit) as done:
        main(list(args))
    captured = capsys.readouterr()
    code = done.value.code
    assert isinstance(code, int)
    return code, captured.out, captured.err
