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
