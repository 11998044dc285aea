"""GWY006: an API Management API that fronts a model with no token limit in the policies that apply to it."""

from __future__ import annotations

import re

from aiwell.graph import ResourceGraph
from aiwell.model import Resource, Status, Unresolved
from aiwell.rules.base import implements
from aiwell.rules.checks._workload import display, mentions, model_accounts, names_of, strings

MODEL_HOSTS = (".openai.azure.com", ".cognitiveservices.azure.com", ".services.ai.azure.com",
               ".models.ai.azure.com", ".inference.ai.azure.com")
"""Host name suffixes of Azure OpenAI, AI Services, Foundry and serverless model endpoints."""

_TOKEN_LIMIT = re.compile(r"<\s*(?:llm|azure-openai)-token-limit\b", re.IGNORECASE)
_AI_POLICY = re.compile(r"<\s*(?:llm|azure-openai)-[a-z-]+", re.IGNORECASE)
_BACKEND_ID = re.compile(r"<\s*set-backend-service\b[^>]*\bbackend-id\s*=\s*\"([^\"]+)\"", re.IGNORECASE)
_FRAGMENT = re.compile(r"<\s*include-fragment\b[^>]*\bfragment-id\s*=\s*\"([^\"]+)\"", re.IGNORECASE)
_INBOUND = re.compile(r"<\s*inbound\s*(?:/>|>(.*?)<\s*/\s*inbound\s*>)", re.IGNORECASE | re.DOTALL)
_BASE = re.compile(r"<\s*base\s*/?>", re.IGNORECASE)

_LINKED = "-link"


def _last(resource: Resource) -> str:
    return display(resource).split("/")[-1].lower()


def _model_url(text: str, accounts: list[Resource]) -> bool:
    lowered = text.lower()
    return any(host in lowered for host in MODEL_HOSTS) or any(mentions(text, names_of(a)) for a in accounts)


def _policy_text(policy: Resource) -> str | Unresolved:
    """A policy's XML; `Unresolved` when it can't be read here (unresolved, or a link the service fetches)."""
    value = policy.get("properties.value")
    if isinstance(value, Unresolved):
        return value
    policy_format = policy.get("properties.format")
    if isinstance(policy_format, str) and policy_format.lower().endswith(_LINKED):
        return Unresolved(str(value), "the policy is a link the service fetches when it is deployed")
    return value if isinstance(value, str) else ""


class _Scope:
    """The policies that apply to one API, read once: its own and its operations', its products', the service's,
    and the fragments they include."""

    def __init__(self, api: Resource, graph: ResourceGraph) -> None:
        self.graph = graph
        self.service = graph.parent(api)
        self.texts: list[tuple[str, str]] = []
        self.unreadable: list[tuple[str, Unresolved]] = []
        own = [p for p in graph.children(api) if p.type_lower == "microsoft.apimanagement/service/apis/policies"]
        operations = [p for operation in graph.children(api, "Microsoft.ApiManagement/service/apis/operations")
                      for p in graph.children(operation, "Microsoft.ApiManagement/service/apis/operations/policies")]
        for policy in own:
            self._read(f"its policy {display(policy)}", policy)
        self.inherits = not own or all(self._keeps_base(text) for label, text in self.texts)
        for policy in operations:
            self._read(f"operation policy {display(policy)}", policy)
        if self.service is not None and self.inherits:
            for product in self._products(api):
                for policy in graph.children(product, "Microsoft.ApiManagement/service/products/policies"):
                    self._read(f"product policy {display(policy)}", policy)
            for policy in graph.children(self.service, "Microsoft.ApiManagement/service/policies"):
                self._read(f"service policy {display(policy)}", policy)
        self._include_fragments()

    def _read(self, label: str, policy: Resource) -> None:
        text = _policy_text(policy)
        if isinstance(text, Unresolved):
            self.unreadable.append((label, text))
        else:
            self.texts.append((label, text))

    @staticmethod
    def _keeps_base(text: str) -> bool:
        """Whether a policy's `<inbound>` section runs the policies of the scopes above (`<base />`)."""
        inbound = _INBOUND.search(text)
        return inbound is None or bool(_BASE.search(inbound.group(1) or ""))

    def _products(self, api: Resource) -> list[Resource]:
        assert self.service is not None
        name = _last(api)
        found = []
        for product in self.graph.children(self.service, "Microsoft.ApiManagement/service/products"):
            links = self.graph.children(product, "Microsoft.ApiManagement/service/products/apis")
            api_links = self.graph.children(product, "Microsoft.ApiManagement/service/products/apiLinks")
            if any(_last(link) == name for link in links) or any(
                    isinstance(text, str) and mentions(text, names_of(api))
                    for link in api_links for text in strings(link.properties)):
                found.append(product)
        return found

    def _include_fragments(self) -> None:
        if self.service is None:
            return
        fragments = {_last(f): f for f in self.graph.children(self.service)
                     if f.type_lower == "microsoft.apimanagement/service/policyfragments"}
        seen: set[str] = set()
        pending = [match for _, text in self.texts for match in _FRAGMENT.findall(text)]
        while pending:
            name = pending.pop().lower()
            if name in seen or name not in fragments:
                continue
            seen.add(name)
            before = len(self.texts)
            self._read(f"policy fragment {display(fragments[name])}", fragments[name])
            pending += [match for _, text in self.texts[before:] for match in _FRAGMENT.findall(text)]

    def backends(self) -> dict[str, Resource]:
        if self.service is None:
            return {}
        return {_last(b): b for b in self.graph.children(self.service, "Microsoft.ApiManagement/service/backends")}


