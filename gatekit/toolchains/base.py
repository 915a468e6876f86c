"""What every toolchain module shares: the workspace and package values, and manifest readers.

A toolchain module answers four questions about a checked-out directory, without building it:
which workspaces it holds (`detect`), which changed files force the whole workspace
(`is_global`), which packages the workspace has and what they depend on (`packages`), and
which gates build and test only some of them (`scoped_gates`).
"""

from __future__ import annotations

import json
import posixpath
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, TypeVar

from gatekit.config import STAGES, Gate

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python < 3.11 only
    import tomli as tomllib


@dataclass(frozen=True)
class WorkspaceFacts:
    """What a toolchain read from a workspace's manifest at detection and needs again later
    (member dirs, go.work `use` dirs, ...). Each toolchain subclasses it; the base holds nothing."""


F = TypeVar("F", bound=WorkspaceFacts)


@dataclass(frozen=True)
class Workspace:
    """One toolchain's workspace: a directory whose manifest covers everything beneath it."""

    toolchain: str  # cargo, npm, pnpm, yarn, go, python, gleam, make, maven, gradle, cmake
    path: str  # the workspace directory, posix, relative to root ("." for root itself)
    manifest: str  # the file that identified it, relative to root
    gates: tuple[Gate, ...]  # the workspace-wide build and test gates
    facts: WorkspaceFacts = field(default_factory=WorkspaceFacts, compare=False)

    def facts_as(self, kind: type[F]) -> F:
        """This workspace's facts as the toolchain's own type (it detected the workspace)."""
        if not isinstance(self.facts, kind):
            raise TypeError(f"{self.toolchain} workspace {self.path!r} holds {type(self.facts).__name__}")
        return self.facts


@dataclass(frozen=True)
class Package:
    """A buildable unit inside a workspace, and the sibling packages it depends on."""

    name: str
    path: str  # posix, relative to root
    depends_on: frozenset[str] = frozenset()
    buildable: bool = True  # False for a Go package with only _test.go files (nothing to build)


class CannotScope(Exception):
    """A workspace's packages or dependencies cannot be told: affected mode runs all of it."""


Tree = Sequence[tuple[str, frozenset[str]]]  # (directory relative to root, names in it)


class Toolchain(Protocol):
    names: tuple[str, ...]  # the Workspace.toolchain values this module produces
    noun: str  # what the toolchain calls a package, for reasons ("crate `core` changed")

    def detect(self, root: Path, tree: Tree) -> list[Workspace]: ...

    def is_global(self, workspace: Workspace, relpath: str) -> bool: ...

    def packages(self, root: Path, workspace: Workspace) -> list[Package]: ...

    def scoped_gates(
        self, root: Path, workspace: Workspace, selected: Sequence[Package]
    ) -> tuple[Gate, ...]: ...


# -- paths ----------------------------------------------------------------------------------


def join(base: str, name: str) -> str:
    """base/name as a root-relative posix path, with "." for the root."""
    return posixpath.normpath(posixpath.join(base, name)) if base != "." else name


def contains(directory: str, relpath: str) -> bool:
    """Whether relpath (root-relative) lies in directory (root-relative, "." is the root)."""
    return directory == "." or relpath == directory or relpath.startswith(directory + "/")


def relative_to(directory: str, relpath: str) -> str:
    """relpath seen from directory, both root-relative."""
    if directory == ".":
        return relpath
    return posixpath.relpath(relpath, directory)


def dot_slash(relpath: str) -> str:
    """A path argument that a tool can't mistake for an option or a package name."""
    return "." if relpath == "." else "./" + relpath


# -- gates ----------------------------------------------------------------------------------


# A detected test suite runs before a push, in CI and at land, not in the commit hook: a commit
# hook that runs every test makes people skip it (--no-verify). Builds and checks run everywhere.
TEST_SUITE_STAGES = ("pre-push", "ci", "land")


def make_gate(workspace_path: str, name: str, run: Sequence[str], manifest: str, tool: str) -> Gate:
    """A detected gate; its name says where it runs when that is not the root."""
    suffix = f" ({workspace_path})" if workspace_path != "." else ""
    test_suite = name.split()[-1] in ("test", "check")
    return Gate(
        name=name + suffix,
        run=tuple(run),
        cwd=workspace_path,
        stages=TEST_SUITE_STAGES if test_suite else STAGES,
        origin=f"detected: {tool} ({manifest})",
    )


# -- manifests ------------------------------------------------------------------------------


def read_toml(path: Path) -> dict[str, Any] | None:
    """The TOML document at path, or None when it is missing or unreadable."""
    try:
        return tomllib.loads(path.read_text("utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return None


def read_json(path: Path) -> dict[str, Any] | None:
    """The JSON object at path, or None when it is missing, unreadable or not an object."""
    try:
        data = json.loads(path.read_text("utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def topmost(dirs: Sequence[str]) -> list[str]:
    """The directories of dirs that are not inside another one of them."""
    result: list[str] = []
    for directory in sorted(dirs, key=lambda d: (d != ".", d.count("/"), d)):
        if not any(contains(outer, directory) for outer in result):
            result.append(directory)
    return result
