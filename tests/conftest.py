from __future__ import annotations

from pathlib import Path

import pytest

from testing.env import hermetic_env
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
