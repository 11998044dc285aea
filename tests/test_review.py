"""The review pipeline's hold on the cyclic garbage collector (`aiwell.collector.collector_held`), and the
collection of what evaluating templates left in cycles before it."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import aiwell.review
from aiwell.collector import collector_held
from aiwell.review import review
from aiwell.rules import run_rules

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
EXAMPLE = EXAMPLES / "ai-chat"


@pytest.fixture
def collector_during_rules(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[tuple[bool, int]]]:
    """Whether the collector ran, and how many objects were frozen, while the review's rules judged."""
    seen: list[tuple[bool, int]] = []
    def recording(*args: Any, **kwargs: Any) -> Any:
        seen.append((gc.isenabled(), gc.get_freeze_count()))
        return run_rules(*args, **kwargs)

    monkeypatch.setattr(aiwell.review, "run_rules", recording)
    yield seen


def _is_old(value: object) -> bool:
    return any(found is value for found in gc.get_objects(generation=2))


def test_the_collector_is_held_after_loading_and_what_the_review_built_is_left_old(
        collector_during_rules: list[tuple[bool, int]]) -> None:
    gc.collect()
    assert gc.isenabled() and gc.get_freeze_count() == 0
    report = review([EXAMPLE])
    [(running, frozen)] = collector_during_rules
    # What loading built was moved out of the young generations, and nothing is collected while rules judge.
    assert not running and frozen > 0
    assert gc.isenabled() and gc.get_freeze_count() == 0
    assert report.results and _is_old(report.results[0]) and _is_old(report.resources[0])


def test_objects_a_caller_froze_stay_frozen_and_a_collector_switched_off_stays_off(
        collector_during_rules: list[tuple[bool, int]]) -> None:
    gc.freeze()
    try:
        kept = gc.get_freeze_count()
        review([EXAMPLE])
        # Reference counting may free a frozen object meanwhile (the count then drops by one), so the count is only
        # bounded: it does not grow (what loading built was not frozen too) and it is not emptied (nothing unfrozen).
        [(running, frozen)] = collector_during_rules
        assert not running and 0 < frozen <= kept
        assert gc.isenabled() and 0 < gc.get_freeze_count() <= kept
    finally:
        gc.unfreeze()
    gc.disable()
    try:
        review([EXAMPLE])
        assert collector_during_rules[-1] == (False, 0)
        assert not gc.isenabled() and gc.get_freeze_count() == 0
    finally:
        gc.enable()


@pytest.fixture
def no_collection_on_its_own() -> Iterator[list[int]]:
    """The collector left on but never starting a pass of its own; the generation of every pass run."""
    passes: list[int] = []
    def record(phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            passes.append(info["generation"])

    before = gc.get_threshold()
    gc.collect()
    gc.set_threshold(1_000_000_000)
    gc.callbacks.append(record)
    try:
        yield passes
    finally:
        gc.callbacks.remove(record)
        gc.set_threshold(*before)


def _expansions_left() -> int:
    from aiwell.loaders.arm.template import _Expander

    return sum(1 for found in gc.get_objects() if isinstance(found, _Expander))


def test_what_expanding_a_template_left_in_cycles_is_collected_before_the_collector_is_held(
        monkeypatch: pytest.MonkeyPatch, no_collection_on_its_own: list[int]) -> None:
    left: list[int] = []
    def counting() -> Any:
        # Counted before the hold freezes what exists (frozen objects are not listed any more).
        left.append(_expansions_left())
        return collector_held()

    monkeypatch.setattr(aiwell.review, "collector_held", counting)
    review([EXAMPLE])
    # An expansion's state refers to itself: with no pass of the collector it would still be there.
    assert left == [0] and no_collection_on_its_own


def test_an_inventory_review_does_not_walk_what_it_loaded(no_collection_on_its_own: list[int]) -> None:
    report = review([EXAMPLES / "inventory"])
    assert report.resources and not no_collection_on_its_own
