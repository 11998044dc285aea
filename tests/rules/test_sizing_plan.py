"""`--sizing PLAN`: the plan's targets read from its answer, matched to resources, and judged by SIZ001-SIZ004."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from aiwell.cli.main import main
from aiwell.graph import ResourceGraph
from aiwell.model import Resource, Source, SourceFormat, Status, Unresolved
from aiwell.model.sizing import SizingPlanError, sizing_plan
from aiwell.rules import load_registry

ROOT = Path(__file__).resolve().parents[2]
PLAN_YAML = ROOT / "examples" / "sizing" / "plan.yaml"
TEMPLATE = ROOT / "tests" / "fixtures" / "sizing" / "assistant.json"

PTU = "Microsoft.CognitiveServices/accounts/deployments"
SEARCH = "Microsoft.Search/searchServices"
ONLINE = "Microsoft.MachineLearningServices/workspaces/onlineEndpoints/deployments"


def _unresolved(expression: str) -> Unresolved:
    return Unresolved(expression, "a parameter with no value")


def _answer(*targets: dict[str, Any]) -> dict[str, Any]:
    return {"schema": "aiwell.size/1", "regime": "plan", "inputs": {"name": "test"}, "targets": list(targets)}


def _ptu(name: str | None = "chat", sku: str = "DataZoneProvisionedManaged") -> dict[str, Any]:
    return {"workload": "chat", "regime": "ptu", "resource_type": PTU, "name": name, "model": "gpt-4.1", "sku": sku,
            "capacity": {"p10": 100, "p50": 120, "p90": 150}, "unit": "PTU"}


def _search(name: str | None = "search") -> dict[str, Any]:
    return {"workload": "grounding", "regime": "rag", "resource_type": SEARCH, "name": name, "sku": "standard",
            "partitions": 2, "replicas": 3}


def _online(name: str | None = None) -> dict[str, Any]:
    return {"workload": "classifier", "regime": "inference", "resource_type": ONLINE, "name": name,
            "accelerator": "a100-pcie-80gb", "accelerators": 1,
            "vm_sizes": ["Standard_NC24ads_A100_v4", "Standard_NC48ads_A100_v4"]}


def _resource(resource_type: str, name: str | Unresolved, **body: Any) -> Resource:
    return Resource.from_arm({"type": resource_type, "name": name, **body},
                             Source(file="main.json", line=1, format=SourceFormat.ARM))


def _verdict(rule_id: str, resource: Resource, graph: ResourceGraph) -> tuple[Status, str]:
    rule = load_registry().get(rule_id)
    assert rule is not None
    return rule.evaluate(resource, graph)


def _graph(resources: list[Resource], *targets: dict[str, Any]) -> ResourceGraph:
    return ResourceGraph(resources, sizing=sizing_plan(_answer(*targets), "plan.json"))


def test_provisioned_capacity_is_judged_against_the_plans_range() -> None:
    short = _resource(PTU, "openai/chat", sku={"name": "DataZoneProvisionedManaged", "capacity": 99})
    right = _resource(PTU, "openai/CHAT", sku={"name": "datazoneprovisionedmanaged", "capacity": 150})
    idle = _resource(PTU, "openai/chat", sku={"name": "DataZoneProvisionedManaged", "capacity": 151})
    for resource, below, above in ((short, Status.FAIL, Status.PASS), (right, Status.PASS, Status.PASS),
                                   (idle, Status.PASS, Status.FAIL)):
        graph = _graph([resource], _ptu())
        assert _verdict("SIZ001", resource, graph)[0] is below
        assert _verdict("SIZ002", resource, graph)[0] is above
    status, message = _verdict("SIZ001", short, _graph([short], _ptu()))
    assert "99 PTU" in message and "p10 100" in message and "429" in message


def test_a_deployment_of_another_type_than_the_plans_fails_siz001_only() -> None:
    paygo = _resource(PTU, "openai/chat", sku={"name": "GlobalStandard", "capacity": 500})
    graph = _graph([paygo], _ptu())
    status, message = _verdict("SIZ001", paygo, graph)
    assert status is Status.FAIL and "DataZoneProvisionedManaged" in message and "GlobalStandard" in message
    assert _verdict("SIZ002", paygo, graph)[0] is Status.NOT_APPLICABLE


def test_unresolved_or_missing_capacity_is_unknown_never_a_verdict() -> None:
    unresolved = _resource(PTU, "openai/chat", sku={"name": "DataZoneProvisionedManaged",
                                                    "capacity": _unresolved("parameters('capacity')")})
    missing = _resource(PTU, "openai/chat", sku={"name": "DataZoneProvisionedManaged"})
    for resource in (unresolved, missing):
        graph = _graph([resource], _ptu())
        assert _verdict("SIZ001", resource, graph)[0] is Status.UNKNOWN
        assert _verdict("SIZ002", resource, graph)[0] is Status.UNKNOWN


def test_resources_the_plan_does_not_size_are_not_applicable_and_unresolved_names_unknown() -> None:
    other = _resource(PTU, "openai/embeddings", sku={"name": "Standard", "capacity": 10})
    unnamed = _resource(PTU, _unresolved("format('{0}/chat', parameters('account'))"),
                        sku={"name": "DataZoneProvisionedManaged", "capacity": 120})
    graph = _graph([other, unnamed], _ptu())
    assert _verdict("SIZ001", other, graph)[0] is Status.NOT_APPLICABLE
    assert _verdict("SIZ001", unnamed, graph)[0] is Status.UNKNOWN
    no_plan = ResourceGraph([other])
    assert _verdict("SIZ001", other, no_plan) == (Status.NOT_APPLICABLE,
                                                               "no sizing plan given (--sizing PLAN)")


def test_an_unnamed_target_matches_only_the_one_resource_of_its_type() -> None:
    one = _resource(ONLINE, "ws/endpoint/blue", properties={"instanceType": "Standard_NC24ads_A100_v4"})
    two = _resource(ONLINE, "ws/endpoint/green", properties={"instanceType": "Standard_DS3_v2"})
    assert _verdict("SIZ004", one, _graph([one], _online()))[0] is Status.PASS
    graph = _graph([one, two], _online())
    assert _verdict("SIZ004", one, graph)[0] is Status.NOT_APPLICABLE
    assert _verdict("SIZ004", two, graph)[0] is Status.NOT_APPLICABLE
    named = _graph([one, two], _online("green"))
    status, message = _verdict("SIZ004", two, named)
    assert status is Status.FAIL and "Standard_DS3_v2" in message and "Standard_NC24ads_A100_v4" in message


def test_search_tier_partitions_and_replicas_below_the_plan_fail() -> None:
    cases = [
        ({"name": "standard"}, {"partitionCount": 2, "replicaCount": 3}, Status.PASS),
        ({"name": "standard2"}, {"partitionCount": 3, "replicaCount": 3}, Status.PASS),
        ({"name": "basic"}, {"partitionCount": 2, "replicaCount": 3}, Status.FAIL),
        ({"name": "standard"}, {"replicaCount": 3}, Status.FAIL),  # one partition by default
        ({"name": "standard"}, {"partitionCount": 2, "replicaCount": 2}, Status.FAIL),
        ({"name": "storage_optimized_l1"}, {"partitionCount": 2, "replicaCount": 3}, Status.FAIL),
        ({"name": "standard"}, {"partitionCount": _unresolved("parameters('p')"), "replicaCount": 3},
         Status.UNKNOWN),
    ]
    for sku, properties, expected in cases:
        resource = _resource(SEARCH, "search", sku=sku, properties=properties)
        assert _verdict("SIZ003", resource, _graph([resource], _search()))[0] is expected, (sku, properties)


def test_a_document_that_is_not_a_plan_answer_is_refused_with_the_reason() -> None:
    with pytest.raises(SizingPlanError, match="not a sizing plan answer"):
        sizing_plan({"schema": "aiwell.size/1", "regime": "ptu"}, "ptu.json")
    with pytest.raises(SizingPlanError, match=r"targets\[0\]: `capacity` must have p10 <= p50 <= p90"):
        sizing_plan(_answer({**_ptu(), "capacity": {"p10": 5, "p50": 4, "p90": 6}}), "plan.json")
    with pytest.raises(SizingPlanError, match="a ptu target sizes"):
        sizing_plan(_answer({**_ptu(), "resource_type": SEARCH}), "plan.json")


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as done:
        main(list(args))
    captured = capsys.readouterr()
    assert isinstance(done.value.code, int)
    return done.value.code, captured.out, captured.err


def _review(capsys: pytest.CaptureFixture[str], template: Path, *args: str) -> dict[str, Any]:
    code, out, err = _run(capsys, "review", str(template), "--format", "json", "--fail-on", "none", *args)
    assert code == 0, err
    report: dict[str, Any] = json.loads(out)
    return report


def _siz(report: dict[str, Any]) -> dict[tuple[str, str], str]:
    return {(result["rule_id"], result["resource_name"]): result["status"] for result in report["results"]
            if result["rule_id"].startswith("SIZ")}


def test_review_with_the_plan_yaml_or_its_answer_compares_the_template(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    answer = tmp_path / "plan.json"
    code, _, err = _run(capsys, "size", "plan", str(PLAN_YAML), "--format", "json", "-o", str(answer))
    assert code == 0, err
    for plan in (PLAN_YAML, answer):
        report = _review(capsys, TEMPLATE, "--sizing", str(plan))  # deployed with assistant.parameters.prod.json
        plan_records = [record for record in report["inputs"] if record["format"] == "sizing-plan"]
        assert {record["status"] for record in plan_records} == {"analysed", "not_analysed"}
        # The plan's self-hosted classifier names no deployment and the template holds none: not compared.
        unmatched = [record for record in plan_records if record["status"] == "not_analysed"]
        assert [record["address"] for record in unmatched] == ["classifier"]
        assert "was not compared" in unmatched[0]["reason"]
        verdicts = _siz(report)
        # 500 PTU sits inside the plan's range for chat-gpt41; one basic replica is short of the plan's three.
        assert verdicts[("SIZ001", "contoso-openai/chat-gpt41")] == "pass"
        assert verdicts[("SIZ002", "contoso-openai/chat-gpt41")] == "pass"
        assert verdicts[("SIZ003", "contoso-search")] == "fail"


def test_the_templates_default_capacity_is_short_of_the_plan(tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    alone = tmp_path / TEMPLATE.name
    alone.write_bytes(TEMPLATE.read_bytes())
    report = _review(capsys, alone, "--sizing", str(PLAN_YAML))
    assert _siz(report)[("SIZ001", "contoso-openai/chat-gpt41")] == "fail"


def test_an_unmatched_target_fails_the_gate_and_a_bad_plan_is_a_usage_error(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "review", str(TEMPLATE), "--sizing", str(PLAN_YAML), "--rule", "SIZ001")
    assert code == 1  # the classifier target was not compared: an input not analysed
    assert "classifier" in out
    bad = tmp_path / "bad.json"
    bad.write_text("{}", encoding="utf-8")
    for plan, message in ((bad, "not a sizing plan answer"), (tmp_path / "absent.yaml", "no such file")):
        code, out, err = _run(capsys, "review", str(TEMPLATE), "--sizing", str(plan))
        assert code == 2
        assert message in " ".join(err.split())
        assert "Traceback" not in out + err