def _fronts_model(api: Resource, scope: _Scope, accounts: list[Resource]) -> bool | Unresolved:
    """Whether the API sends requests to a model: its service URL, its path (the Azure OpenAI SDKs call
    `<endpoint>/openai/...`), a back end its policies route to (directly or through a pool), or an AI gateway
    policy in its scope says so."""
    url = api.get("properties.serviceUrl")
    if isinstance(url, str) and _model_url(url, accounts):
        return True
    path = api.get("properties.path")
    if isinstance(path, str) and "openai" in path.lower().strip("/").split("/"):
        return True
    if any(_AI_POLICY.search(text) for _, text in scope.texts):
        return True
    backends = scope.backends()
    for _, text in scope.texts:
        for backend_id in _BACKEND_ID.findall(text):
            backend = backends.get(backend_id.lower())
            members = [backend] if backend is not None else []
            for member in list(members):
                members += [backends[_last_segment(pooled)] for pooled in strings(member.get("properties.pool"))
                            if isinstance(pooled, str) and _last_segment(pooled) in backends]
            if any(isinstance(value, str) and _model_url(value, accounts)
                   for member in members for value in strings(member.properties)):
                return True
    if isinstance(url, Unresolved):
        return Unresolved(url.expression, f"properties.serviceUrl is unresolved: {url.reason}")
    if scope.unreadable:
        label, unreadable = scope.unreadable[0]
        return Unresolved(unreadable.expression, f"{label} can't be read: {unreadable.reason}")
    return False


def _last_segment(text: str) -> str:
    return text.rstrip("/").rsplit("/", 1)[-1].lower()


@implements("GWY006")
def model_api_without_token_limit(resource: Resource, graph: ResourceGraph) -> tuple[Status, str]:
    """Pass when a token limit policy applies to the API; not applicable when nothing shows it fronts a model."""
    scope = _Scope(resource, graph)
    fronts = _fronts_model(resource, scope, model_accounts(graph))
    if isinstance(fronts, Unresolved):
        return Status.UNKNOWN, f"can't tell whether it fronts a model: {fronts.reason} ({fronts.expression})"
    if not fronts:
        return Status.NOT_APPLICABLE, ("does not apply: nothing shows it fronts a model (service URL, back ends "
                                       "its policies route to, AI gateway policies)")
    limited = next((label for label, text in scope.texts if _TOKEN_LIMIT.search(text)), None)
    if limited is not None:
        return Status.PASS, f"{limited} sets a token limit"
    if scope.unreadable:
        label, unreadable = scope.unreadable[0]
        return Status.UNKNOWN, (f"no token limit is in the policies read, and {label} can't be read "
                                f"({unreadable.reason})")
    where = "its own policy (which leaves out <base />, so no product or service policy applies)" \
        if not scope.inherits else "its policies, its operations', its products' or the service's"
    return Status.FAIL, (f"it fronts a model, and no llm-token-limit or azure-openai-token-limit is in {where}: "
                         "one consumer can use the whole tokens-per-minute quota of the model deployment")
