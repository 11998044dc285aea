"""Generated datasets for the `aiwell data` tests.

`clean_table` is realistic tabular training data with nothing wrong in it; `planted_table` is the same data with
one problem planted per facet, each in a column or rows of its own, so a test can assert that exactly that
problem is found (and nothing is found on the clean data).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

AS_OF = datetime(2025, 7, 1, tzinfo=UTC)
"""Every generated dataset is dated relative to this moment; tests pass it as --as-of."""
WORDS = ("order", "delivery", "late", "refund", "great", "service", "package", "support", "quality", "price",
         "return", "fast", "broken", "happy", "again", "item", "colour", "size", "store", "online")
VALID_CARDS = ("4111111111111111", "5500005555555559", "340000000000009", "6011000000000004")
VALID_IBANS = ("GB82WEST12345698765432", "DE89370400440532013000", "FR1420041010050500013M02606")


def _comments(rng: np.random.Generator, n: int) -> list[str]:
    lengths = rng.integers(4, 14, n)
    return [" ".join(rng.choice(WORDS, size=k)) for k in lengths]


def clean_table(n: int = 4000, *, seed: int = 7, start: datetime | None = None, days: int = 60,
                score_shift: float = 0.0, segment_p: tuple[float, ...] = (0.25, 0.25, 0.25, 0.25)) -> pa.Table:
    """Customer-like training data: an id, numbers, categories, a timestamp over `days` days ending a day before
    AS_OF, free text, and a label `churned` (about 25% yes) that depends only weakly on the features."""
    rng = np.random.default_rng(seed)
    start = start or (AS_OF - timedelta(days=days + 1))
    seconds = np.sort(rng.uniform(0, days * 86400, n))
    age = rng.normal(45, 12, n).clip(18, 90).round().astype(np.int64)
    score = rng.normal(600 + score_shift * 80, 80, n)
    tenure = rng.gamma(4.0, 6.0, n).round(1)
    segment = rng.choice(["retail", "smb", "enterprise", "public"], size=n, p=list(segment_p))
    churn_p = 0.2 + 0.1 * (score < 560)
    churned = np.where(rng.uniform(size=n) < churn_p, "yes", "no")
    return pa.table({
        "customer_id": pa.array(np.arange(1, n + 1) + seed * 1_000_000, type=pa.int64()),
        "age": pa.array(age),
        "credit_score": pa.array(score.round(2)),
        "tenure_months": pa.array(tenure),
        "segment": pa.array(segment.tolist()),
        "region": pa.array(rng.choice(["north", "south", "east", "west", "central"], size=n).tolist()),
        "signed_up": pa.array([start + timedelta(seconds=float(s)) for s in seconds], type=pa.timestamp("us")),
        "comment": pa.array(_comments(rng, n)),
        "churned": pa.array(churned.tolist()),
    })


def planted_table(n: int = 4000, *, seed: int = 11) -> pa.Table:
    """The clean data with one problem per check, each where a test can point at it."""
    rng = np.random.default_rng(seed)
    base = clean_table(n, seed=seed).to_pylist()
    rows = base[: n - 200]
    for index, row in enumerate(rows):
        # sensitivity: e-mails everywhere, card numbers and IBANs in some free text, a column named for birth dates
        row["contact"] = f"customer{index}@example.com"
        row["notes"] = (f"paid with card {VALID_CARDS[index % 4]}" if index % 10 == 0 else
                        f"refund to {VALID_IBANS[index % 3]}" if index % 10 == 1 else row["comment"])
        row["date_of_birth"] = f"x{index:07d}"
        # types: amounts as text, 3% of them unparseable; a code column half numbers half letters
        row["amount"] = "twelve" if index % 33 == 0 else f"{rng.gamma(6, 10):.2f}"
        row["code"] = str(index) if index % 2 else f"C-{index}"
        # preparation: a constant column, a column missing 30% of values, outliers in `balance`
        row["source_system"] = "crm"
        row["discount"] = None if index % 10 < 3 else float(rng.uniform(0, 0.3))
        row["balance"] = float(rng.normal(1000, 100)) * (1000 if index % 100 == 0 else 1)
        # leakage: a column that is the label in disguise
        row["churn_flag"] = 1 if row["churned"] == "yes" else 0
    # balance and volume: a rare class of 20 rows
    for row in rows[:20]:
        row["churned"] = "maybe"
    # preparation: 100 exact copies and 40 copies differing only in case and spacing
    copies = [dict(r) for r in rows[100:200]]
    near = [dict(r, comment=r["comment"].upper() + "  ") for r in rows[300:340]]
    table = rows + copies + near
    return pa.Table.from_pylist(table)


def write_parquet(table: pa.Table, path: Path) -> Path:
    """Write `table` as one Parquet file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path)
    return path


def write_csv(table: pa.Table, path: Path) -> Path:
    """Write `table` as CSV with a header (timestamps as ISO text)."""
    import pyarrow.csv as pacsv

    path.parent.mkdir(parents=True, exist_ok=True)
    pacsv.write_csv(table, path)
    return path


def findings_of(document: dict[str, Any], *, status: str | None = None, facet: str | None = None,
                check: str | None = None, column: str | None = None) -> list[dict[str, Any]]:
    """Findings of a report filtered by any of their keys."""
    return [f for f in document["findings"]
            if (status is None or f["status"] == status) and (facet is None or f["facet"] == facet)
            and (check is None or f["check"] == check) and (column is None or f["column"] == column)]


def filled_datasheet() -> str:
    """The datasheet template with every required field filled in."""
    from aiwell.data.datasheet import TEMPLATE

    filled = {'source: ""': 'source: "CRM export"', 'owner: ""': 'owner: "data team"',
              'licence: ""': 'licence: "proprietary"', 'start: ""': 'start: "2025-04-01"',
              'end: ""': 'end: "ongoing"', 'consent: ""': 'consent: "not-applicable"',
              'intended_use: ""': 'intended_use: "churn model training"'}
    text = TEMPLATE
    for blank, value in filled.items():
        assert blank in text
        text = text.replace(blank, value)
    return text
