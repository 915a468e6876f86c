"""Affected mode: gates for the packages a change touches and every package depending on them.

Each changed path belongs to the innermost workspaces holding it: a change under web/ is the
npm workspace's, not the root Cargo workspace's. Workspaces at the same directory (a root
Cargo.toml beside a root pyproject.toml) all see it; within each, the innermost package
owns it. A path no package owns, a workspace-level file (manifest, lockfile, toolchain
settings) or a graph that cannot be read sends that workspace back to its whole gates, and
the plan says why. Workspaces no change reaches run nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from gatekit.config import Gate
from gatekit.toolchains.base import CannotScope, Package, Workspace, contains
from gatekit.toolchains.detection import BY_NAME, detect_workspaces
from gatekit.toolchains.graph import owner, with_dependents


@dataclass(frozen=True)
class AffectedPlan:
    """What affected mode runs, and why."""

    gates: tuple[Gate, ...]  # gates scoped to the changed packages + transitive reverse dependents
    whole: bool  # True when it fell back to the whole workspace (for at least one toolchain)
    reasons: tuple[str, ...]  # what changed and who depends on it, or why it fell back
    packages: tuple[str, ...]  # the selected package names (for reports)


@dataclass
class _Scope:
    """What the changed paths did to one workspace."""

    workspace: Workspace
    packages: list[Package] | None = None
    unreadable: str = ""  # why its packages cannot be told (CannotScope)
    global_paths: list[str] = field(default_factory=list)
    unowned_paths: list[str] = field(default_factory=list)
    owners: set[str] = field(default_factory=set)

    @property
    def whole_reason(self) -> str:
        if self.unreadable:
            return self.unreadable
        if self.global_paths:
            return f"{_paths(self.global_paths)} changed"
        if self.unowned_paths:
            noun = BY_NAME[self.workspace.toolchain].noun
            return f"{_paths(self.unowned_paths)} {_is_are(self.unowned_paths)} outside every {noun}"
        return ""


def plan_affected(root: Path, changed: Sequence[str]) -> AffectedPlan:
    """Gates for the packages that changed and everything depending on them.

    changed: paths relative to root (as git lists them) changed since the merge base.
    """
    root = Path(root)
    # A workspace with no gates (a package.json holding only prettier settings) verifies
    # nothing, so it must not claim changed files either.
    workspaces = [w for w in detect_workspaces(root) if w.gates]
    if not workspaces:
        return AffectedPlan((), True, ("no toolchain was detected, so nothing can be scoped",), ())
    if not changed:
        return AffectedPlan((), False, ("nothing changed since the merge base",), ())
    outside = [path for path in changed if not any(contains(w.path, path) for w in workspaces)]
    if outside:
        where = f"{_paths(outside)} {_is_are(outside)} outside every toolchain workspace"
        gates = tuple(gate for workspace in workspaces for gate in workspace.gates)
        return AffectedPlan(gates, True, (f"{where}: the whole repository runs",), ())
    scopes = [_Scope(workspace) for workspace in workspaces]
    for path in changed:
        _assign(root, path, scopes)
    return _plan(root, scopes)


def _assign(root: Path, path: str, scopes: Sequence[_Scope]) -> None:
    containing = [s for s in scopes if contains(s.workspace.path, path)]
    depth = max(_depth(s.workspace.path) for s in containing)
    candidates = [s for s in containing if _depth(s.workspace.path) == depth]
    claimed = False
    for scope in candidates:
        toolchain = BY_NAME[scope.workspace.toolchain]
        if toolchain.is_global(scope.workspace, path):
            scope.global_paths.append(path)
            claimed = True
            continue
        packages = _packages(root, scope)
        if packages is None:
            claimed = True  # that workspace runs whole, which covers the path
            continue
        package = owner(packages, path)
        if package is not None:
            scope.owners.add(package.name)
            claimed = True
    if not claimed:
        # No package of any workspace here owns the path: it may feed any of them.
        for scope in candidates:
            scope.unowned_paths.append(path)


def _packages(root: Path, scope: _Scope) -> list[Package] | None:
    """The workspace's packages (read once), or None when they cannot be told."""
    if scope.packages is None and not scope.unreadable:
        try:
            scope.packages = BY_NAME[scope.workspace.toolchain].packages(root, scope.workspace)
        except CannotScope as exc:
            scope.unreadable = str(exc)
    return scope.packages if not scope.unreadable else None


def _plan(root: Path, scopes: Sequence[_Scope]) -> AffectedPlan:
    gates: list[Gate] = []
    reasons: list[str] = []
    selected_names: list[str] = []
    whole = False
    for scope in scopes:
        workspace = scope.workspace
        reason = scope.whole_reason
        if not reason and scope.owners:
            toolchain = BY_NAME[workspace.toolchain]
            selected, why = with_dependents(scope.packages or [], scope.owners, toolchain.noun)
            try:
                gates.extend(toolchain.scoped_gates(root, workspace, selected))
            except CannotScope as exc:
                reason = str(exc)
            else:
                selected_names.extend(p.name for p in selected)
                reasons.extend(why)
        if reason:
            whole = True
            where = f" at `{workspace.path}`" if workspace.path != "." else ""
            reasons.append(f"{reason}: the whole {workspace.toolchain} workspace{where} runs")
            gates.extend(workspace.gates)
    return AffectedPlan(tuple(gates), whole, tuple(reasons), tuple(selected_names))


def _depth(path: str) -> int:
    return 0 if path == "." else path.count("/") + 1


def _paths(paths: Sequence[str]) -> str:
    more = f" (and {len(paths) - 1} more)" if len(paths) > 1 else ""
    return f"`{paths[0]}`{more}"


def _is_are(paths: Sequence[str]) -> str:
    return "is" if len(paths) == 1 else "are"
