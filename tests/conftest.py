from __future__ import annotations

from pathlib import Path

import pytest

from testing.env import hermetic_env
from testing.landing import app_repo
from testing.repo import Repo, init_repo


@pytest.fixture
def git_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """A hermetic environment; also applied to this process for in-process calls."""
    env = hermetic_env(tmp_path / "home")
    for key in list(__import__("os").environ):
        if key.startswith(("GIT_", "GATEKIT_")):
            monkeypatch.delenv(key, raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return env


@pytest.fixture
def repo(tmp_path: Path, git_env: dict[str, str]) -> Repo:
    """A repository on main with one commit."""
    return init_repo(tmp_path / "repo", git_env)


@pytest.fixture
def make_repo(tmp_path: Path, git_env: dict[str, str]):  # type: ignore[no-untyped-def]
    """Factory: make_repo(name, files) -> Repo."""

    def make(name: str = "repo", files: dict[str, str | bytes] | None = None) -> Repo:
        return init_repo(tmp_path / name, git_env, files)

    return make


@pytest.fixture
def counter(tmp_path: Path, git_env: dict[str, str]) -> Path:
    """A file outside every repository that the `app` gate appends to on each run."""
    path = tmp_path / "gate-runs.txt"
    git_env["GATE_COUNTER"] = str(path)
    return path


@pytest.fixture
def app(tmp_path: Path, git_env: dict[str, str], counter: Path) -> Repo:
    """A repository on main whose gate imports and runs app.py (see testing/landing.py)."""
    return app_repo(tmp_path / "repo", git_env)
