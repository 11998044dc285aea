"""Sequential (early-stopping) gates: anytime-valid confidence sequences for the suite's pass rate over its cases.

A fixed-size gate computes its interval once, after every sample is drawn; looking at it after every round and
stopping when it clears the bar would inflate false alarms (every look is another chance for noise to cross). A
confidence sequence is an interval that holds at every round at once, so a run may stop at the first round where
it decides the gate, and the chance of a wrong verdict stays below 1 - confidence.

The quantity is the pass rate over *these* cases, θ = the mean over the suite's cases of each case's pass
probability (the "these cases" question: repeats are the only randomness). The construction is testing by betting
(Waudby-Smith & Ramdas 2023, "Estimating means of bounded random variables by betting", JRSS-B), extended to a
round of independent samples with different means: for a candidate m, each round bets a fraction λ (fixed before
the round) on every sample, and the capital Π (1 + λ (x - m)) of a round has expectation Π_i (1 + λ (p_i - m)) ≤
(1 + λ (θ - m))^n ≤ 1 when θ ≤ m (the arithmetic-geometric mean inequality), so it is a nonnegative supermartingale
under the null and Ville's inequality bounds the chance it ever reaches 1/α. The hedged capital (half on θ > m,
half on θ < m) gives the two-sided sequence; λ follows the predictable plug-in rule of the paper (its eq. 26),
truncated at c/m so no bet can lose everything.

Every round draws every case. A case is not stopped on its own once it looks settled: the gate answers one
question about the suite, and a round that left out the cases already "decided" would have a mean other than θ
(the always-failing cases settle first, so the sequence would drift above θ and pass suites that fall short;
bench/eval_sequential.py measures it).

Pure functions of the outcomes; the runner calls `SequentialGate.decide` after each round.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Literal

import numpy as np
from msgspec import Struct

_GRID = np.linspace(0.0, 1.0, 2001)
_TRUNCATION = 0.75
"""c in the bet's truncation λ ≤ c/m: the paper's recommended 1/2 to 3/4."""

Verdict = Literal["pass", "fail"]


class SequentialBounds(Struct, frozen=True):
    """The confidence sequence after `rounds` rounds over `samples` scored samples: θ is in [low, high] at every
    round at once, with probability at least the confidence."""

    low: float
    high: float
    rounds: int
    samples: int


def confidence_sequence(rounds: Sequence[Sequence[bool]], *, confidence: float = 0.95) -> SequentialBounds:
    """The betting confidence sequence for θ after the given rounds (each a list of pass/fail outcomes, one per
    case that was sampled in that round; errored samples left out), intersected over the rounds so far."""
    alpha = 1.0 - confidence
    threshold = math.log(1.0 / alpha)
    log_up = np.zeros_like(_GRID)
    log_down = np.zeros_like(_GRID)
    low, high = 0.0, 1.0
    seen = passes = 0
    square_sum = 0.0
    with np.errstate(divide="ignore"):
        cap_up = np.where(_GRID > 0, _TRUNCATION / _GRID, np.inf)
        cap_down = np.where(_GRID < 1, _TRUNCATION / (1.0 - _GRID), np.inf)
    for outcomes in rounds:
        s = sum(1 for o in outcomes if o)
        f = len(outcomes) - s
        if s + f == 0:
            continue
        # The bet is fixed before the round, from what earlier rounds showed (predictable plug-in, eq. 26).
        variance = (0.25 + square_sum) / (seen + 1)
        after = seen + s + f
        bet = math.sqrt(2.0 * math.log(2.0 / alpha) / (variance * after * math.log(1.0 + after)))
        up, down = np.minimum(bet, cap_up), np.minimum(bet, cap_down)
        log_up += s * np.log1p(up * (1.0 - _GRID)) + f * np.log1p(-up * _GRID)
        log_down += s * np.log1p(-down * (1.0 - _GRID)) + f * np.log1p(down * _GRID)
        hedged = np.logaddexp(log_up, log_down) - math.log(2.0)
        kept = _GRID[hedged < threshold]
        if kept.size:
            step = _GRID[1] - _GRID[0]
            low, high = max(low, float(kept.min()) - step), min(high, float(kept.max()) + step)
        # The running variance estimate (with the paper's 1/2 and 1/4 priors), updated once per round: it only
        # tunes the next bet, so validity does not depend on it.
        mean = (0.5 + passes) / (seen + 1)
        square_sum += s * (1.0 - mean) ** 2 + f * mean**2
        seen += s + f
        passes += s
    return SequentialBounds(low=float(max(0.0, low)), high=float(min(1.0, high)), rounds=len(rounds), samples=seen)


class SequentialGate(Struct, frozen=True):
    """Stop a run as soon as the pass rate over these cases is shown to be at least `threshold` (pass) or below it
    (fail), at `confidence`; at the last round without a decision the gate fails, as a fixed gate does when its
    lower bound is short of the bar."""

    threshold: float
    confidence: float = 0.95

    def decide(self, rounds: Sequence[Sequence[bool]]) -> tuple[Verdict | None, SequentialBounds]:
        """The verdict after these rounds (None: not decided yet) and the sequence's bounds."""
        bounds = confidence_sequence(rounds, confidence=self.confidence)
        if bounds.low >= self.threshold:
            return "pass", bounds
        if bounds.high < self.threshold:
            return "fail", bounds
        return None, bounds

    def as_dict(self) -> dict[str, float | str]:
        """What the run log header records, so a resume applies the same rule."""
        return {"method": "betting-cs", "threshold": self.threshold, "confidence": self.confidence}


__all__ = ["SequentialBounds", "SequentialGate", "Verdict", "confidence_sequence"]
