"""`aiwell eval`: statistical testing of nondeterministic AI systems. Does not import the review engine.

The parts, each its own module: suites and cases (`suite`), what is called (`targets`), assertions (`scorers`),
the async runner and its append-only run log (`runner`, `runlog`), the stub model (`stub`), statistics (`stats`),
the `aiwell.eval/1` report, comparisons, gates and renderers (`report`), importers of other harnesses' results
(`importers`), and the `aiwell eval` commands (`cli`).

The names below are imported when first used (PEP 562), so `aiwell eval --help` does not pay for numpy and scipy.
"""

from __future__ import annotations

import importlib
from typing import Any

_WHERE = {
    "Case": "suite",
    "CaseStats": "stats",
    "Comparison": "stats",
    "Gate": "report",
    "ImportedRun": "importers",
    "Plan": "stats",
    "PriceTable": "prices",
    "RunLog": "runlog",
    "RunResult": "runner",
    "SequentialGate": "sequential",
    "StubConfig": "stub",
    "Suite": "suite",
    "SuiteEstimate": "stats",
    "UnalignedRunsError": "stats",
    "build_report": "report",
    "case_stats": "stats",
    "compare_by_tag": "stats",
    "compare_reports": "report",
    "errors_gate": "report",
    "import_results": "importers",
    "load_report": "report",
    "load_suite": "suite",
    "min_pass_rate_gate": "report",
    "non_inferiority_gate": "report",
    "paired_compare": "stats",
    "plan_from_pilot": "stats",
    "read_log": "runlog",
    "report_from_log": "report",
    "run_suite": "runner",
    "start_stub": "stub",
    "suite_interval": "stats",
    "wilson_interval": "stats",
}


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'aiwell.eval' has no attribute {name!r}")
    return getattr(importlib.import_module(f"aiwell.eval.{module}"), name)


__all__ = [
    "Case",
    "CaseStats",
    "Comparison",
    "Gate",
    "ImportedRun",
    "Plan",
    "PriceTable",
    "RunLog",
    "RunResult",
    "SequentialGate",
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
