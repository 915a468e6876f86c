"""Python projects installed in editable mode, for the sandbox's editable-install tests.

A small `calc` package (src or flat layout) whose test fails when `add` is broken, a project
`.venv` in the worktree with the package installed editable by a real installer, and the
wheelhouse that lets the editable builds run without an index (.ci/install-clients.sh fills it).
"""

from __future__ import annotations

import os
import shutil
import site
import subprocess
import sys
from pathlib import Path

import pytest

from testing.repo import Repo

GOOD = "def add(a, b):\n    return a + b\n"
BROKEN = "def add(a, b):\n    return a - b\n"
TEST = "from calc import add\n\n\ndef test_add():\n    assert add(1, 2) == 3\n"
FAILURE = "assert -1 == 3"  # what the broken add makes pytest print
GITIGNORE = ".venv/\n*.egg-info/\n__pycache__/\nbuild/\n"
# From tests/, as a runner started there would: the project root is not on sys.path, so
# `import calc` goes through the editable install.
TEST_GATE = '[[gates]]\nname = "test"\nrun = ["python", "-m", "pytest", "-q"]\ncwd = "tests"\n'


def module_path(layout: str) -> str:
    return "src/calc/__init__.py" if layout == "src" else "calc/__init__.py"


def project_files(layout: str) -> dict[str, str]:
    pyproject = (
        '[build-system]\nrequires = ["setuptools>=64"]\nbuild-backend = "setuptools.build_meta"\n\n'
        '[project]\nname = "calc"\nversion = "0.1"\n'
    )
    if layout == "flat":
        pyproject += '\n[tool.setuptools]\npackages = ["calc"]\n'
    return {
        "gatekit.toml": TEST_GATE,
        "pyproject.toml": pyproject,
        module_path(layout): GOOD,
        "tests/test_calc.py": TEST,
        ".gitignore": GITIGNORE,
    }


def wheels_dir() -> Path:
    """The wheelhouse of this Python (a setuptools built for 3.11 refuses to install under 3.9)."""
    root = Path(os.environ.get("GATEKIT_TEST_WHEELS", Path.home() / ".cache" / "gatekit-test-wheels"))
    return root / f"py{sys.version_info[0]}{sys.version_info[1]}"


def setuptools_wheelhouse() -> Path:
    """setuptools and wheel for the editable builds, downloaded once (.ci/install-clients.sh does)."""
    path = wheels_dir()
    if not list(path.glob("setuptools-*.whl")) or not list(path.glob("wheel-*.whl")):
        argv = [sys.executable, "-m", "pip", "download", "-q", "-d", str(path), "setuptools>=64", "wheel"]
        subprocess.run(argv, check=True, capture_output=True)
    return path


def editable_install(repo: Repo, installer: str, wheels: Path) -> None:
    """A .venv in the worktree (with the system's pytest) and the project installed editable."""
    env = dict(repo.env)
    venv = repo.path / ".venv"
    python = str(venv / "bin" / "python")
    offline = ["--no-index", "--find-links", str(wheels)]
    if installer == "pip":
        steps = [
            [sys.executable, "-m", "venv", "--without-pip", "--system-site-packages", str(venv)],
            [
                sys.executable,
                "-m",
                "pip",
                "--python",
                python,
                "install",
                "-q",
                *offline,
                "--no-deps",
                "-e",
                ".",
            ],
        ]
    else:
        uv = shutil.which("uv")
        if uv is None:
            pytest.skip("uv is not installed (.ci/install-clients.sh installs it)")
        env["UV_CACHE_DIR"] = os.environ.get("UV_CACHE_DIR", str(Path.home() / ".cache" / "uv"))
        steps = [
            [uv, "venv", "-q", "--system-site-packages", "-p", sys.executable, str(venv)],
            [uv, "pip", "install", "-q", "--offline", *offline, "-p", python, "-e", "."],
        ]
    for argv in steps[:1]:
        run_ok(argv, repo.path, env)
    see_the_test_runners_packages(venv)
    for argv in steps[1:]:
        run_ok(argv, repo.path, env)


def run_ok(argv: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True)
    assert done.returncode == 0, f"{argv}: {done.stdout}{done.stderr}"
    return done


def see_the_test_runners_packages(venv: Path) -> None:
    """Give the project's venv the packages of the Python running these tests (pytest above all).

    --system-site-packages only reaches the base interpreter's, and when the tests run in a venv
    of their own (CI's, or the 3.9 one) pytest is not there.
    """
    version = f"python{sys.version_info[0]}.{sys.version_info[1]}"
    target = venv / "lib" / version / "site-packages"
    target.mkdir(parents=True, exist_ok=True)
    (target / "test_runner_packages.pth").write_text("\n".join(site.getsitepackages()) + "\n")


def activated(repo: Repo) -> dict[str, str]:
    """The environment of a user who activated the project's .venv."""
    venv = repo.path / ".venv"
    return {"VIRTUAL_ENV": str(venv), "PATH": f"{venv / 'bin'}{os.pathsep}{repo.env['PATH']}"}


def editable_calc(repo: Repo, layout: str, installer: str, wheels: Path) -> str:
    """Commit the calc project, install it editable; the path of its module."""
    repo.commit("calc", project_files(layout))
    editable_install(repo, installer, wheels)
    return module_path(layout)
