"""Which kind of AI workload the reviewed resources make up: its archetypes, each with the resources that show it.

- `rag-chat`: a generative model (a chat or completion model deployment on an Azure OpenAI or AI Services
  account) beside a retrieval store (AI Search, or Cosmos DB with vector search).
- `agent`: an agent capability host (Foundry Agent Service: `accounts/capabilityHosts`,
  `accounts/projects/capabilityHosts`, hub `workspaces/capabilityHosts`), or code-interpreter session pools
  (`Microsoft.App/sessionPools`) beside a model account.
- `ml-training`: Azure Machine Learning compute clusters (`AmlCompute`) or training jobs, or a resource tagged
  `workload-purpose: training`.
- `online-inference`: online or serverless endpoints, model deployments with a real-time SKU (standard or
  provisioned), or a resource tagged `workload-purpose: serving`.
- `batch-scoring`: batch endpoints, model deployments with a batch SKU (`GlobalBatch`, `DataZoneBatch`), or a
  resource tagged `workload-purpose: batch-scoring`.

A workload may be several at once (a RAG chat is online inference too). Detection reads types, kinds, SKUs and tags
only; a value it can't resolve is never taken as evidence.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from msgspec import Struct

from aiwell.model import Resource, display_text
from aiwell.model.context import WORKLOAD_PURPOSE, canonical

ARCHETYPES = ("rag-chat", "agent", "ml-training", "online-inference", "batch-scoring")


class Archetype(Struct, frozen=True):
    """One archetype the workload shows, the ids of the resources that show it, and why in words."""

    name: str
    evidence: tuple[str, ...]
    reason: str


def _id(resource: Resource) -> str:
    return display_text(resource.id)


def _text(value: object) -> str:
    return value.lower() if isinstance(value, str) else ""


def _list(value: object) -> list[object]:
    return value if isinstance(value, list) else []


class _Resources:
    """The resources of a review, indexed once by type and by the purpose their tags give."""

    def __init__(self, resources: Sequence[Resource]) -> None:
        self._by_type: dict[str, list[Resource]] = {}
        self._by_purpose: dict[str, list[Resource]] = {}
        self._position: dict[int, int] = {}
        for position, resource in enumerate(resources):
            self._position[id(resource)] = position
            self._by_type.setdefault(resource.type_lower, []).append(resource)
            tags = resource.tags
            if not isinstance(tags, dict):
                continue
            for name, value in tags.items():
                if str(name).lower() in ("workload-purpose", "purpose") and isinstance(value, str):
                    purpose = canonical(WORKLOAD_PURPOSE, value)
                    if purpose is not None:
                        self._by_purpose.setdefault(purpose, []).append(resource)

    def of_type(self, *types: str) -> list[Resource]:
        """The resources of these types, in input order."""
        found = [r for t in types for r in self._by_type.get(t.lower(), [])]
        return sorted(found, key=lambda r: self._position[id(r)]) if len(types) > 1 else found

    def tagged(self, purpose: str) -> list[Resource]:
        """The resources tagged `workload-purpose` (or `purpose`) with this purpose, once per matching tag."""
        return list(self._by_purpose.get(purpose, []))


_MODEL_ACCOUNT_KINDS = {"openai", "aiservices"}
_GENERATIVE_PREFIXES = ("gpt", "o1", "o3", "o4", "phi", "llama", "mistral", "deepseek", "grok", "claude", "gemma",
                        "cohere-command", "jamba", "meta-llama")
_BATCH_SKUS = {"globalbatch", "datazonebatch"}
_REALTIME_SKUS = {"standard", "globalstandard", "datazonestandard", "provisionedmanaged", "globalprovisionedmanaged",
                  "datazoneprovisionedmanaged", "developertier"}


def _model_name(deployment: Resource) -> str:
    return _text(deployment.get("properties.model.name"))


def _is_generative(deployment: Resource) -> bool:
    name = _model_name(deployment)
    return bool(name) and name.startswith(_GENERATIVE_PREFIXES) and "embedding" not in name


def _rag_chat(resources: _Resources) -> Archetype | None:
    deployments = [d for d in resources.of_type("Microsoft.CognitiveServices/accounts/deployments")
                   if _is_generative(d)]
    stores = resources.of_type("Microsoft.Search/searchServices")
    stores += [c for c in resources.of_type("Microsoft.DocumentDB/databaseAccounts")
               if any(_text(cap.get("name")) == "enablenosqlvectorsearch"
                      for cap in _list(c.get("properties.capabilities")) if isinstance(cap, dict))]
    if not deployments or not stores:
        return None
    models = ", ".join(sorted({_model_name(d) for d in deployments}))
    return Archetype("rag-chat", tuple(_id(r) for r in (*deployments, *stores)),
                     f"generative model deployments ({models}) beside a retrieval store "
                     f"({', '.join(sorted({r.type.split('/')[-1] for r in stores}))})")


def _agent(resources: _Resources) -> Archetype | None:
    hosts = resources.of_type("Microsoft.CognitiveServices/accounts/capabilityHosts",
                     "Microsoft.CognitiveServices/accounts/projects/capabilityHosts",
                     "Microsoft.MachineLearningServices/workspaces/capabilityHosts")
    if hosts:
        return Archetype("agent", tuple(_id(r) for r in hosts), "agent capability hosts (Foundry Agent Service)")
    pools = resources.of_type("Microsoft.App/sessionPools")
    accounts = [a for a in resources.of_type("Microsoft.CognitiveServices/accounts")
                if _text(a.kind) in _MODEL_ACCOUNT_KINDS]
    if pools and accounts:
        return Archetype("agent", tuple(_id(r) for r in (*pools, *accounts)),
                         "code-interpreter session pools beside a model account (tool-calling agents)")
    return None


def _ml_training(resources: _Resources) -> Archetype | None:
    clusters = [c for c in resources.of_type("Microsoft.MachineLearningServices/workspaces/computes")
                if _text(c.get("properties.computeType")) == "amlcompute"]
    jobs = resources.of_type("Microsoft.MachineLearningServices/workspaces/jobs")
    tagged = resources.tagged("training")
    evidence = [*clusters, *jobs, *tagged]
    if not evidence:
        return None
    parts = [text for text, found in (("compute clusters", clusters), ("training jobs", jobs),
                                      ("resources tagged for training", tagged)) if found]
    return Archetype("ml-training", tuple(dict.fromkeys(_id(r) for r in evidence)),
                     "Azure Machine Learning " + " and ".join(parts) if clusters or jobs else parts[0])


def _sku(resource: Resource) -> str:
    return _text(resource.get("sku.name"))


def _online_inference(resources: _Resources) -> Archetype | None:
    endpoints = resources.of_type("Microsoft.MachineLearningServices/workspaces/onlineEndpoints",
                         "Microsoft.MachineLearningServices/workspaces/serverlessEndpoints")
    realtime = [d for d in resources.of_type("Microsoft.CognitiveServices/accounts/deployments")
                if _sku(d) in _REALTIME_SKUS]
    tagged = resources.tagged("serving")
    evidence = [*endpoints, *realtime, *tagged]
    if not evidence:
        return None
    parts = [text for text, found in (("online or serverless endpoints", endpoints),
                                      ("model deployments with a real-time SKU", realtime),
                                      ("resources tagged for serving", tagged)) if found]
    return Archetype("online-inference", tuple(dict.fromkeys(_id(r) for r in evidence)), " and ".join(parts))


def _batch_scoring(resources: _Resources) -> Archetype | None:
    endpoints = resources.of_type("Microsoft.MachineLearningServices/workspaces/batchEndpoints")
    batch = [d for d in resources.of_type("Microsoft.CognitiveServices/accounts/deployments")
             if _sku(d) in _BATCH_SKUS]
    tagged = resources.tagged("batch-scoring")
    evidence = [*endpoints, *batch, *tagged]
    if not evidence:
        return None
    parts = [text for text, found in (("batch endpoints", endpoints), ("batch model deployments", batch),
                                      ("resources tagged for batch scoring", tagged)) if found]
    return Archetype("batch-scoring", tuple(dict.fromkeys(_id(r) for r in evidence)), " and ".join(parts))


_DETECTORS: tuple[Callable[[_Resources], Archetype | None], ...] = (
    _rag_chat, _agent, _ml_training, _online_inference, _batch_scoring)


def detect_archetypes(resources: Sequence[Resource]) -> list[Archetype]:
    """The archetypes the resources show, in the order of `ARCHETYPES`."""
    indexed = _Resources(resources)
    return [found for found in (detect(indexed) for detect in _DETECTORS) if found is not None]


__all__ = ["ARCHETYPES", "Archetype", "detect_archetypes"]
