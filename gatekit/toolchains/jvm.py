"""Maven (`verify`) and Gradle (`build`), each through the project's wrapper when there is one.

Both build and test in one command, and neither is scoped in affected mode: a change runs
the whole build.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from gatekit.config import Gate
from gatekit.toolchains.base import CannotScope, Package, Tree, Workspace, join, make_gate, topmost

GRADLE_FILES = ("settings.gradle.kts", "settings.gradle", "build.gradle.kts", "build.gradle")


class Maven:
    names: tuple[str, ...] = ("maven",)
    noun: str = "module"

    def detect(self, root: Path, tree: Tree) -> list[Workspace]:
        # Nested pom.xml files are the root project's modules.
        names_of = dict(tree)
        workspaces = []
        for rel in topmost([rel for rel, names in tree if "pom.xml" in names]):
            manifest = join(rel, "pom.xml")
            wrapper = "mvnw" in names_of[rel] and (root / rel / "mvnw").is_file()
            mvn = ("sh", "./mvnw") if wrapper else ("mvn",)
            gate = make_gate(rel, "maven verify", (*mvn, "-B", "-q", "verify"), manifest, "maven")
            workspaces.append(Workspace("maven", rel, manifest, (gate,)))
        return workspaces

    def is_global(self, workspace: Workspace, relpath: str) -> bool:
        return False  # every change falls back anyway: packages() cannot scope

    def packages(self, root: Path, workspace: Workspace) -> list[Package]:
        raise CannotScope("maven builds are not scoped to changed modules")

    def scoped_gates(
        self, root: Path, workspace: Workspace, selected: Sequence[Package]
    ) -> tuple[Gate, ...]:
        return workspace.gates


class Gradle:
    names: tuple[str, ...] = ("gradle",)
    noun: str = "project"

    def detect(self, root: Path, tree: Tree) -> list[Workspace]:
        names_of = dict(tree)
        workspaces = []
        candidates = [rel for rel, names in tree if any(f in names for f in GRADLE_FILES)]
        for rel in topmost(candidates):
            names = names_of[rel]
            manifest = join(rel, next(f for f in GRADLE_FILES if f in names))
            # The wrapper pins the Gradle version the project was written for.
            wrapper = "gradlew" in names and (root / rel / "gradlew").is_file()
            run = ("sh", "./gradlew", "build") if wrapper else ("gradle", "build")
            gate = make_gate(rel, "gradle build", run, manifest, "gradle")
            workspaces.append(Workspace("gradle", rel, manifest, (gate,)))
        return workspaces

    def is_global(self, workspace: Workspace, relpath: str) -> bool:
        return False  # every change falls back anyway: packages() cannot scope

    def packages(self, root: Path, workspace: Workspace) -> list[Package]:
        raise CannotScope("gradle builds are not scoped to changed projects")

    def scoped_gates(
        self, root: Path, workspace: Workspace, selected: Sequence[Package]
    ) -> tuple[Gate, ...]:
        return workspace.gates
