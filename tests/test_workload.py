"""Workload archetypes from the resources, and context values with their precedence."""

from __future__ import annotations

from pathlib import Path

from aiwell.graph import ResourceGraph
from aiwell.loaders import load_inputs
from aiwell.model import Resource, Source, SourceFormat, Unresolved
from aiwell.model.context import ContextSetting, ReviewContext
from aiwell.rules.context import context_value
from aiwell.workload import detect_archetypes

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
SOURCE = Source(SourceFormat.ARM, "t.json")


def _r(resource_type: str, name: str, **body: object) -> Resource:
    return Resource.from_arm({"type": resource_type, "name": name, **body}, SOURCE, resource_id=f"/x/{name}")


def test_the_bundled_chat_example_is_rag_chat_and_online_inference_with_evidence() -> None:
    archetypes = {a.name: a for a in detect_archetypes(load_inputs([EXAMPLES / "ai-chat"]).resources)}
    assert set(archetypes) == {"rag-chat", "online-inference"}
    evidence = archetypes["rag-chat"].evidence
    assert any("searchServices" in resource_id for resource_id in evidence)
    assert any("/deployments/" in resource_id for resource_id in evidence)


def test_agent_training_and_batch_archetypes() -> None:
    resources = [
        _r("Microsoft.CognitiveServices/accounts", "ai", kind="AIServices"),
        _r("Microsoft.CognitiveServices/accounts/projects/capabilityHosts", "ai/p/agents"),
        _r("Microsoft.MachineLearningServices/workspaces/computes", "ws/gpu", properties={"computeType": "AmlCompute"}),
        _r("Microsoft.CognitiveServices/accounts/deployments", "ai/batch", sku={"name": "GlobalBatch"}),
        _r("Microsoft.Storage/storageAccounts", "scoring", tags={"workload-purpose": "batch"}),
    ]
    archetypes = {a.name: a for a in detect_archetypes(resources)}
    assert set(archetypes) == {"agent", "ml-training", "batch-scoring"}
    assert archetypes["agent"].evidence == ("/x/ai/p/agents",)
    assert archetypes["batch-scoring"].evidence == ("/x/ai/batch", "/x/scoring")


def test_context_precedence_tag_then_parent_tag_then_setting_then_answers_then_unknown() -> None:
    account = _r("Microsoft.CognitiveServices/accounts", "ai", tags={"env": "Prod"})
    deployment = _r("Microsoft.CognitiveServices/accounts/deployments", "ai/gpt")
    untagged = _r("Microsoft.Search/searchServices", "search")
    own = _r("Microsoft.Storage/storageAccounts", "files", tags={"environment": "dev"})
    resources = [account, deployment, untagged, own]
    context = ReviewContext(settings={"environment": ContextSetting("staging", "--environment")},
                            answers={"environment": ContextSetting("test", "answers.yaml"),
                                     "workload-purpose": ContextSetting("serving", "answers.yaml")})
    graph = ResourceGraph(resources, context=context)
    assert context_value(account, graph, "environment").value == "production"
    assert context_value(deployment, graph, "environment").value == "production"
    assert "parent ai's env tag" in context_value(deployment, graph, "environment").source
    assert context_value(own, graph, "environment").value == "development"
    assert context_value(untagged, graph, "environment").value == "staging"
    assert context_value(untagged, graph, "workload-purpose").source == "answers.yaml"
    bare = ResourceGraph(resources)
    unknown = context_value(untagged, bare, "environment")
    assert isinstance(unknown.value, Unresolved) and "no tag, setting" in unknown.value.reason


def _template(*resources: dict[str, object]) -> str:
    import json

    return json.dumps({"$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
                       "contentVersion": "1.0.0.0", "resources": list(resources)})


def test_workload_rules_compare_the_resources_of_one_input_not_of_every_sample_reviewed(tmp_path: Path) -> None:
    """A folder of two unrelated samples is two workloads: one sample's zone-redundant plan does not make the
    other's single-zone search service inconsistent (WKL003), one sample's account in another region does not
    make the other's production models multi-region (WKL002), and two samples with one model account each do not
    need a gateway (WKL001). Within one template all three judgments still hold."""
    from aiwell.review import review

    plan = {"type": "Microsoft.Web/serverfarms", "apiVersion": "2023-12-01", "name": "plan", "location": "eastus2",
            "sku": {"name": "P1v3", "capacity": 3}, "properties": {"zoneRedundant": True}}
    search = {"type": "Microsoft.Search/searchServices", "apiVersion": "2024-06-01-preview", "name": "search",
              "location": "eastus2", "sku": {"name": "standard"}, "properties": {"replicaCount": 1}}

    def account(name: str, region: str) -> dict[str, object]:
        return {"type": "Microsoft.CognitiveServices/accounts", "apiVersion": "2024-10-01", "name": name,
                "location": region, "kind": "OpenAI", "sku": {"name": "S0"}, "tags": {"environment": "prod"},
                "properties": {"customSubDomainName": name}}

    (tmp_path / "one.json").write_text(_template(plan, account("oai-east", "eastus2")))
    (tmp_path / "two.json").write_text(_template(search, account("oai-west", "westus3")))
    (tmp_path / "both.json").write_text(_template(plan, search, account("oai-east", "eastus2"),
                                                  account("oai-west", "westus3")))

    def verdicts(*names: str) -> dict[tuple[str, str], str]:
        report = review([tmp_path / name for name in names])
        return {(r.rule.id, str(r.resource_id).rsplit("/", 1)[-1]): r.status.value for r in report.results
                if r.rule.id in ("WKL001", "WKL002", "WKL003")}

    apart = verdicts("one.json", "two.json")
    assert apart[("WKL003", "search")] == "not_applicable"
    assert apart[("WKL002", "oai-east")] == apart[("WKL002", "oai-west")] == "fail"
    assert apart[("WKL001", "oai-east")] == apart[("WKL001", "oai-west")] == "not_applicable"
    together = verdicts("both.json")
    assert together[("WKL003", "search")] == "fail"
    assert together[("WKL002", "oai-east")] == together[("WKL002", "oai-west")] == "pass"
    assert together[("WKL001", "oai-east")] == together[("WKL001", "oai-west")] == "fail"
