"""Toolchain detection (zero config) and affected mode.

`detect_gates` turns a checked-out directory into workspace-wide build and test gates, one set
per toolchain workspace, by reading manifests only. `plan_affected` narrows them to the
packages a change touches plus every package that depends on those, transitively, and falls
back to the whole workspace — saying why — whenever it cannot tell.

Precedence when toolchains nest:
- within one toolchain, the topmost manifest is the workspace and the ones beneath it are its
  members (a Cargo workspace's crates, a Maven project's modules, npm workspaces);
- different toolchains never hide each other: a Cargo workspace with a web/package.json gets
  both, and in affected mode a change under web/ belongs to the npm workspace only;
- a Makefile yields to the toolchains it drives (see gatekit.toolchains.make).
"""

from __future__ import annotations

from gatekit.toolchains.affected import AffectedPlan, plan_affected
from gatekit.toolchains.base import Package, Workspace
from gatekit.toolchains.detection import detect_gates, detect_workspaces

__all__ = [
    "AffectedPlan",
    "Package",
    "Workspace",
    "detect_gates",
    "detect_workspaces",
    "plan_affected",
]
