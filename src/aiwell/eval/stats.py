"""Statistics for nondeterministic evals: per-case rates, suite intervals, paired comparisons, planning.

Pure functions on lists or numpy arrays; nothing here does I/O. The sampling unit is the *case*: a suite's score is
the mean over cases of each case's pass rate, and repeats of a case are within-case replicates. An errored sample is
passed in as ``None`` (or NaN in an array) and is left out, as if it had not been drawn.

Methods and where they come from (see the docstrings for the details):

* per case: Wilson score interval; pass@k and pass^k by the unbiased estimators of Chen et al. (2021) and Yao et al.
  (2024); a stable-pass / flaky / stable-fail label from the Beta(1 + c, 1 + n - c) posterior;
* suite, two questions. "Cases like these" (the cases are a sample of the cases one could have written; the
  default): Wilson for K = 1 pass/fail; for repeated pass/fail the Korn & Graubard (1998) interval, Clopper–Pearson
  on the effective sample size with their degrees-of-freedom correction, never on more than the cases allow;
  Student-t (CLT) for graded scores from 300 cases, BCa bootstrap over cases below; cluster-robust (CR1) variance
  with G - 1 degrees of freedom when cases share a cluster key (Miller 2024, App. A). "These cases" (the suite is
  fixed; repeats are the only randomness): Wilson on the pooled samples, valid because a sum of independent
  Bernoulli draws with different rates varies less than a binomial with their mean rate;
* comparison: McNemar (exact below 25 discordant pairs) with Newcombe's paired-difference interval (his method 10,
  with the continuity-corrected φ) for K = 1 pass/fail; Fisher's exact test with Newcombe's independent-samples
  interval for a one-case suite; paired t on per-case mean differences for repeats; paired bootstrap for graded
  scores; cluster-level paired differences when a cluster key exists; Holm and Benjamini–Hochberg across tags;
* planning: one-way random-effects ANOVA splits pilot variance into between- and within-case parts; the paired
  design's power comes from the noncentral t, at the level the comparison tests (cases, or clusters when the
  pilot has them).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Literal

import numpy as np
from msgspec import Struct, field
from msgspec.structs import replace
from numpy.typing import NDArray

# The distributions' own functions (what scipy.stats calls), without scipy.stats' import, which costs about a
# second of a run's start; the exact tests and the noncentral t import scipy.stats where they are used.
from scipy import special as _sp

from aiwell.errors import UserError

Score = bool | float | None
"""One sample's outcome: pass/fail, a graded score in [0, 1], or None for an errored sample."""

Outcomes = Sequence[Sequence[Score]] | NDArray[np.floating] | NDArray[np.bool_]
"""Per-case samples: one row per case (ragged rows allowed), or a 2-D array with NaN for missing samples."""

Label = Literal["stable-pass", "flaky", "stable-fail", "unknown"]
SuiteMethod = Literal["wilson", "korn-graubard", "clt", "bootstrap", "cluster-robust", "pooled-wilson",
                      "within-case"]
Question = Literal["cases-like-these", "these-cases"]
"""What an interval speaks for: the population of cases the suite samples, or the suite's own cases."""
CompareTest = Literal["paired-t", "mcnemar-exact", "mcnemar", "paired-bootstrap", "cluster-paired",
                      "fisher-exact"]

CLT_MIN_CASES = 300
"""Below this many cases the suite interval avoids the plain CLT (Bowyer et al. 2025: too narrow for small n)."""
MCNEMAR_EXACT_BELOW = 25
"""McNemar uses the exact binomial test when there are fewer discordant pairs than this."""
STABLE_RATE = 0.9
"""A case is stable-pass when its posterior median pass rate is at least this (stable-fail: at most 1 - this)."""
STABLE_CREDIBILITY = 0.5
"""Posterior probability needed beyond STABLE_RATE; 0.5 makes the rule 'the posterior median is past the bar'."""

_FloatArray = NDArray[np.float64]


class InsufficientDataError(UserError, ValueError):
    """There is not enough data for the statistic asked for (no scored samples, one cluster, no repeats)."""


class UnalignedRunsError(UserError, ValueError):
    """Two runs to compare do not have the same case ids."""

    def __init__(self, only_in_a: Sequence[str], only_in_b: Sequence[str]) -> None:
        self.only_in_a = tuple(sorted(only_in_a))
        self.only_in_b = tuple(sorted(only_in_b))
        parts = []
        if self.only_in_a:
            parts.append(f"only in A: {_preview(self.only_in_a)}")
        if self.only_in_b:
            parts.append(f"only in B: {_preview(self.only_in_b)}")
        super().__init__(
            "the runs do not have the same cases (" + "; ".join(parts) + ")",
            hint="a paired comparison needs both runs on the same case ids; rerun one suite or filter both by tag",
        )


def _preview(ids: Sequence[str], limit: int = 10) -> str:
    shown = ", ".join(ids[:limit])
    return shown if len(ids) <= limit else f"{shown} and {len(ids) - limit} more"


def _check_confidence(confidence: float) -> None:
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be between 0 and 1, got {confidence}")


# ---------------------------------------------------------------------------------------------------------------
# Per case
# ---------------------------------------------------------------------------------------------------------------


