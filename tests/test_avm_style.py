"""Templates compiled from Bicep: languageVersion 2.0 (resources keyed by symbolic name) with AVM-style object
parameters (`parameters('resourceIds').xResourceId`). A peer skips the first and crashes on the second; here both
review correctly, and a missing object parameter leaves the links unknown rather than failing or crashing."""

from __future__ import annotations

from pathlib import Path

from aiwell.model import Status
from aiwell.review import review

AVM = Path(__file__).parent / "fixtures" / "review" / "avm-style"


def _statuses(paths: list[Path], parameters: list[Path] | None = None) -> dict[tuple[str, str], Status]:
    report = review(paths, parameter_files=parameters or [])
    assert all(record.status.value == "analysed" for record in report.inputs), report.inputs
    return {(r.rule.id, r.resource_name): r.status for r in report.results}


def test_object_parameter_from_the_parameter_file_links_the_private_endpoint_and_logs() -> None:
    statuses = _statuses([AVM])  # main.parameters.json is paired by its name
    assert statuses[("AIS004", "aoai-avm")] is Status.PASS
    assert statuses[("AIS005", "aoai-avm")] is Status.PASS


def test_without_the_object_parameter_the_link_is_unknown(tmp_path: Path) -> None:
    for name in ("main.json", "account.json"):
        (tmp_path / name).write_text((AVM / name).read_text(encoding="utf-8"), encoding="utf-8")
    statuses = _statuses([tmp_path])
    assert statuses[("AIS004", "aoai-avm")] is Status.UNKNOWN
    # The nullable diagnosticSettings parameter is null when unset: no setting is deployed, nothing sends logs.
    assert statuses[("AIS005", "aoai-avm")] is Status.FAIL
