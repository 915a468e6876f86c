"""Maven (`verify`) and Gradle (`build`), each through the project's wrapper when there is one.

Both build and test in one command. Affected mode scopes Maven to the changed modules and
their dependents (`-pl <modules> -am`: Maven builds the upstream modules they need, which are
not installed); Gradle runs the whole build.
"""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from gatekit.config import Gate
from gatekit.toolchains.base import (
    CannotScope,
    Package,
    Tree,
    Workspace,
    WorkspaceFacts,
    dot_slash,
    join,
    make_gate,
    relative_to,
    topmost,
)

GRADLE_FILES = ("settings.gradle.kts", "settings.gradle", "build.gradle.kts", "build.gradle")


@dataclass(frozen=True)
class MavenFacts(WorkspaceFacts):
    mvn: tuple[str, ...]  # how Maven is started here: the project's wrapper, else mvn


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
            workspaces.append(Workspace("maven", rel, manifest, (gate,), MavenFacts(mvn)))
        return workspaces

    def is_global(self, workspace: Workspace, relpath: str) -> bool:
        # The root pom is every module's parent; .mvn/ holds the JVM and Maven settings.
        inner = relative_to(workspace.path, relpath)
        return inner == "pom.xml" or inner.startswith(".mvn/")

    def packages(self, root: Path, workspace: Workspace) -> list[Package]:
        modules = read_modules(root, workspace.path)
        names = {artifact for artifact, _, _ in modules}
        packages = []
        for artifact, path, dependencies in modules:
            if path == workspace.path:
                continue  # the aggregator: its own files are pom.xml (global) and docs
            depends_on = frozenset(d for d in dependencies if d in names and d != artifact)
            packages.append(Package(artifact, path, depends_on))
        return packages

    def scoped_gates(self, root: Path, workspace: Workspace, selected: Sequence[Package]) -> tuple[Gate, ...]:
        dirs = [dot_slash(relative_to(workspace.path, p.path)) for p in selected]
        if any("," in d for d in dirs):
            raise CannotScope("a module directory has a comma in its name, which -pl cannot take")
        run = (*workspace.facts_as(MavenFacts).mvn, "-B", "-q", "-pl", ",".join(dirs), "-am", "verify")
        return (make_gate(workspace.path, "maven verify", run, workspace.manifest, "maven"),)


def read_modules(root: Path, rel: str, seen: frozenset[str] = frozenset()) -> list[tuple[str, str, set[str]]]:
    """(artifactId, directory, artifactIds it depends on) of a pom and its modules, recursively."""
    if rel in seen:
        raise CannotScope(f"the module `{rel}` includes itself")
    pom = root / rel / "pom.xml"
    try:
        document = ElementTree.parse(pom).getroot()
    except (OSError, ElementTree.ParseError) as exc:
        raise CannotScope(f"`{join(rel, 'pom.xml')}` cannot be read: {exc}") from exc
    artifact = _text(document, "artifactId")
    if not artifact:
        raise CannotScope(f"`{join(rel, 'pom.xml')}` has no artifactId")
    # A module's parent pom configures its build: a change there is a change to the module.
    parents = [group for group in document if _local(group.tag) == "parent"]
    dependencies = {_text(dep, "artifactId") for dep in _children(document, "dependencies", "dependency")}
    dependencies.update(_text(parent, "artifactId") for parent in parents)
    found = [(artifact, rel, dependencies - {""})]
    for module in _children(document, "modules", "module"):
        name = (module.text or "").strip()
        if name.endswith(".xml"):  # a module may name its pom file rather than its directory
            name = name.rsplit("/", 1)[0] if "/" in name else "."
        if name:
            found.extend(read_modules(root, join(rel, name), seen | {rel}))
    return found


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]  # poms usually sit in the POM 4.0.0 namespace


def _children(element: ElementTree.Element, outer: str, inner: str) -> list[ElementTree.Element]:
    return [
        child
        for group in element
        if _local(group.tag) == outer
        for child in group
        if _local(child.tag) == inner
    ]


def _text(element: ElementTree.Element, name: str) -> str:
    for child in element:
        if _local(child.tag) == name:
            return (child.text or "").strip()
    return ""


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

    def scoped_gates(self, root: Path, workspace: Workspace, selected: Sequence[Package]) -> tuple[Gate, ...]:
        return workspace.gates
