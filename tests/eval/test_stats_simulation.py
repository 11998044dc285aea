"""The statistics module validated by simulation: coverage, false-positive rate, power.

Every test is seeded, so it either always passes or always fails. Acceptance bands are the 99.9% binomial band for
the number of simulated suites, so a correct method fails a band about once in a thousand seeds.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats as st

from aiwell.eval.stats import paired_compare, plan_from_pilot, power_for, suite_interval

Run = dict[str, np.ndarray]
"""A run as paired_compare takes it: case id -> that case's pass/fail samples (numpy rows, to keep it fast)."""


def _as_run(samples: np.ndarray) -> Run:
    return {f"c{i}": row for i, row in enumerate(samples)}


def _band(rate: float, sims: int) -> tuple[float, float]:
    """Two-sided 99.9% acceptance band for an observed proportion out of ``sims`` when the truth is ``rate``."""
    half = st.norm.ppf(0.9995) * math.sqrt(rate * (1 - rate) / sims)
    return rate - half, rate + half


@pytest.mark.parametrize(
    ("n_cases", "repeats", "sims", "method"),
    [
        (20, 1, 2000, "wilson"),
        (20, 10, 2000, "wilson"),
        (100, 5, 2000, "wilson"),
        (1000, 1, 1000, "wilson"),
        (1000, 5, 1000, "clt"),
    ],
)
def test_suite_interval_covers_the_true_mean_95_percent_of_the_time(
    n_cases: int, repeats: int, sims: int, method: str
) -> None:
    rng = np.random.default_rng(1000 + n_cases + repeats)
    a, b = 4.0, 1.0  # heterogeneous cases: true rates ~ Beta(4, 1), mean 0.8, many near 1
    true_mean = a / (a + b)
    rates = rng.beta(a, b, size=(sims, n_cases))
    samples = rng.random((sims, n_cases, repeats)) < rates[..., None]
    covered = 0
    for s in range(sims):
        est = suite_interval(samples[s])
        assert est.method == method
        covered += est.ci_low <= true_mean <= est.ci_high
    low, high = _band(0.95, sims)
    assert low <= covered / sims <= high, f"coverage {covered / sims:.3f} outside [{low:.3f}, {high:.3f}]"


def test_clustered_suite_interval_covers_and_the_naive_one_does_not() -> None:
    rng = np.random.default_rng(2024)
    sims, n_clusters, per_cluster, repeats = 2000, 40, 5, 4
    # Cases from one source document share most of their difficulty: cluster rate ~ Beta(3, 1.5), cases near it.
    cluster_rate = np.repeat(np.clip(rng.beta(3.0, 1.5, size=(sims, n_clusters)), 1e-3, 1 - 1e-3), per_cluster, axis=1)
    conc = 30.0
    case_rate = rng.beta(cluster_rate * conc, (1 - cluster_rate) * conc)
    samples = rng.random((sims, n_clusters * per_cluster, repeats)) < case_rate[..., None]
    true_mean = 3.0 / 4.5
    keys = [f"doc{i // per_cluster}" for i in range(n_clusters * per_cluster)]
    clustered = naive = 0
    deffs = []
    for s in range(sims):
        est = suite_interval(samples[s], clusters=keys)
        assert est.method == "cluster-robust"
        clustered += est.ci_low <= true_mean <= est.ci_high
        deffs.append(est.design_effect)
        plain = suite_interval(samples[s])
        naive += plain.ci_low <= true_mean <= plain.ci_high
    low, high = _band(0.95, sims)
    assert low <= clustered / sims <= high, f"clustered coverage {clustered / sims:.3f}"
    assert naive / sims < 0.85  # ignoring the clusters is badly overconfident
    assert np.median(deffs) > 3  # and the design effect says so


def _clustered_null_runs(rng: np.random.Generator, n_clusters: int, per_cluster: int, repeats: int) -> tuple[Run, Run]:
    """Two runs whose true suite means are equal, but whose per-cluster differences are not.

    Each cluster moves by δ_g (symmetric around 0) between the runs: some topics get better, some worse, none on
    average. Cases within a cluster move together, which is what makes a naive paired test overconfident.
    """
    base = np.repeat(rng.uniform(0.25, 0.75, size=n_clusters), per_cluster)
    base = base + rng.uniform(-0.05, 0.05, size=base.size)
    shift = np.repeat(rng.uniform(-0.3, 0.3, size=n_clusters), per_cluster)
    pa, pb = base + shift / 2, base - shift / 2
    a = rng.random((base.size, repeats)) < pa[:, None]
    b = rng.random((base.size, repeats)) < pb[:, None]
    return _as_run(a), _as_run(b)


