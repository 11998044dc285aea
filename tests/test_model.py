"""The resource model's small helpers."""

from __future__ import annotations

import copy
import pickle

import pytest
from msgspec.structs import replace

from aiwell.model import (
    AIW000,
    MISSING,
    Location,
    Resource,
    Result,
    Source,
    SourceFormat,
    Status,
    Unresolved,
    first_unresolved,
    lookup,
)


def test_first_unresolved_finds_nested_values_depth_first_within_the_bound() -> None:
    inner = Unresolved("parameters('a')", "no value")
    later = Unresolved("parameters('b')", "no value")
    assert first_unresolved({"x": [1, {"y": inner}], "z": later}) is inner
    assert first_unresolved({"x": [1, 2]}) is None
    deep: object = inner
    for _ in range(150):
        deep = [deep]
    assert first_unresolved(deep) is None  # beyond the bound: not searched
    assert first_unresolved(deep, max_depth=200) is inner


def test_lookup_is_case_insensitive_and_stops_at_unresolved_values() -> None:
    pending = Unresolved("reference('x')", "runtime value")
    body = {"Properties": {"NetworkAcls": {"defaultAction": "Deny"}, "later": pending}}
    assert lookup(body, "properties.networkAcls.DefaultAction") == "Deny"
    assert lookup(body, "properties.later.deeper") is pending
    assert lookup(body, "properties.missing") is MISSING


def test_resource_from_arm_keeps_other_top_level_fields() -> None:
    resource = Resource.from_arm({"type": "Microsoft.Insights/diagnosticSettings", "name": "d", "scope": "/x",
                                  "properties": {}}, Source(SourceFormat.ARM, "t.json", 3))
    assert resource.extra == {"scope": "/x"} and resource.id == "d" and resource.get("scope") == "/x"


def test_lookup_reads_a_key_spelled_otherwise_and_tells_an_absent_one() -> None:
    body = {"properties": {"PublicNetworkAccess": "Disabled", 3: "not text"}}
    assert lookup(body, "properties.publicNetworkAccess") == "Disabled"
    assert lookup(body, "properties.networkAcls") is MISSING
    assert lookup({"a": None}, "a") is None and lookup({"a": [1, 2]}, "a[1]") == 2


def test_a_result_is_an_immutable_value_that_survives_pickling_copying_and_replace() -> None:
    made = Result(AIW000, Status.FAIL, "/x", "t", "n", "m", Location("f.json", 3), input="f.json")
    same = Result(AIW000, Status.FAIL, "/x", "t", "n", "m", Location("f.json", 3), input="f.json")
    assert made == same and hash(made) == hash(same) and repr(made) == repr(same)
    assert made != replace(same, message="other") and hash(made) != hash(replace(same, input="g.json"))
    assert pickle.loads(pickle.dumps(made)) == same and copy.copy(made) == same
    assert replace(made, baselined=True).baselined and not made.baselined
    with pytest.raises(AttributeError):
        made.status = Status.PASS  # type: ignore[misc]
