"""The checkov comparison counts the files aiwell reports, parameter files with the input that names them."""

from __future__ import annotations

import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench"
sys.path.insert(0, str(BENCH))

from vs_checkov import run_aiwell  # noqa: E402

_PARAMETERS = ('{"$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentParameters.json#",'
               ' "contentVersion": "1.0.0.0", "parameters": {"flag": {"value": true}}}')


def test_the_parameter_file_of_an_input_that_could_not_be_read_is_reported_not_dropped(tmp_path: Path) -> None:
    (tmp_path / "main.bicep").write_text("param flag bool\nvar x = flag ? 1 : 2 +\n", encoding="utf-8")
    (tmp_path / "main.parameters.json").write_text(_PARAMETERS, encoding="utf-8")
    run = run_aiwell(tmp_path)
    assert run.unparsed == {(tmp_path / "main.bicep").resolve(), (tmp_path / "main.parameters.json").resolve()}
    assert not run.parsed


def test_the_parameter_file_of_an_analysed_input_is_parsed_with_it(tmp_path: Path) -> None:
    (tmp_path / "main.bicep").write_text("param flag bool\noutput x int = flag ? 1 : 2\n", encoding="utf-8")
    (tmp_path / "main.parameters.json").write_text(_PARAMETERS, encoding="utf-8")
    run = run_aiwell(tmp_path)
    assert {(tmp_path / "main.bicep").resolve(), (tmp_path / "main.parameters.json").resolve()} <= run.parsed
    assert not run.unparsed
