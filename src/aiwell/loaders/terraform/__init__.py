"""Terraform inputs: HCL root modules (evaluated here) and, through the azurerm mapping, ARM-shaped resources."""

from aiwell.loaders.terraform.load import TerraformLoad, load_terraform

__all__ = ["TerraformLoad", "load_terraform"]
