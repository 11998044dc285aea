"""Every format `aiwell data` reads gives the same profile of the same data; what can't be read is a finding."""

from __future__ import annotations

import json
import sqlite3
import zlib
from pathlib import Path
from typing import Any

import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from aiwell.data import ProfileOptions, Severity, profile_paths
from aiwell.data.sources import mask_connection, resolve
from aiwell.errors import UsageError
from data.datagen import AS_OF, clean_table, findings_of, write_csv

_TABLE = clean_table(600, seed=21)
_EXPECTED_TYPES = {"customer_id": "integer", "age": "integer", "credit_score": "float", "tenure_months": "float",
                   "segment": "string", "region": "string", "signed_up": "timestamp", "comment": "string",
                   "churned": "string"}


def _document(*paths: str | Path, **options: Any) -> dict[str, Any]:
    options.setdefault("as_of", AS_OF)
    return profile_paths([str(p) for p in paths], ProfileOptions(**options)).document


def _summary(dataset: dict[str, Any]) -> dict[str, Any]:
    columns = {c["name"]: c for c in dataset["columns"]}
    return {"rows": dataset["rows"], "types": {n: c["type"] for n, c in columns.items()},
            "nulls": {n: c["nulls"] for n, c in columns.items()},
            "segments": columns["segment"]["histogram"]["counts"]}


@pytest.fixture(scope="module")
def expected(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    path = tmp_path_factory.mktemp("expected") / "t.parquet"
    pq.write_table(_TABLE, path)
    return _summary(_document(path)["datasets"][0])


def test_csv_parquet_jsonl_excel_sqlite_give_the_same_profile(tmp_path: Path, expected: dict[str, Any]) -> None:
    assert expected["types"] == _EXPECTED_TYPES
    write_csv(_TABLE, tmp_path / "t.csv")
    rows = _TABLE.to_pylist()
    with (tmp_path / "t.jsonl").open("w") as handle:
        for row in rows:
            handle.write(json.dumps({**row, "signed_up": row["signed_up"].isoformat(sep=" ")}) + "\n")
    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "customers"
    sheet.append(_TABLE.column_names)
    for row in rows:
        sheet.append(list(row.values()))
    workbook.save(tmp_path / "t.xlsx")
    with sqlite3.connect(tmp_path / "t.db") as db:
        db.execute("CREATE TABLE customers (customer_id INTEGER, age INTEGER, credit_score REAL, tenure_months REAL,"
                   " segment TEXT, region TEXT, signed_up TIMESTAMP, comment TEXT, churned TEXT)")
        db.executemany("INSERT INTO customers VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                       [(*list(r.values())[:6], r["signed_up"].isoformat(sep=" "), r["comment"], r["churned"])
                        for r in rows])
    for path in ("t.csv", "t.jsonl", "t.xlsx", "t.db", f"sqlite:///{tmp_path / 't.db'}?table=customers"):
        target = path if path.startswith("sqlite:") else tmp_path / path
        (dataset,) = _document(target)["datasets"]
        assert _summary(dataset) == expected, path


def test_parquet_folder_with_hive_partitions_and_a_schema_difference(tmp_path: Path) -> None:
    for index, segment in enumerate(("retail", "smb")):
        part = _TABLE.filter(pc.equal(_TABLE["segment"], segment)).drop_columns(["segment"])
        if index == 1:
            part = part.drop_columns(["comment"])
        folder = tmp_path / "events" / f"segment={segment}"
        folder.mkdir(parents=True)
        pq.write_table(part, folder / "part-0.parquet")
    (tmp_path / "events" / "_SUCCESS").write_text("")
    document = _document(tmp_path / "events")
    (dataset,) = document["datasets"]
    names = {c["name"] for c in dataset["columns"]}
    assert "segment" in names and dataset["files"] == 2
    assert dataset["rows"] == sum(1 for s in _TABLE["segment"].to_pylist() if s in ("retail", "smb"))
    (schemas,) = findings_of(document, status="fail", check="file-schemas")
    assert "'comment' is missing from 1 of 2 files" in schemas["message"]


