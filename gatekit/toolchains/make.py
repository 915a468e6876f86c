"""Make: `make` (the default goal), plus `make test` and `make check` where those targets exist.

Precedence: a Makefile that drives a toolchain found at or beneath its directory — a recipe
line runs `cargo`, `npm`, `go`, `python`, ... — yields to that toolchain's own workspace
gates, which are well defined and which affected mode can scope. A Makefile that builds
something else (C, docs, generated code no detected toolchain covers) is a workspace of its
own and runs beside the others. Configure a gate to run `make` regardless.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from gatekit.config import Gate
from gatekit.toolchains.base import (
    CannotScope,
    Package,
    Tree,
    Workspace,
    contains,
    join,
    make_gate,
    topmost,
)

MAKEFILES = ("GNUmakefile", "makefile", "Makefile")  # the order GNU make looks for them
TEST_TARGETS = ("test", "check")
# The commands through which a Makefile drives each toolchain.
DRIVERS = {
    "cargo": ("cargo", "cross"),
    "npm": ("npm", "npx"),
    "pnpm": ("pnpm", "npx"),
    "yarn": ("yarn", "npx"),
    "go": ("go",),
    "python": ("python", "python3", "pytest", "pip", "uv", "poetry", "tox", "nox", "hatch"),
    "gleam": ("gleam",),
    "maven": ("mvn", "mvnw"),
    "gradle": ("gradle", "gradlew"),
    "cmake": ("cmake",),
}
_RULE = re.compile(r"^([^\t#:=][^:=]*?)\s*(?:::?)(?!=)")
_DEFAULT_GOAL = re.compile(r"^\.DEFAULT_GOAL\s*:?=\s*(\S+)", re.M)


class Make:
    names: tuple[str, ...] = ("make",)
    noun: str = "directory"

    def detect_beside(self, root: Path, tree: Tree, others: Sequence[Workspace]) -> list[Workspace]:
        """Make workspaces, given the other toolchains' workspaces (see the precedence rule)."""
        found = []
        names_of = dict(tree)
        for rel in topmost([rel for rel, names in tree if any(m in names for m in MAKEFILES)]):
            names = names_of[rel]
            makefile = next(m for m in MAKEFILES if m in names)
            try:
                text = (root / rel / makefile).read_text("utf-8", "replace")
            except OSError:
                continue
            beneath = [w.toolchain for w in others if contains(rel, w.path)]
            if drives(text, beneath):
                continue
            workspace = self._workspace(rel, join(rel, makefile), text)
            if workspace is not None:
                found.append(workspace)
        return found

    def detect(self, root: Path, tree: Tree) -> list[Workspace]:
        return self.detect_beside(root, tree, ())

    def _workspace(self, rel: str, manifest: str, text: str) -> Workspace | None:
        targets, default = parse_targets(text)
        if default is None:
            return None  # `make` would stop with "No targets"
        gates = []
        if default != "help":
            gates.append(make_gate(rel, "make", ("make",), manifest, "make"))
        else:
            # `make` would only print the help text; build the conventional target instead.
            build = next((t for t in ("all", "build") if t in targets), None)
            if build:
                gates.append(make_gate(rel, f"make {build}", ("make", build), manifest, "make"))
        gates += [
            make_gate(rel, f"make {t}", ("make", t), manifest, "make") for t in TEST_TARGETS if t in targets
        ]
        return Workspace("make", rel, manifest, tuple(gates))

    def is_global(self, workspace: Workspace, relpath: str) -> bool:
        return False  # every change falls back anyway: packages() cannot scope

    def packages(self, root: Path, workspace: Workspace) -> list[Package]:
        raise CannotScope("make cannot build only part of a Makefile's project")

    def scoped_gates(self, root: Path, workspace: Workspace, selected: Sequence[Package]) -> tuple[Gate, ...]:
        return workspace.gates


def parse_targets(text: str) -> tuple[set[str], str | None]:
    """(every explicit target, the default goal) of a Makefile, without running make.

    Pattern rules, special targets (.PHONY) and targets made of variables are skipped; the
    default goal is .DEFAULT_GOAL when set, else the first ordinary target, as in GNU make.
    """
    text = re.sub(r"\\\n", " ", text)
    targets: list[str] = []
    for line in text.splitlines():
        if line.startswith("\t") or line.lstrip().startswith(("#", "define ", "export ")):
            continue
        match = _RULE.match(line)
        if not match or line[len(match.group(1)) :].lstrip().startswith((":=", "::=")):
            continue
        for target in match.group(1).split():
            if "%" not in target and "$" not in target and not target.startswith("."):
                targets.append(target)
    declared = _DEFAULT_GOAL.search(text)
    default = declared.group(1) if declared else (targets[0] if targets else None)
    return set(targets), default


def drives(text: str, toolchains: Sequence[str]) -> bool:
    """Whether the Makefile's recipes run one of the given toolchains' commands."""
    commands = {cmd for tool in toolchains for cmd in DRIVERS.get(tool, ())}
    if not commands:
        return False
    pattern = re.compile(r"(?:^|[\s;&|(/@-])(?:" + "|".join(map(re.escape, commands)) + r")(?=\s|$)")
    # Recipe lines, and assignments such as `CARGO ?= cargo` that recipes use as $(CARGO).
    lines = [line for line in text.splitlines() if line.startswith("\t") or "=" in line]
    return any(pattern.search(line) for line in lines)
