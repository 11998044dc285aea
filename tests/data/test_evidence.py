"""A real `aiwell data` report, written by the command, as the review questionnaire's evidence: what it shows
pre-fills answers; what it could not decide (`unknown`) pre-fills nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from aiwell.cli.main import main
from aiwell.questionnaire import load_questions
from aiwell.questionnaire.evidence import infer_answers, load_evidence
from data.datagen import AS_OF, filled_datasheet


def _report(capsys: pytest.CaptureFixture[str], out: Path, *args: str) -> Path:
    with pytest.raises(SystemExit):
        main(["data", "profile", *args, "--as-of", AS_OF.isoformat(), "--format", "json", "-o", str(out)])
    capsys.readouterr()
    return out


def test_a_data_report_pre_fills_what_it_shows(capsys: pytest.CaptureFixture[str], data_dir: Path,
                                               tmp_path: Path) -> None:
    catalog = load_questions()
    planted = _report(capsys, tmp_path / "planted.json", str(data_dir / "planted.csv"), "--label", "churned")
    inferred = infer_answers(catalog, reports=[load_evidence(planted)])
    assert inferred["Q-DD-01"].choices == ("measured",)
    assert inferred["Q-DD-04"].choices == ("ad-hoc",)  # personal data found
    assert inferred["Q-DD-05"].choices == ("ad-hoc",)  # preparation failed
    assert str(planted) in (inferred["Q-DD-05"].inferred or "")
    # No datasheet: origins are unknown, which is no evidence that they are documented.
    assert "Q-DD-03" not in inferred
    sheet = tmp_path / "datasheet.yaml"
    sheet.write_text(filled_datasheet())
    clean = _report(capsys, tmp_path / "clean.json", str(data_dir / "clean.parquet"), "--label", "churned",
                    "--datasheet", str(sheet))
    inferred = infer_answers(catalog, reports=[load_evidence(clean)])
    assert inferred["Q-DD-03"].choices == ("defined",)
    assert inferred["Q-DD-05"].choices == ("defined",)
    assert "Q-DD-04" not in inferred
