"""The statistics module validated by simulation: coverage, false-positive rate, power.

Every test is seeded, so it either always passes or always fails. Acceptance bands are the 99.9% binomial band for
the number of simulated suites, so a correct method fails a band about once in a thousand seeds.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats as st

from aiwell.eval.sequential import SequentialGate
from aiwell.eval.stats import _newcombe_paired, paired_compare, plan_from_pilot, power_for, suite_interval

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
        (20, 10, 1000, "korn-graubard"),
        (100, 5, 1000, "korn-graubard"),
        (1000, 1, 500, "wilson"),
        (1000, 5, 500, "korn-graubard"),
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
    # Clopper-Pearson (Korn-Graubard) is conservative by construction: only the lower side binds, with a cap so
    # an interval that covers by being useless fails.
    assert low <= covered / sims <= max(high, 0.985), f"coverage {covered / sims:.3f} outside [{low:.3f}, {high:.3f}]"


def _newcombe_plain_phi(both: int, b_only: int, a_only: int, neither: int) -> tuple[float, float]:
    """Newcombe's method 10 with the uncorrected φ: what the paired interval used before, for contrast."""
    from aiwell.eval.stats import wilson_interval

    n = both + b_only + a_only + neither
    pa, pb = (both + a_only) / n, (both + b_only) / n
    la, ua = wilson_interval(both + a_only, n)
    lb, ub = wilson_interval(both + b_only, n)
    marg = (both + a_only) * (neither + b_only) * (both + b_only) * (neither + a_only)
    phi = (both * neither - a_only * b_only) / math.sqrt(marg) if marg > 0 else 0.0
    lower = math.sqrt(max(0.0, (pb - lb) ** 2 - 2 * phi * (pb - lb) * (ua - pa) + (ua - pa) ** 2))
    upper = math.sqrt(max(0.0, (ub - pb) ** 2 - 2 * phi * (ub - pb) * (pa - la) + (pa - la) ** 2))
    return pb - pa - lower, pb - pa + upper


@pytest.mark.parametrize("n_cases", [20, 50])
def test_paired_interval_with_few_changed_cases_covers_with_the_corrected_phi(n_cases: int) -> None:
    # One pass/fail sample per case, even margins, B fixes 5% of the cases and breaks none: few discordant pairs.
    rng = np.random.default_rng(40 + n_cases)
    sims, truth = 2000, 0.05
    counts = rng.multinomial(n_cases, [0.475, truth, 0.0, 0.475], size=sims)  # both, B only, A only, neither
    corrected = plain = 0
    for both, b_only, a_only, neither in counts:
        low, high = _newcombe_paired(int(both), int(b_only), int(a_only), int(neither), 0.95)
        corrected += low <= truth <= high
        low, high = _newcombe_plain_phi(int(both), int(b_only), int(a_only), int(neither))
        plain += low <= truth <= high
    assert corrected / sims >= 0.90, f"corrected φ coverage {corrected / sims:.3f}"
    assert corrected >= plain
    if n_cases == 20:
        assert plain / sims <= 0.85, f"plain φ coverage {plain / sims:.3f}"  # the interval it replaces
    assert _newcombe_paired(10, 0, 0, 10, 0.95)[1] > 0.05  # no changed case: no longer a zero-width interval


@pytest.mark.parametrize(("n_cases", "repeats"), [(5, 1), (5, 20), (10, 5), (30, 5)])
def test_suite_interval_covers_populations_of_all_or_nothing_cases(n_cases: int, repeats: int) -> None:
    # Each case always passes (with probability q) or always fails: repeats carry no information about q, so the
    # interval must stay as wide as the number of cases allows (it covered 53% with 5 cases before).
    rng = np.random.default_rng(60 + n_cases + repeats)
    sims, q = 2000, 0.8
    always = rng.random((sims, n_cases)) < q
    covered = 0
    for row in always:
        est = suite_interval(np.repeat(row[:, None], repeats, axis=1))
        covered += est.ci_low <= q <= est.ci_high
    assert covered / sims >= _band(0.95, sims)[0], f"coverage {covered / sims:.3f}"


