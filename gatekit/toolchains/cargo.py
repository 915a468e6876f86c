"""Cargo workspaces: `cargo build/test --workspace`, scoped with `-p` from `cargo metadata`."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from gatekit.config import Gate
from gatekit.errors import CommandError, ToolMissing
from gatekit.system.processes import run_captured
from gatekit.toolchains.base import (
    CannotScope,
    Package,
    Tree,
    Workspace,
    join,
    make_gate,
    relative_to,
    topmost,
)

METADATA = ("cargo", "metadata", "--offline", "--no-deps", "--format-version", "1")
METADATA_TIMEOUT = 120.0
# Beside the root manifest and the lockfile, these change how every crate builds.
GLOBAL_FILES = ("Cargo.toml", "Cargo.lock", "rust-toolchain", "rust-toolchain.toml")
GLOBAL_DIRS = (".cargo",)


class Cargo:
    names: tuple[str, ...] = ("cargo",)
    noun: str = "crate"

    def detect(self, root: Path, tree: Tree) -> list[Workspace]:
        # Members of a workspace sit beneath its root manifest: the topmost Cargo.toml is the
        # workspace, nested ones are its members (or excluded crates cargo would refuse anyway).
        dirs = topmost([rel for rel, names in tree if "Cargo.toml" in names])
        return [self._workspace(rel) for rel in dirs]

    def _workspace(self, rel: str) -> Workspace:
        manifest = join(rel, "Cargo.toml")
        gates = (
            make_gate(rel, "cargo build", ("cargo", "build", "--workspace"), manifest, "cargo"),
            make_gate(rel, "cargo test", ("cargo", "test", "--workspace"), manifest, "cargo"),
        )
        return Workspace("cargo", rel, manifest, gates)

    def is_global(self, workspace: Workspace, relpath: str) -> bool:
        inner = relative_to(workspace.path, relpath)
        return inner in GLOBAL_FILES or inner.split("/", 1)[0] in GLOBAL_DIRS

    def packages(self, root: Path, workspace: Workspace) -> list[Package]:
        directory = root / workspace.path
        env = {**os.environ, "CARGO_NET_OFFLINE": "true", "CARGO_TERM_COLOR": "never"}
        try:
            result = run_captured(METADATA, directory, env=env, timeout=METADATA_TIMEOUT)
        except ToolMissing as exc:
            raise CannotScope("`cargo` is not installed, so the crate graph is unknown") from exc
        except CommandError as exc:
            first = exc.stderr.splitlines()[0] if exc.stderr else f"exit code {exc.returncode}"
            raise CannotScope(f"`cargo metadata` failed: {first}") from exc
        try:
            metadata = json.loads(result.stdout)
        except ValueError as exc:
            raise CannotScope("`cargo metadata` printed something that is not JSON") from exc
        return parse_metadata(metadata, root)

    def scoped_gates(self, root: Path, workspace: Workspace, selected: Sequence[Package]) -> tuple[Gate, ...]:
        flags = [arg for package in selected for arg in ("-p", package.name)]
        return (
            make_gate(
                workspace.path,
                "cargo build",
                ("cargo", "build", *flags),
                workspace.manifest,
                "cargo",
            ),
            make_gate(workspace.path, "cargo test", ("cargo", "test", *flags), workspace.manifest, "cargo"),
        )


def parse_metadata(metadata: Any, root: Path) -> list[Package]:
    """Workspace members and their path dependencies on each other, from `cargo metadata`."""
    if not isinstance(metadata, dict) or not isinstance(metadata.get("packages"), list):
        raise CannotScope("`cargo metadata` output has no package list")
    members = set(metadata.get("workspace_members") or ())
    crates = [p for p in metadata["packages"] if isinstance(p, dict) and p.get("id") in members]
    names = {crate["name"] for crate in crates}
    real_root = root.resolve()
    packages: list[Package] = []
    for crate in crates:
        manifest = Path(crate["manifest_path"]).resolve()
        try:
            path = manifest.parent.relative_to(real_root).as_posix() or "."
        except ValueError as exc:
            raise CannotScope(f"crate `{crate['name']}` lies outside the checkout") from exc
        # A dependency on a sibling member is a path dependency (cargo gives it a "path").
        depends_on = {
            dep["name"]
            for dep in crate.get("dependencies") or ()
            if dep.get("path") and dep.get("name") in names and dep["name"] != crate["name"]
        }
        packages.append(Package(crate["name"], path if path != "" else ".", frozenset(depends_on)))
    return packages
