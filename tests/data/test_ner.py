"""The optional NER of the personal-data search (`--ner MODEL`): it never downloads a model, says what to do when
the model is not installed, and reports the names a real spaCy pipeline finds, masked.

No trained spaCy model can be installed offline (none is on PyPI), so the pipeline that finds names here is a
real spaCy pipeline written to disk by the test, whose entity recognizer is a rule-based `entity_ruler`: it checks
loading from a folder, Presidio's recognizer on the pipeline's entities, and the findings; not the accuracy of a
statistical model."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest

from aiwell.cli.main import main
from aiwell.data import ProfileOptions, profile_paths
from data.datagen import AS_OF, findings_of, write_parquet

spacy = pytest.importorskip("spacy")

NAMES = ["Alice Martin", "Bob Stone", "Chen Wei", "Dana Ruiz"]


@pytest.fixture(autouse=True)
def no_download(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any attempt to download a model fails the test."""
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"a model download was attempted: {args}")

    monkeypatch.setattr(spacy.cli, "download", refuse)


def _notes(tmp_path: Path) -> Path:
    notes = [f"called {NAMES[i % 4]} about the refund" if i % 5 == 0 else "the parcel arrived late again"
             for i in range(400)]
    return write_parquet(pa.table({"id": list(range(400)), "note": notes}), tmp_path / "notes.parquet")


def _ruler_model(tmp_path: Path) -> Path:
    nlp = spacy.blank("en")
    ruler = nlp.add_pipe("entity_ruler")
    ruler.add_patterns([{"label": "PERSON", "pattern": name} for name in NAMES])
    path = tmp_path / "names-model"
    nlp.to_disk(path)
    return path


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    with pytest.raises(SystemExit) as done:
        main(["data", "profile", *args, "--as-of", AS_OF.isoformat(), "--format", "json"])
    code = done.value.code
    assert isinstance(code, int)
    return code, " ".join(capsys.readouterr().err.split())  # unwrapped


def test_a_model_that_is_not_installed_is_a_configuration_error_not_a_download(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, err = _run(capsys, str(_notes(tmp_path)), "--ner", "en_core_web_sm_not_installed")
    assert code == 2
    assert "Traceback" not in err
    assert "no spaCy model of that name is installed" in err and "never downloads" in err


def test_a_pipeline_without_an_entity_recognizer_is_refused(capsys: pytest.CaptureFixture[str],
                                                            tmp_path: Path) -> None:
    blank = tmp_path / "blank-model"
    spacy.blank("en").to_disk(blank)
    code, err = _run(capsys, str(_notes(tmp_path)), "--ner", str(blank))
    assert code == 2 and "Traceback" not in err
    assert "no entity recognizer" in err


def test_names_found_by_the_model_are_reported_masked_and_approximate(tmp_path: Path) -> None:
    options = ProfileOptions(as_of=AS_OF, ner=str(_ruler_model(tmp_path)), sample_rows=100)
    document = profile_paths([str(_notes(tmp_path))], options).document
    (finding,) = findings_of(document, status="fail", facet="sensitivity", check="personal-data")
    assert finding["column"] == "note" and "PERSON" in finding["message"]
    assert finding["approximate"] is True  # from the row sample: names have no pattern to confirm them by
    assert not any(name in finding["message"] for name in NAMES)
    (column,) = [c for c in document["datasets"][0]["columns"] if c["name"] == "note"]
    (hit,) = column["pii"]
    assert hit["entity"] == "PERSON" and hit["share"] == pytest.approx(0.2, abs=0.1)


def test_without_ner_names_are_not_searched(tmp_path: Path) -> None:
    document = profile_paths([str(_notes(tmp_path))], ProfileOptions(as_of=AS_OF)).document
    assert findings_of(document, status="fail", facet="sensitivity") == []
