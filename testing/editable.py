"""Python projects installed in editable mode, for the sandbox's editable-install tests.

A small `calc` package (src or flat layout) whose test fails when `add` is broken, a project
`.venv` in the worktree with the package installed editable by a real installer, and the
wheelhouse that lets the editable builds run without an index (.ci/install-clients.sh fills it).
"""

from __future__ import annotations

import os
import re
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


# -- poetry, hatch and PDM, each installing the project itself -------------------------------

# PDM fetches this with pip for a project on Python < 3.10 (its "compat libs").
PDM_COMPAT = ("dep-logic<0.7",)
# A proxy nobody listens on: an install that reaches for the network fails at once.
OFFLINE = {name: "http://127.0.0.1:9" for name in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY")}


def backend_wheelhouse() -> Path:
    """The wheelhouse with hatchling and pdm-backend too (and `editables`, which both use for
    exact editable installs), for builds in isolation without an index."""
    path = setuptools_wheelhouse()
    wanted = ("hatchling-*.whl", "editables-*.whl", "pdm_backend-*.whl", "dep_logic-0.[0-6].*.whl")
    if not all(list(path.glob(pattern)) for pattern in wanted):
        argv = [sys.executable, "-m", "pip", "download", "-q", "-d", str(path), "hatchling", "editables"]
        subprocess.run([*argv, "pdm-backend", *PDM_COMPAT], check=True, capture_output=True)
    return path


def tool_project_files(tool: str, exact: bool = False, in_project: bool = True) -> dict[str, str]:
    """The calc project (src layout) as poetry, hatch or PDM lays it out.

    exact: the editable install maps the package through the `editables` import finder
    (hatch's dev-mode-exact, PDM's editable-backend) instead of a `.pth` path entry.
    in_project: hatch's environment is the project's .venv (else hatch's default, outside it).
    """
    project = '[project]\nname = "calc"\nversion = "0.1"\nrequires-python = ">=3.9"\n'
    if tool == "poetry":
        pyproject = (
            project + '\n[tool.poetry]\npackages = [{ include = "calc", from = "src" }]\n\n'
            '[build-system]\nrequires = ["poetry-core>=2.0"]\nbuild-backend = "poetry.core.masonry.api"\n'
        )
    elif tool == "hatch":
        # The environment with the Python running these tests.
        pyproject = (
            project + '\n[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n\n'
            f'[tool.hatch.envs.default]\ntype = "virtual"\npython = "{sys.executable}"\n'
        )
        if in_project:
            pyproject += 'path = ".venv"\n'
        if exact:
            pyproject += "\n[tool.hatch.build]\ndev-mode-exact = true\n"
    else:
        pyproject = project + '\n[build-system]\nrequires = ["pdm-backend"]\nbuild-backend = "pdm.backend"\n'
        if exact:
            # The editables redirector is imported at start-up: PDM installs it as the project's
            # dependency (from the wheelhouse), as pdm-backend's documentation asks.
            pyproject = pyproject.replace(
                'requires-python = ">=3.9"\n', 'requires-python = ">=3.9"\ndependencies = ["editables"]\n'
            )
            pyproject += '\n[tool.pdm.build]\neditable-backend = "editables"\n'
    return {
        "gatekit.toml": TEST_GATE,
        "pyproject.toml": pyproject,
        module_path("src"): GOOD,
        "tests/test_calc.py": TEST,
        ".gitignore": GITIGNORE + "poetry.lock\npdm.lock\n.pdm-python\n",
    }


def tool_install(
    repo: Repo, tool: str, command: str, wheels: Path, scratch: Path, in_project: bool = True
) -> tuple[Path, dict[str, str]]:
    """`poetry install`, `hatch env create` or `pdm install` in the project, offline: the
    project's environment with the package installed editable by the tool itself.

    Returns the environment, and the tool's settings (where it keeps its environments), which
    the user's shell has too.
    """
    scratch.mkdir(parents=True, exist_ok=True)
    venv = repo.path / ".venv"
    settings: dict[str, str] = {}
    env = {**repo.env, **OFFLINE, "PIP_CONFIG_FILE": os.devnull, "NO_PROXY": "", "no_proxy": ""}
    if tool == "poetry":
        # poetry builds the editable install itself (no backend to fetch), in the environment
        # `poetry env use` made with the Python running these tests: the project's .venv, or
        # poetry's default, <cache dir>/virtualenvs/calc-<hash>-pyX.Y.
        settings = {
            "POETRY_VIRTUALENVS_IN_PROJECT": "true" if in_project else "false",
            "POETRY_CONFIG_DIR": str(scratch / "poetry-config"),
            "POETRY_CACHE_DIR": str(scratch / "poetry-cache"),
        }
        env.update(settings, POETRY_NO_INTERACTION="1")
        run_ok([command, "env", "use", sys.executable], repo.path, env)
        run_ok([command, "install"], repo.path, env)
        venv = Path(run_ok([command, "env", "info", "--path"], repo.path, env).stdout.strip())
    elif tool == "hatch":
        # hatch creates the environment and pip-installs the project in dev mode, building it
        # with hatchling in isolation: from the wheelhouse.
        (scratch / "hatch-config.toml").write_text("")
        settings = {
            "HATCH_CONFIG": str(scratch / "hatch-config.toml"),
            "HATCH_DATA_DIR": str(scratch / "hatch-data"),
            "HATCH_CACHE_DIR": str(scratch / "hatch-cache"),
        }
        env.update(settings, PIP_NO_INDEX="1", PIP_FIND_LINKS=str(wheels))
        run_ok([command, "env", "create"], repo.path, env)
        venv = Path(run_ok([command, "env", "find"], repo.path, env).stdout.strip())
    else:
        # PDM reuses the in-project .venv and builds with pdm-backend in isolation, installed from
        # its index: a simple index over the wheelhouse.
        run_ok([sys.executable, "-m", "venv", "--without-pip", str(venv)], repo.path, env)
        env.update(
            PDM_HOME=str(scratch / "pdm-home"),
            PDM_CACHE_DIR=str(scratch / "pdm-cache"),
            PDM_CONFIG_FILE=str(scratch / "pdm-config.toml"),
            PDM_CHECK_UPDATE="false",
            PDM_PYPI_URL=simple_index(wheels, scratch / "simple").as_uri(),
            PIP_NO_INDEX="1",  # the compat libs of a Python < 3.10 project
            PIP_FIND_LINKS=str(wheels),
        )
        run_ok([command, "install"], repo.path, env)
    see_the_test_runners_packages(venv)
    return venv, settings


def simple_index(wheels: Path, root: Path) -> Path:
    """A PEP 503 simple index (one page per project) over the wheels of a directory."""
    for wheel in sorted(wheels.glob("*.whl")):
        project = re.sub(r"[-_.]+", "-", wheel.name.split("-")[0]).lower()
        page = root / project / "index.html"
        page.parent.mkdir(parents=True, exist_ok=True)
        with page.open("a") as out:
            out.write(f'<a href="{wheel.as_uri()}">{wheel.name}</a>\n')
    return root
