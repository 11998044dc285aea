"""Distributions from sketches, and the drift statistics computed from them.

A numeric column's distribution is its quantile function at 101 points (`plan.QUANTILES`). From it:
the CDF at any point (linear between the points, right-continuous at point masses), counts on any fixed edges,
and the Wasserstein-1 distance, which is exactly the L1 distance between two quantile functions. Drift decisions
rest on effect sizes over fixed bins (PSI and Jensen–Shannon on the reference's deciles or categories,
Wasserstein over the reference's standard deviation); the p-value tests run on samples of a fixed size, so their
sensitivity does not grow with the size of the data (Evidently #50).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np

from aiwell.data.plan import QUANTILES

EPSILON = 1e-4
"""Floor of a bin's share in PSI and JS, so an empty bin doesn't make them infinite (Evidently's choice)."""
TEST_SAMPLE = 5_000
"""Size of each side's sample in the KS and chi-square tests."""
DRIFT_BINS = 10
OTHER = "(other)"


def cdf(quantiles: Sequence[float], points: Sequence[float] | np.ndarray) -> np.ndarray:
    """The share of values ≤ each point, from a quantile function at `QUANTILES`."""
    q = np.asarray(quantiles, dtype=float)
    p = np.asarray(QUANTILES, dtype=float)
    # Keep the last share of each repeated value: right-continuous at point masses.
    unique, index = np.unique(q[::-1], return_index=True)
    shares = p[::-1][index]
    x = np.asarray(points, dtype=float)
    result = np.interp(x, unique, shares, left=0.0, right=1.0)
    result[x < unique[0]] = 0.0
    return np.asarray(result)


def bin_shares(quantiles: Sequence[float], edges: Sequence[float]) -> np.ndarray:
    """Share of values in each bin of `edges` (k+1 edges, k bins): the first bin is closed, the others
    right-closed; values below the first edge fall in the first bin and above the last edge in the last."""
    inner = cdf(quantiles, edges[1:-1]) if len(edges) > 2 else np.array([])
    bounds = np.concatenate([[0.0], inner, [1.0]])
    return np.asarray(np.diff(bounds))


def display_edges(minimum: float, maximum: float, bins: int = 20) -> list[float]:
    """Equal-width edges from the minimum to the maximum (one bin when they are equal)."""
    if not math.isfinite(minimum) or not math.isfinite(maximum) or maximum <= minimum:
        return [minimum, maximum]
    return [float(v) for v in np.linspace(minimum, maximum, bins + 1)]


def drift_edges(reference_quantiles: Sequence[float]) -> list[float]:
    """The reference's deciles as fixed edges, with open tails (−∞, +∞); repeated deciles merge."""
    inner = sorted(set(float(reference_quantiles[round(i * 100 / DRIFT_BINS)]) for i in range(1, DRIFT_BINS)))
    return [-math.inf, *inner, math.inf]


def _floored(shares: np.ndarray) -> np.ndarray:
    floored = np.maximum(shares, EPSILON)
    return np.asarray(floored / floored.sum())


def psi(reference: Sequence[float] | np.ndarray, current: Sequence[float] | np.ndarray) -> float:
    """Population stability index Σ (c − r)·ln(c / r) over the same bins (< 0.1 stable, 0.1–0.25 moderate,
    > 0.25 a shift)."""
    r = _floored(np.asarray(reference, dtype=float))
    c = _floored(np.asarray(current, dtype=float))
    return float(np.sum((c - r) * np.log(c / r)))


def js_distance(reference: Sequence[float] | np.ndarray, current: Sequence[float] | np.ndarray) -> float:
    """Jensen–Shannon distance (base 2, so 0 to 1) between two distributions over the same bins."""
    from scipy.spatial.distance import jensenshannon

    r = np.asarray(reference, dtype=float)
    c = np.asarray(current, dtype=float)
    if r.sum() <= 0 or c.sum() <= 0:
        return 0.0
    return float(jensenshannon(r / r.sum(), c / c.sum(), base=2))


def wasserstein(reference_quantiles: Sequence[float], current_quantiles: Sequence[float]) -> float:
    """Wasserstein-1 distance: the area between the two quantile functions (trapezoids over the 101 points)."""
    gap = np.abs(np.asarray(reference_quantiles, dtype=float) - np.asarray(current_quantiles, dtype=float))
    return float(np.trapezoid(gap, dx=1 / (len(gap) - 1)))


def category_shares(reference: Mapping[str, int], current: Mapping[str, int],
                    keep: int = 30) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Both sides' shares over the reference's `keep` most frequent values (and current values not in the
    reference), the rest pooled as `(other)`."""
    order = sorted(reference, key=lambda k: (-reference[k], k))[:keep]
    new = sorted((k for k in current if k not in reference), key=lambda k: (-current[k], k))[:keep]
    labels = order + new
    def shares(counts: Mapping[str, int]) -> np.ndarray:
        total = sum(counts.values())
        values = [counts.get(k, 0) for k in labels]
        values.append(total - sum(values))
        array = np.asarray(values, dtype=float)
        return np.asarray(array / total) if total else array
    return [*labels, OTHER], shares(reference), shares(current)


def ks_pvalue(reference: Sequence[float], current: Sequence[float]) -> float | None:
    """Two-sample Kolmogorov–Smirnov p-value on at most `TEST_SAMPLE` values of each side."""
    from scipy.stats import ks_2samp

    a = [float(v) for v in reference if v is not None and math.isfinite(float(v))][:TEST_SAMPLE]
    b = [float(v) for v in current if v is not None and math.isfinite(float(v))][:TEST_SAMPLE]
    if len(a) < 2 or len(b) < 2:
        return None
    return float(ks_2samp(a, b).pvalue)


def chi2_pvalue(reference: Sequence[str], current: Sequence[str]) -> float | None:
    """Chi-square test of homogeneity on at most `TEST_SAMPLE` values of each side."""
    from scipy.stats import chi2_contingency

    a = [str(v) for v in reference if v is not None][:TEST_SAMPLE]
    b = [str(v) for v in current if v is not None][:TEST_SAMPLE]
    labels = sorted(set(a) | set(b))
    if len(labels) < 2 or not a or not b:
        return None
    table = np.array([[a.count(k) for k in labels], [b.count(k) for k in labels]])
    table = table[:, table.sum(axis=0) > 0]
    return float(chi2_contingency(table).pvalue)


def robust_z(values: Sequence[float]) -> np.ndarray:
    """How far each value is from the median in robust standard deviations (1.4826 × MAD), the MAD floored at
    Poisson noise (√median) so perfectly regular counts don't make every small change an anomaly."""
    array = np.asarray(values, dtype=float)
    median = float(np.median(array))
    mad = float(np.median(np.abs(array - median))) * 1.4826
    scale = max(mad, math.sqrt(max(median, 1.0)))
    return np.asarray((array - median) / scale)


__all__ = ["DRIFT_BINS", "EPSILON", "OTHER", "TEST_SAMPLE", "bin_shares", "category_shares", "cdf", "chi2_pvalue",
           "display_edges", "drift_edges", "js_distance", "ks_pvalue", "psi", "robust_z", "wasserstein"]
