"""A Python project installed in editable mode is checked on the subject's code, never the worktree's.

Real virtualenvs, real `pip install -e` and `uv pip install -e` (setuptools' PEP 660 editable
install: a `.pth` path entry for the src layout, an import finder for the flat layout), real
pytest through the detected gates, with the project's `.venv` found by gatekit.
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


def project_files(layout: str) -> dict[str, str]:
    package = "src/calc" if layout == "src" else "calc"
    pyproject = (
        '[build-system]\nrequires = ["setuptools>=64"]\nbuild-backend = "setuptools.build_meta"\n\n'
        '[project]\nname = "calc"\nversion = "0.1"\n'
    )
    if layout == "flat":
        pyproject += '\n[tool.setuptools]\npackages = ["calc"]\n'
    return {
        # From tests/, as a runner started there would: the project root is not on sys.path, so
        # `import calc` goes through the editable install.
        "gatekit.toml": '[[gates]]\nname = "test"\nrun = ["python", "-m", "pytest", "-q"]\ncwd = "tests"\n',
        "pyproject.toml": pyproject,
        f"{package}/__init__.py": GOOD,
        "tests/test_calc.py": TEST,
        ".gitignore": ".venv/\n*.egg-info/\n__pycache__/\nbuild/\n",
    }


@pytest.fixture(scope="session")
def wheelhouse() -> Path:
    """setuptools and wheel for the editable builds, downloaded once (.ci/install-clients.sh does)
    for each Python: a setuptools built for 3.11 refuses to install under 3.9."""
    root = Path(os.environ.get("GATEKIT_TEST_WHEELS", Path.home() / ".cache" / "gatekit-test-wheels"))
    path = root / f"py{sys.version_info[0]}{sys.version_info[1]}"
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
        done = subprocess.run(argv, cwd=repo.path, env=env, capture_output=True, text=True)
        assert done.returncode == 0, f"{argv}: {done.stdout}{done.stderr}"
    see_the_test_runners_packages(venv)
    for argv in steps[1:]:
        done = subprocess.run(argv, cwd=repo.path, env=env, capture_output=True, text=True)
        assert done.returncode == 0, f"{argv}: {done.stdout}{done.stderr}"


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


@pytest.fixture(params=["pip", "uv"])
def installer(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def editable_calc(repo: Repo, layout: str, installer: str, wheelhouse: Path) -> str:
    """Commit the calc project, install it editable; the path of its module."""
    files = project_files(layout)
    repo.commit("calc", files)
    editable_install(repo, installer, wheelhouse)
    return next(path for path in files if path.endswith("calc/__init__.py"))


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
