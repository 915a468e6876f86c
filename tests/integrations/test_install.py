"""The README's install command on a fresh machine, and what the light (core) install can do.

The venv comes from the system Python (Debian's is externally managed: `pip install` outside a
venv fails there), without site packages, so nothing of this machine's own installs leaks in.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from testing.repo import REPO_ROOT, Repo, init_repo

CORE = {"click", "git-gatekit", "junit-xml"}
# What a venv brings by itself, and what the core's own dependencies pull in (junit-xml: six).
BASELINE = {"pip", "setuptools", "six", "tomli"}


def system_python() -> str:
    """The machine's own Python 3, as a fresh Debian/Ubuntu has it; else the one under the tests."""
    if os.access("/usr/bin/python3", os.X_OK):
        return "/usr/bin/python3"
    return getattr(sys, "_base_executable", sys.executable)


def readme_install_command() -> str:
    """The first command of the README: the one a new user copies."""
    text = (REPO_ROOT / "README.md").read_text("utf-8")
    match = re.search(r"```bash\n(.+?)\n```", text)
    assert match, "README has no bash block"
    return match.group(1)


@pytest.fixture(scope="module")
def installed(
    tmp_path_factory: pytest.TempPathFactory, hook_repo: tuple[Path, str]
) -> tuple[Path, dict[str, str]]:
    """(gatekit executable, env) after running the README's command with the system Python first on PATH."""
    home = tmp_path_factory.mktemp("fresh-home")
    python_dir = str(Path(system_python()).parent)
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV", "GIT_", "GATEKIT_"))
    }
    env.update(HOME=str(home), PATH=os.pathsep.join([python_dir, env.get("PATH", "")]))
    target = init_repo(
        home / "repo",
        {
            **env,
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_AUTHOR_NAME": "A",
            "GIT_AUTHOR_EMAIL": "a@x",
            "GIT_COMMITTER_NAME": "A",
            "GIT_COMMITTER_EMAIL": "a@x",
        },
        {"gatekit.toml": '[[gates]]\nname = "noop"\nrun = ["true"]\n'},
    )
    command = readme_install_command().replace("/path/to/your/repo", str(target.path))
    result = subprocess.run(
        ["bash", "-c", command], cwd=hook_repo[0], env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return home / ".gatekit" / "bin" / "gatekit", env


def test_readme_install_command_works_in_a_fresh_venv_of_the_system_python(
    installed: tuple[Path, dict[str, str]],
) -> None:
    gatekit, env = installed
    result = subprocess.run([str(gatekit), "--version"], env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "gatekit" in result.stdout


def test_core_install_holds_click_junit_xml_and_nothing_optional(
    installed: tuple[Path, dict[str, str]],
) -> None:
    gatekit, env = installed
    listed = subprocess.run(
        [str(gatekit.parent / "python"), "-m", "pip", "list", "--format", "freeze"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    names = {line.split("==")[0].lower() for line in listed.split()}
    assert names - BASELINE == CORE


@pytest.fixture
def core_repo(installed: tuple[Path, dict[str, str]], git_env: dict[str, str], tmp_path: Path) -> Repo:
    """A repository where two branches change the same Python function."""
    repo = init_repo(tmp_path / "repo", git_env, {"lib.py": "def f():\n    return 1\n"})
    for name, value in (("a", "2"), ("b", "3")):
        repo.git("checkout", "-q", "-b", name, "main")
        repo.commit(name, {"lib.py": f"def f():\n    return {value}\n"})
    repo.git("checkout", "-q", "main")
    return repo


def run_core(
    installed: tuple[Path, dict[str, str]], repo: Repo, *args: str
) -> subprocess.CompletedProcess[str]:
    gatekit, _ = installed
    return subprocess.run([str(gatekit), *args], cwd=repo.path, env=repo.env, capture_output=True, text=True)


def test_watch_without_its_extra_names_the_extra_and_exits_2(
    installed: tuple[Path, dict[str, str]], core_repo: Repo
) -> None:
    result = run_core(installed, core_repo, "watch", "--duration", "1")
    assert result.returncode == 2, result.stderr
    assert "git-gatekit[watch]" in result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_watch_once_needs_no_extra(installed: tuple[Path, dict[str, str]], core_repo: Repo) -> None:
    result = run_core(installed, core_repo, "watch", "--once")
    assert result.returncode == 0, result.stderr


def test_overlap_without_tree_sitter_compares_files_and_says_how_to_get_definitions(
    installed: tuple[Path, dict[str, str]], core_repo: Repo
) -> None:
    result = run_core(installed, core_repo, "overlap", "--format", "json")
    assert result.returncode == 0, result.stderr
    assert "lib.py" in result.stdout
    assert "git-gatekit[overlap]" in result.stderr and "Traceback" not in result.stderr
