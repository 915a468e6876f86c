"""Which toolchain workspaces a checked-out directory holds, from its manifests alone."""

from __future__ import annotations

from pathlib import Path

from gatekit.config import Gate
from gatekit.toolchains.base import Toolchain, Workspace
from gatekit.toolchains.cargo import Cargo
from gatekit.toolchains.cmake import CMake
from gatekit.toolchains.gleam import Gleam
from gatekit.toolchains.golang import Go
from gatekit.toolchains.jvm import Gradle, Maven
from gatekit.toolchains.make import Make
from gatekit.toolchains.node import Node
from gatekit.toolchains.python import Python
from gatekit.toolchains.scan import scan

MAKE = Make()
# Detection order is also the order of the gates: compiled languages first, Make last.
TOOLCHAINS: tuple[Toolchain, ...] = (
    Cargo(),
    Go(),
    Node(),
    Python(),
    Gleam(),
    Maven(),
    Gradle(),
    CMake(),
    MAKE,
)
BY_NAME = {name: toolchain for toolchain in TOOLCHAINS for name in toolchain.names}


def detect_workspaces(root: Path) -> list[Workspace]:
    """Every toolchain workspace under root, found from manifests alone (no tool runs)."""
    root = Path(root)
    tree = scan(root)
    found: list[Workspace] = []
    for toolchain in TOOLCHAINS:
        if toolchain is not MAKE:
            found.extend(toolchain.detect(root, tree))
    found.extend(MAKE.detect_beside(root, tree, found))
    return found


def detect_gates(root: Path) -> list[Gate]:
    """Workspace-wide build and test gates of every toolchain under root; [] when there is none."""
    return [gate for workspace in detect_workspaces(root) for gate in workspace.gates]
