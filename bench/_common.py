"""Shared helpers for the benchmark scripts: generated inputs, and a command measured as a whole process tree."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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


@dataclass(slots=True)
class ProcessRun:
    """One command run to its end: wall seconds, CPU seconds (user + system, the process and every descendant it
    waited for), peak memory (the largest sum of resident memory over the process tree, sampled), and its output."""

    wall: float
    cpu: float
    peak_bytes: int
    returncode: int
    stdout: str
    stderr: str
    timed_out: bool = False
    user: float = 0.0
    """The user-mode part of `cpu`."""
    system: float = 0.0
    """The kernel part of `cpu` (page faults, copying written files into the page cache)."""


def _tree_rss(root: int) -> int:
    """Resident bytes of `root` and its descendants, read from /proc (Linux)."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    page = os.sysconf("SC_PAGE_SIZE")
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as handle:
                fields = handle.read().rsplit(b")", 1)[1].split()
        except OSError:
            continue
        pid = int(entry)
        children.setdefault(int(fields[1]), []).append(pid)
        rss[pid] = int(fields[21]) * page
    total, stack = 0, [root]
    while stack:
        pid = stack.pop()
        total += rss.get(pid, 0)
        stack.extend(children.get(pid, []))
    return total


def run_measured(command: Sequence[str], *, timeout: float | None = None, cwd: Path | None = None) -> ProcessRun:
    """Run `command`, sampling its process tree's memory every 50 ms; measure wall and CPU time."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        process = subprocess.Popen(list(command), stdout=out, stderr=err, stdin=subprocess.DEVNULL, cwd=cwd)
        peak = 0
        timed_out = False
        while process.poll() is None:
            peak = max(peak, _tree_rss(process.pid))
            if timeout is not None and time.perf_counter() - start > timeout:
                process.kill()
                timed_out = True
                break
            time.sleep(0.05)
        process.wait()
        wall = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        out.seek(0)
        err.seek(0)
        stdout = out.read().decode("utf-8", "replace")
        stderr = err.read().decode("utf-8", "replace")
    user, system = after.ru_utime - before.ru_utime, after.ru_stime - before.ru_stime
    cpu = user + system
    # ru_maxrss (kB on Linux) is the largest single descendant: a floor for a run too short to be sampled.
    peak = max(peak, after.ru_maxrss * 1024 if after.ru_maxrss > before.ru_maxrss else 0)
    return ProcessRun(wall, cpu, peak, process.returncode, stdout, stderr, timed_out, user, system)


def mb(count: int) -> str:
    """Bytes as megabytes, for the tables."""
    return f"{count / 1e6:,.0f} MB"


def met(ok: bool) -> str:
    """How a goal's line ends."""
    return "goal met" if ok else "GOAL NOT MET"