def test_clustered_paired_comparison_keeps_the_false_positive_rate_near_alpha() -> None:
    rng = np.random.default_rng(7)
    sims, n_clusters, per_cluster, repeats, alpha = 2000, 50, 10, 3, 0.05
    keys = {f"c{i}": f"g{i // per_cluster}" for i in range(n_clusters * per_cluster)}
    clustered = naive = 0
    for _ in range(sims):
        a, b = _clustered_null_runs(rng, n_clusters, per_cluster, repeats)
        result = paired_compare(a, b, clusters=keys)
        assert result.test == "cluster-paired"
        clustered += result.significant(alpha)
        naive += paired_compare(a, b).significant(alpha)
    low, high = _band(alpha, sims)
    assert low <= clustered / sims <= high, f"false-positive rate {clustered / sims:.3f}"
    assert naive / sims > 3 * alpha  # the unclustered paired t test cries wolf


def test_paired_comparison_false_positive_rate_without_clusters() -> None:
    rng = np.random.default_rng(11)
    sims, n_cases, alpha = 2000, 60, 0.05
    rejections = {"paired-t": 0, "mcnemar-exact": 0, "mcnemar": 0}
    for repeats in (1, 5):
        for _ in range(sims // 2):
            rates = rng.beta(2.0, 1.0, size=n_cases)
            a = rng.random((n_cases, repeats)) < rates[:, None]
            b = rng.random((n_cases, repeats)) < rates[:, None]
            result = paired_compare(_as_run(a), _as_run(b))
            rejections[result.test] += result.significant(alpha)
    total = sum(rejections.values())
    # McNemar's exact test is conservative by construction (discrete), so only the upper side binds for K = 1.
    assert total / sims <= _band(alpha, sims)[1]
    low, high = _band(alpha, sims // 2)
    assert low <= rejections["paired-t"] / (sims // 2) <= high


def _regression_runs(rng: np.random.Generator, n_cases: int, repeats: int, effect: float) -> tuple[Run, Run]:
    """Run B is a planted regression: every case's pass rate is ``effect`` lower than in run A."""
    pa = 0.1 + 0.9 * rng.beta(4.0, 1.5, size=n_cases)
    pb = pa - effect
    a = rng.random((n_cases, repeats)) < pa[:, None]
    b = rng.random((n_cases, repeats)) < pb[:, None]
    return _as_run(a), _as_run(b)


def _true_within_var(effect: float) -> float:
    """E[p(1 - p)] averaged over runs A and B for the generator above, by exact Beta moments."""
    a, b = 4.0, 1.5
    m1 = a / (a + b)
    m2 = a * (a + 1) / ((a + b) * (a + b + 1))
    mean_pa = 0.1 + 0.9 * m1
    second_pa = 0.01 + 0.18 * m1 + 0.81 * m2

    def ep1mp(shift: float) -> float:
        mean, second = mean_pa - shift, second_pa - 2 * shift * mean_pa + shift**2
        return mean - second

    return (ep1mp(0.0) + ep1mp(effect)) / 2


def test_planted_regression_is_detected_as_often_as_power_for_predicts() -> None:
    rng = np.random.default_rng(5)
    sims, n_cases, repeats, effect = 1000, 150, 4, 0.05
    predicted = power_for(n_cases, repeats, effect=effect, within_var=_true_within_var(effect))
    assert 0.5 < predicted < 0.9  # a design where the check has teeth
    detected = 0
    for _ in range(sims):
        a, b = _regression_runs(rng, n_cases, repeats, effect)
        result = paired_compare(a, b)
        assert result.test == "paired-t"
        detected += result.significant(0.05) and result.delta < 0
    low, high = _band(predicted, sims)
    assert low <= detected / sims <= high, f"detected {detected / sims:.3f}, predicted {predicted:.3f}"


def test_the_planned_design_reaches_its_target_power() -> None:
    rng = np.random.default_rng(6)
    pilot_a, _ = _regression_runs(rng, 300, 5, 0.0)
    plan = plan_from_pilot(list(pilot_a.values()), effect=0.05, power=0.8, cost_per_case=8.0, max_repeats=10)
    design = plan.recommended
    assert design is not None and design.repeats > 1
    assert plan.components.within_var == pytest.approx(_true_within_var(0.0), rel=0.1)
    sims = 800
    detected = 0
    for _ in range(sims):
        a, b = _regression_runs(rng, design.n_cases, design.repeats, 0.05)
        result = paired_compare(a, b)
        detected += result.significant(0.05) and result.delta < 0
    # The pilot's variance estimate adds a little slack on top of the sampling band.
    low, high = _band(0.8, sims)
    assert low - 0.03 <= detected / sims <= high + 0.03, f"detected {detected / sims:.3f} at {design}"