def wilson_interval(successes: float, n: float, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion; (0, 1) when n is 0.

    ``successes`` and ``n`` may be fractional, which is how the effective-sample-size variant uses it.
    """
    _check_confidence(confidence)
    if n < 0 or successes < 0 or successes > n:
        raise ValueError(f"need 0 <= successes <= n, got successes={successes}, n={n}")
    if n == 0:
        return 0.0, 1.0
    z = float(_sp.ndtri(0.5 + confidence / 2))
    low, high = _wilson(np.float64(successes / n), np.float64(n), z)
    return float(low), float(high)


def _wilson(p: _FloatArray | np.float64, n: _FloatArray | np.float64, z: float) -> tuple[_FloatArray, _FloatArray]:
    z2 = z * z
    denom = 1.0 + z2 / n
    centre = (p + z2 / (2.0 * n)) / denom
    half = z * np.sqrt(np.maximum(p * (1.0 - p), 0.0) / n + z2 / (4.0 * n * n)) / denom
    # At p = 0 or 1 the bound on that side is exactly 0 or 1; the arithmetic leaves rounding dust.
    low = np.where(p <= 0.0, 0.0, np.clip(centre - half, 0.0, 1.0))
    high = np.where(p >= 1.0, 1.0, np.clip(centre + half, 0.0, 1.0))
    return low, high


class CaseStats(Struct, frozen=True):
    """One case over its repeats.

    ``pass_rate`` is None when no sample was scored (every one errored); ``label`` is then "unknown".
    ``flakiness`` is the posterior expected chance that two runs of the case disagree, 2·E[p(1 - p)]: 0 for a
    case that always does the same thing, at most 0.5; sort by it, largest first, to list the flakiest cases first.
    """

    n: int
    passes: int
    errors: int
    pass_rate: float | None
    ci_low: float
    ci_high: float
    pass_at_k: dict[int, float]
    pass_hat_k: dict[int, float]
    label: Label
    p_stable_pass: float
    p_stable_fail: float
    flakiness: float


def pass_at_k(n: int, c: int, k: int) -> float:
    """Chance that at least one of k draws passes: Chen et al.'s unbiased 1 - C(n-c, k) / C(n, k)."""
    _check_counts(n, c, k)
    return 1.0 - math.comb(n - c, k) / math.comb(n, k)


def pass_hat_k(n: int, c: int, k: int) -> float:
    """Chance that all k draws pass (pass^k, Yao et al.'s reliability): the unbiased C(c, k) / C(n, k)."""
    _check_counts(n, c, k)
    return math.comb(c, k) / math.comb(n, k)


def _check_counts(n: int, c: int, k: int) -> None:
    if not 0 <= c <= n or not 1 <= k <= n:
        raise ValueError(f"need 0 <= c <= n and 1 <= k <= n, got n={n}, c={c}, k={k}")


def case_stats(
    outcomes: Sequence[bool | None],
    *,
    ks: Sequence[int] = (1, 3, 5, 10),
    confidence: float = 0.95,
    stable_rate: float = STABLE_RATE,
    credibility: float = STABLE_CREDIBILITY,
) -> CaseStats:
    """Pass rate, Wilson interval, pass@k, pass^k, stability label and flakiness of one case's samples.

    ``None`` entries are errored samples: counted in ``errors``, left out of everything else. pass@k and pass^k are
    given for each k in ``ks`` that is at most the number of scored samples.

    The label comes from the Beta(1 + c, 1 + n - c) posterior of the case's pass probability p (uniform prior):
    stable-pass when P(p >= stable_rate) > credibility, stable-fail when P(p <= 1 - stable_rate) > credibility,
    otherwise flaky. With the defaults (0.9, 0.5) that reads "the posterior median pass rate is at least 90%": 9/10
    is flaky, 19/20 is stable-pass. A stricter rule such as P(p > 0.95) > 0.9 needs 44 straight passes, so no case
    run 10 times could ever be called stable. A case that never failed is stable-pass, and one that never passed
    stable-fail, however few its samples: "flaky" says the case was seen to go both ways without enough samples to
    call it stable; how sure a rate is shows in its interval, not in its label.
    """
    _check_confidence(confidence)
    if not 0.5 <= stable_rate < 1.0 or not 0.0 < credibility < 1.0:
        raise ValueError("stable_rate must be in [0.5, 1) and credibility in (0, 1)")
    errors = sum(1 for o in outcomes if o is None)
    scored = [o for o in outcomes if o is not None]
    for o in scored:
        if o not in (True, False):
            raise ValueError(f"case_stats takes pass/fail outcomes, got {o!r}")
    n = len(scored)
    c = sum(1 for o in scored if o)
    a, b = 1.0 + c, 1.0 + n - c
    p_pass = float(_sp.betaincc(a, b, stable_rate))
    p_fail = float(_sp.betainc(a, b, 1.0 - stable_rate))
    flakiness = 2.0 * a * b / ((a + b) * (a + b + 1.0))
    label: Label
    if n == 0:
        label = "unknown"
    elif p_pass > credibility or c == n:
        label = "stable-pass"
    elif p_fail > credibility or c == 0:
        label = "stable-fail"
    else:
        label = "flaky"
    low, high = wilson_interval(c, n, confidence)
    usable = sorted({k for k in ks if 1 <= k <= n})
    return CaseStats(
        n=n,
        passes=c,
        errors=errors,
        pass_rate=c / n if n else None,
        ci_low=low,
        ci_high=high,
        pass_at_k={k: pass_at_k(n, c, k) for k in usable},
        pass_hat_k={k: pass_hat_k(n, c, k) for k in usable},
        label=label,
        p_stable_pass=p_pass,
        p_stable_fail=p_fail,
        flakiness=flakiness,
    )


def flakiest_first(cases: Mapping[str, CaseStats]) -> list[str]:
    """Case ids ordered flakiest first (then lowest pass rate, then id), the order reports list them in."""

    def key(case_id: str) -> tuple[float, float, str]:
        s = cases[case_id]
        return -s.flakiness, s.pass_rate if s.pass_rate is not None else -1.0, case_id

    return sorted(cases, key=key)


# ---------------------------------------------------------------------------------------------------------------
# Suite
# ---------------------------------------------------------------------------------------------------------------


def _as_matrix(outcomes: Outcomes) -> _FloatArray:
    """Rows = cases, columns = repeats, NaN where a sample is missing or errored."""
    if isinstance(outcomes, np.ndarray):
        arr = np.asarray(outcomes, dtype=np.float64)
        if arr.ndim == 1:
            arr = arr[:, None]
        if arr.ndim != 2:
            raise ValueError("outcomes must be one row of samples per case")
        return arr
    # A bare number (or None) is a case with one sample, so a flat list of case pass rates works too.
    rows = [[r] if r is None or isinstance(r, bool | int | float | np.number | np.bool_) else r for r in outcomes]
    try:
        # Fast path for equal-length rows without None; ragged or None-holding rows take the loop below.
        arr = np.array(rows, dtype=np.float64)
        if arr.ndim == 2:
            return arr
    except (TypeError, ValueError):
        pass
    width = max((len(r) for r in rows), default=0)
    arr = np.full((len(rows), max(width, 1)), np.nan)
    for i, row in enumerate(rows):
        for j, value in enumerate(row):
            if value is not None:
                arr[i, j] = float(value)
    return arr


def _case_means(arr: _FloatArray) -> tuple[_FloatArray, NDArray[np.intp]]:
    """Per-case mean and sample count; rows with no sample get NaN and 0."""
    counts = np.sum(~np.isnan(arr), axis=1)
    sums = np.nansum(arr, axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        means = sums / counts
    return means, counts


def _is_binary(arr: _FloatArray) -> bool:
    vals = arr[~np.isnan(arr)]
    return bool(np.all((vals == 0.0) | (vals == 1.0)))


def _in_unit_interval(x: _FloatArray) -> bool:
    return bool(np.all((x >= 0.0) & (x <= 1.0)))


class SuiteEstimate(Struct, frozen=True):
    """The suite score (mean over cases of each case's pass rate) and its interval.

    ``design_effect`` is the variance of the estimate over the variance it would have if every sample were an
    independent draw (p(1 - p) / n_samples for pass/fail); ``effective_n`` = n_samples / design_effect is how many
    independent samples the suite is worth. Repeats of one case and cases of one cluster are correlated, so the
    design effect is usually above 1. ``n_clusters`` is None when no cluster key was used. ``question`` says
    what the interval speaks for: "cases-like-these" (the population of cases) or "these-cases" (this suite).
    """

    mean: float
    ci_low: float
    ci_high: float
    se: float
    method: SuiteMethod
    n_cases: int
    n_samples: int
    design_effect: float
    effective_n: float
    confidence: float
    n_clusters: int | None = None
    question: Question = "cases-like-these"


def _cluster_codes(clusters: Sequence[str | None], keep: NDArray[np.bool_]) -> NDArray[np.intp]:
    """Integer cluster codes for the kept cases; a case without a key is a cluster of its own."""
    codes: dict[str, int] = {}
    out: list[int] = []
    for i, (key, kept) in enumerate(zip(clusters, keep, strict=True)):
        if not kept:
            continue
        name = f"\0case{i}" if key is None else f"k:{key}"
        out.append(codes.setdefault(name, len(codes)))
    return np.asarray(out, dtype=np.intp)


def _usable_clusters(codes: NDArray[np.intp], n_cases: int) -> NDArray[np.intp] | None:
    """The codes, or None when clustering can't change anything or can't be estimated.

    Every case its own cluster: the cases are independent already. One cluster for all: there is no spread between
    clusters to estimate from, so the interval can only speak for that one cluster, as an unclustered one does.
    """
    n_clusters = int(codes.max()) + 1
    return None if n_clusters == n_cases or n_clusters < 2 else codes


def _cr1_var_of_mean(x: _FloatArray, codes: NDArray[np.intp]) -> tuple[float, int]:
    """CR1 cluster-robust variance of mean(x): G/(G-1) · Σ_g (Σ_{i∈g} (x_i - x̄))² / n² (Miller 2024, App. A)."""
    n_clusters = int(codes.max()) + 1
    resid_sums = np.bincount(codes, weights=x - x.mean(), minlength=n_clusters)
    var = n_clusters / (n_clusters - 1) * float(np.sum(resid_sums**2)) / x.size**2
    return var, n_clusters


def _bca_interval(
    x: _FloatArray, confidence: float, rng: np.random.Generator, n_boot: int
) -> tuple[float, float, float]:
    """BCa bootstrap interval and SE for the mean of x (Efron 1987), resampling the rows of x."""
    n = x.size
    theta = float(x.mean())
    boot = _bootstrap_means(x, rng, n_boot)
    if np.ptp(boot) == 0.0:
        return theta, theta, 0.0
    # Ties with theta are common for means of 0/1 data; split them so z0 stays centred.
    prop = (np.sum(boot < theta) + 0.5 * np.sum(boot == theta)) / n_boot
    z0 = float(_sp.ndtri(np.clip(prop, 1.0 / (n_boot + 1), n_boot / (n_boot + 1))))
    jack = (x.sum() - x) / (n - 1)
    d = jack.mean() - jack
    denom = 6.0 * float(np.sum(d**2)) ** 1.5
    accel = float(np.sum(d**3)) / denom if denom > 0 else 0.0
    tail = (1.0 - confidence) / 2
    qs = []
    for z_alpha in (_sp.ndtri(tail), _sp.ndtri(1.0 - tail)):
        shifted = z0 + (z0 + z_alpha) / (1.0 - accel * (z0 + z_alpha))
        qs.append(float(_sp.ndtr(shifted)))
    low, high = np.quantile(boot, qs)
    return float(low), float(high), float(boot.std(ddof=1))


def _bootstrap_means(x: _FloatArray, rng: np.random.Generator, n_boot: int) -> _FloatArray:
    n = x.size
    out = np.empty(n_boot)
    # Resample in blocks so a large suite never needs an n_boot × n index matrix at once.
    block = max(1, 2_000_000 // n)
    for start in range(0, n_boot, block):
        stop = min(n_boot, start + block)
        out[start:stop] = x[rng.integers(0, n, size=(stop - start, n))].mean(axis=1)
    return out


def suite_interval(
    outcomes: Outcomes,
    *,
    clusters: Sequence[str | None] | None = None,
    confidence: float = 0.95,
    method: SuiteMethod | Literal["auto"] = "auto",
    question: Question = "cases-like-these",
    seed: int = 0,
    n_boot: int = 4000,
) -> SuiteEstimate:
    """Suite score with a confidence interval that fits the sample and the question asked.

    ``outcomes`` has one row per case: that case's samples (bool or a score in [0, 1]; None or NaN = errored, left
    out). A 1-D sequence of numbers is read as one value per case, e.g. case pass rates. Cases with no scored sample
    are dropped. ``clusters`` (aligned with the rows; None = a cluster of its own) turns on cluster-robust errors
    when there are two or more clusters and some cluster holds more than one case.

    ``question="cases-like-these"`` (the default) treats the cases as a sample of the cases one could have
    written, so the interval speaks for cases like them; ``method="auto"`` picks, in order:

    * cluster-robust when clustered: CR1 variance, t with G - 1 df; for pass/fail data the interval is the
      Korn–Graubard one below on the cluster-robust variance, so it stays inside [0, 1];
    * wilson for pass/fail with one sample per case (a binomial proportion);
    * korn-graubard for repeated pass/fail: Clopper–Pearson on the effective sample size n_eff = p(1 - p) /
      Var(mean), corrected for the degrees of freedom of the variance estimate, n_eff · (z / t_df)² (Korn &
      Graubard 1998). n_eff is kept between the number of cases (clusters) and of samples, as the theory bounds
      it; where the data show no spread to estimate it from (every case at the same rate, every sample passing)
      it is the number of cases: repeats cannot make a suite of n cases speak for more cases than n;
    * bootstrap (BCa over cases) for graded scores below CLT_MIN_CASES cases;
    * clt (t interval on case means) otherwise.

    ``question="these-cases"`` treats the suite as fixed and asks how often *its* cases pass; the only randomness
    is run-to-run noise, so the interval narrows with repeats without limit. For pass/fail it is pooled-wilson:
    Wilson on all samples (n_cases² / Σ 1/k_i of them), which is conservative because independent draws at
    different rates vary less than a binomial at their mean rate. For graded scores, within-case: a normal
    interval on the within-case variances (Bhatia–Davis bound x(1 - x) for a case with one sample).
    """
    _check_confidence(confidence)
    arr = _as_matrix(outcomes)
    means, counts = _case_means(arr)
    keep = counts > 0
    x = means[keep]
    k = counts[keep].astype(np.float64)
    n_cases, n_samples = int(x.size), int(k.sum())
    if n_cases == 0:
        raise InsufficientDataError("no case has a scored sample", hint="every sample errored; see the run log")
    binary = _is_binary(arr)
    mean = float(x.mean())
    if question == "these-cases":
        return _these_cases(arr[keep], x, k, binary, confidence)
    codes = None
    if clusters is not None:
        if len(clusters) != arr.shape[0]:
            raise ValueError(f"{len(clusters)} cluster keys for {arr.shape[0]} cases")
        codes = _usable_clusters(_cluster_codes(clusters, keep), n_cases)
    chosen = method
    if chosen == "auto":
        if codes is not None:
            chosen = "cluster-robust"
        elif binary:
            chosen = "wilson" if n_samples == n_cases else "korn-graubard"
        else:
            chosen = "clt" if n_cases >= CLT_MIN_CASES else "bootstrap"
    if chosen == "cluster-robust" and codes is None:
        raise InsufficientDataError("cluster-robust errors need two or more clusters, one with several cases")
    if chosen in ("wilson", "korn-graubard") and not binary:
        raise ValueError(f"the {chosen} method needs pass/fail outcomes")
    if n_cases < 2 and not (chosen == "wilson" and n_samples == n_cases):
        raise InsufficientDataError(
            f"an interval for the suite needs at least 2 cases with scored samples (have {n_cases})"
        )

    n_clusters: int | None = None
    if chosen == "wilson" and n_samples == n_cases:
        low, high = wilson_interval(float(x.sum()), n_cases, confidence)
        se = math.sqrt(mean * (1.0 - mean) / n_cases)
        var = se * se
    elif chosen == "bootstrap":
        low, high, se = _bca_interval(x, confidence, np.random.default_rng(seed), n_boot)
        var = se * se
    else:
        if chosen == "cluster-robust":
            assert codes is not None
            var, n_clusters = _cr1_var_of_mean(x, codes)
            df = n_clusters - 1
        else:
            var = float(x.var(ddof=1)) / n_cases
            df = n_cases - 1
        se = math.sqrt(var)
        if binary and chosen in ("korn-graubard", "wilson", "cluster-robust"):
            low, high = _korn_graubard(mean, var, n_clusters or n_cases, n_samples, df, confidence)
        else:
            q = float(_sp.stdtrit(df, 0.5 + confidence / 2))
            low, high = mean - q * se, mean + q * se
            if _in_unit_interval(x):
                low, high = max(0.0, low), min(1.0, high)
    if binary:
        effective_n = _effective_n(mean, var, n_clusters or n_cases, n_samples)
        design_effect = n_samples / effective_n
    else:
        design_effect, effective_n = _design_effect(var, float(np.nanvar(arr)), n_samples)
    return SuiteEstimate(
        mean=mean,
        ci_low=float(low),
        ci_high=float(high),
        se=se,
        method=chosen,
        n_cases=n_cases,
        n_samples=n_samples,
        design_effect=design_effect,
        effective_n=effective_n,
        confidence=confidence,
        n_clusters=n_clusters,
        question="cases-like-these",
    )


def _these_cases(arr: _FloatArray, x: _FloatArray, k: _FloatArray, binary: bool,
                 confidence: float) -> SuiteEstimate:
    """The interval for the suite's own cases: only the repeats are random."""
    n_cases = int(x.size)
    n_samples = int(k.sum())
    mean = float(x.mean())
    z = float(_sp.ndtri(0.5 + confidence / 2))
    if binary:
        pooled = n_cases * n_cases / float(np.sum(1.0 / k))
        low, high = (float(v) for v in _wilson(np.float64(mean), np.float64(pooled), z))
        var = mean * (1.0 - mean) / pooled
        method: SuiteMethod = "pooled-wilson"
        effective_n = pooled
    else:
        # Each case's run-to-run variance: its samples' variance, or with one sample the Bhatia–Davis bound.
        spread = np.nansum((arr - x[:, None]) ** 2, axis=1) / np.maximum(k - 1.0, 1.0)
        within = np.where(k > 1, spread, x * (1.0 - x))
        var = float(np.sum(within / k)) / (n_cases * n_cases)
        half = z * math.sqrt(var)
        low, high = max(0.0, mean - half), min(1.0, mean + half)
        method = "within-case"
        srs = float(np.nanvar(arr))
        effective_n = float(n_samples) if var <= 0 or srs <= 0 else srs / var
    return SuiteEstimate(
        mean=mean, ci_low=low, ci_high=high, se=math.sqrt(var), method=method, n_cases=n_cases,
        n_samples=n_samples, design_effect=n_samples / effective_n if effective_n > 0 else 1.0,
        effective_n=effective_n, confidence=confidence, question="these-cases",
    )


def _korn_graubard(p: float, var: float, units: int, n_samples: int, df: int,
                   confidence: float) -> tuple[float, float]:
    """Korn & Graubard's (1998) interval: Clopper–Pearson on the effective sample size, with the degrees-of-freedom
    correction n* = n_eff · (z / t_df)². With no spread to estimate the variance from (p at 0 or 1, or every case
    at one rate) n_eff is the number of independent units (cases, or clusters), and the exact binomial bound for
    that many units applies as it is: the worst case consistent with the data is units that always pass or always
    fail."""
    tail = (1.0 - confidence) / 2
    if var <= 0.0 or p <= 0.0 or p >= 1.0:
        n_star = float(units)
    else:
        n_eff = _effective_n(p, var, units, n_samples)
        z = float(_sp.ndtri(1.0 - tail))
        t = float(_sp.stdtrit(max(df, 1), 1.0 - tail))
        n_star = n_eff * (z / t) ** 2
    successes = p * n_star
    low = 0.0 if successes <= 0 else float(_sp.betaincinv(successes, n_star - successes + 1, tail))
    high = 1.0 if successes >= n_star else float(_sp.betaincinv(successes + 1, n_star - successes, 1.0 - tail))
    return low, high


def _effective_n(p: float, var: float, lower: float, upper: float) -> float:
    """n_eff = p(1 - p) / var, kept within [lower, upper]; where there is no spread to estimate it from (p at 0 or
    1, or zero variance) it is `lower`, the number of independent units: the data can't show that more repeats
    of the same cases are worth more than the cases themselves.

    The bounds are the theory's: for case means in [0, 1] Var(mean) <= p(1 - p) / n_cases, and with Bernoulli
    repeats Var(mean) >= p(1 - p) / n_samples.
    """
    if var <= 0.0 or p <= 0.0 or p >= 1.0:
        return float(lower)
    return float(min(max(p * (1.0 - p) / var, lower), upper))


def _design_effect(var: float, srs_unit: float, n_samples: int) -> tuple[float, float]:
    """Design effect and effective n of graded scores; ``srs_unit`` is the variance of one independent sample."""
    if srs_unit <= 0.0 or var <= 0.0:
        return 1.0, float(n_samples)
    deff = var / (srs_unit / n_samples)
    return deff, n_samples / deff


# ---------------------------------------------------------------------------------------------------------------
# Paired comparison
# ---------------------------------------------------------------------------------------------------------------


class Comparison(Struct, frozen=True):
    """Run B against run A on the same cases: ``delta`` = mean_b - mean_a over the pairs (positive = B better).

    ``discordant`` is (B passes where A fails, A passes where B fails) for the McNemar tests. ``excluded`` lists
    case ids dropped because one run has no scored sample for them. After ``holm`` / ``benjamini_hochberg`` across
    tags, ``p_adjusted`` holds the adjusted p-value and ``adjustment`` names the method; ``significant`` uses it.
    """

    delta: float
    se: float
    ci_low: float
    ci_high: float
    p_value: float
    test: CompareTest
    n_pairs: int
    mean_a: float
    mean_b: float
    confidence: float
    n_clusters: int | None = None
    discordant: tuple[int, int] | None = None
    excluded: tuple[str, ...] = ()
    p_adjusted: float | None = None
    adjustment: str | None = None

    def significant(self, alpha: float = 0.05) -> bool:
        """Whether the difference is significant at ``alpha`` (adjusted p-value when there is one)."""
        p = self.p_adjusted if self.p_adjusted is not None else self.p_value
        return p < alpha


def check_aligned(a: Mapping[str, object], b: Mapping[str, object]) -> None:
    """Raise UnalignedRunsError naming the differing ids unless ``a`` and ``b`` have the same case ids."""
    only_a, only_b = set(a) - set(b), set(b) - set(a)
    if only_a or only_b:
        raise UnalignedRunsError(sorted(only_a), sorted(only_b))


def paired_compare(
    a: Mapping[str, Sequence[Score]],
    b: Mapping[str, Sequence[Score]],
    *,
    clusters: Mapping[str, str | None] | None = None,
    confidence: float = 0.95,
    method: CompareTest | Literal["auto"] = "auto",
    seed: int = 0,
    n_boot: int = 4000,
) -> Comparison:
    """Paired comparison of two runs on the same case ids (delta = B - A).

    ``method="auto"`` picks: cluster-paired (cluster-level sums of per-case differences, CR1, t with G - 1 df)
    when ``clusters`` groups some cases; McNemar for one pass/fail sample per case in both runs (exact binomial
    below MCNEMAR_EXACT_BELOW discordant pairs, else chi-square with continuity correction; interval by
    Newcombe's method 10); paired bootstrap of per-case differences for graded scores; otherwise a paired t on the
    per-case mean differences. Raises UnalignedRunsError when the case ids differ.
    """
    _check_confidence(confidence)
    check_aligned(a, b)
    ids = sorted(a)
    mat_a, mat_b = _as_matrix([a[i] for i in ids]), _as_matrix([b[i] for i in ids])
    ma, ka = _case_means(mat_a)
    mb, kb = _case_means(mat_b)
    keep = (ka > 0) & (kb > 0)
    excluded = tuple(i for i, k in zip(ids, keep, strict=True) if not k)
    n = int(keep.sum())
    if n == 0:
        raise InsufficientDataError("no case has a scored sample in both runs")
    xa, xb = ma[keep], mb[keep]
    d = xb - xa
    binary = _is_binary(mat_a[keep]) and _is_binary(mat_b[keep])
    single = bool(np.all(ka[keep] == 1) and np.all(kb[keep] == 1))
    codes = None
    if clusters is not None:
        kept_ids = [i for i, k in zip(ids, keep, strict=True) if k]
        codes = _usable_clusters(_cluster_codes([clusters.get(i) for i in kept_ids], np.ones(n, dtype=bool)), n)
    chosen = method
    if chosen == "auto":
        if codes is not None:
            chosen = "cluster-paired"
        elif binary and single:
            chosen = "mcnemar"
        else:
            chosen = "paired-t" if binary else "paired-bootstrap"
    delta = float(d.mean())
    # Scores in [0, 1] can't differ by more than 1, whatever a t quantile on few pairs says.
    bound = 1.0 if _in_unit_interval(xa) and _in_unit_interval(xb) else math.inf

    def result(
        test: CompareTest,
        se: float,
        interval: tuple[float, float],
        p: float,
        *,
        discordant: tuple[int, int] | None = None,
        n_clusters: int | None = None,
    ) -> Comparison:
        return Comparison(
            delta=delta,
            se=se,
            ci_low=max(-bound, float(interval[0])),
            ci_high=min(bound, float(interval[1])),
            p_value=min(1.0, p),
            test=test,
            n_pairs=n,
            mean_a=float(xa.mean()),
            mean_b=float(xb.mean()),
            confidence=confidence,
            n_clusters=n_clusters,
            discordant=discordant,
            excluded=excluded,
        )

    if chosen in ("mcnemar", "mcnemar-exact"):
        if not (binary and single):
            raise ValueError("McNemar needs exactly one pass/fail sample per case in both runs")
        b_better, a_better = int(np.sum(d > 0)), int(np.sum(d < 0))
        discordant = b_better + a_better
        test: CompareTest = "mcnemar-exact"
        if discordant == 0:
            p = 1.0
        elif discordant < MCNEMAR_EXACT_BELOW or chosen == "mcnemar-exact":
            from scipy.stats import binomtest

            p = float(binomtest(b_better, discordant, 0.5).pvalue)
        else:
            stat = (abs(b_better - a_better) - 1.0) ** 2 / discordant
            p, test = float(_sp.chdtrc(1, stat)), "mcnemar"
        both = int(np.sum((xa == 1) & (xb == 1)))
        se = float(d.std(ddof=1)) / math.sqrt(n) if n > 1 else 0.0
        interval = _newcombe_paired(both, b_better, a_better, n - both - discordant, confidence)
        return result(test, se, interval, p, discordant=(b_better, a_better))
    if n == 1 and binary and method == "auto":
        # One case: there are no pairs to difference, but its repeats are independent pass/fail draws in each
        # run, so the two runs' rates compare as independent proportions (Fisher's exact test; Newcombe's
        # score interval for the difference, his method 10 with no correlation term).
        passes_a, runs_a = int(round(float(xa[0]) * ka[keep][0])), int(ka[keep][0])
        passes_b, runs_b = int(round(float(xb[0]) * kb[keep][0])), int(kb[keep][0])
        table = [[passes_b, runs_b - passes_b], [passes_a, runs_a - passes_a]]
        from scipy.stats import fisher_exact

        p = float(fisher_exact(table).pvalue)
        interval = _newcombe_independent(passes_a, runs_a, passes_b, runs_b, confidence)
        se = math.sqrt(xa[0] * (1 - xa[0]) / runs_a + xb[0] * (1 - xb[0]) / runs_b)
        return result("fisher-exact", float(se), interval, p)
    if n < 2:
        raise InsufficientDataError(f"a {chosen} comparison needs at least 2 cases with scored samples in both runs")
    if chosen == "paired-bootstrap":
        rng = np.random.default_rng(seed)
        low, high, se = _bca_interval(d, confidence, rng, n_boot)
        boot = _bootstrap_means(d, rng, n_boot)
        # Shift the bootstrap distribution to the null (delta = 0) and count draws at least as extreme.
        p = (float(np.sum(np.abs(boot - delta) >= abs(delta))) + 1.0) / (n_boot + 1.0)
        return result("paired-bootstrap", se, (low, high), p)
    if chosen == "cluster-paired":
        if codes is None:
            raise InsufficientDataError("cluster-paired needs two or more clusters, one with several cases")
        var, n_clusters = _cr1_var_of_mean(d, codes)
        se = math.sqrt(var)
        low, high, p = _t_interval(delta, se, n_clusters - 1, confidence)
        return result("cluster-paired", se, (low, high), p, n_clusters=n_clusters)
    if chosen != "paired-t":
        raise ValueError(f"unknown comparison method {method!r}")
    se = float(d.std(ddof=1)) / math.sqrt(n)
    low, high, p = _t_interval(delta, se, n - 1, confidence)
    return result("paired-t", se, (low, high), p)


def _t_interval(delta: float, se: float, df: int, confidence: float) -> tuple[float, float, float]:
    if se == 0.0:
        # Every pair moved by exactly the same amount: no noise to test against.
        return delta, delta, 1.0 if delta == 0.0 else 0.0
    q = float(_sp.stdtrit(df, 0.5 + confidence / 2))
    p = float(2.0 * _sp.stdtr(df, -(abs(delta) / se)))
    return delta - q * se, delta + q * se, min(1.0, p)


def _newcombe_paired(both: int, b_only: int, a_only: int, neither: int, confidence: float) -> tuple[float, float]:
    """Newcombe's (1998) method 10 interval for p_B - p_A from paired pass/fail counts: Wilson intervals of the two
    margins combined with the correlation φ between the runs, corrected as the method prescribes (AD - BC reduced
    by N/2 when above it, 0 when between 0 and N/2, unchanged when negative). The plain φ makes the interval too
    narrow when few cases change (zero width with no changed cases and even margins)."""
    n = both + b_only + a_only + neither
    pa, pb = (both + a_only) / n, (both + b_only) / n
    la, ua = wilson_interval(both + a_only, n, confidence)
    lb, ub = wilson_interval(both + b_only, n, confidence)
    marg = (both + a_only) * (neither + b_only) * (both + b_only) * (neither + a_only)
    cross: float = both * neither - a_only * b_only
    if cross > n / 2:
        cross -= n / 2
    elif cross >= 0:
        cross = 0
    phi = cross / math.sqrt(marg) if marg > 0 else 0.0
    delta = pb - pa
    lower = math.sqrt(max(0.0, (pb - lb) ** 2 - 2 * phi * (pb - lb) * (ua - pa) + (ua - pa) ** 2))
    upper = math.sqrt(max(0.0, (ub - pb) ** 2 - 2 * phi * (ub - pb) * (pa - la) + (pa - la) ** 2))
    return delta - lower, delta + upper


def _newcombe_independent(passes_a: int, n_a: int, passes_b: int, n_b: int,
                          confidence: float) -> tuple[float, float]:
    """Newcombe's (1998) method 10 interval for p_B - p_A from two independent samples (Wilson-based)."""
    pa, pb = passes_a / n_a, passes_b / n_b
    la, ua = wilson_interval(passes_a, n_a, confidence)
    lb, ub = wilson_interval(passes_b, n_b, confidence)
    delta = pb - pa
    return delta - math.hypot(pb - lb, ua - pa), delta + math.hypot(ub - pb, pa - la)


def holm(p_values: Sequence[float]) -> list[float]:
    """Holm–Bonferroni adjusted p-values (family-wise error), in the input order."""
    p = _check_pvalues(p_values)
    m = p.size
    order = np.argsort(p, kind="stable")
    scaled = np.minimum(1.0, (m - np.arange(m)) * p[order])
    out = np.empty(m)
    out[order] = np.maximum.accumulate(scaled)
    return [float(v) for v in out]


def benjamini_hochberg(p_values: Sequence[float]) -> list[float]:
    """Benjamini–Hochberg adjusted p-values (false discovery rate), in the input order."""
    p = _check_pvalues(p_values)
    m = p.size
    order = np.argsort(p, kind="stable")
    scaled = np.minimum(1.0, m / np.arange(1, m + 1) * p[order])
    out = np.empty(m)
    out[order] = np.minimum.accumulate(scaled[::-1])[::-1]
    return [float(v) for v in out]


def _check_pvalues(p_values: Sequence[float]) -> _FloatArray:
    p = np.asarray(p_values, dtype=np.float64)
    if p.ndim != 1 or np.any(np.isnan(p)) or np.any((p < 0) | (p > 1)):
        raise ValueError("p-values must be a flat list of numbers in [0, 1]")
    return p


ADJUSTMENTS: dict[str, Callable[[Sequence[float]], list[float]]] = {"holm": holm, "bh": benjamini_hochberg}
"""Multiple-comparison adjustments by name, for ``compare_by_tag`` and the CLI."""


def compare_by_tag(
    a: Mapping[str, Sequence[Score]],
    b: Mapping[str, Sequence[Score]],
    tags: Mapping[str, Sequence[str]],
    *,
    clusters: Mapping[str, str | None] | None = None,
    confidence: float = 0.95,
    adjust: Literal["holm", "bh"] = "holm",
    method: CompareTest | Literal["auto"] = "auto",
    seed: int = 0,
) -> dict[str, Comparison]:
    """``paired_compare`` within each tag (a case in several tags counts in each), p-values adjusted across tags.

    ``tags`` maps case id to its tags. Tags whose cases have no scored pair are left out. The runs must align as a
    whole (UnalignedRunsError otherwise).
    """
    check_aligned(a, b)
    members: dict[str, list[str]] = {}
    for case_id in sorted(a):
        for tag in tags.get(case_id, ()):
            members.setdefault(tag, []).append(case_id)
    results: dict[str, Comparison] = {}
    for tag in sorted(members):
        ids = members[tag]
        try:
            results[tag] = paired_compare(
                {i: a[i] for i in ids},
                {i: b[i] for i in ids},
                clusters=clusters,
                confidence=confidence,
                method=method,
                seed=seed,
            )
        except InsufficientDataError:
            continue
    adjusted = ADJUSTMENTS[adjust]([c.p_value for c in results.values()])
    return {
        tag: replace(c, p_adjusted=p, adjustment=adjust) for (tag, c), p in zip(results.items(), adjusted, strict=True)
    }


# ---------------------------------------------------------------------------------------------------------------
# Planning
# ---------------------------------------------------------------------------------------------------------------


class VarianceComponents(Struct, frozen=True):
    """One-way random-effects split of a pilot's sample variance.

    ``between_var`` (σ²_b) is the variance of true case rates across cases; ``within_var`` (σ²_w) the average
    run-to-run variance of one sample of one case (p(1 - p) for pass/fail). ``icc`` = σ²_b / (σ²_b + σ²_w).
    """

    mean: float
    between_var: float
    within_var: float
    icc: float
    n_cases: int
    n_samples: int


def variance_components(outcomes: Outcomes) -> VarianceComponents:
    """Method-of-moments (one-way ANOVA, unbalanced) estimates of between- and within-case variance.

    Needs at least two cases and at least one case with two or more scored samples; negative between-case
    estimates are set to 0.
    """
    arr = _as_matrix(outcomes)
    means, counts = _case_means(arr)
    keep = counts > 0
    arr, means, k = arr[keep], means[keep], counts[keep].astype(np.float64)
    n_cases, n_samples = int(means.size), int(k.sum())
    if n_cases < 2 or n_samples <= n_cases:
        raise InsufficientDataError(
            "the pilot needs at least 2 cases and some repeats to split within-case from between-case variance",
            hint="run the pilot with repeats >= 2",
        )
    grand = float(np.nansum(arr)) / n_samples
    ssw = float(np.nansum((arr - means[:, None]) ** 2))
    msw = ssw / (n_samples - n_cases)
    msb = float(np.sum(k * (means - grand) ** 2)) / (n_cases - 1)
    k0 = (n_samples - float(np.sum(k**2)) / n_samples) / (n_cases - 1)
    between = max(0.0, (msb - msw) / k0)
    total = between + msw
    return VarianceComponents(
        mean=float(means.mean()),
        between_var=between,
        within_var=msw,
        icc=between / total if total > 0 else 0.0,
        n_cases=n_cases,
        n_samples=n_samples,
    )


def power_for(
    n_cases: int,
    repeats: int,
    *,
    effect: float,
    within_var: float,
    interaction_var: float = 0.0,
    alpha: float = 0.05,
    n_clusters: int | None = None,
    cluster_interaction_var: float = 0.0,
) -> float:
    """Power of the two-sided paired test `compare` runs to detect a shift of ``effect``.

    Both runs use the same ``n_cases`` cases with ``repeats`` samples each, so Var(d_i) = ω² + 2·σ²_w / K: the
    between-case variance cancels in the pairing; ``interaction_var`` (ω²) is the variance of true per-case effects
    (0 when the change shifts every case alike). Without clusters the test is the paired t on cases (noncentral t,
    n_cases - 1 df). With ``n_clusters`` the comparison tests at the cluster level (cluster-paired: in effect a t
    test on the G cluster-mean differences, G - 1 df), whose variance is Var(d_i) / m + τ² for clusters of m =
    n_cases / G cases, τ² (``cluster_interaction_var``) being how much true effects vary between clusters.
    """
    if n_cases < 2 or repeats < 1:
        raise ValueError("power_for needs n_cases >= 2 and repeats >= 1")
    var_case = interaction_var + 2.0 * within_var / repeats
    if n_clusters is None:
        return _paired_t_power(n_cases, var_case, effect, alpha)
    if n_clusters < 2:
        raise ValueError("a clustered comparison needs at least 2 clusters")
    return _paired_t_power(n_clusters, var_case / (n_cases / n_clusters) + cluster_interaction_var, effect, alpha)


def _paired_t_power(n_cases: int, var_d: float, effect: float, alpha: float) -> float:
    if var_d <= 0.0:
        return 1.0 if effect != 0 else alpha
    df = n_cases - 1
    ncp = abs(effect) / math.sqrt(var_d / n_cases)
    crit = float(_sp.stdtrit(df, 1.0 - alpha / 2))
    from scipy.stats import nct

    return float(nct.sf(crit, df, ncp) + nct.cdf(-crit, df, ncp))


class PlanRow(Struct, frozen=True):
    """One design: ``n_cases`` cases × ``repeats`` repeats per run, its cost and power.

    ``one_run_half_width`` is the half-width of one run's 95%-style interval at this design (z at 1 - alpha/2,
    with the between-case variance included); ``unpaired_n_cases`` is how many cases per run an unpaired
    comparison (different cases in each run) would need for the same power. ``n_clusters`` is set when the pilot
    has clusters: the design is that many clusters of the pilot's mean size, because the comparison then tests
    at the cluster level.
    """

    repeats: int
    n_cases: int
    n_samples: int
    cost: float
    power: float
    one_run_half_width: float
    unpaired_n_cases: int
    feasible: bool
    n_clusters: int | None = None


class Plan(Struct, frozen=True):
    """Designs for a paired comparison of two runs that detects ``effect``, and the cheapest feasible one."""

    effect: float
    power: float
    alpha: float
    components: VarianceComponents
    interaction_var: float
    rows: tuple[PlanRow, ...]
    recommended: PlanRow | None
    notes: tuple[str, ...] = field(default=())
    pilot_clusters: int | None = None
    cases_per_cluster: float | None = None


def _cases_needed(var_d: float, target: float, *, effect: float, alpha: float, z: float) -> int:
    if var_d <= 0.0:
        return 2
    n = max(2, math.ceil(z * z * var_d / effect**2))
    # The normal approximation is a floor; step up until the t test reaches the target power.
    while _paired_t_power(n, var_d, effect, alpha) < target:
        n += 1
    return n


def plan_from_pilot(
    outcomes: Outcomes,
    *,
    effect: float = 0.05,
    power: float = 0.8,
    alpha: float = 0.05,
    cost_per_sample: float = 1.0,
    cost_per_case: float = 0.0,
    max_repeats: int = 20,
    max_cases: int | None = None,
    interaction_var: float = 0.0,
    clusters: Sequence[str | None] | None = None,
    cluster_interaction_var: float = 0.0,
) -> Plan:
    """Recommend cases × repeats for a paired comparison that detects ``effect`` with ``power`` at least cost.

    The pilot's variance is split into between-case (σ²_b) and within-case (σ²_w) parts. For each K in
    1..max_repeats the plan finds the fewest cases N whose paired test reaches the power (Var(d_i) = ω² + 2σ²_w/K;
    the between-case part cancels in a paired design, which is why the comparison needs far fewer cases than an
    unpaired one, also shown). Cost = N·K·cost_per_sample + N·cost_per_case. A design needing more than
    ``max_cases`` cases (the cases you have) is infeasible. Repeats only shrink the within-case term, so they pay
    when cases are expensive (cost_per_case) or scarce (max_cases).

    With ``clusters`` (aligned with the pilot's rows) grouping cases, `compare` tests at the cluster level with
    G - 1 degrees of freedom, so the plan does too: it counts clusters of the pilot's mean size (see `power_for`),
    and a few large clusters need more samples than the same cases spread over many clusters.
    """
    if not 0.0 < effect < 1.0 or not 0.0 < power < 1.0 or not 0.0 < alpha < 1.0:
        raise ValueError("effect, power and alpha must be between 0 and 1")
    if max_repeats < 1 or (max_cases is not None and max_cases < 2):
        raise ValueError("max_repeats must be >= 1 and max_cases >= 2")
    comp = variance_components(outcomes)
    arr = _as_matrix(outcomes)
    means, counts = _case_means(arr)
    keep = counts > 0
    codes = None
    if clusters is not None:
        if len(clusters) != arr.shape[0]:
            raise ValueError(f"{len(clusters)} cluster keys for {arr.shape[0]} cases")
        codes = _usable_clusters(_cluster_codes(clusters, keep), int(keep.sum()))
    z = float(_sp.ndtri(1.0 - alpha / 2) + _sp.ndtri(power))
    z_one = float(_sp.ndtri(1.0 - alpha / 2))
    pilot_clusters = per_cluster = None
    cluster_unit = 0.0
    if codes is not None:
        pilot_clusters = int(codes.max()) + 1
        per_cluster = comp.n_cases / pilot_clusters
        cluster_means = np.bincount(codes, weights=means[keep]) / np.bincount(codes)
        cluster_unit = float(np.var(cluster_means, ddof=1))
    rows = []
    for k in range(1, max_repeats + 1):
        var_d = interaction_var + 2.0 * comp.within_var / k
        unit = comp.between_var + comp.within_var / k
        n_clusters: int | None = None
        if per_cluster is not None:
            var_cluster = var_d / per_cluster + cluster_interaction_var
            n_clusters = _cases_needed(var_cluster, power, effect=effect, alpha=alpha, z=z)
            n = math.ceil(n_clusters * per_cluster)
            row_power = _paired_t_power(n_clusters, var_cluster, effect, alpha)
            half = z_one * math.sqrt(cluster_unit / n_clusters)
            unpaired = math.ceil(max(2, math.ceil(z * z * 2.0 * cluster_unit / effect**2)) * per_cluster)
        else:
            n = _cases_needed(var_d, power, effect=effect, alpha=alpha, z=z)
            row_power = _paired_t_power(n, var_d, effect, alpha)
            half = z_one * math.sqrt(unit / n)
            unpaired = max(2, math.ceil(z * z * 2.0 * unit / effect**2))
        rows.append(
            PlanRow(
                repeats=k,
                n_cases=n,
                n_samples=n * k,
                cost=n * k * cost_per_sample + n * cost_per_case,
                power=row_power,
                one_run_half_width=half,
                unpaired_n_cases=unpaired,
                feasible=max_cases is None or n <= max_cases,
                n_clusters=n_clusters,
            )
        )
    feasible = [r for r in rows if r.feasible]
    recommended = min(feasible, key=lambda r: (r.cost, r.n_samples, r.repeats)) if feasible else None
    notes = []
    if comp.within_var == 0.0:
        notes.append("the pilot shows no run-to-run variation, so the plan cannot size repeats; pilot more cases")
    if per_cluster is not None:
        notes.append(f"the pilot's {comp.n_cases} cases are in {pilot_clusters} clusters, and compare tests at the "
                     f"cluster level: the plan counts clusters of {per_cluster:.1f} cases (more, smaller clusters "
                     "need fewer samples)")
    if recommended is None:
        notes.append(
            f"no design up to {max_repeats} repeats fits in {max_cases} cases; raise max_repeats or the effect"
        )
    return Plan(
        effect=effect,
        power=power,
        alpha=alpha,
        components=comp,
        interaction_var=interaction_var,
        rows=tuple(rows),
        recommended=recommended,
        notes=tuple(notes),
        pilot_clusters=pilot_clusters,
        cases_per_cluster=per_cluster,
    )


__all__ = [
    "ADJUSTMENTS",
    "CLT_MIN_CASES",
    "MCNEMAR_EXACT_BELOW",
    "STABLE_CREDIBILITY",
    "STABLE_RATE",
    "CaseStats",
    "Comparison",
    "InsufficientDataError",
    "Plan",
    "PlanRow",
    "Question",
    "SuiteEstimate",
    "UnalignedRunsError",
    "VarianceComponents",
    "benjamini_hochberg",
    "case_stats",
    "check_aligned",
    "compare_by_tag",
    "flakiest_first",
    "holm",
    "paired_compare",
    "pass_at_k",
    "pass_hat_k",
    "plan_from_pilot",
    "power_for",
    "suite_interval",
    "variance_components",
    "wilson_interval",
]
