"""Bicep: the parser (`parse_bicep`), its syntax tree (`aiwell.loaders.bicep.syntax`), and the loader that
evaluates a Bicep file (with its parameters and local modules) into the ARM-shaped resource model (`load_bicep`)."""

from aiwell.loaders.bicep.load import (
    BicepLoad,
    bicepparam_registry_reference,
    bicepparam_target,
    load_bicep,
    load_registry_deployment,
)
from aiwell.loaders.bicep.parser import parse_bicep

__all__ = ["BicepLoad", "bicepparam_registry_reference", "bicepparam_target", "load_bicep",
           "load_registry_deployment", "parse_bicep"]
