"""`--sequential` by simulation: wrong verdicts near α, the samples saved on clear passes and failures, and why a
case is not stopped on its own.

    .venv/bin/python bench/eval_sequential.py [--sims 400] [--cases 100] [--rounds 25] [--threshold 0.9]

Each simulated run has `--cases` cases with fixed pass probabilities and up to `--rounds` rounds (every case once a
round, as `aiwell eval run --sequential` draws them); after each round the gate (aiwell.eval.sequential, 95%)
decides or goes on.

1. At the threshold (half the cases always pass, half pass so that the mean is exactly the threshold): the share of
   runs that pass, which must stay at or below α = 0.05 however often the gate peeks.
2. Clear passes (mean 0.98) and clear failures (mean 0.75): the verdicts, and the rounds and samples used.
3. Per-case stopping, as it would have to work: a case stops once its own confidence sequence is wholly above or
   below the threshold, and later rounds draw only the cases still running. On a suite just below the threshold
   whose failing cases always fail, those cases are "decided" within a few rounds, the rounds after them hold only
   the cases that pass, and the gate passes a suite whose pass rate is below the threshold: the wrong-verdict rate
   is printed beside the gate's own.
"""

from __future__ import annotations

import argparse

import numpy as np

from aiwell.eval.sequential import SequentialGate, confidence_sequence


def run_gate(rates: np.ndarray, rounds: int, gate: SequentialGate, rng: np.random.Generator, *,
             per_case: bool = False) -> tuple[str | None, int, int]:
    """One simulated sequential run: (verdict, rounds used, samples drawn)."""
    history: list[list[bool]] = []
    per_case_history: list[list[list[bool]]] = [[] for _ in rates]
    running = np.ones(rates.size, dtype=bool)
    drawn = 0
    verdict = None
    for _ in range(rounds):
        draws = rng.random(rates.size) < rates
        history.append([bool(v) for v, on in zip(draws, running, strict=True) if on])
        drawn += int(running.sum())
        if per_case:
            for i in np.flatnonzero(running):
                per_case_history[i].append([bool(draws[i])])
                own = confidence_sequence(per_case_history[i], confidence=gate.confidence)
                if own.low >= gate.threshold or own.high < gate.threshold:
                    running[i] = False  # this case's own answer is decided
        verdict, _ = gate.decide(history)
        if verdict is not None or not running.any():
            break
    return verdict, len(history), drawn


def main() -> None:
    """Run the three simulations and print what they show."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sims", type=int, default=400)
    parser.add_argument("--cases", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=25)
    parser.add_argument("--threshold", type=float, default=0.9)
    args = parser.parse_args()
    rng = np.random.default_rng(2024)
    gate = SequentialGate(args.threshold)
    planned = args.cases * args.rounds
    print(f"{args.sims} simulated runs each, {args.cases} cases x up to {args.rounds} rounds, threshold "
          f"{args.threshold}, confidence {gate.confidence}")

    at_threshold = []
    for _ in range(args.sims):
        rates = np.where(rng.random(args.cases) < 0.5, 1.0, 0.8)
        at_threshold.append(run_gate(rates * args.threshold / rates.mean(), args.rounds, gate, rng)[0])
    print(f"1. true pass rate = threshold: passed {np.mean([v == 'pass' for v in at_threshold]):.3f} of runs "
          f"(must be at most α = {1 - gate.confidence:.2f})")

    for label, truth in (("clear pass", 0.98), ("clear failure", 0.75)):
        outcomes = [run_gate(np.clip(rng.normal(truth, 0.02, args.cases), 0, 1), args.rounds, gate, rng)
                    for _ in range(args.sims)]
        right = "pass" if truth > args.threshold else "fail"
        used = np.mean([o[2] for o in outcomes])
        print(f"2. {label} (mean {truth}): verdict {right} in {np.mean([o[0] == right for o in outcomes]):.3f} of "
              f"runs, mean rounds {np.mean([o[1] for o in outcomes]):.1f} of {args.rounds}, samples "
              f"{used:,.0f} of {planned:,} ({1 - used / planned:.0%} saved)")

    whole, per_case = [], []
    # A suite just below the threshold: the cases that fail always fail, the others always pass.
    failing = np.arange(args.cases) < int(np.ceil((1 - args.threshold + 0.01) * args.cases))
    rates = np.where(failing, 0.0, 1.0)
    for _ in range(args.sims):
        whole.append(run_gate(rates, args.rounds, gate, rng)[0])
        per_case.append(run_gate(rates, args.rounds, gate, rng, per_case=True)[0])
    print(f"3. a suite at {rates.mean():.2f}, below the threshold, whose failing cases always fail: wrongly passed "
          f"{np.mean([v == 'pass' for v in whole]):.3f} of runs with the gate as it is, "
          f"{np.mean([v == 'pass' for v in per_case]):.3f} when each case stops once its own answer is decided")

if __name__ == "__main__":
    main()
