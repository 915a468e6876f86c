"""CMake: configure and build in a build directory of the sandbox, and `ctest` where the project
declares tests. A CMake project is built as a whole (no package graph to scope by).

The build directory (build/gatekit under the project) stays in the sandbox between runs, so a
second check builds incrementally; `gatekit check --fresh` starts from scratch.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from gatekit.config import Gate
from gatekit.toolchains.base import Package, Tree, Workspace, join, make_gate, topmost

BUILD_DIR = "build/gatekit"
_TESTS = re.compile(r"^\s*(enable_testing|add_test|include\s*\(\s*CTest)\b", re.M | re.I)


class CMake:
    names: tuple[str, ...] = ("cmake",)
    noun: str = "project"

    def detect(self, root: Path, tree: Tree) -> list[Workspace]:
        workspaces = []
        for rel in topmost([rel for rel, names in tree if "CMakeLists.txt" in names]):
            manifest = join(rel, "CMakeLists.txt")
            gates = [
                make_gate(rel, "cmake configure", ("cmake", "-S", ".", "-B", BUILD_DIR), manifest, "cmake"),
                make_gate(rel, "cmake build", ("cmake", "--build", BUILD_DIR), manifest, "cmake"),
            ]
            if declares_tests(root / manifest):
                run = ("ctest", "--test-dir", BUILD_DIR, "--output-on-failure")
                gates.append(make_gate(rel, "cmake test", run, manifest, "cmake"))
            workspaces.append(Workspace("cmake", rel, manifest, tuple(gates)))
        return workspaces

    def is_global(self, workspace: Workspace, relpath: str) -> bool:
        return False  # one project: any change selects all of it

    def packages(self, root: Path, workspace: Workspace) -> list[Package]:
        return [Package(workspace.path, workspace.path)]

    def scoped_gates(self, root: Path, workspace: Workspace, selected: Sequence[Package]) -> tuple[Gate, ...]:
        return workspace.gates


def declares_tests(cmakelists: Path) -> bool:
    try:
        return _TESTS.search(cmakelists.read_text("utf-8", "replace")) is not None
    except OSError:
        return False
