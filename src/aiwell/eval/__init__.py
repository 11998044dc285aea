"""`aiwell eval`: statistical testing of nondeterministic AI systems. Does not import the review engine.

The parts, each its own module: suites and cases (`suite`), what is called (`targets`), assertions (`scorers`),
the async runner and its append-only run log (`runner`, `runlog`), the stub model (`stub`), statistics (`stats`),
the `aiwell.eval/1` report, comparisons, gates and renderers (`report`), importers of other harnesses' results
(`importers`), and the `aiwell eval` commands (`cli`).
"""

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from aiwell.eval.importers import ImportedRun, import_results
    from aiwell.eval.report import (
        Gate,
        build_report,
        compare_reports,
        errors_gate,
        load_report,
        min_pass_rate_gate,
        non_inferiority_gate,
        report_from_log,
    )
    from aiwell.eval.runlog import RunLog, read_log
    from aiwell.eval.runner import RunResult, run_suite
    from aiwell.eval.stats import (
        CaseStats,
        Comparison,
        Plan,
        SuiteEstimate,
        UnalignedRunsError,
        case_stats,
        compare_by_tag,
        paired_compare,
        plan_from_pilot,
        suite_interval,
        wilson_interval,
    )
    from aiwell.eval.stub import StubConfig, start_stub
    from aiwell.eval.suite import Case, Suite, load_suite

# The public surface is imported on first use (PEP 562), so `aiwell eval --help` and the commands that don't need
# statistics never import numpy and scipy.
_SOURCES = {
    "Case": "aiwell.eval.suite",
    "CaseStats": "aiwell.eval.stats",
    "Comparison": "aiwell.eval.stats",
    "Gate": "aiwell.eval.report",
    "ImportedRun": "aiwell.eval.importers",
    "Plan": "aiwell.eval.stats",
    "RunLog": "aiwell.eval.runlog",
    "RunResult": "aiwell.eval.runner",
    "StubConfig": "aiwell.eval.stub",
    "Suite": "aiwell.eval.suite",
    "SuiteEstimate": "aiwell.eval.stats",
    "UnalignedRunsError": "aiwell.eval.stats",
    "build_report": "aiwell.eval.report",
    "case_stats": "aiwell.eval.stats",
    "compare_by_tag": "aiwell.eval.stats",
    "compare_reports": "aiwell.eval.report",
    "errors_gate": "aiwell.eval.report",
    "import_results": "aiwell.eval.importers",
    "load_report": "aiwell.eval.report",
    "load_suite": "aiwell.eval.suite",
    "min_pass_rate_gate": "aiwell.eval.report",
    "non_inferiority_gate": "aiwell.eval.report",
    "paired_compare": "aiwell.eval.stats",
    "plan_from_pilot": "aiwell.eval.stats",
    "read_log": "aiwell.eval.runlog",
    "report_from_log": "aiwell.eval.report",
    "run_suite": "aiwell.eval.runner",
    "start_stub": "aiwell.eval.stub",
    "suite_interval": "aiwell.eval.stats",
    "wilson_interval": "aiwell.eval.stats",
}


def __getattr__(name: str) -> Any:
    source = _SOURCES.get(name)
    if source is None:
        raise AttributeError(f"module 'aiwell.eval' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(source), name)


__all__ = [
    "Case",
    "CaseStats",
    "Comparison",
    "Gate",
    "ImportedRun",
    "Plan",
    "RunLog",
    "RunResult",
    "StubConfig",
    "Suite",
    "SuiteEstimate",
    "UnalignedRunsError",
    "build_report",
    "case_stats",
    "compare_by_tag",
    "compare_reports",
    "errors_gate",
    "import_results",
    "load_report",
    "load_suite",
    "min_pass_rate_gate",
    "non_inferiority_gate",
    "paired_compare",
    "plan_from_pilot",
    "read_log",
    "report_from_log",
    "run_suite",
    "start_stub",
    "suite_interval",
    "wilson_interval",
]
