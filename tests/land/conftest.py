from __future__ import annotations

from pathlib import Path

import pytest

from testing.landing import app_repo
from testing.repo import Repo


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
