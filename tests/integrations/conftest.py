"""Fixtures for the integration tests: the real CI clients, and what is built once per session
(a venv with this checkout installed, a committed snapshot of it for pre-commit and act)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from testing.env import hermetic_env
from testing.repo import REPO_ROOT
from testing.samples import snapshot_repo


@pytest.fixture(scope="session")
def session_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A hermetic environment shared by the session-scoped builds."""
    return hermetic_env(tmp_path_factory.mktemp("session-home"))


@pytest.fixture(scope="session")
def hook_repo(tmp_path_factory: pytest.TempPathFactory, session_env: dict[str, str]) -> tuple[Path, str]:
    """(path, commit) of a committed snapshot of this checkout: what pre-commit and act install."""
    repo, commit = snapshot_repo(REPO_ROOT, tmp_path_factory.mktemp("hook-repo") / "gatekit", session_env)
    return repo.path, commit


@pytest.fixture(scope="session")
def gatekit_venv(tmp_path_factory: pytest.TempPathFactory, hook_repo: tuple[Path, str]) -> Path:
    """A venv with this checkout installed (not editable): the CI templates reuse it via
    GATEKIT_VENV, so each pipeline's `pip install` finds everything already there."""
    venv = tmp_path_factory.mktemp("gatekit-venv") / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run(
        [
            str(venv / "bin" / "python"),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            str(hook_repo[0]),
        ],
        check=True,
    )
    return venv


@pytest.fixture(scope="session")
def precommit_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One PRE_COMMIT_HOME for the session, so pre-commit builds gatekit's venv once."""
    return tmp_path_factory.mktemp("pre-commit-home")
