"""Shared helpers for the benchmark scripts: generated inputs and a timer around `aiwell.review`."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from aiwell.review import review

_SUB = "00000000-0000-0000-0000-000000000000"

# (Resource Graph type, properties) pairs that exercise the catalog: AI accounts, deployments, search, storage...
_SHAPES: list[tuple[str, dict[str, Any], dict[str, Any]]] = [
    ("microsoft.cognitiveservices/accounts", {"name": "S0"},
     {"publicNetworkAccess": "Enabled", "disableLocalAuth": False, "customSubDomainName": "x",
      "privateEndpointConnections": []}),
    ("microsoft.search/searchservices", {"name": "standard"},
     {"replicaCount": 1, "publicNetworkAccess": "enabled", "disableLocalAuth": False}),
    ("microsoft.storage/storageaccounts", {"name": "Standard_LRS"},
     {"allowBlobPublicAccess": False, "minimumTlsVersion": "TLS1_2", "allowSharedKeyAccess": True}),
    ("microsoft.keyvault/vaults", {},
     {"enablePurgeProtection": True, "enableRbacAuthorization": True}),
    ("microsoft.documentdb/databaseaccounts", {},
     {"disableLocalAuth": True, "publicNetworkAccess": "Disabled", "backupPolicy": {"type": "Periodic"}}),
    ("microsoft.web/sites", {}, {"httpsOnly": True}),
    ("microsoft.network/virtualnetworks", {}, {"addressSpace": {"addressPrefixes": ["10.0.0.0/16"]}}),
]


def inventory_rows(count: int) -> list[dict[str, Any]]:
    """`count` Resource Graph rows cycling through the shapes above."""
    rows = []
    for index in range(count):
        res_type, sku, properties = _SHAPES[index % len(_SHAPES)]
        name = f"res{index:06d}"
        group = f"rg-{index // 500:03d}"
        rows.append({
            "id": f"/subscriptions/{_SUB}/resourceGroups/{group}/providers/{res_type}/{name}",
            "name": name, "type": res_type, "location": "westeurope", "resourceGroup": group,
            "subscriptionId": _SUB, "sku": sku or None, "identity": None, "tags": {},
            "properties": properties,
        })
    return rows


def write_inventory(path: Path, count: int) -> Path:
    """Write a Resource Graph export (`{"data": [...]}`) of `count` rows."""
    path.write_text(json.dumps({"count": count, "data": inventory_rows(count)}), encoding="utf-8")
    return path


def write_template(path: Path, count: int) -> Path:
    """Write an ARM template with `count` storage accounts, written out one by one (no copy loop)."""
    resources = [
        {"type": "Microsoft.Storage/storageAccounts", "apiVersion": "2023-05-01",
         "name": f"[concat(parameters('prefix'), '{index:05d}')]", "location": "[parameters('location')]",
         "kind": "StorageV2", "sku": {"name": "Standard_LRS"},
         "properties": {"allowBlobPublicAccess": False, "minimumTlsVersion": "TLS1_2"}}
        for index in range(count)
    ]
    template = {
        "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
        "contentVersion": "1.0.0.0",
        "parameters": {"prefix": {"type": "string", "defaultValue": "st"},
                       "location": {"type": "string", "defaultValue": "[resourceGroup().location]"}},
        "resources": resources,
    }
    path.write_text(json.dumps(template, indent=2), encoding="utf-8")
    return path


def timed_review(path: Path) -> tuple[float, int, int]:
    """Review `path`; return (seconds, resources, results)."""
    start = time.perf_counter()
    report = review([path])
    elapsed = time.perf_counter() - start
    return elapsed, len(report.resources), len(report.results)