def test_csv_folder_combines_files_by_column_name(tmp_path: Path) -> None:
    write_csv(_TABLE.slice(0, 300), tmp_path / "in" / "a.csv")
    write_csv(_TABLE.slice(300).select(list(reversed(_TABLE.column_names))), tmp_path / "in" / "b.csv")
    (dataset,) = _document(tmp_path / "in")["datasets"]
    assert dataset["rows"] == 600 and {c["name"]: c["type"] for c in dataset["columns"]} == _EXPECTED_TYPES


def test_delta_table(tmp_path: Path, expected: dict[str, Any]) -> None:
    from deltalake import write_deltalake

    write_deltalake(str(tmp_path / "delta"), _TABLE)
    (dataset,) = _document(tmp_path / "delta")["datasets"]
    assert dataset["format"] == "delta" and _summary(dataset) == expected


def test_postgresql_table_by_connection_string(postgres: str, expected: dict[str, Any]) -> None:
    import adbc_driver_postgresql.dbapi as pg

    with pg.connect(postgres) as conn, conn.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS staging")
        cursor.execute("DROP TABLE IF EXISTS customers")
        cursor.adbc_ingest("staging", _TABLE, mode="create")
        # Numbers as PostgreSQL declares them (numeric, integer, varchar), not as Arrow wrote them.
        cursor.execute("CREATE TABLE customers AS SELECT customer_id, age::integer AS age, "
                       "credit_score::numeric(10, 2) AS credit_score, tenure_months, segment, "
                       "region::varchar(20) AS region, signed_up, comment, churned FROM staging")
        cursor.execute("DROP TABLE staging")
        conn.commit()
    (dataset,) = _document(f"{postgres}&table=public.customers")["datasets"]
    assert dataset["format"] == "postgresql" and _summary(dataset) == expected
    everything = _document(postgres)["datasets"]
    assert [d["path"].rsplit("table=", 1)[1] for d in everything] == ["public.customers"]


def test_a_password_never_reaches_the_report() -> None:
    assert mask_connection("postgresql://ana:s3cret@db.example.com:5432/shop?table=orders&sslmode=require") == (
        "postgresql://ana:***@db.example.com:5432/shop?table=orders&sslmode=require")
    assert "hunter2" not in mask_connection("postgresql://db/x?password=hunter2")


def _pdf(text_pages: list[str | None]) -> bytes:
    """A small valid PDF: pages with a line of text each, or without any text layer (None)."""
    objects = ["<< /Type /Catalog /Pages 2 0 R >>", ""]
    kids = []
    for page_text in text_pages:
        content = f"BT /F1 12 Tf 72 720 Td ({page_text}) Tj ET" if page_text else "0 0 1 rg 72 72 200 200 re f"
        stream = zlib.compress(content.encode())
        objects.append(f"<< /Length {len(stream)} /Filter /FlateDecode >>\nstream\n" + stream.decode("latin-1")
                       + "\nendstream")
        objects.append(f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents {len(objects)} 0 R "
                       "/Resources << /Font << /F1 << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> >> >> >>")
        kids.append(f"{len(objects)} 0 R")
    objects[1] = f"<< /Type /Pages /Kids [{' '.join(kids)}] /Count {len(kids)} >>"
    out = b"%PDF-1.4\n"
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{body}\nendobj\n".encode("latin-1")
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += "".join(f"{o:010d} 00000 n \n" for o in offsets).encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return out


