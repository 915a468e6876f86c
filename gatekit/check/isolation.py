"""What a gate in a sandbox sees of the user's setup: the project's environment, never its sources.

A sandbox holds the subject's files, but the user's environment still points at the user's
worktrees: an editable Python install (pip -e, uv, poetry, hatch, PDM) maps the package to the
worktree, and variables such as CARGO_TARGET_DIR or GOWORK may name a path inside it. Gates get:

- the project's own Python environment (the active virtualenv, else a `.venv`/`venv` in the
  worktree) first on PATH, so `python -m pytest` has the project's dependencies;
- gatekit's sitecustomize shim first on PYTHONPATH, which moves every import path and editable
  finder that points into a worktree of this repository to the same place in the sandbox;
- path variables that point into a worktree moved to the sandbox likewise.

Node needs nothing: node_modules is resolved upwards from the sandbox, and nothing of the user's
lies above it (the sandbox's own install persists between runs). Cargo and Go search parent
directories for `.cargo/config.toml` and `go.work`; above a sandbox there are none of the user's.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from gatekit import git
from gatekit.git import RepoPaths

SHIM_DIR = Path(__file__).resolve().parent / "pyshim"
REDIRECT_VAR = "GATEKIT_PY_REDIRECT"
# Variables holding one path (or a path list) that must not lead a sandboxed build back into a
# worktree: the build would read the worktree's files or write its outputs there.
PATH_VARS = ("CARGO_TARGET_DIR", "GOWORK")


@dataclass(frozen=True)
class PythonEnvironment:
    """The virtualenv a project's Python gates run in, and how gatekit found it."""

    path: Path
    found_by: str  # "VIRTUAL_ENV" or the directory name

    @property
    def bin_dir(self) -> Path:
        return self.path / ("Scripts" if os.name == "nt" else "bin")


def project_environment(root: Path) -> PythonEnvironment | None:
    """The active virtualenv, else a `.venv` or `venv` (uv, poetry in-project, python -m venv) at root."""
    active = os.environ.get("VIRTUAL_ENV")
    if active and (Path(active) / "pyvenv.cfg").is_file():
        return PythonEnvironment(Path(active), "VIRTUAL_ENV")
    for name in (".venv", "venv"):
        if (root / name / "pyvenv.cfg").is_file():
            return PythonEnvironment(root / name, name)
    return None


def project_variables(root: Path) -> dict[str, str]:
    """VIRTUAL_ENV and PATH of the project's environment, as every gate of root runs with them
    (nothing when it has none): the verdict key reads the same, so the environment is in it."""
    venv = project_environment(root)
    if venv is None:
        return {}
    return {
        "VIRTUAL_ENV": str(venv.path),
        "PATH": os.pathsep.join([str(venv.bin_dir), os.environ.get("PATH", os.defpath)]),
    }


def worktree_roots(repo: RepoPaths) -> list[Path]:
    """Every checkout of the repository: an import path into any of them is a user's source."""
    roots = {repo.toplevel.resolve()}
    for worktree in git.list_worktrees(repo.toplevel):
        if not worktree.bare:
            roots.add(worktree.path.resolve())
    return sorted(roots)


def isolation_env(repo: RepoPaths, sandbox: Path) -> dict[str, str]:
    """The variables that keep a gate in sandbox on the subject's code (added to its environment)."""
    roots = worktree_roots(repo)
    env: dict[str, str] = {REDIRECT_VAR: json.dumps({"from": [str(r) for r in roots], "to": str(sandbox)})}
    env.update(project_variables(repo.toplevel))
    for name in PATH_VARS:
        if os.environ.get(name):
            env[name] = move_path(os.environ[name], roots, sandbox)
    node_path = [move_path(p, roots, sandbox) for p in os.environ.get("NODE_PATH", "").split(os.pathsep) if p]
    if node_path:
        env["NODE_PATH"] = os.pathsep.join(node_path)
    # The shim moves PYTHONPATH's own entries at startup (sparing the environment's files).
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(SHIM_DIR), os.environ.get("PYTHONPATH", "")]))
    return env


def move_path(value: str, roots: Sequence[Path], sandbox: Path) -> str:
    """value, or its counterpart in the sandbox when it lies inside one of the worktrees."""
    path = Path(value).expanduser()
    if not path.is_absolute():
        return value
    real = path.resolve()
    for root in roots:
        try:
            return str(sandbox / real.relative_to(root))
        except ValueError:
            continue
    return value
