"""Projects installed editable by poetry, hatch and PDM are checked on the subject's code (issue 11).

Each tool installs the project itself, offline (`poetry install`, `hatch env create`, `pdm
install`), into the project's in-project `.venv`, which gatekit finds without activation: a clean
tree passes (the test imports the package only through that environment's editable install), and
a staged break fails although the worktree, where the install points, holds the good code. hatch
and PDM are also run in their exact mode, where the `editables` import finder maps the package.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from testing.clients import require_client
from testing.editable import (
    BROKEN,
    FAILURE,
    GOOD,
    backend_wheelhouse,
    module_path,
    tool_install,
    tool_project_files,
)
from testing.repo import Repo


@pytest.fixture(scope="session")
def wheelhouse() -> Path:
    return backend_wheelhouse()


@pytest.mark.parametrize(
    ("tool", "exact"), [("poetry", False), ("hatch", False), ("hatch", True), ("pdm", False), ("pdm", True)]
)
def test_a_staged_break_fails_in_a_project_the_tool_installed_editable(
    repo: Repo, tool: str, exact: bool, wheelhouse: Path, tmp_path: Path
) -> None:
    command = require_client(tool)
    repo.commit("calc", tool_project_files(tool, exact))
    venv = tool_install(repo, tool, command, wheelhouse, tmp_path / "tool")
    listed = repo.gatekit("gates")
    assert f"python environment: {venv} (found .venv)" in listed.stdout, listed.stdout + listed.stderr

    clean = repo.gatekit("check", "--staged")
    assert clean.returncode == 0, clean.stdout + clean.stderr
    module = module_path("src")
    repo.write(module, BROKEN)
    repo.git("add", module)
    repo.write(module, GOOD)  # where the tool's editable install points
    broken = repo.gatekit("check", "--staged")
    assert broken.returncode == 1, broken.stdout + broken.stderr
    assert FAILURE in broken.stdout
