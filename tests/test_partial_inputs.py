"""When part of an input is not reviewed (a registry module not on disk, a linked template not fetched), the
resources it would have held are unknown: a rule that looks for a private endpoint or a diagnostic setting answers
`unknown`, not `fail`, for the resources of that input, and says why."""

from __future__ import annotations

from pathlib import Path

import pytest

from aiwell.model import Status
from aiwell.review import review

PARTIAL = Path(__file__).parent / "fixtures" / "review" / "partial"


@pytest.mark.parametrize("fmt", ["terraform", "bicep", "arm"])
def test_relations_are_unknown_when_part_of_the_input_was_not_reviewed(fmt: str) -> None:
    report = review([PARTIAL / fmt])
    results = {r.rule.id: r for r in report.results if r.resource_name == "oai-partial"}
    for rule_id in ("AIS004", "AIS005"):
        assert results[rule_id].status is Status.UNKNOWN, results[rule_id]
        assert "not reviewed" in results[rule_id].message
    # Rules about the account's own settings still decide.
    assert results["AIS002"].status is Status.FAIL
    (account,) = [r for r in report.resources if r.name == "oai-partial"]
    assert account.source.partial


def test_a_complete_input_still_fails_without_a_private_endpoint(tmp_path: Path) -> None:
    text = (PARTIAL / "terraform" / "main.tf").read_text(encoding="utf-8")
    (tmp_path / "main.tf").write_text(text.split('module "private_endpoint"')[0], encoding="utf-8")
    report = review([tmp_path])
    (result,) = [r for r in report.results if r.rule.id == "AIS004"]
    assert result.status is Status.FAIL
