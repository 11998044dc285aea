"""The resource graph: parent/child, private endpoints, diagnostic settings, locks and role assignments,
references by property and by expression, subnets, and configuration written as child resources."""

from aiwell.graph.build import DiagnosticTarget, TargetByName, parent_id, type_and_name_from_id
from aiwell.graph.query import MERGED_CHILDREN, SHAPE_LEAVES_OUT, MergedChild, ResourceGraph, SubnetView

__all__ = ["MERGED_CHILDREN", "SHAPE_LEAVES_OUT", "DiagnosticTarget", "MergedChild", "ResourceGraph", "SubnetView",
           "TargetByName", "parent_id", "type_and_name_from_id"]
