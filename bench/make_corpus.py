"""Build the AI-workload benchmark corpus from the checked-out public repositories listed in `bench/corpus.md`.

    .venv/bin/python bench/make_corpus.py [--from /work/corpus] [--to /work/bench-corpus]

The rule: a repository whose subject is an AI workload (an AI landing zone, baseline, sample, gateway, or a
Terraform module for an AI service) is taken whole. From the multi-purpose repositories only the folders below are
taken: from the Azure Verified Modules, Azure AI services and OpenAI, AI Search, Machine Learning, the AI platform
and Foundry patterns, the AI solution accelerators, and the shared templates their tests deploy; from the Azure
Machine Learning examples, the folders that hold templates (the rest is notebooks and data). The platform landing
zone (ALZ-Bicep) and the peer's test data (checkov) are left out. Every regular file of a chosen tree is copied,
keeping its path in the repository, so local modules, parameter files and files read with `loadTextContent` or
`file()` stay beside the files that use them. Symbolic links and the folders `bench/corpus_robustness.py` skips are
not copied. The target is emptied first, so two runs on the same checkouts give the same corpus, and the counts
per format are printed as `bench/corpus_robustness.py` counts them.

The corpus is for local measuring only: never commit it.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpus_robustness import SKIPPED_DIRECTORIES, format_on_disk  # noqa: E402

WHOLE_REPOSITORIES = (
    "Azure+bicep-ptn-aiml-landing-zone",
    "Azure+terraform-azurerm-avm-ptn-aiml-landing-zone",
    "Azure+terraform-azurerm-avm-ptn-aiml-ai-foundry",
    "Azure+terraform-azurerm-avm-res-cognitiveservices-account",
    "Azure+terraform-azurerm-avm-res-machinelearningservices-workspace",
    "Azure+terraform-azurerm-avm-res-search-searchservice",
    "Azure+terraform-azurerm-openai",
    "Azure+azure-openai-landing-zone",
    "Azure+GenAIOps-project-template",
    "Azure-Samples+openai-end-to-end-baseline",
    "Azure-Samples+azure-ai-foundry-baseline",
    "Azure-Samples+AI-Gateway",
    "Azure-Samples+ai-hub-gateway-solution-accelerator",
    "Azure-Samples+get-started-with-ai-agents",
    "azure-ai-foundry+foundry-samples",
    "Azure-Samples+chat-with-your-data-solution-accelerator",
    "Azure-Samples+azure-search-openai-demo-csharp",
    "Azure-Samples+azure-search-openai-javascript",
    "Azure-Samples+rag-postgres-openai-python",
    "Azure-Samples+contoso-chat",
    "microsoft+sample-app-aoai-chatGPT",
    "Azure-Samples+openai-aca-lb",
    "Azure-Samples+aks-openai-terraform",
    "Azure-Samples+aks-openai-chainlit-terraform",
    "Azure-Samples+azure-openai-terraform-deployment-sample",
    "Pwd9000-ML+terraform-azurerm-openai-private-chatgpt",
)
"""Checkout folders (`owner+name`) copied whole."""

AI_SUBTREES = {
    "Azure+bicep-registry-modules": (
        "avm/res/cognitive-services",
        "avm/res/search",
        "avm/res/machine-learning-services",
        "avm/ptn/ai-ml",
        "avm/ptn/ai-platform",
        "avm/ptn/azd/ml-ai-environment",
        "avm/ptn/azd/ml-hub-dependencies",
        "avm/ptn/azd/ml-project",
        "avm/ptn/sa",
        "utilities/e2e-template-assets",
    ),
    "Azure+azureml-examples": (
        "arm-templates",
        "cli/endpoints/online/managed/vnet",
        "sdk/python/featurestore_sample/featurestore/arm-template",
        "setup",
    ),
}
"""The folders copied from the multi-purpose repositories."""


def chosen_trees(source: Path) -> list[tuple[Path, Path]]:
    """(tree to copy, its path below the corpus root) for every tree the rule takes, in a fixed order."""
    trees = [(source / name, Path(name)) for name in WHOLE_REPOSITORIES]
    for name, subtrees in AI_SUBTREES.items():
        trees.extend((source / name / subtree, Path(name) / subtree) for subtree in subtrees)
    return trees


def copy_tree(tree: Path, target: Path) -> list[Path]:
    """Copy every regular file under `tree` to `target`, keeping relative paths; return the copies."""
    copied = []
    for folder, directories, files in os.walk(tree):
        directories[:] = sorted(name for name in directories if name not in SKIPPED_DIRECTORIES)
        for name in sorted(files):
            path = Path(folder) / name
            if path.is_symlink() or not path.is_file():
                continue
            destination = target / path.relative_to(tree)
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, destination)
            copied.append(destination)
    return copied


def main(argv: Sequence[str] | None = None) -> int:
    """Empty the target, copy the chosen trees, print the counts per format. Exit 2 when a tree is missing."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--from", dest="source", type=Path, default=Path("/work/corpus"),
                        help="where the repositories are checked out, one folder `owner+name` each")
    parser.add_argument("--to", dest="target", type=Path, default=Path("/work/bench-corpus"),
                        help="the corpus to build (emptied first)")
    args = parser.parse_args(argv)
    trees = chosen_trees(args.source)
    missing = [str(tree) for tree, _ in trees if not tree.is_dir()]
    if missing:
        print("not checked out (see bench/corpus.md):\n  " + "\n  ".join(missing), file=sys.stderr)
        return 2
    if args.target.exists():
        shutil.rmtree(args.target)
    counts: Counter[str] = Counter()
    for tree, below in trees:
        for path in copy_tree(tree, args.target / below):
            counts[format_on_disk(path) or "other"] += 1
    print(f"{args.target}: " + ", ".join(f"{counts[name]} {name}" for name in ("ARM", "Bicep", "Terraform"))
          + f" ({counts['other']} other files copied with them)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
