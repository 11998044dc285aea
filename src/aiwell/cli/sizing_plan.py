"""`aiwell review --sizing PLAN`: the plan's targets, from its JSON answer or from the plan file itself.

The CLI is the one place that may use both the review and the sizing package: given a plan's YAML, it sizes the
plan here (as `aiwell size plan` would) and hands the review only the targets (docs/size.md §4).
"""

from __future__ import annotations

from pathlib import Path

from aiwell.errors import AiwellError, UsageError
from aiwell.model.sizing import SizingPlan, SizingPlanError, sizing_plan


def read_sizing_plan(path: Path) -> SizingPlan:
    """The targets of the plan at `path`: a `aiwell size plan --format json` answer, or a plan YAML sized now."""
    from aiwell.loaders.files import read_file_text

    if not path.is_file():
        raise UsageError(f"--sizing: no such file: {path}")
    try:
        text = read_file_text(path)
    except (OSError, AiwellError) as exc:
        raise UsageError(f"--sizing: can't read {path}: {exc}") from None
    if path.suffix.lower() == ".json" or text.lstrip().startswith("{"):
        import orjson

        try:
            document = orjson.loads(text)
        except orjson.JSONDecodeError as exc:
            raise UsageError(f"--sizing: {path} is not valid JSON: {exc}") from None
    else:
        from aiwell.sizing.plan import size_plan

        document = size_plan(path)  # a plan's mistakes are configuration errors (exit 2), named by key
    try:
        return sizing_plan(document, str(path))
    except SizingPlanError as exc:
        raise UsageError(f"--sizing: {exc}") from None
