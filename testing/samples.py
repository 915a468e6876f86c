"""Sample projects for end-to-end tests: a gate that imports every module, and branches whose
merge breaks it without a textual conflict (a broken main with no textual conflict, in miniature)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from testing.repo import Repo, init_repo

# The gate: import every module under src/, so a call to a renamed function fails the build.
CHECK_PY = """\
import importlib
import pathlib
import sys

sys.path.insert(0, "src")
for module in sorted(pathlib.Path("src").glob("*.py")):
    importlib.import_module(module.stem)
print("build ok")
"""

GATEKIT_TOML = """\
[[gates]]
name = "build"
run = "python check.py"
"""

BASE_FILES: dict[str, str | bytes] = {
    "check.py": CHECK_PY,
    "gatekit.toml": GATEKIT_TOML,
    "src/lib.py": "def greet():\n    return 'hi'\n",
}


def python_project(path: Path, env: dict[str, str], extra: dict[str, str | bytes] | None = None) -> Repo:
    """A repository on main whose `build` gate imports every module under src/."""
    return init_repo(path, env, {**BASE_FILES, **(extra or {})})


def break_by_merge(repo: Repo, branch: str = "feature") -> None:
    """On `branch`, use lib.greet; on main, rename it. Each passes alone; their merge does not."""
    repo.git("checkout", "-q", "-b", branch)
    repo.commit("use greet", {"src/use.py": "from lib import greet\n\nGREETING = greet()\n"})
    repo.git("checkout", "-q", "main")
    repo.commit("rename greet to welcome", {"src/lib.py": "def welcome():\n    return 'hi'\n"})
    repo.git("checkout", "-q", branch)


def good_feature(repo: Repo, branch: str = "feature") -> None:
    """A branch that adds a module using lib.greet, and a main that moved on harmlessly."""
    repo.git("checkout", "-q", "-b", branch)
    repo.commit("use greet", {"src/use.py": "from lib import greet\n\nGREETING = greet()\n"})
    repo.git("checkout", "-q", "main")
    repo.commit("docs", {"README.md": "more docs\n"})
    repo.git("checkout", "-q", branch)


def snapshot_repo(source: Path, dest: Path, env: dict[str, str]) -> tuple[Repo, str]:
    """A one-commit copy of source's tracked and untracked (not ignored) files, as they are now.

    pre-commit and act install a hook repository from a commit; this lets the tests use the code
    under test even when it is not committed yet.
    """
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=source,
        env=env,
        check=True,
        stdout=subprocess.PIPE,
    ).stdout
    dest.mkdir(parents=True)
    for raw in listed.split(b"\0"):
        if not raw:
            continue
        rel = os.fsdecode(raw)
        src = source / rel
        if not src.is_file() or src.is_symlink():
            continue
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(src.read_bytes())
        target.chmod(src.stat().st_mode & 0o777)
    repo = Repo(dest, env)
    repo.git("init", "-q", "-b", "main")
    return repo, repo.commit("snapshot of the code under test")
