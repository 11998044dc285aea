"""`balance`: the label's classes (`--label COL`): their shares, the minority's count, the ratio of the largest
class to the smallest, and rows without a label."""

from __future__ import annotations

from collections.abc import Iterable

from aiwell.data.facets import Context, Findings, count, facet, percent
from aiwell.data.model import Finding, Severity

IMBALANCE_RATIO = 10.0
"""Largest class over smallest above which training and evaluation need care (stratify, reweight, per-class
metrics)."""


@facet("balance")
def balance(context: Context) -> Iterable[Finding]:
    """Class shares and minority count of the label."""
    findings = Findings("balance")
    label = context.options.label
    if label is None:
        return findings.items
    for dataset, profile in context.readable:
        if profile.documents is not None:
            continue
        column = profile.column(label)
        if column is None:
            findings.unknown("class-balance", dataset.label, label, Severity.HIGH,
                             f"no column {label!r} (--label): balance and label leakage not measured")
            continue
        if column.nulls:
            findings.failed("missing-labels", dataset.label, column.name, Severity.MEDIUM,
                            f"{count(column.nulls)} rows ({percent(column.null_share)}) have no label: label them "
                            "or leave them out", value=column.null_share)
        if column.categories is None:
            findings.unknown("class-balance", dataset.label, column.name, Severity.LOW,
                             f"{label!r} has too many distinct values for classes (a continuous target?): class "
                             "balance applies to class labels")
            continue
        classes = sorted(column.categories.items(), key=lambda kv: (-kv[1], kv[0]))
        total = sum(n for _, n in classes)
        if len(classes) < 2:
            findings.failed("class-balance", dataset.label, column.name, Severity.HIGH,
                            f"the label has {len(classes)} class{'es' if len(classes) != 1 else ''}: nothing to "
                            "learn to tell apart", value=float(len(classes)))
            continue
        shares = ", ".join(f"{k!r} {percent(n / total)}" for k, n in classes[:6]) + (
            f", and {len(classes) - 6} more" if len(classes) > 6 else "")
        minority, smallest = classes[-1]
        ratio = classes[0][1] / smallest
        message = (f"{len(classes)} classes: {shares}; the smallest, {minority!r}, has {count(smallest)} rows "
                   f"(ratio {ratio:.1f}:1)")
        if ratio > IMBALANCE_RATIO:
            findings.failed("class-balance", dataset.label, column.name, Severity.MEDIUM,
                            message + ": stratify the splits, reweight or resample, and report per-class metrics "
                            "(accuracy hides the minority)", value=ratio)
        else:
            findings.passed("class-balance", dataset.label, column.name, message, severity=Severity.MEDIUM,
                            value=ratio)
    return findings.items
