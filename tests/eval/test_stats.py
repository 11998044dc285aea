"""Unit tests of aiwell.eval.stats against reference values and hand-computed formulas."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st_h
from scipy import stats as st

from aiwell.errors import UserError
from aiwell.eval.stats import (
    InsufficientDataError,
    UnalignedRunsError,
    benjamini_hochberg,
    case_stats,
    compare_by_tag,
    flakiest_first,
    holm,
    paired_compare,
    pass_at_k,
    pass_hat_k,
    plan_from_pilot,
    power_for,
    suite_interval,
    variance_components,
    wilson_interval,
)

# --- Wilson -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("successes", "n", "low", "high"),
    [
        # Newcombe (1998), Statistics in Medicine 17:857, Table II, method 3 (score interval without correction).
        (81, 263, 0.2553, 0.3662),
        (15, 148, 0.0624, 0.1605),
        (0, 20, 0.0, 0.1611),
        (1, 29, 0.0061, 0.1718),
    ],
)
def test_wilson_matches_newcombe_reference_table(successes: int, n: int, low: float, high: float) -> None:
    got = wilson_interval(successes, n)
    assert got == pytest.approx((low, high), abs=5e-5)


def test_wilson_edges_are_exact_and_empty_is_uninformative() -> None:
    assert wilson_interval(0, 10)[0] == 0.0
    assert wilson_interval(10, 10)[1] == 1.0
    assert wilson_interval(0, 0) == (0.0, 1.0)
    assert wilson_interval(5, 10, 0.99)[0] < wilson_interval(5, 10, 0.95)[0]
    with pytest.raises(ValueError):
        wilson_interval(11, 10)
    with pytest.raises(ValueError):
        wilson_interval(1, 10, confidence=1.0)


# --- pass@k and pass^k -----------------------------------------------------------------------------------------


def test_pass_at_k_and_pass_hat_k_equal_the_average_over_all_k_subsets() -> None:
    outcomes = [True, False, True, True, False, True, True]
    n, c = len(outcomes), sum(outcomes)
    for k in range(1, n + 1):
        subsets = list(itertools.combinations(outcomes, k))
        assert pass_at_k(n, c, k) == pytest.approx(np.mean([any(s) for s in subsets]))
        assert pass_hat_k(n, c, k) == pytest.approx(np.mean([all(s) for s in subsets]))


def test_pass_hat_k_is_unbiased_for_p_to_the_k() -> None:
    # promptfoo PR #8108: a case passing 90% of the time passes 10 straight runs only 0.9**10 = 34.9% of the time.
    n, p, k = 20, 0.9, 10
    expected = sum(st.binom.pmf(c, n, p) * pass_hat_k(n, c, k) for c in range(n + 1))
    assert expected == pytest.approx(0.9**10) == pytest.approx(0.3487, abs=1e-4)
    expected_at = sum(st.binom.pmf(c, n, p) * pass_at_k(n, c, 3) for c in range(n + 1))
    assert expected_at == pytest.approx(1 - 0.1**3)


# --- case_stats -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("passes", "n", "label"),
    [
        (10, 10, "stable-pass"),
        (6, 6, "stable-pass"),
        (19, 20, "stable-pass"),
        (5, 5, "stable-pass"),  # never failed: stable-pass, however few repeats (the interval shows how sure)
        (1, 1, "stable-pass"),
        (0, 2, "stable-fail"),
        (9, 10, "flaky"),
        (5, 10, "flaky"),
        (0, 10, "stable-fail"),
        (1, 20, "stable-fail"),
    ],
)
def test_case_labels_follow_the_documented_posterior_rule(passes: int, n: int, label: str) -> None:
    s = case_stats([True] * passes + [False] * (n - passes))
    assert s.label == label
    # The rule itself: P(p >= 0.9 | Beta(1 + c, 1 + n - c)) > 0.5.
    assert s.p_stable_pass == pytest.approx(st.beta.sf(0.9, 1 + passes, 1 + n - passes))


def test_case_stats_counts_errors_apart_and_reports_pass_at_k() -> None:
    s = case_stats([True, None, False, True, None, True], ks=(1, 2, 4, 10))
    assert (s.n, s.passes, s.errors, s.pass_rate) == (4, 3, 2, 0.75)
    assert (s.ci_low, s.ci_high) == wilson_interval(3, 4)
    assert set(s.pass_at_k) == {1, 2, 4}  # k = 10 needs 10 samples
    assert s.pass_at_k[2] == pytest.approx(1.0) and s.pass_hat_k[2] == pytest.approx(0.5)
    empty = case_stats([None, None])
    assert (empty.label, empty.pass_rate, empty.errors) == ("unknown", None, 2)
    with pytest.raises(ValueError):
        case_stats([0.5])  # type: ignore[list-item]


def test_flakiest_cases_come_first() -> None:
    cases = {
        "solid": case_stats([True] * 10),
        "coin": case_stats([True, False] * 5),
        "mostly": case_stats([True] * 8 + [False] * 2),
        "broken": case_stats([False] * 10),
    }
    assert flakiest_first(cases)[:2] == ["coin", "mostly"]
    assert cases["coin"].flakiness == pytest.approx(2 * 6 * 6 / (12 * 13))  # 2·E[p(1-p)] under Beta(6, 6)


# --- suite_interval ---------------------------------------------------------------------------------------------


def test_one_sample_per_case_is_a_binomial_proportion_with_wilson() -> None:
    outcomes = [[True]] * 139 + [[False]] * 25
    est = suite_interval(outcomes)
    assert est.method == "wilson"
    assert (est.ci_low, est.ci_high) == pytest.approx(wilson_interval(139, 164))
    # eval-size-data.md 1.3: binary SE at n = 164, p = 0.85 is 0.0279 (here p = 139/164 = 0.848).
    assert est.se == pytest.approx(math.sqrt(139 / 164 * 25 / 164 / 164)) == pytest.approx(0.0279, abs=2e-4)
    assert (est.design_effect, est.effective_n) == (1.0, 164)


def test_repeats_use_korn_graubard_clopper_pearson_on_the_effective_n() -> None:
    rng = np.random.default_rng(3)
    rates = rng.beta(2, 1, size=40)
    outcomes = rng.random((40, 10)) < rates[:, None]
    est = suite_interval(outcomes)
    means = outcomes.mean(axis=1)
    p, var = means.mean(), means.var(ddof=1) / 40
    assert est.method == "korn-graubard"
    assert est.mean == pytest.approx(p)
    assert est.effective_n == pytest.approx(p * (1 - p) / var)
    assert est.design_effect == pytest.approx(400 / est.effective_n)
    assert est.design_effect > 1  # heterogeneous cases: 400 samples are worth fewer independent ones
    # Korn & Graubard (1998): Clopper-Pearson at n* = n_eff (z / t_{n-1})^2, x* = p n*.
    n_star = est.effective_n * (st.norm.ppf(0.975) / st.t.ppf(0.975, 39)) ** 2
    x_star = p * n_star
    expected = (st.beta.ppf(0.025, x_star, n_star - x_star + 1), st.beta.ppf(0.975, x_star + 1, n_star - x_star))
    assert (est.ci_low, est.ci_high) == pytest.approx(expected)


def test_every_sample_passing_speaks_for_no_more_cases_than_the_suite_has() -> None:
    # Ten cases that always passed: with one repeat or a hundred, the population of cases like them could still
    # hold cases that always fail; the bound is the exact binomial one for ten cases (0.975^(1/10) ~ 0.692).
    for repeats in (1, 2, 100):
        est = suite_interval([[True] * repeats] * 10)
        bound = pytest.approx(0.025 ** (1 / 10), abs=0.04 if repeats == 1 else 1e-9)  # K = 1: Wilson
        assert est.ci_low == bound, repeats
    # Every case at the same rate: no spread to estimate the between-case variance from, so n_eff = n_cases.
    same = suite_interval([[True] * 8 + [False] * 2] * 10)
    assert same.effective_n == 10 and same.ci_low < 0.6
    # The suite's own cases: repeats alone narrow it (pooled Wilson on every sample).
    fixed = suite_interval([[True] * 100] * 10, question="these-cases")
    assert fixed.method == "pooled-wilson" and fixed.ci_low == pytest.approx(wilson_interval(1000, 1000)[0])
    two = suite_interval([[True, True], [True, True]], question="these-cases")
    assert two.ci_low == pytest.approx(wilson_interval(4, 4)[0])


def test_many_cases_use_the_clt_and_graded_few_use_the_bootstrap() -> None:
    rng = np.random.default_rng(4)
    big = rng.random((400, 3))
    est = suite_interval(big)
    means = big.mean(axis=1)
    half = st.t.ppf(0.975, 399) * means.std(ddof=1) / math.sqrt(400)
    assert est.method == "clt"
    assert (est.ci_low, est.ci_high) == pytest.approx((means.mean() - half, means.mean() + half))

    graded = rng.random((25, 2)).tolist()
    boot = suite_interval(graded, seed=1)
    assert boot.method == "bootstrap"
    assert boot.ci_low < boot.mean < boot.ci_high
    assert suite_interval(graded, seed=1) == boot  # seeded: reproducible
    # A 1-D list is one value per case, e.g. case pass rates.
    assert suite_interval([0.2, 0.4, 0.9, 1.0], method="clt").mean == pytest.approx(0.625)


def test_cluster_key_gives_cr1_errors_with_g_minus_1_df() -> None:
    rng = np.random.default_rng(5)
    outcomes = rng.random((30, 4)) < 0.6
    clusters = [f"doc{i // 3}" for i in range(30)]
    est = suite_interval(outcomes, clusters=clusters)
    x = outcomes.mean(axis=1)
    sums = np.array([np.sum(x[i : i + 3] - x.mean()) for i in range(0, 30, 3)])
    # Miller (2024) App. A, as in Inspect's stderr(cluster=): sqrt(G/(G-1) · Σ_g (Σ_i (x_i - x̄))²) / n.
    assert est.se == pytest.approx(math.sqrt(10 / 9 * np.sum(sums**2)) / 30)
    assert (est.method, est.n_clusters) == ("cluster-robust", 10)
    # Cases without a key are independent; one cluster for all has no between-cluster spread to estimate.
    assert suite_interval(outcomes, clusters=[None] * 30).method == "korn-graubard"
    assert suite_interval(outcomes, clusters=["one"] * 30).method == "korn-graubard"
    with pytest.raises(InsufficientDataError):
        suite_interval(outcomes, clusters=["one"] * 30, method="cluster-robust")


def test_errored_samples_and_cases_are_left_out() -> None:
    est = suite_interval([[True, None, False], [None, None], [True, True]])
    assert (est.n_cases, est.n_samples, est.mean) == (2, 4, 0.75)
    with pytest.raises(InsufficientDataError) as info:
        suite_interval([[None], [None]])
    assert isinstance(info.value, UserError)


# --- paired comparison -------------------------------------------------------------------------------------------


def _runs(a: list[list[bool]], b: list[list[bool]]) -> tuple[dict[str, list[bool]], dict[str, list[bool]]]:
    return {f"c{i}": r for i, r in enumerate(a)}, {f"c{i}": r for i, r in enumerate(b)}


def test_unaligned_runs_are_refused_naming_the_ids() -> None:
    with pytest.raises(UnalignedRunsError) as info:
        paired_compare({"a": [True], "b": [True]}, {"b": [True], "c": [False]})
    err = info.value
    assert (err.only_in_a, err.only_in_b) == (("a",), ("c",))
    assert "only in A: a" in str(err) and "only in B: c" in str(err)
    assert isinstance(err, ValueError) and isinstance(err, UserError)


def test_mcnemar_exact_matches_scipy_binomtest() -> None:
    # 10 cases; A passes all, B fails 2 (inspect_ai PR #3511's 1.0 vs 0.8 example): far from significant.
    a, b = _runs([[True]] * 10, [[True]] * 8 + [[False]] * 2)
    c = paired_compare(a, b)
    assert c.test == "mcnemar-exact"
    assert c.delta == pytest.approx(-0.2)
    assert c.p_value == pytest.approx(st.binomtest(0, 2, 0.5).pvalue) == pytest.approx(0.5)
    assert c.discordant == (0, 2)
    assert not c.significant(0.05)
    assert c.ci_low < c.delta < c.ci_high


def test_mcnemar_chi_square_with_continuity_when_many_discordant() -> None:
    # 40 B-only passes, 20 A-only passes, 100 concordant.
    a, b = _runs([[False]] * 40 + [[True]] * 20 + [[True]] * 60 + [[False]] * 40,
                 [[True]] * 40 + [[False]] * 20 + [[True]] * 60 + [[False]] * 40)  # fmt: skip
    c = paired_compare(a, b)
    assert c.test == "mcnemar"
    assert c.p_value == pytest.approx(st.chi2.sf((abs(40 - 20) - 1) ** 2 / 60, 1))
    assert c.delta == pytest.approx(20 / 160)
    assert c.significant(0.05)
    assert -1 <= c.ci_low < c.delta < c.ci_high <= 1


def test_pairing_beats_an_unpaired_test_on_correlated_data() -> None:
    # 200 cases, B fixes 12 that A failed and breaks 2: McNemar sees it, an unpaired two-proportion z test doesn't.
    a, b = _runs([[False]] * 12 + [[True]] * 2 + [[True]] * 150 + [[False]] * 36,
                 [[True]] * 12 + [[False]] * 2 + [[True]] * 150 + [[False]] * 36)  # fmt: skip
    c = paired_compare(a, b)
    pa, pb = 152 / 200, 162 / 200
    pooled = (pa + pb) / 2
    z = (pb - pa) / math.sqrt(pooled * (1 - pooled) * 2 / 200)
    assert 2 * st.norm.sf(z) > 0.05
    assert c.p_value < 0.05


def test_repeats_use_a_paired_t_on_case_means() -> None:
    rng = np.random.default_rng(6)
    rates = rng.beta(3, 1, size=50)
    a = {f"c{i}": list(rng.random(5) < r) for i, r in enumerate(rates)}
    b = {f"c{i}": list(rng.random(5) < r - 0.1) for i, r in enumerate(rates)}
    c = paired_compare(a, b)
    ma = np.array([np.mean(a[f"c{i}"]) for i in range(50)])
    mb = np.array([np.mean(b[f"c{i}"]) for i in range(50)])
    ref = st.ttest_rel(mb, ma)
    assert c.test == "paired-t"
    assert c.p_value == pytest.approx(ref.pvalue)
    assert c.delta == pytest.approx(mb.mean() - ma.mean())
    assert c.se == pytest.approx((mb - ma).std(ddof=1) / math.sqrt(50))


def test_cluster_paired_uses_cluster_sums_of_differences() -> None:
    rng = np.random.default_rng(7)
    a = {f"c{i}": list(rng.random(3) < 0.6) for i in range(40)}
    b = {f"c{i}": list(rng.random(3) < 0.5) for i in range(40)}
    clusters = {f"c{i}": f"g{i % 8}" for i in range(40)}
    c = paired_compare(a, b, clusters=clusters)
    d = np.array([np.mean(b[f"c{i}"]) - np.mean(a[f"c{i}"]) for i in range(40)])
    sums = np.array([np.sum(d[g::8] - d.mean()) for g in range(8)])
    se = math.sqrt(8 / 7 * np.sum(sums**2)) / 40
    assert (c.test, c.n_clusters) == ("cluster-paired", 8)
    assert c.se == pytest.approx(se)
    assert c.p_value == pytest.approx(2 * st.t.sf(abs(d.mean()) / se, 7))


def test_graded_scores_use_a_seeded_paired_bootstrap() -> None:
    rng = np.random.default_rng(8)
    base = rng.random(60)
    a = {f"c{i}": [float(v)] for i, v in enumerate(base)}
    b = {f"c{i}": [float(min(1.0, v + 0.1 + rng.normal(0, 0.05)))] for i, v in enumerate(base)}
    c = paired_compare(a, b, seed=2)
    assert c.test == "paired-bootstrap"
    assert c.ci_low > 0 and c.significant()
    assert paired_compare(a, b, seed=2) == c


def test_cases_without_scores_in_one_run_are_excluded_and_listed() -> None:
    a = {"x": [True], "y": [None], "z": [False], "w": [True]}
    b = {"x": [True], "y": [True], "z": [True], "w": [False]}
    c = paired_compare(a, b)
    assert c.excluded == ("y",) and c.n_pairs == 3


# --- multiplicity -------------------------------------------------------------------------------------------------

BH_1995 = [0.0001, 0.0004, 0.0019, 0.0095, 0.0201, 0.0278, 0.0298, 0.0344, 0.0459, 0.3240, 0.4262, 0.5719, 0.6528,
           0.7590, 1.000]  # fmt: skip
"""Benjamini & Hochberg (1995), section 4: 15 p-values; BH at q = 0.05 rejects 4, Bonferroni-type methods 3."""


def test_holm_and_bh_on_the_textbook_example() -> None:
    assert sum(p <= 0.05 for p in benjamini_hochberg(BH_1995)) == 4
    assert sum(p <= 0.05 for p in holm(BH_1995)) == 3
    assert benjamini_hochberg(BH_1995) == pytest.approx(list(st.false_discovery_control(BH_1995)))
    # R: p.adjust(c(.01, .02, .03, .04, .05), "holm") and "BH".
    assert holm([0.01, 0.02, 0.03, 0.04, 0.05]) == pytest.approx([0.05, 0.08, 0.09, 0.09, 0.09])
    assert benjamini_hochberg([0.05, 0.01, 0.03, 0.02, 0.04]) == pytest.approx([0.05] * 5)
    assert holm([0.04, 0.01]) == pytest.approx([0.04, 0.02])  # input order is kept
    with pytest.raises(ValueError):
        holm([1.5])


def test_compare_by_tag_adjusts_across_tags() -> None:
    a, b = _runs([[False]] * 30 + [[True]] * 30, [[True]] * 30 + [[True]] * 30)
    tags = {f"c{i}": (["math"] if i < 30 else ["chat"]) + ["all"] for i in range(60)}
    result = compare_by_tag(a, b, tags, adjust="holm")
    assert set(result) == {"all", "chat", "math"}
    raw = [result[t].p_value for t in result]
    assert [result[t].p_adjusted for t in result] == pytest.approx(holm(raw))
    assert result["math"].significant() and not result["chat"].significant()
    assert result["math"].adjustment == "holm"
    bh = compare_by_tag(a, b, tags, adjust="bh")
    assert [bh[t].p_adjusted for t in bh] == pytest.approx(benjamini_hochberg(raw))


# --- planning -----------------------------------------------------------------------------------------------------


def test_variance_components_match_balanced_anova() -> None:
    y = np.array([[1, 1, 1, 0], [0, 0, 1, 0], [1, 1, 1, 1], [0, 1, 0, 1], [0, 0, 0, 0]], dtype=float)
    vc = variance_components(y)
    within = np.mean(y.var(axis=1, ddof=1))
    between = y.mean(axis=1).var(ddof=1) - within / 4
    assert vc.within_var == pytest.approx(within)
    assert vc.between_var == pytest.approx(between)
    assert vc.icc == pytest.approx(between / (between + within))
    with pytest.raises(InsufficientDataError):
        variance_components([[True], [False], [True]])  # no repeats: can't split


def test_power_for_grows_with_cases_and_repeats_and_matches_the_normal_limit() -> None:
    p1 = power_for(100, 5, effect=0.05, within_var=0.15)
    assert p1 < power_for(200, 5, effect=0.05, within_var=0.15)
    assert p1 < power_for(100, 10, effect=0.05, within_var=0.15)
    se = math.sqrt(2 * 0.15 / 5 / 2000)
    assert power_for(2000, 5, effect=0.05, within_var=0.15) == pytest.approx(
        st.norm.sf(1.959964 - 0.05 / se) + st.norm.cdf(-1.959964 - 0.05 / se), abs=2e-3
    )


def test_plan_recommends_the_cheapest_design_that_reaches_the_power() -> None:
    rng = np.random.default_rng(9)
    pilot = rng.random((80, 5)) < rng.beta(3, 1, size=80)[:, None]
    plan = plan_from_pilot(pilot, effect=0.05, power=0.8, cost_per_case=4.0, max_repeats=12)
    assert len(plan.rows) == 12
    for row in plan.rows:
        assert row.power >= 0.8
        if row.n_cases > 2:
            smaller = power_for(row.n_cases - 1, row.repeats, effect=0.05, within_var=plan.components.within_var)
            assert smaller < 0.8  # the fewest cases that reach the target
        assert row.unpaired_n_cases > row.n_cases  # pairing removes the between-case variance
    assert plan.recommended == min(plan.rows, key=lambda r: r.cost)
    assert plan.recommended is not None and plan.recommended.repeats > 1  # cases cost extra, so repeats pay
    free_cases = plan_from_pilot(pilot, cost_per_case=0.0, max_repeats=12)
    assert free_cases.recommended is not None and free_cases.recommended.repeats == 1
    scarce = plan_from_pilot(pilot, cost_per_case=0.0, max_repeats=12, max_cases=300)
    assert scarce.recommended is not None and scarce.recommended.n_cases <= 300
    assert scarce.recommended.repeats > 1
    none_fit = plan_from_pilot(pilot, max_repeats=2, max_cases=10)
    assert none_fit.recommended is None and none_fit.notes


# --- invariants on arbitrary inputs -------------------------------------------------------------------------------

_case = st_h.lists(st_h.one_of(st_h.booleans(), st_h.none()), min_size=1, max_size=6)


@given(st_h.lists(_case, min_size=1, max_size=12), st_h.sampled_from([0.8, 0.95, 0.99]))
@settings(max_examples=200, deadline=None)
def test_suite_interval_is_well_formed_on_any_pass_fail_input(cases: list[list[bool | None]], conf: float) -> None:
    try:
        est = suite_interval(cases, confidence=conf)
    except InsufficientDataError:
        scored = [c for c in cases if any(v is not None for v in c)]
        assert len(scored) < 2
        return
    assert 0.0 <= est.ci_low <= est.mean <= est.ci_high <= 1.0
    assert est.n_cases >= 1 and est.design_effect > 0
    assert est.effective_n == pytest.approx(est.n_samples / est.design_effect)


@given(st_h.lists(st_h.tuples(_case, _case), min_size=2, max_size=12))
@settings(max_examples=200, deadline=None)
def test_paired_compare_is_well_formed_on_any_pass_fail_input(pairs: list[tuple[list[bool | None], ...]]) -> None:
    a = {f"c{i}": p[0] for i, p in enumerate(pairs)}
    b = {f"c{i}": p[1] for i, p in enumerate(pairs)}
    try:
        c = paired_compare(a, b)
    except InsufficientDataError:
        return
    assert -1.0 <= c.ci_low <= c.delta <= c.ci_high <= 1.0
    assert 0.0 <= c.p_value <= 1.0 and c.n_pairs + len(c.excluded) == len(pairs)


def test_one_case_compares_its_repeats_as_independent_proportions() -> None:
    from scipy import stats as reference

    a = {"only": [True] * 18 + [False] * 2}
    b = {"only": [True] * 9 + [False] * 11}
    result = paired_compare(a, b)
    assert result.test == "fisher-exact" and result.n_pairs == 1
    assert result.delta == pytest.approx(0.45 - 0.9)
    assert result.p_value == pytest.approx(reference.fisher_exact([[9, 11], [18, 2]]).pvalue)
    assert result.ci_low < result.delta < result.ci_high < 0  # a real drop: the interval excludes zero