@pytest.mark.parametrize(("n_cases", "repeats"), [(10, 5), (40, 4)])
def test_both_questions_cover_on_mixtures_of_stable_and_flaky_cases(n_cases: int, repeats: int) -> None:
    # 60% of cases always pass, 10% always fail, 30% are flaky with rates ~ Beta(2, 2).
    rng = np.random.default_rng(80 + n_cases)
    sims = 1500
    population_mean = 0.6 + 0.3 * 0.5
    cases_like = these = 0
    for _ in range(sims):
        kind = rng.choice(3, size=n_cases, p=[0.6, 0.1, 0.3])
        rates = np.where(kind == 0, 1.0, np.where(kind == 1, 0.0, rng.beta(2.0, 2.0, size=n_cases)))
        samples = rng.random((n_cases, repeats)) < rates[:, None]
        est = suite_interval(samples)
        cases_like += est.ci_low <= population_mean <= est.ci_high
        own = suite_interval(samples, question="these-cases")
        these += own.ci_low <= rates.mean() <= own.ci_high  # the truth is these cases' own mean rate
        assert own.ci_high - own.ci_low <= est.ci_high - est.ci_low + 1e-12
    low = _band(0.95, sims)[0]
    assert cases_like / sims >= low, f"cases like these: coverage {cases_like / sims:.3f}"
    assert these / sims >= low, f"these cases: coverage {these / sims:.3f}"


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
    sims, n_clusters, per_cluster, repeats, alpha = 1000, 50, 10, 3, 0.05
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


def test_plan_counts_clusters_when_the_comparison_tests_clusters() -> None:
    # 5 clusters of 20 cases: compare tests at the cluster level (4 df), so a plan that counted 100 independent
    # cases (99 df) promised far more power than the comparison has (0.93 predicted, 0.55 simulated before).
    rng = np.random.default_rng(9)
    n_clusters, per_cluster, repeats, effect = 5, 20, 3, 0.06
    keys = [f"doc{i // per_cluster}" for i in range(n_clusters * per_cluster)]
    rates = np.clip(np.repeat(rng.uniform(0.5, 0.9, n_clusters), per_cluster)
                    + rng.uniform(-0.1, 0.1, n_clusters * per_cluster), 0.05, 0.95)
    pilot = rng.random((rates.size, repeats)) < rates[:, None]
    plan = plan_from_pilot(list(pilot), clusters=keys, effect=effect, max_repeats=repeats)
    row = next(r for r in plan.rows if r.repeats == repeats)
    assert plan.pilot_clusters == 5 and row.n_clusters is not None
    within = plan.components.within_var
    predicted = power_for(rates.size, repeats, effect=effect, within_var=within, n_clusters=n_clusters)
    unclustered = power_for(rates.size, repeats, effect=effect, within_var=within)
    sims = 600
    detected = 0
    case_keys = {f"c{i}": k for i, k in enumerate(keys)}
    for _ in range(sims):
        a = rng.random((rates.size, repeats)) < rates[:, None]
        b = rng.random((rates.size, repeats)) < (rates - effect)[:, None]
        result = paired_compare(_as_run(a), _as_run(b), clusters=case_keys)
        assert result.test == "cluster-paired"
        detected += result.significant(0.05) and result.delta < 0
    low, high = _band(predicted, sims)
    assert low - 0.03 <= detected / sims <= high + 0.03, f"detected {detected / sims:.3f}, predicted {predicted:.3f}"
    assert unclustered > detected / sims + 0.1  # what the plan used to promise


@pytest.mark.parametrize("n_cases", [30, 100])
def test_sequential_gate_keeps_false_passes_below_alpha_at_the_threshold(n_cases: int) -> None:
    # The true pass rate over these cases is exactly the threshold; a run may peek after every one of 20 rounds.
    rng = np.random.default_rng(100 + n_cases)
    sims, rounds, threshold = 200, 15, 0.9
    gate = SequentialGate(threshold)
    false_passes = 0
    for _ in range(sims):
        kind = rng.random(n_cases) < 0.5
        rates = np.where(kind, 1.0, 0.8)  # mean exactly 0.9: half always pass, half pass 80% of the time
        rates = rates * threshold / rates.mean()
        draws = rng.random((rounds, n_cases)) < rates[None, :]
        history: list[list[bool]] = []
        for r in range(rounds):
            history.append([bool(v) for v in draws[r]])
            verdict, _ = gate.decide(history)
            if verdict is not None:
                false_passes += verdict == "pass"
                break
    assert false_passes / sims <= _band(0.05, sims)[1], f"false passes {false_passes / sims:.3f}"


def test_sequential_gate_stops_early_on_clear_passes_and_clear_failures() -> None:
    rng = np.random.default_rng(123)
    gate = SequentialGate(0.9)
    for truth, expected in ((0.98, "pass"), (0.75, "fail")):
        used = []
        for _ in range(50):
            rates = np.clip(rng.normal(truth, 0.02, 100), 0, 1)
            history: list[list[bool]] = []
            verdict = None
            for _round in range(25):
                history.append(list(rng.random(100) < rates))
                verdict, _ = gate.decide(history)
                if verdict is not None:
                    break
            assert verdict == expected
            used.append(len(history))
        assert np.mean(used) <= 5, (truth, np.mean(used))  # of 25 rounds
