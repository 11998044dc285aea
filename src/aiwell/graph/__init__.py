"""The resource graph: parent/child, private endpoint, diagnostic setting and reference edges."""

from aiwell.graph.build import DiagnosticTarget, TargetByName, parent_id, type_and_name_from_id
from aiwell.graph.query import ResourceGraph

__all__ = ["DiagnosticTarget", "ResourceGraph", "TargetByName", "parent_id", "type_and_name_from_id"]
