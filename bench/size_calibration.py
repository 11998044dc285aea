"""Calibration error of `aiwell size`, per regime: every published measurement in
src/aiwell/sizing/data/measurements.yaml against the p10/p50/p90 the calculator gives for its setup, plus a
leave-one-out check of the inference bands (refit without a point, then see whether it falls in its band).

    .venv/bin/python bench/size_calibration.py            # print the errors
    .venv/bin/python bench/size_calibration.py --points   # and every point
    .venv/bin/python bench/size_calibration.py --write    # refit and store data/factors.yaml

No timings here: the figures are errors, the same on any machine.
"""

from __future__ import annotations

import argparse
import math
import sys
from importlib import resources
from pathlib import Path

import yaml
from msgspec.structs import replace

from aiwell.sizing import calibration
from aiwell.sizing.estimate import builtin_factors

_HEADER = ("# Efficiency factors fitted to data/measurements.yaml by `python bench/size_calibration.py --write`.\n"
           "# Do not edit by hand: tests/sizing/test_calibration.py checks that a refit gives these values.\n")


def leave_one_out() -> tuple[int, int]:
    """(inference points inside the band fitted without them, inference points)."""
    factors = builtin_factors()
    points = calibration.inference_points()
    inside = 0
    for index, point in enumerate(points):
        rest = points[:index] + points[index + 1:]
        fitted = replace(factors, inference=calibration.fit_inference(rest, factors))
        value = calibration.model_value(point, fitted)
        band = getattr(fitted.inference, calibration.INFERENCE_CLASSES[point["metric"]])
        low, high = sorted((value * band.p10, value * band.p90))
        inside += low <= float(point["value"]) <= high
    return inside, len(points)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--points", action="store_true", help="print every point")
    parser.add_argument("--write", action="store_true", help="refit and write data/factors.yaml")
    parser.add_argument("--no-loo", action="store_true", help="skip the leave-one-out check")
    args = parser.parse_args()
    if args.write:
        fitted = calibration.fit_builtin()
        path = Path(str(resources.files("aiwell.sizing").joinpath("data/factors.yaml")))
        path.write_text(_HEADER + yaml.safe_dump(fitted.to_dict(), sort_keys=False), encoding="utf-8")
        builtin_factors.cache_clear()
        print(f"wrote {path}")
    factors = builtin_factors()
    checks = calibration.check_points(factors)
    if args.points:
        for check in checks:
            mark = "in " if check.inside else "OUT"
            print(f"{mark} {check.regime:18s} {check.id:58s} published {check.published:>12,.2f}  "
                  f"p10 {check.p10:>12,.2f}  p50 {check.p50:>12,.2f}  p90 {check.p90:>12,.2f}  "
                  f"p50 error {check.error:+6.1%}")
        print()
    params = factors.inference
    print(f"inference factors: prefill {params.prefill_efficiency:.3f}, decode compute "
          f"{params.decode_compute_efficiency:.3f}, bandwidth {params.bandwidth_efficiency:.3f}, per-layer "
          f"{params.layer_overhead_us:.0f} µs; llama.cpp prefill {params.llamacpp_prefill_efficiency:.3f}, per-layer "
          f"{params.llamacpp_layer_overhead_us:.0f} µs; MFU {factors.mfu.p10:.3f}/{factors.mfu.p50:.3f}/"
          f"{factors.mfu.p90:.3f}")
    print(f"{'regime':20s} {'points':>6s} {'inside band':>11s} {'median |p50 error|':>19s} {'max |p50 error|':>16s}")
    for row in calibration.summarise(checks):
        print(f"{row['regime']:20s} {row['points']:>6d} {row['inside']:>11d} {row['median_abs_error']:>19.1%} "
              f"{row['max_abs_error']:>16.1%}")
    if not args.no_loo:
        inside, total = leave_one_out()
        print(f"inference leave-one-out: {inside} of {total} points inside the band fitted without them "
              f"({inside / total:.0%})")
    excluded = calibration.measurements()["excluded"]
    for item in excluded:
        print(f"excluded: {item['id']}: {item['reason']}")
    return 0 if all(c.inside for c in checks) and all(math.isfinite(c.p50) for c in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