@pytest.fixture(scope="module")
def documents(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A grounding folder with one problem per document check."""
    import docx

    root = tmp_path_factory.mktemp("docs")
    footer = "Contoso Ltd confidential - do not distribute outside the company"
    bodies = {
        "returns.md": "# Returns\n\nItems can be returned within 30 days of delivery with the receipt.",
        "shipping.txt": "Standard shipping takes three to five working days across the mainland.",
        "warranty.html": "<html><body><script>var x=1;</script><h1>Warranty</h1><p>Two years on all "
                         "electronics bought from our stores.</p></body></html>",
        "privacy.md": "Contact our privacy officer at privacy.officer@contoso.com for data requests.",
        "pricing.txt": "Prices include sales tax and are reviewed every quarter by the pricing team.",
    }
    for name, body in bodies.items():
        (root / name).write_text(body + "\n" + footer + "\n")
    (root / "returns-copy.md").write_text((root / "returns.md").read_text().replace("Returns", "returns"))
    (root / "empty.txt").write_text("  \n")
    (root / "latin1.txt").write_bytes("Caf\xe9 opening hours are nine to five on weekdays and ten to four on "
                                      "saturdays\n".encode("latin-1") + footer.encode() + b"\n")
    document = docx.Document()
    document.add_paragraph("Support is open every day from eight in the morning to eight at night.")
    document.add_paragraph(footer)
    document.save(str(root / "support.docx"))
    (root / "handbook.pdf").write_bytes(_pdf(["Employees get twenty five days of paid leave a year", None]))
    (root / "scan.pdf").write_bytes(_pdf([None, None]))
    (root / "broken.pdf").write_bytes(b"%PDF-1.4 not really")
    (root / "diagram.png").write_bytes(b"\x89PNG\r\n")
    return root


def test_documents_folder(documents: Path) -> None:
    document = _document(documents)
    (dataset,) = document["datasets"]
    assert dataset["format"] == "documents"
    assert dataset["documents"]["by_kind"] == {"docx": 1, "html": 1, "markdown": 3, "pdf": 3, "text": 4}
    assert dataset["rows"] == 11 and dataset["documents"]["unreadable"] == 1

    def where(check: str, status: str = "fail") -> list[str]:
        return sorted(Path(f["message"].split(":")[0]).name for f in findings_of(document, status=status,
                                                                                   check=check))

    assert where("image-only") == ["handbook.pdf", "scan.pdf"]
    assert where("empty") == ["empty.txt"]
    assert where("encoding") == ["latin1.txt"]
    (boilerplate,) = findings_of(document, status="fail", check="boilerplate")
    assert "Contoso Ltd confidential" in boilerplate["message"]
    (near,) = findings_of(document, status="fail", check="near-duplicate-documents")
    assert "returns.md" in near["message"] and "returns-copy.md" in near["message"]
    unread = {Path(f["message"].split(" ")[0].rstrip(":")).name: f["severity"]
              for f in findings_of(document, status="unknown", check="not-read")}
    assert unread == {"broken.pdf": "high", "diagram.png": "medium"}
    (email,) = findings_of(document, status="fail", check="personal-data")
    assert email["column"] == "text" and "EMAIL_ADDRESS" in email["message"]
    assert "privacy.officer" not in json.dumps(document)
    html = next(c for c in dataset["columns"] if c["name"] == "text")
    assert html["distinct"] == 11
    assert findings_of(document, status="pass", facet="freshness", check="age")


def test_unreadable_inputs_are_findings_not_crashes(tmp_path: Path) -> None:
    (tmp_path / "notes.bin").write_bytes(b"\x00\x01")
    (tmp_path / "bad.parquet").write_bytes(b"PAR1 nonsense")
    good = write_csv(_TABLE, tmp_path / "good.csv")
    report = profile_paths([str(tmp_path / "notes.bin"), str(tmp_path / "bad.parquet"), str(good)],
                           ProfileOptions(as_of=AS_OF))
    document = report.document
    unread = findings_of(document, status="unknown", check="not-read")
    assert {Path(f["dataset"]).name for f in unread} == {"notes.bin", "bad.parquet"}
    assert all(f["severity"] in ("high", "medium") for f in unread)
    assert document["datasets"][2]["rows"] == 600
    assert report.exit_code(None) == 0 and report.exit_code(Severity.LOW) == 1


def test_missing_paths_and_tables_are_usage_errors(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="no such file"):
        resolve(str(tmp_path / "missing.csv"))
    with sqlite3.connect(tmp_path / "x.db") as db:
        db.execute("CREATE TABLE a (x INTEGER)")
    with pytest.raises(UsageError, match="no table 'b'"):
        resolve(f"sqlite:///{tmp_path / 'x.db'}?table=b")
    assert [s.label for s in resolve(str(tmp_path / "x.db"))] == [f"{tmp_path / 'x.db'}#a"]
