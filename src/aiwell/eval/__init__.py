"""`aiwell eval`: statistical testing of nondeterministic AI systems. Does not import the review engine.

The parts, each its own module: suites and cases (`suite`), what is called (`targets`), assertions (`scorers`),
the async runner and its append-only run log (`runner`, `runlog`), the stub model (`stub`), statistics (`stats`),
the `aiwell.eval/1` report, comparisons, gates and renderers (`report`), importers of other harnesses' results
(`importers`), and the `aiwell eval` commands (`cli`).
"""

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
