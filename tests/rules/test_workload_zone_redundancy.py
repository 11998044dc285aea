"""WKL003 on many hops: each hop's zone redundancy is worked out once per review, not once per pair of hops."""

from __future__ import annotations

from typing import Any

import pytest

from aiwell.graph import ResourceGraph
from aiwell.model import Resource, Source, SourceFormat, Status
from aiwell.rules.checks import workload_zone_redundancy as wkl003


def _search(index: int, replicas: int) -> Resource:
    return Resource(type="Microsoft.Search/searchServices", name=f"srch{index}",
                    id=f"/subscriptions/s/resourceGroups/rg/providers/Microsoft.Search/searchServices/srch{index}",
                    sku={"name": "standard"}, properties={"replicaCount": replicas},
                    source=Source(SourceFormat.INVENTORY, "inventory.json", index + 1))


def test_hops_are_judged_once_per_graph_and_the_verdicts_are_unchanged(monkeypatch: pytest.MonkeyPatch) -> None:
    hops = [_search(index, 3 if index == 0 else 1) for index in range(200)]
    graph = ResourceGraph(hops)
    calls = 0
    judge = wkl003.zone_redundant

    def counted(resource: Resource) -> Any:
        nonlocal calls
        calls += 1
        return judge(resource)

    monkeypatch.setattr(wkl003, "zone_redundant", counted)
    check = wkl003.request_path_zone_redundancy_inconsistent.function
    verdicts = [check(hop, graph) for hop in hops]
    assert calls <= 2 * len(hops)  # one per hop judged, one per hop of the graph: linear, not quadratic
    assert verdicts[0] == (Status.PASS, "zone-redundant")
    assert {status for status, _ in verdicts[1:]} == {Status.FAIL}
    assert all("srch0" in message for _, message in verdicts[1:])
