"""Walk a checked-out directory for manifests, fast: a few levels deep, skipping build outputs.

Detection runs on every check, so it reads directory listings only; no tool runs here.
"""

from __future__ import annotations

import os
from pathlib import Path

from gatekit.toolchains.base import Tree, join

# Deep enough for services/api/Cargo.toml and packages/scope/name/package.json.
MAX_DEPTH = 3

# Build outputs, dependency caches and test fixtures: never a workspace of the project itself
# (Go's testdata/ routinely holds go.mod files that are inputs to tests, not modules).
SKIPPED_DIRS = frozenset(
    {
        "node_modules",
        "target",
        "build",
        "dist",
        "out",
        "_build",
        "vendor",
        "venv",
        "__pycache__",
        "testdata",
        "site-packages",
    }
)


def scan(root: Path, max_depth: int = MAX_DEPTH) -> Tree:
    """(directory, names in it) for root and its subdirectories, breadth first, sorted."""
    tree: list[tuple[str, frozenset[str]]] = []
    pending: list[tuple[str, int]] = [(".", 0)]
    while pending:
        rel, depth = pending.pop(0)
        try:
            entries = list(os.scandir(root / rel))
        except OSError:
            continue  # unreadable or vanished: nothing there to detect
        tree.append((rel, frozenset(entry.name for entry in entries)))
        if depth >= max_depth:
            continue
        for entry in sorted(entries, key=lambda e: e.name):
            if _descend(entry):
                pending.append((join(rel, entry.name), depth + 1))
    return tree


def _descend(entry: os.DirEntry[str]) -> bool:
    if entry.name.startswith(".") or entry.name in SKIPPED_DIRS:
        return False
    try:
        return entry.is_dir(follow_symlinks=False)
    except OSError:
        return False
