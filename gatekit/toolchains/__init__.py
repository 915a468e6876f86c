"""Toolchain detection (zero config) and affected mode.

`detect_gates` turns a checked-out directory into workspace-wide build and test gates, one set
per toolchain workspace, by reading manifests only. `plan_affected` narrows them to the
packages a change touches plus every package that depends on those, transitively, and falls
back to the whole workspace — saying why — whenever it cannot tell.

Precedence when toolchains nest:
- within one toolchain, the topmost manifest is the workspace and the ones beneath it are its
  members (a Cargo workspace's crates, a Maven project's modules, npm workspaces);
- different toolchains never hide each other: a Cargo workspace with a web/package.json gets
  both;
- a Makefile yields to the toolchains it drives (see gatekit.toolchains.make).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from gatekit.config import Gate
from gatekit.toolchains.base import CannotScope, Package, Toolchain, Workspace, contains
from gatekit.toolchains.cargo import Cargo
from gatekit.toolchains.gleam import Gleam
from gatekit.toolchains.golang import Go
from gatekit.toolchains.graph import owner, with_dependents
from gatekit.toolchains.jvm import Gradle, Maven
from gatekit.toolchains.make import Make
from gatekit.toolchains.node import Node
from gatekit.toolchains.python import Python
from gatekit.toolchains.scan import scan

__all__ = [
    "AffectedPlan",
    "Package",
    "Workspace",
    "detect_gates",
    "detect_workspaces",
    "plan_affected",
]

_MAKE = Make()
# Detection order is also the order of the gates: compiled languages first, Make last.
TOOLCHAINS: tuple[Toolchain, ...] = (
    Cargo(),
    Go(),
    Node(),
    Python(),
    Gleam(),
    Maven(),
    Gradle(),
    _MAKE,
)
_BY_NAME = {name: toolchain for toolchain in TOOLCHAINS for name in toolchain.names}


@dataclass(frozen=True)
class AffectedPlan:
    """What affected mode runs, and why."""

    gates: tuple[Gate, ...]  # gates scoped to the changed packages + transitive reverse dependents
    whole: bool  # True when it fell back to the whole workspace (for at least one toolchain)
    reasons: tuple[str, ...]  # human sentences: what changed and who depends on it, or the fallback
    packages: tuple[str, ...]  # the selected package names (for reports)


def detect_workspaces(root: Path) -> list[Workspace]:
    """Every toolchain workspace under root, found from manifests alone (no tool runs)."""
    tree = scan(Path(root))
    found: list[Workspace] = []
    for toolchain in TOOLCHAINS:
        if toolchain is not _MAKE:
            found.extend(toolchain.detect(Path(root), tree))
    found.extend(_MAKE.detect_beside(Path(root), tree, found))
    return found


def detect_gates(root: Path) -> list[Gate]:
    """Workspace-wide build and test gates of every toolchain under root; [] when there is none."""
    return [gate for workspace in detect_workspaces(root) for gate in workspace.gates]


def plan_affected(root: Path, changed: Sequence[str]) -> AffectedPlan:
    """Gates for the packages that changed and everything depending on them.

    changed: paths relative to root (as git lists them) changed since the merge base.
    """
    root = Path(root)
    workspaces = detect_workspaces(root)
    if not workspaces:
        return AffectedPlan((), True, ("no toolchain was detected, so nothing can be scoped",), ())
    if not changed:
        return AffectedPlan((), False, ("nothing changed since the merge base",), ())
    outside = [path for path in changed if not any(contains(w.path, path) for w in workspaces)]
    if outside:
        where = f"{_paths(outside)} {_is_are(outside)} outside every toolchain workspace"
        reason = f"{where}: the whole repository runs"
        return AffectedPlan(_all_gates(workspaces), True, (reason,), ())
    gates: list[Gate] = []
    reasons: list[str] = []
    packages: list[str] = []
    whole = False
    for workspace in workspaces:
        mine = [path for path in changed if contains(workspace.path, path)]
        if not mine:
            continue  # untouched: nothing of it can be affected
        scope = _scope(root, workspace, mine)
        if isinstance(scope, str):
            whole = True
            where = f" at `{workspace.path}`" if workspace.path != "." else ""
            reasons.append(f"{scope}: the whole {workspace.toolchain} workspace{where} runs")
            gates.extend(workspace.gates)
        else:
            scoped_gates, selected, why = scope
            gates.extend(scoped_gates)
            packages.extend(p.name for p in selected)
            reasons.extend(why)
    return AffectedPlan(tuple(gates), whole, tuple(reasons), tuple(packages))


def _scope(
    root: Path, workspace: Workspace, changed: Sequence[str]
) -> str | tuple[tuple[Gate, ...], list[Package], list[str]]:
    """(gates, selected packages, reasons) for one workspace, or why it must run whole."""
    toolchain = _BY_NAME[workspace.toolchain]
    global_changes = [path for path in changed if toolchain.is_global(workspace, path)]
    if global_changes:
        return f"{_paths(global_changes)} changed"
    try:
        packages = toolchain.packages(root, workspace)
        owners: set[str] = set()
        for path in changed:
            package = owner(packages, path)
            if package is None:
                return f"`{path}` is outside every {toolchain.noun} of the workspace"
            owners.add(package.name)
        selected, why = with_dependents(packages, owners, toolchain.noun)
        return toolchain.scoped_gates(root, workspace, selected), selected, why
    except CannotScope as exc:
        return str(exc)


def _all_gates(workspaces: Sequence[Workspace]) -> tuple[Gate, ...]:
    return tuple(gate for workspace in workspaces for gate in workspace.gates)


def _paths(paths: Sequence[str]) -> str:
    more = f" (and {len(paths) - 1} more)" if len(paths) > 1 else ""
    return f"`{paths[0]}`{more}"


def _is_are(paths: Sequence[str]) -> str:
    return "is" if len(paths) == 1 else "are"
