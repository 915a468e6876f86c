"""Projects installed editable by poetry, hatch and PDM are checked on the subject's code (issue 11).

Each tool installs the project itself, offline (`poetry install`, `hatch env create`, `pdm
install`), into the project's `.venv` or, for poetry and hatch, into the tool's default place
outside the project; gatekit finds either without activation: a clean
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
    ("tool", "exact", "in_project"),
    [
        ("poetry", False, True),
        ("poetry", False, False),
        ("hatch", False, True),
        ("hatch", True, True),
        ("hatch", False, False),
        ("pdm", False, True),
        ("pdm", True, True),
    ],
)
def test_a_staged_break_fails_in_a_project_the_tool_installed_editable(
    repo: Repo, tool: str, exact: bool, in_project: bool, wheelhouse: Path, tmp_path: Path
) -> None:
    command = require_client(tool)
    repo.commit("calc", tool_project_files(tool, exact, in_project))
    venv, settings = tool_install(repo, tool, command, wheelhouse, tmp_path / "tool", in_project)
    found_by = ".venv" if in_project else tool
    assert (venv.parent == repo.path) == in_project, venv
    listed = repo.gatekit("gates", env=settings)
    assert f"python environment: {venv} (found {found_by})" in listed.stdout, listed.stdout + listed.stderr

    clean = repo.gatekit("check", "--staged", env=settings)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    module = module_path("src")
    repo.write(module, BROKEN)
    repo.git("add", module)
    repo.write(module, GOOD)  # where the tool's editable install points
    broken = repo.gatekit("check", "--staged", env=settings)
    assert broken.returncode == 1, broken.stdout + broken.stderr
    assert FAILURE in broken.stdout
