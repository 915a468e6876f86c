"""A Python project installed in editable mode is checked on the subject's code, never the worktree's.

Real virtualenvs, real `pip install -e` and `uv pip install -e` (setuptools' PEP 660 editable
install: a `.pth` path entry for the src layout, an import finder for the flat layout), real
pytest through the detected gates, with the project's `.venv` found by gatekit.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from testing.editable import (
    BROKEN,
    GOOD,
    activated,
    editable_calc,
    editable_install,
    project_files,
    setuptools_wheelhouse,
)
from testing.repo import Repo


@pytest.fixture(scope="session")
def wheelhouse() -> Path:
    return setuptools_wheelhouse()


@pytest.fixture(params=["pip", "uv"])
def installer(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.mark.parametrize("layout", ["src", "flat"])
def test_a_staged_break_fails_although_the_worktree_is_editable_installed_and_good(
    repo: Repo, layout: str, installer: str, wheelhouse: Path
) -> None:
    module = editable_calc(repo, layout, installer, wheelhouse)
    clean = repo.gatekit("check", "--staged", env=activated(repo))
    assert clean.returncode == 0, clean.stdout + clean.stderr
    repo.write(module, BROKEN)
    repo.git("add", module)
    repo.write(module, GOOD)  # the worktree (which the editable install points at) is good
    result = repo.gatekit("check", "--staged", env=activated(repo))
    assert result.returncode == 1, result.stdout + result.stderr
    assert "assert -1 == 3" in result.stdout


@pytest.mark.parametrize("layout", ["src", "flat"])
def test_a_broken_rev_fails_while_the_editable_worktree_is_good(
    repo: Repo, layout: str, installer: str, wheelhouse: Path
) -> None:
    module = editable_calc(repo, layout, installer, wheelhouse)
    repo.git("checkout", "-q", "-b", "broken")
    repo.commit("break add", {module: BROKEN})
    repo.git("checkout", "-q", "main")
    result = repo.gatekit("check", "--rev", "broken", env=activated(repo))
    assert result.returncode == 1, result.stdout + result.stderr
    assert repo.gatekit("check", "--rev", "main", env=activated(repo)).returncode == 0


def test_detected_gates_run_in_the_project_s_venv_without_activation(repo: Repo, wheelhouse: Path) -> None:
    files = project_files("src")
    del files["gatekit.toml"]  # zero config: python compile + python -m pytest, detected
    repo.commit("calc", files)
    editable_install(repo, "pip", wheelhouse)
    repo.commit("unrelated", {"README.md": "calc\n"})
    result = repo.gatekit("check", "--no-cache")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "python test" in result.stdout


def test_gates_lists_the_project_environment(repo: Repo, wheelhouse: Path) -> None:
    repo.commit("calc", project_files("src"))
    editable_install(repo, "pip", wheelhouse)
    result = repo.gatekit("gates")
    assert result.returncode == 0, result.stderr
    assert f"python environment: {repo.path / '.venv'} (found .venv)" in result.stdout


def test_the_shim_steps_aside_for_the_environment_s_own_sitecustomize(repo: Repo) -> None:
    venv = repo.path / ".venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    site_packages = next(venv.glob("lib/python*/site-packages"))
    (site_packages / "sitecustomize.py").write_text("import builtins\nbuiltins.OWN_SITECUSTOMIZE = True\n")
    probe = (
        "import builtins, sys; print('OWN', builtins.OWN_SITECUSTOMIZE, any('pyshim' in p for p in sys.path))"
    )
    repo.commit(
        "probe",
        {
            ".gitignore": ".venv/\n",
            "gatekit.toml": f'[[gates]]\nname = "probe"\nrun = ["python", "-c", "{probe}"]\n',
        },
    )
    result = repo.gatekit("check", "--no-cache")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "OWN True False" in result.stdout
    assert "Error in sitecustomize" not in result.stdout
