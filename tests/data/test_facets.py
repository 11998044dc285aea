"""Each facet finds the problem planted for it, and nothing on clean data."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from aiwell.data import ProfileOptions, profile_paths
from data.datagen import AS_OF, clean_table, filled_datasheet, findings_of, planted_table, write_parquet


def _profile(paths: list[Path], **options: Any) -> dict[str, Any]:
    options.setdefault("as_of", AS_OF)
    return profile_paths([str(p) for p in paths], ProfileOptions(**options)).document


@pytest.fixture(scope="module")
def clean(data_dir: Path) -> dict[str, Any]:
    return _profile([data_dir / "clean.parquet"], label="churned", time="signed_up")


@pytest.fixture(scope="module")
def planted(data_dir: Path) -> dict[str, Any]:
    return _profile([data_dir / "planted.csv"], label="churned", time="signed_up")


def test_clean_data_fails_nothing(clean: dict[str, Any]) -> None:
    failed = findings_of(clean, status="fail")
    assert failed == []
    unknown = findings_of(clean, status="unknown")
    assert [(f["facet"], f["check"]) for f in unknown] == [("origins", "datasheet")]
    measured = {name for name, facet in clean["scores"]["facets"].items() if facet["measured"]}
    assert measured == {"volume", "types", "origins", "sensitivity", "preparation", "freshness", "balance",
                        "leakage"}


def test_clean_csv_fails_nothing(data_dir: Path) -> None:
    document = _profile([data_dir / "clean.csv"], label="churned", time="signed_up")
    assert findings_of(document, status="fail") == []
    columns = {c["name"]: c["type"] for c in document["datasets"][0]["columns"]}
    assert columns == {"customer_id": "integer", "age": "integer", "credit_score": "float",
                       "tenure_months": "float", "segment": "string", "region": "string", "signed_up": "timestamp",
                       "comment": "string", "churned": "string"}


def _failed(document: dict[str, Any], facet: str, check: str) -> list[dict[str, Any]]:
    return findings_of(document, status="fail", facet=facet, check=check)


def test_volume_finds_a_class_below_the_floor(planted: dict[str, Any]) -> None:
    (finding,) = _failed(planted, "volume", "class-rows")
    assert finding["column"] == "churned" and "'maybe' (20)" in finding["message"]


def test_types_find_parse_failures_and_mixed_types(planted: dict[str, Any]) -> None:
    (failure,) = _failed(planted, "types", "parse-failures")
    assert failure["column"] == "amount" and "'twelve'" in failure["message"]
    assert failure["value"] == pytest.approx(1 / 33, rel=0.1)
    assert [f["column"] for f in _failed(planted, "types", "mixed-types")] == ["code"]


def test_sensitivity_finds_personal_data_by_content_and_name(planted: dict[str, Any]) -> None:
    by_column = {(f["column"], f["message"].split(" hold ")[1].split(",")[0].split(":")[0])
                 for f in _failed(planted, "sensitivity", "personal-data")}
    assert ("contact", "EMAIL_ADDRESS") in by_column
    assert ("notes", "CREDIT_CARD") in by_column and ("notes", "IBAN_CODE") in by_column
    assert [f["column"] for f in _failed(planted, "sensitivity", "sensitive-name")] == ["date_of_birth"]
    columns = {c["name"]: c for c in planted["datasets"][0]["columns"]}
    shares = {p["entity"]: p["share"] for p in columns["notes"]["pii"]}
    assert shares["CREDIT_CARD"] == pytest.approx(0.1, abs=0.01)
    assert shares["IBAN_CODE"] == pytest.approx(0.1, abs=0.01)


def test_preparation_finds_each_planted_problem(planted: dict[str, Any]) -> None:
    assert [f["column"] for f in _failed(planted, "preparation", "constant")] == ["source_system"]
    assert [f["column"] for f in _failed(planted, "preparation", "nulls")] == ["discount"]
    assert [f["column"] for f in _failed(planted, "preparation", "outliers")] == ["balance"]
    (duplicates,) = _failed(planted, "preparation", "duplicates")
    assert duplicates["message"].startswith("100 rows")
    (near,) = _failed(planted, "preparation", "near-duplicates")
    assert near["message"].startswith("40 more rows")


def test_balance_and_leakage_find_the_rare_class_and_the_proxy(planted: dict[str, Any]) -> None:
    (balance,) = _failed(planted, "balance", "class-balance")
    assert "'maybe'" in balance["message"]
    assert [f["column"] for f in _failed(planted, "leakage", "label-proxy")] == ["churn_flag"]


def test_freshness_fails_an_old_feed_with_a_gap_and_a_spike(tmp_path: Path) -> None:
    days = clean_table(6000, days=60).to_pylist()
    # Drop ten days in the middle, and triple one day.
    first = days[0]["signed_up"].date()
    kept = [r for r in days if not 20 <= (r["signed_up"].date() - first).days < 30]
    spike = [dict(r, customer_id=r["customer_id"] + 10_000_000 * copy) for copy in (1, 2, 3) for r in kept
             if (r["signed_up"].date() - first).days == 40]
    path = write_parquet(pa.Table.from_pylist(kept + spike), tmp_path / "feed.parquet")
    stale = _profile([path], time="signed_up", freshness=timedelta(days=30),
                     as_of=AS_OF.replace(month=9))
    (age,) = _failed(stale, "freshness", "age")
    assert age["severity"] == "high" and age["value"] > 60
    (gap,) = _failed(stale, "freshness", "gaps")
    assert "10 days after" in gap["message"]
    (spike_finding,) = _failed(stale, "freshness", "volume-anomalies")
    assert "1 days" in spike_finding["message"]
    fresh = _profile([path], time="signed_up", freshness=timedelta(days=30))
    assert findings_of(fresh, status="pass", facet="freshness", check="age")


def test_leakage_finds_shared_rows_and_time_overlap(tmp_path: Path) -> None:
    train = clean_table(3000, seed=1, start=AS_OF - timedelta(days=100), days=60)
    later = clean_table(1000, seed=2, start=AS_OF - timedelta(days=30), days=29)
    write_parquet(train, tmp_path / "train.parquet")
    leaky_test = pa.concat_tables([later, train.slice(0, 100)])
    write_parquet(leaky_test, tmp_path / "leaky.parquet")
    write_parquet(later, tmp_path / "test.parquet")
    leaky = _profile([tmp_path / "train.parquet"], test=str(tmp_path / "leaky.parquet"), time="signed_up")
    (shared,) = _failed(leaky, "leakage", "shared-rows")
    assert shared["message"].startswith("100 rows")
    (overlap,) = _failed(leaky, "leakage", "time-leakage")
    assert overlap["value"] > 0
    clean_split = _profile([tmp_path / "train.parquet"], test=str(tmp_path / "test.parquet"), time="signed_up")
    assert findings_of(clean_split, status="fail", facet="leakage") == []
    assert {f["check"] for f in findings_of(clean_split, status="pass", facet="leakage")} == {"shared-rows",
                                                                                             "time-leakage"}


def test_drift_finds_shifted_columns_and_not_resampled_ones(tmp_path: Path) -> None:
    reference = write_parquet(clean_table(5000, seed=3), tmp_path / "reference.parquet")
    same = write_parquet(clean_table(5000, seed=4), tmp_path / "same.parquet")
    shifted = write_parquet(clean_table(5000, seed=5, score_shift=1.0, segment_p=(0.7, 0.1, 0.1, 0.1)),
                            tmp_path / "shifted.parquet")
    stable = _profile([same], reference=str(reference), time="signed_up")
    assert findings_of(stable, status="fail", facet="drift") == []
    assert findings_of(stable, status="pass", facet="drift", check="dataset-drift")
    drifted = _profile([shifted], reference=str(reference), time="signed_up")
    assert {f["column"] for f in _failed(drifted, "drift", "column-drift")} == {"credit_score", "segment"}
    rows = {d["column"]: d for d in drifted["drift"]}
    assert rows["credit_score"]["wasserstein"] == pytest.approx(1.0, abs=0.15)
    assert rows["segment"]["js"] > 0.1 and rows["region"]["js"] < 0.05
    assert 0 <= rows["credit_score"]["p_value"] < 1e-6


def test_origins_checks_the_datasheet(tmp_path: Path, data_dir: Path) -> None:
    from aiwell.data.datasheet import TEMPLATE

    sheet = tmp_path / "datasheet.yaml"
    sheet.write_text(TEMPLATE)
    empty = _profile([data_dir / "clean.parquet"], datasheet=sheet)
    (incomplete,) = findings_of(empty, status="fail", facet="origins", check="datasheet")
    assert "source, owner, licence, collection_period, consent, intended_use" in incomplete["message"]
    sheet.write_text(filled_datasheet())
    complete = _profile([data_dir / "clean.parquet"], datasheet=sheet, time="signed_up")
    assert findings_of(complete, status="fail", facet="origins") == []
    assert findings_of(complete, status="pass", facet="origins", check="datasheet")
    personal = _profile([data_dir / "planted.parquet"], datasheet=sheet)
    (consent,) = findings_of(personal, status="fail", facet="origins", check="consent")
    assert "EMAIL_ADDRESS" in consent["message"]


def test_planted_table_is_what_the_tests_say() -> None:
    table = planted_table()
    assert table.num_rows == 4000 - 200 + 100 + 40


def test_the_remaining_checks_each_find_their_planted_problem(tmp_path: Path, data_dir: Path) -> None:
    rows = clean_table(3000, seed=21).to_pylist()
    for index, row in enumerate(rows):
        row["channel"] = "web" if index % 200 else "phone"          # near-constant: 99.5% one value
        row["nickname"] = "   " if index % 20 == 0 else "ok"         # blank strings: 5%
        row["ratio"] = float("inf") if index % 100 == 0 else 0.5 + index / 1e4   # non-finite numbers
    for row in rows[:3]:
        row["signed_up"] = row["signed_up"].replace(year=2026)      # records dated after --as-of
    path = write_parquet(pa.Table.from_pylist(rows), tmp_path / "odd.parquet")
    sheet = tmp_path / "datasheet.yaml"
    sheet.write_text(filled_datasheet().replace('end: "ongoing"', 'end: "2025-05-31"'))
    document = _profile([path], time="signed_up", segments=("region",), min_class_rows=700, datasheet=sheet)
    assert [f["column"] for f in _failed(document, "preparation", "near-constant")] == ["channel"]
    assert [f["column"] for f in _failed(document, "preparation", "blank-strings")] == ["nickname"]
    assert [f["column"] for f in _failed(document, "preparation", "non-finite")] == ["ratio"]
    (future,) = _failed(document, "freshness", "future-records")
    assert future["column"] == "signed_up" and "in the future" in future["message"]
    (period,) = _failed(document, "origins", "collection-period")
    assert period["column"] == "signed_up"
    (segments,) = _failed(document, "volume", "segment-rows")
    assert segments["column"] == "region"
    # The same columns, clean, pass each of those checks.
    clean_rows = clean_table(3000, seed=21).to_pylist()
    for index, row in enumerate(clean_rows):
        row["channel"], row["ratio"] = ("web", "phone")[index % 2], 0.5 + index / 1e4
        row["nickname"] = ("ok", "fine", "great")[index % 3]
    clean_path = write_parquet(pa.Table.from_pylist(clean_rows), tmp_path / "even.parquet")
    sheet.write_text(filled_datasheet())
    passing = _profile([clean_path], time="signed_up", segments=("region",), datasheet=sheet)
    assert findings_of(passing, status="fail") == []
    # Too few rows, and a current dataset whose schema lost and changed columns of its reference.
    small = write_parquet(clean_table(40, seed=22), tmp_path / "small.parquet")
    narrowed = write_parquet(clean_table(500, seed=23).drop_columns(["region"]).set_column(
        1, "age", pa.array([str(a) for a in range(500)])), tmp_path / "narrowed.parquet")
    (too_few,) = _failed(_profile([small]), "volume", "rows")
    assert too_few["severity"] == "medium" and "40" in too_few["message"]
    schema = _failed(_profile([narrowed], reference=str(data_dir / "clean.parquet")), "types", "schema-vs-reference")
    assert {f["severity"] for f in schema} == {"high", "medium"}
    assert any("'region'" in f["message"] for f in schema) and any("'age'" in f["message"] for f in schema)


@pytest.mark.parametrize("text", [
    "4111 1111 1111 1111", "DE89 3704 0044 0532 0130 00", "123-45-6789", "943 476 5919", "AB 12 34 56 C",
    "12345678Z", "RSSMRA85T10A562S", "ABCDEFLMALMN", "2345 6789 0123", "ABCDE1234F", "S1234567D", "123 456 782",
    "44051401359", "someone@example.org", "+44 20 7946 0958", "192.168.0.1", "fe80::1",
    "1BoatSLRHtKNngkdXEeobR76b53LETtpyT",
    "AKIAABCDEFGHIJKLMNOP", "ghp_" + "a" * 36, "AccountKey=" + "A" * 44, "-----BEGIN RSA PRIVATE KEY-----",
    "eyJabcdefghijk.abcdefghijkl.abcdefghijkl", "sk-" + "a" * 24, "xoxb-abcdefghijkl", "https://user:secret@host",
])
def test_the_screen_lets_through_whatever_a_prefilter_matches(text: str) -> None:
    """The cheap screen before the prefilters may only rule out text no prefilter matches: each of these matches
    some entity's prefilter, letters-only ones included."""
    import re

    from aiwell.data.pii import BY_NAME, SCREEN, combined_prefilter

    assert re.search(combined_prefilter(BY_NAME), text)
    assert re.search(SCREEN, text)
    assert not re.search(SCREEN, "great service, fast delivery and a happy customer")


def test_the_example_of_an_entity_does_not_depend_on_the_order_values_come_in() -> None:
    """The engine lists a sample's values in no set order (a parallel scan): the example shown is the match in the
    most frequent value holding the entity, the smallest such value on a tie."""
    from aiwell.data.pii import Scanner

    counts = {"bob@example.org": 1, "alexander@example.org": 3, "eve@example.org": 3, "no address here": 9}
    scanner = Scanner()
    found = [scanner.detect(dict(ordered), ["EMAIL_ADDRESS"])
             for ordered in (counts.items(), reversed(counts.items()))]
    assert found[0] == found[1] and found[0].rows["EMAIL_ADDRESS"] == 7
    (alexander,) = scanner.find("alexander@example.org", ["EMAIL_ADDRESS"]).values()
    assert found[0].examples == {"EMAIL_ADDRESS": alexander}
