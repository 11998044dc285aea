"""One `aiwell data profile` run: resolve the datasets, scan each once, search them for personal data, run the
facets, and build the `aiwell.data/1` report."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from msgspec.structs import replace

from aiwell.data import datasheet as datasheets
from aiwell.data.engine import Engine, ScanOptions, make_engine
from aiwell.data.facets import Context, Dataset, run_facets
from aiwell.data.facets.sensitivity import scan_dataset
from aiwell.data.options import ProfileOptions
from aiwell.data.pii import Scanner
from aiwell.data.report import DataReport, build_report
from aiwell.data.sources import Source, resolve, resolve_one
from aiwell.errors import InputError, UsageError

if TYPE_CHECKING:
    from aiwell.data.ner import NerDetector

Progress = Callable[[str, int, int], None]
"""Called as (what is being done, datasets done, datasets in all)."""


def _scan_options(options: ProfileOptions, source: Source) -> ScanOptions:
    categorical = tuple(c for c in (options.label, *options.segments) if c)
    time_column = options.time if options.time is not None else ("modified" if source.format == "documents"
                                                                  else None)
    return ScanOptions(sample_rows=options.sample_rows, time_column=time_column, categorical=categorical)


def _profile(engine: Engine, dataset: Dataset, options: ProfileOptions, scanner: Scanner) -> None:
    if dataset.source.format == "unreadable":
        return
    try:
        profile, handle = engine.profile(dataset.source, _scan_options(options, dataset.source))
    except InputError as exc:
        from aiwell.data.duckdb_engine import unreadable_files

        unreadable = unreadable_files(dataset.source)
        bad = {path for path, _ in unreadable}
        if not unreadable or len(bad) == len(dataset.source.files):
            dataset.error = exc.message
            return
        source = dataset.source
        dataset.source = replace(source, files=[f for f in source.files if str(f) not in bad],
                                 unread=[*source.unread, *unreadable])
        try:
            profile, handle = engine.profile(dataset.source, _scan_options(options, dataset.source))
        except InputError as again:
            dataset.error = again.message
            return
    if profile.documents is not None:
        profile.unread += [(d.path, d.error) for d in profile.documents if d.error is not None]
    dataset.profile, dataset.handle = profile, handle
    scan_dataset(engine, handle, profile, scanner)


def _datasheet(dataset: Dataset, options: ProfileOptions) -> None:
    path = options.datasheet or datasheets.find_beside(dataset.source.files, dataset.source.root)
    if path is not None:
        dataset.datasheet = datasheets.load(path)


def _check_named_columns(datasets: list[Dataset], options: ProfileOptions) -> None:
    """A column named by --label, --time or --segment that no dataset read has is a usage error (a typo), not a
    facet quietly left unmeasured; one missing from only some datasets is an `unknown` finding of those."""
    profiles = [d.profile for d in datasets if d.profile is not None]
    if not profiles:
        return
    named = [("--label", options.label), ("--time", options.time), *(("--segment", s) for s in options.segments)]
    for option, name in named:
        if name is not None and all(p.column(name) is None for p in profiles):
            shown = profiles[0].columns
            raise UsageError(f"{option} {name}: no such column in {', '.join(p.path for p in profiles)}",
                             hint="its columns: " + ", ".join(c.name for c in shown[:40])
                             + (f" (and {len(shown) - 40} more)" if len(shown) > 40 else ""))


def _ner(model: str | None) -> NerDetector | None:
    """The NER model the run asked for, loaded before any data is read (a missing model stops the run at once)."""
    if model is None:
        return None
    from aiwell.data.ner import NerDetector

    return NerDetector(model)


def profile_paths(paths: Sequence[str], options: ProfileOptions, *, progress: Progress | None = None,
                  engine: Engine | None = None) -> DataReport:
    """Profile the datasets `paths` name (with --reference and --test) and report on every facet."""
    if options.datasheet is not None and not options.datasheet.is_file():
        raise UsageError(f"no such datasheet: {options.datasheet}", hint="`aiwell data init` writes one")
    datasets = [Dataset(source, "data") for path in paths for source in resolve(path)]
    reference = Dataset(resolve_one(options.reference, "--reference"), "reference") if options.reference else None
    test = Dataset(resolve_one(options.test, "--test"), "test") if options.test else None
    for dataset in datasets:
        _datasheet(dataset, options)
    every = [*datasets, *(d for d in (reference, test) if d is not None)]
    scanner = Scanner(_ner(options.ner))
    own_engine = engine is None
    engine = engine or make_engine(options.engine, memory_limit=options.memory_limit)
    try:
        for done, dataset in enumerate(every):
            if progress is not None:
                progress(f"Profiling {dataset.label}", done, len(every))
            _profile(engine, dataset, options, scanner)
        _check_named_columns(datasets, options)
        if progress is not None:
            progress("Checking", len(every), len(every))
        context = Context(datasets, reference, test, options, engine, now=options.as_of or datetime.now(UTC))
        findings = run_facets(context)
    finally:
        if own_engine:
            engine.close()
    return build_report(context, findings)


__all__ = ["profile_paths"]
