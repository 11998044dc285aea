"""`leakage`: what lets a model look better in testing than it will be in production: a column that gives the
label away (`--label`), rows the test split (`--test`) shares with the training data, and training data later
than the test period (time leakage)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

import numpy as np
from msgspec import Struct

from aiwell.data.facets import Context, Findings, count, facet, percent
from aiwell.data.model import ColumnProfile, Finding, Severity, TableProfile

PROXY_ERROR_REDUCTION = 0.95
"""A column gives the label away when predicting from it alone (held out) removes this share of the errors of
always guessing the majority class."""
PROXY_CORRELATION = 0.99
MIN_ROWS = 50
_BINS = 20


def _keys(features: Sequence[Any], numeric: bool) -> np.ndarray:
    """The values as an array the folds can bin or look up: floats (NaN for missing) for numbers, else each
    value's text as an integer key, missing values -1."""
    if numeric:
        return np.array(features, dtype=np.float64)  # None becomes NaN
    seen: dict[str, int] = {}
    return np.array([-1 if v is None else seen.setdefault(str(v), len(seen)) for v in features], dtype=np.int64)


def _codes(keys: np.ndarray, numeric: bool, train: np.ndarray) -> np.ndarray:
    """Each value's key as an integer: its text's key, or for numbers its bin among 20 quantile bins of the
    training fold's values; missing (and non-finite) values share one key of their own (-1)."""
    if not numeric:
        return keys
    finite = np.isfinite(keys)
    present = keys[train][finite[train]]
    if present.size == 0:
        return np.full(keys.size, -1, dtype=np.int64)
    edges = np.unique(np.quantile(present, np.linspace(0, 1, _BINS + 1)))[1:-1]
    codes = np.searchsorted(edges, np.where(finite, keys, 0.0), side="right").astype(np.int64)
    return np.where(finite, codes, -1)


class _Labels(Struct, frozen=True):
    """The labels of the sample, encoded once for every column compared with them."""

    kept: list[int]
    """Rows with a label."""
    classes: int
    codes: np.ndarray


def _labels(labels: Sequence[Any]) -> _Labels | None:
    kept = [i for i, y in enumerate(labels) if y is not None]
    if len(kept) < MIN_ROWS:
        return None
    classes, y = np.unique(np.array([str(labels[i]) for i in kept]), return_inverse=True)
    if classes.size < 2:
        return None
    return _Labels(kept, int(classes.size), y)


def held_out_accuracy(features: Sequence[Any], labels: Sequence[Any], *, numeric: bool) -> tuple[float, float] | None:
    """Accuracy, on two-fold cross-validation, of predicting the label from one column alone (the majority label
    of each value, or of each of 20 quantile bins for numbers), and the accuracy of always guessing the majority.
    A column that only identifies rows (an id) scores no better than the guess: its values in one fold are unseen
    in the other."""
    encoded = _labels(labels)
    return None if encoded is None else _held_out(features, encoded, numeric=numeric)


def _held_out(features: Sequence[Any], labels: _Labels, *, numeric: bool) -> tuple[float, float]:
    kept, y = labels.kept, labels.codes
    keys = _keys(features if len(kept) == len(features) else [features[i] for i in kept], numeric)
    index = np.arange(len(kept))
    right = guessed = 0
    for train, test in ((index[0::2], index[1::2]), (index[1::2], index[0::2])):
        mask = np.zeros(len(kept), dtype=bool)
        mask[train] = True
        codes = _codes(keys, numeric, mask) + 1  # the missing key -1 becomes 0
        size = int(codes.max()) + 1
        votes = np.bincount(codes[train] * labels.classes + y[train],
                            minlength=size * labels.classes).reshape(size, labels.classes)
        fallback = int(np.argmax(np.bincount(y[train], minlength=labels.classes)))
        seen = votes[codes[test]]
        predicted = np.where(seen.sum(axis=1) > 0, np.argmax(seen, axis=1), fallback)
        right += int(np.sum(predicted == y[test]))
        guessed += int(np.sum(y[test] == fallback))
    return right / len(kept), guessed / len(kept)


def _spearman(features: Sequence[Any], labels: Sequence[Any]) -> float | None:
    from scipy.stats import spearmanr

    pairs = [(float(f), float(y)) for f, y in zip(features, labels, strict=True)
             if f is not None and y is not None and math.isfinite(float(f)) and math.isfinite(float(y))]
    if len(pairs) < MIN_ROWS:
        return None
    x, y = zip(*pairs, strict=True)
    if len(set(x)) < 2 or len(set(y)) < 2:
        return None
    return float(abs(spearmanr(x, y).statistic))


