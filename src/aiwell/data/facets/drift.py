"""`drift`: the current data (PATH) against a reference (`--reference`), per column and for the dataset.

Effect sizes decide, on fixed bins: for numbers, the Wasserstein distance over the reference's standard deviation
and the PSI over the reference's deciles; for categories (and booleans), the Jensen–Shannon distance and the PSI
over the reference's values; for free text, the Wasserstein distance of text lengths. A column whose share of
missing values moves by `NULL_SHIFT` drifts too. The KS and chi-square p-values are reported from samples of a
fixed size (`stats.TEST_SAMPLE` rows each), so they do not flag every column at large n. The dataset drifts when
at least `DATASET_SHARE` of its compared columns do (Evidently's `drift_share`).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
from msgspec import Struct

from aiwell.data.facets import Context, Findings, facet, percent
from aiwell.data.model import ColumnProfile, Finding, Kind, Severity, TableProfile
from aiwell.data.stats import (
    bin_shares,
    category_shares,
    chi2_pvalue,
    drift_edges,
    js_distance,
    ks_pvalue,
    psi,
    wasserstein,
)

WASSERSTEIN_LIMIT = 0.1
"""Normalised Wasserstein (distance / reference std) at which a numeric column drifts (Evidently's default)."""
JS_LIMIT = 0.1
PSI_LIMIT = 0.25
NULL_SHIFT = 0.1
DATASET_SHARE = 0.5
IDENTIFIER_SHARE = 0.9
"""An integer column with at least this share of distinct values is an identifier (a few duplicated rows and the
distinct-count sketch's error keep a real one below 100%)."""


class ColumnDrift(Struct):
    """The drift measures of one column."""

    column: str
    method: str
    psi: float | None = None
    js: float | None = None
    wasserstein: float | None = None
    p_value: float | None = None
    null_shift: float = 0.0
    edges: list[float] | None = None
    reference_shares: list[float] | None = None
    current_shares: list[float] | None = None
    labels: list[str] | None = None

    @property
    def drifted(self) -> bool:
        """Any effect size at or past its limit."""
        return bool((self.wasserstein is not None and self.wasserstein >= WASSERSTEIN_LIMIT)
                    or (self.js is not None and self.js >= JS_LIMIT)
                    or (self.psi is not None and self.psi >= PSI_LIMIT)
                    or abs(self.null_shift) >= NULL_SHIFT)

    def describe(self) -> str:
        """The measures as one line."""
        parts = []
        if self.wasserstein is not None:
            parts.append(f"Wasserstein {self.wasserstein:.3f}σ" + (" (of text length)" if self.method == "length"
                                                                     else ""))
        if self.psi is not None:
            parts.append(f"PSI {self.psi:.3f}")
        if self.js is not None:
            parts.append(f"JS {self.js:.3f}")
        if self.null_shift:
            parts.append(f"missing {'+' if self.null_shift > 0 else ''}{percent(self.null_shift)}")
        if self.p_value is not None:
            parts.append(f"{'KS' if self.method == 'numeric' else 'χ²'} p = {self.p_value:.2g} on a fixed sample")
        return ", ".join(parts)


def _sample(profile: TableProfile, column: str) -> list[object]:
    return [row.get(column) for row in profile.sample if row.get(column) is not None]


def _normalised_wasserstein(reference: list[float], current: list[float], std: float | None) -> float:
    distance = wasserstein(reference, current)
    if std and std > 0:
        return distance / std
    return 0.0 if distance == 0 else float("inf")


def measure(reference: TableProfile, current: TableProfile, ref: ColumnProfile,
            cur: ColumnProfile) -> ColumnDrift | None:
    """Drift of one column present in both datasets, or None when its kind has no measure."""
    null_shift = cur.null_share - ref.null_share
    if ref.categories is not None and cur.categories is not None:
        labels, r, c = category_shares(ref.categories, cur.categories)
        return ColumnDrift(ref.name, "categorical", psi=psi(r, c), js=js_distance(r, c),
                           p_value=chi2_pvalue([str(v) for v in _sample(reference, ref.name)],
                                               [str(v) for v in _sample(current, cur.name)]),
                           null_shift=null_shift, labels=labels, reference_shares=r.tolist(),
                           current_shares=c.tolist())
    if (ref.kind.numeric or ref.kind.temporal) and ref.quantiles and cur.quantiles:
        edges = drift_edges(ref.quantiles)
        r, c = bin_shares(ref.quantiles, edges), bin_shares(cur.quantiles, edges)
        std = ref.std if ref.kind.numeric else float(np.std(ref.quantiles))
        p_value = ks_pvalue([float(v) for v in _sample(reference, ref.name)],  # type: ignore[arg-type]
                            [float(v) for v in _sample(current, cur.name)]) if ref.kind.numeric else None  # type: ignore[arg-type]
        return ColumnDrift(ref.name, "numeric", psi=psi(r, c), js=js_distance(r, c),
                           wasserstein=_normalised_wasserstein(ref.quantiles, cur.quantiles, std), p_value=p_value,
                           null_shift=null_shift, edges=edges, reference_shares=r.tolist(), current_shares=c.tolist())
    if ref.kind is Kind.STRING and ref.length_quantiles and cur.length_quantiles:
        std = float(np.std(ref.length_quantiles))
        return ColumnDrift(ref.name, "length", wasserstein=_normalised_wasserstein(
            ref.length_quantiles, cur.length_quantiles, std), null_shift=null_shift)
    if abs(null_shift) > 0:
        return ColumnDrift(ref.name, "missing", null_shift=null_shift)
    return None


def _identifier(column: ColumnProfile) -> bool:
    """An integer column whose values are (almost) all distinct numbers rows: ids drift by construction."""
    return column.kind is Kind.INTEGER and column.distinct is not None and column.distinct >= IDENTIFIER_SHARE * max(
        1, column.non_null)


def measure_all(reference: TableProfile, current: TableProfile, time_column: str | None) -> list[ColumnDrift]:
    """Drift of every column the two datasets share, but the time column (time always moves on) and integer
    identifiers."""
    drifts = []
    for ref in reference.columns:
        cur = current.column(ref.name)
        if cur is None or ref.name == time_column or not ref.non_null or not cur.non_null:
            continue
        if ref.kind != cur.kind and {ref.kind, cur.kind} != {Kind.INTEGER, Kind.FLOAT}:
            continue
        if _identifier(ref) and _identifier(cur):
            continue
        drift = measure(reference, current, ref, cur)
        if drift is not None:
            drifts.append(drift)
    return drifts


@facet("drift")
def drift(context: Context) -> Iterable[Finding]:
    """Per-column and dataset drift against --reference."""
    findings = Findings("drift")
    reference = context.reference
    if reference is None:
        return findings.items
    if reference.profile is None:
        for dataset in context.datasets:
            findings.unknown("dataset-drift", dataset.label, None, Severity.HIGH,
                             f"the reference {reference.label} could not be read: drift not measured")
        return findings.items
    for dataset, profile in context.readable:
        drifts = measure_all(reference.profile, profile, profile.time_column or context.options.time)
        context.drift[dataset.label] = drifts
        for measured in drifts:
            if measured.drifted:
                findings.failed("column-drift", dataset.label, measured.column, Severity.MEDIUM,
                                f"drifted from the reference: {measured.describe()}; retrain or recalibrate on "
                                "recent data, or find what changed upstream",
                                value=measured.wasserstein if measured.wasserstein is not None else measured.js,
                                approximate=measured.method in ("numeric", "length"))
            else:
                findings.passed("column-drift", dataset.label, measured.column,
                                f"stable against the reference: {measured.describe()}",
                                value=measured.wasserstein if measured.wasserstein is not None else measured.js,
                                approximate=measured.method in ("numeric", "length"))
        if not drifts:
            findings.unknown("dataset-drift", dataset.label, None, Severity.MEDIUM,
                             f"no column to compare with the reference {reference.label}")
            continue
        drifted = [d.column for d in drifts if d.drifted]
        share = len(drifted) / len(drifts)
        if share >= DATASET_SHARE:
            findings.failed("dataset-drift", dataset.label, None, Severity.HIGH,
                            f"{len(drifted)} of {len(drifts)} compared columns ({percent(share)}) drifted from "
                            f"{reference.label}: the data the model sees has changed", value=share)
        else:
            findings.passed("dataset-drift", dataset.label, None,
                            f"{len(drifted)} of {len(drifts)} compared columns drifted from {reference.label}"
                            + (f" ({', '.join(drifted[:5])})" if drifted else ""), severity=Severity.HIGH,
                            value=share)
    return findings.items
