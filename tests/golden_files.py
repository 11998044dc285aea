"""The golden-file script, loaded once for every reporter test (scripts/ is not a package)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "tests" / "golden"


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("regen_golden", ROOT / "scripts" / "regen_golden.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


REGEN = _load()


def assert_golden(name: str) -> None:
    """The reporter's output for the sample review equals tests/golden/NAME."""
    expected = (GOLDEN / name).read_text(encoding="utf-8")
    assert REGEN.render_goldens()[name] == expected, "run scripts/regen_golden.py, review the diff"
