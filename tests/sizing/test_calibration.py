"""The calibration suite: every published measurement falls inside the band the calculator gives for its setup,
and the stored factors are what a refit of those measurements gives."""

from __future__ import annotations

import pytest

from aiwell.sizing import calibration
from aiwell.sizing.estimate import builtin_factors

CHECKS = calibration.check_points()


@pytest.mark.parametrize("check", CHECKS, ids=[c.id for c in CHECKS])
def test_published_value_inside_its_band(check: calibration.PointCheck) -> None:
    assert check.p10 <= check.p50 <= check.p90
    assert check.inside, (f"{check.id}: published {check.published} outside p10 {check.p10} – p90 {check.p90} "
                          f"({check.source})")


def test_every_regime_is_calibrated_on_several_points() -> None:
    rows = {row["regime"]: row for row in calibration.summarise(CHECKS)}
    assert rows["inference"]["points"] >= 30
    assert rows["training"]["points"] >= 7
    assert rows["ptu"]["points"] >= 3
    assert rows["inference"]["median_abs_error"] < 0.2  # the p50 is close, not just the band wide


def test_stored_factors_are_a_refit_of_the_measurements() -> None:
    stored = builtin_factors()
    refit = calibration.fit_builtin()
    for name in ("prefill_efficiency", "decode_compute_efficiency", "bandwidth_efficiency", "layer_overhead_us"):
        assert getattr(refit.inference, name) == pytest.approx(getattr(stored.inference, name), rel=0.01), name
    for band in ("ttft", "tpot", "throughput"):
        assert getattr(refit.inference, band).p90 == pytest.approx(getattr(stored.inference, band).p90, rel=0.01)
    assert refit.mfu.p50 == pytest.approx(stored.mfu.p50, rel=0.001)
    assert refit.ptu_shape.p90 == pytest.approx(stored.ptu_shape.p90, rel=0.001)


def test_the_mfu_fitted_to_llama_runs_is_in_the_published_band() -> None:
    mfu = builtin_factors().mfu
    assert 0.35 < mfu.p10 < mfu.p50 < mfu.p90 < 0.6  # LLaMA ~48%, Llama 3.1 405B 38–43%
