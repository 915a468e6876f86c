"""Gleam: `gleam build` and `gleam test`. A Gleam project is one package, built as a whole."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from gatekit.config import Gate
from gatekit.toolchains.base import Package, Tree, Workspace, join, make_gate, read_toml, topmost

GLOBAL_FILES = frozenset({"gleam.toml", "manifest.toml"})


class Gleam:
    names: tuple[str, ...] = ("gleam",)
    noun: str = "project"

    def detect(self, root: Path, tree: Tree) -> list[Workspace]:
        workspaces = []
        for rel in topmost([rel for rel, names in tree if "gleam.toml" in names]):
            manifest = join(rel, "gleam.toml")
            gates = (
                make_gate(rel, "gleam build", ("gleam", "build"), manifest, "gleam"),
                make_gate(rel, "gleam test", ("gleam", "test"), manifest, "gleam"),
            )
            workspaces.append(Workspace("gleam", rel, manifest, gates))
        return workspaces

    def is_global(self, workspace: Workspace, relpath: str) -> bool:
        return False  # one package: any change selects all of it

    def packages(self, root: Path, workspace: Workspace) -> list[Package]:
        name = (read_toml(root / workspace.manifest) or {}).get("name")
        return [Package(str(name or workspace.path), workspace.path)]

    def scoped_gates(self, root: Path, workspace: Workspace, selected: Sequence[Package]) -> tuple[Gate, ...]:
        return workspace.gates
