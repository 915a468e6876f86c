"""What a gate in a sandbox sees of the user's setup: the project's environment, never its sources.

A sandbox holds the subject's files, but the user's environment still points at the user's
worktrees: an editable Python install (pip -e, uv, poetry, hatch, PDM) maps the package to the
worktree, and variables such as CARGO_TARGET_DIR or GOWORK may name a path inside it. Gates get:

- the project's own Python environment (the active virtualenv, else a `.venv`/`venv` in the
  worktree, else the one poetry or hatch keeps for it outside) first on PATH, so `python -m
  pytest` has the project's dependencies; the verdict key reads the same PATH
  (project_variables), so a recreated environment is a new key;
- gatekit's sitecustomize shim first on PYTHONPATH, which moves every import path and editable
  finder that points into a worktree of this repository to the same place in the sandbox;
- path variables that point into a worktree moved to the sandbox likewise.

Node needs nothing: node_modules is resolved upwards from the sandbox, and nothing of the user's
lies above it (the sandbox's own install persists between runs). Cargo and Go search parent
directories for `.cargo/config.toml` and `go.work`; above a sandbox there are none of the user's.
"""

from __future__ import annotations

import base64
import glob
import hashlib
import json
import os
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python < 3.11
    import tomli as tomllib

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
    """The active virtualenv, else a `.venv` or `venv` at root (uv, PDM, poetry and hatch
    in-project, python -m venv), else the environment poetry or hatch keeps for root outside it
    (their default), found where the tool itself puts it."""
    active = os.environ.get("VIRTUAL_ENV")
    if active and (Path(active) / "pyvenv.cfg").is_file():
        return PythonEnvironment(Path(active), "VIRTUAL_ENV")
    for name in (".venv", "venv"):
        if (root / name / "pyvenv.cfg").is_file():
            return PythonEnvironment(root / name, name)
    pyproject = _read_toml(root / "pyproject.toml")
    tool = _table(pyproject, "tool")
    project_name = _table(pyproject, "project").get("name")
    if "poetry" in tool:
        found = _poetry_environment(root, project_name or _table(tool, "poetry").get("name"))
        if found is not None:
            return found
    backend = str(_table(pyproject, "build-system").get("build-backend", ""))
    if isinstance(project_name, str) and ("hatch" in tool or backend.startswith("hatchling")):
        return _hatch_environment(root, project_name)
    return None


def _poetry_environment(root: Path, name: object) -> PythonEnvironment | None:
    """poetry's `<name>-<hash of root>-py<X.Y>` under its virtualenvs directory (EnvManager.
    generate_env_name); the Python `poetry env use` chose when there are several."""
    if not isinstance(name, str) or not name:
        return None
    sanitized = re.sub(r'[ $`!*@"\\\r\n\t]', "_", name.lower())[:42]
    digest = hashlib.sha256(os.path.normcase(os.path.realpath(root)).encode()).digest()
    env_name = f"{sanitized}-{base64.urlsafe_b64encode(digest).decode()[:8]}"
    home = Path.home()
    config_dir = os.environ.get("POETRY_CONFIG_DIR") or str(
        _xdg("XDG_CONFIG_HOME", home / ".config") / "pypoetry"
    )
    config = _read_toml(Path(config_dir) / "config.toml")
    virtualenvs = _table(config, "virtualenvs")
    cache_dir = (
        os.environ.get("POETRY_CACHE_DIR") or config.get("cache-dir") or str(_user_cache(home) / "pypoetry")
    )
    base = Path(
        os.environ.get("POETRY_VIRTUALENVS_PATH")
        or virtualenvs.get("path")
        or Path(str(cache_dir)) / "virtualenvs"
    ).expanduser()
    candidates = [
        p for p in sorted(base.glob(f"{glob.escape(env_name)}-py*")) if (p / "pyvenv.cfg").is_file()
    ]
    chosen = _read_toml(base / "envs.toml").get(env_name)
    if isinstance(chosen, dict) and (base / f"{env_name}-py{chosen.get('minor')}" / "pyvenv.cfg").is_file():
        return PythonEnvironment(base / f"{env_name}-py{chosen.get('minor')}", "poetry")
    if candidates:
        return PythonEnvironment(max(candidates, key=lambda p: (p / "pyvenv.cfg").stat().st_mtime), "poetry")
    return None


def _hatch_environment(root: Path, name: str) -> PythonEnvironment | None:
    """hatch's default environment: <data dir>/env/virtual/<name>/<hash of root>/<name>."""
    path = str(root)
    if sys.platform in ("win32", "darwin"):
        path = path.casefold()
    project_id = base64.urlsafe_b64encode(hashlib.sha256(path.encode()).digest()).decode()[:8]
    data = os.environ.get("HATCH_DATA_DIR") or str(
        _xdg("XDG_DATA_HOME", Path.home() / ".local" / "share") / "hatch"
    )
    name = re.sub(r"[-_.]+", "-", name).lower()  # hatchling's normalized project name
    venv = Path(data) / "env" / "virtual" / name / project_id / name
    return PythonEnvironment(venv, "hatch") if (venv / "pyvenv.cfg").is_file() else None


def _xdg(variable: str, default: Path) -> Path:
    value = os.environ.get(variable)
    return Path(value) if value and os.path.isabs(value) else default


def _user_cache(home: Path) -> Path:
    if sys.platform == "darwin":
        return home / "Library" / "Caches"
    return _xdg("XDG_CACHE_HOME", home / ".cache")


def _table(document: dict[str, Any], key: str) -> dict[str, Any]:
    value = document.get(key)
    return value if isinstance(value, dict) else {}


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        document = tomllib.loads(path.read_text("utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return {}
    return document if isinstance(document, dict) else {}


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