def _sampled(profile: TableProfile, name: str) -> list[Any]:
    """The column's values in the sample's rows (every row of an engine's sample has every column)."""
    try:
        return [row[name] for row in profile.sample]
    except KeyError:
        return [row.get(name) for row in profile.sample]


def _proxies(findings: Findings, dataset: str, profile: TableProfile, label: ColumnProfile) -> None:
    labels = _sampled(profile, label.name)
    encoded = _labels(labels) if label.categories is not None else None
    flagged = 0
    for column in profile.columns:
        if column.name == label.name or not column.non_null:
            continue
        features = _sampled(profile, column.name)
        if label.categories is not None:
            if encoded is None:
                continue
            numeric = (column.kind.numeric or column.kind.temporal) and column.categories is None
            if column.kind.temporal:
                features = [None if f is None else _epoch(f) for f in features]
            right, guess = _held_out(features, encoded, numeric=numeric)
            score = 1 - (1 - right) / (1 - guess) if guess < 1 else 0.0
            what = f"held-out accuracy {right:.3f}, against {guess:.3f} guessing the majority class"
            threshold = PROXY_ERROR_REDUCTION
        elif column.kind.numeric and label.kind.numeric:
            correlation = _spearman(features, labels)
            if correlation is None:
                continue
            score, threshold, what = correlation, PROXY_CORRELATION, f"rank correlation {correlation:.3f}"
        else:
            continue
        if score >= threshold:
            flagged += 1
            findings.failed("label-proxy", dataset, column.name, Severity.HIGH,
                            f"predicts {label.name!r} almost perfectly on its own ({what}, on a "
                            f"{count(len(profile.sample))}-row sample): if it is derived from the label or not known "
                            "at prediction time, drop it", value=score, approximate=True)
    if not flagged:
        findings.passed("label-proxy", dataset, None,
                        f"no column predicts {label.name!r} almost perfectly on its own", severity=Severity.HIGH,
                        approximate=True)


def _epoch(value: Any) -> float:
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).timestamp()
    return datetime(value.year, value.month, value.day, tzinfo=UTC).timestamp()


@facet("leakage")
def leakage(context: Context) -> Iterable[Finding]:
    """Label proxies, rows shared between training and test, time leakage."""
    findings = Findings("leakage")
    options = context.options
    test = context.test
    for dataset, profile in context.readable:
        if options.label is not None and profile.documents is None:
            label = profile.column(options.label)
            if label is not None:
                _proxies(findings, dataset.label, profile, label)
        if test is None or test.profile is None or dataset.handle is None or test.handle is None:
            continue
        common = [c.name for c in profile.columns if test.profile.column(c.name) is not None]
        if not common:
            findings.unknown("shared-rows", dataset.label, None, Severity.HIGH,
                             f"the test data ({test.label}) has no column in common with this data")
            continue
        shared = context.engine.shared_rows(dataset.handle, test.handle, common)
        share = shared / test.profile.rows if test.profile.rows else 0.0
        if shared:
            findings.failed("shared-rows", dataset.label, None, Severity.HIGH,
                            f"{count(shared)} rows of the test data ({percent(share)}) also appear in this "
                            "(training) data: test scores will be too good; split before deduplicating, by entity "
                            "or by time", value=share)
        else:
            findings.passed("shared-rows", dataset.label, None,
                            f"no row of the test data ({count(test.profile.rows)} rows) appears in this data",
                            severity=Severity.HIGH)
        _time_leakage(context, findings, dataset.label, profile, test.profile, dataset.handle)
    return findings.items


def _time_leakage(context: Context, findings: Findings, dataset: str, train: TableProfile, test: TableProfile,
                  handle: Any) -> None:
    if train.time_column is None:
        return
    train_time = train.column(train.time_column)
    test_time = test.column(train.time_column)
    if train_time is None or test_time is None or test_time.minimum is None or train_time.maximum is None:
        if context.options.time is not None:
            findings.unknown("time-leakage", dataset, train.time_column, Severity.MEDIUM,
                             f"the test data has no dated {train.time_column!r} column to compare periods with")
        return
    start = datetime.fromtimestamp(test_time.minimum, tz=UTC)
    if train_time.maximum > test_time.minimum:
        later = context.engine.rows_after(handle, train_time.name, test_time.minimum)
        findings.failed("time-leakage", dataset, train_time.name, Severity.HIGH,
                        f"{count(later)} training rows are later than the start of the test period "
                        f"({start:%Y-%m-%d %H:%M}): the model learns from the future it is tested on; split by "
                        "time", value=float(later))
    else:
        findings.passed("time-leakage", dataset, train_time.name,
                        f"all training rows precede the test period (from {start:%Y-%m-%d})", severity=Severity.HIGH)
