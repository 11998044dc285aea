"""Machine Learning computes outside any private network (MLC007): neither in a subnet of their own nor in the
workspace's managed network."""

from __future__ import annotations

from aiwell.graph import ResourceGraph
from aiwell.model import MISSING, Resource, Status, Unresolved, lookup
from aiwell.rules.base import implements
from aiwell.rules.declarative import describe_unresolved, values_equal

MANAGED_MODES = ("AllowInternetOutbound", "AllowOnlyApprovedOutbound")


@implements("MLC007")
def compute_without_network_isolation(resource: Resource, graph: ResourceGraph) -> tuple[Status, str]:
    """Pass when the compute names a subnet, or its workspace runs a managed network (any mode but `Disabled`)."""
    subnet = lookup(resource.properties, "properties.subnet.id") if resource.properties is not MISSING else MISSING
    if isinstance(subnet, Unresolved):
        return Status.UNKNOWN, f"its subnet can't be resolved ({describe_unresolved(subnet)})"
    if subnet not in (MISSING, None):
        return Status.PASS, f"it runs in subnet {subnet}"
    workspace = graph.parent(resource)
    if workspace is None:
        return Status.UNKNOWN, ("it names no subnet and its workspace is not among the inputs, so whether the "
                                "workspace's managed network holds it can't be told")
    mode = lookup(workspace.properties, "managedNetwork.isolationMode") if workspace.properties is not MISSING \
        else MISSING
    if isinstance(mode, Unresolved):
        return Status.UNKNOWN, f"the isolation mode of its workspace can't be resolved ({describe_unresolved(mode)})"
    if any(values_equal(mode, wanted) for wanted in MANAGED_MODES):
        return Status.PASS, f"it runs in the managed network of its workspace ({mode})"
    shown = "not set" if mode in (MISSING, None) else mode
    return Status.FAIL, (f"it names no subnet and its workspace has no managed network (isolationMode {shown}): "
                         "its nodes sit on the public network")
