"""Builders for land / verify-push tests: a tiny Python app whose gate really imports and runs it.

The gate imports every top-level module and runs `app.main()`: it catches what `compileall` cannot (a call to a
renamed function), and appends a line to $GATE_COUNTER (a file outside the repository) each
time it runs, so tests can count real gate runs.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from pathlib import Path

from testing.repo import Repo, init_repo

GATE_SCRIPT = (
    "import glob, importlib, os, app\n"
    "for path in sorted(glob.glob('*.py')):\n"
    "    importlib.import_module(path[:-3])\n"
    "counter = os.environ.get('GATE_COUNTER')\n"
    "if counter:\n"
    "    open(counter, 'a').write('run\\n')\n"
    "app.main()\n"
)

APP = "from lib import helper\n\n\ndef main():\n    helper()\n"
LIB = "def helper():\n    return 1\n"


def gate_config(
    *, protected: tuple[str, ...] = ("main", "master"), extra: str = "", gate_script: str = GATE_SCRIPT
) -> str:
    """gatekit.toml with one gate `app` running the app with the test's Python."""
    run = json.dumps([sys.executable, "-c", gate_script])
    return f'protected = {json.dumps(list(protected))}\n{extra}\n[[gates]]\nname = "app"\nrun = {run}\n'


def app_repo(path: Path, env: dict[str, str], config: str | None = None) -> Repo:
    """A repository on main with app.py, lib.py and a gate that runs them."""
    return init_repo(path, env, {"gatekit.toml": config or gate_config(), "app.py": APP, "lib.py": LIB})


def branch_with(
    repo: Repo, name: str, files: Mapping[str, str | None], start: str = "main", message: str | None = None
) -> str:
    """Create branch name from start with files written (None deletes), without leaving main.

    Built in a temporary linked worktree, so the main worktree (often the land target) is never
    switched away from main.
    """
    wt_path = repo.path.parent / f"wt-{name.replace('/', '_')}"
    repo.git("worktree", "add", "-q", "-b", name, str(wt_path), start)
    branch = Repo(wt_path, repo.env)
    for rel, content in files.items():
        if content is None:
            (wt_path / rel).unlink()
        else:
            branch.write(rel, content)
    commit = branch.commit(message or f"{name}: change")
    repo.git("worktree", "remove", "--force", str(wt_path))
    return commit


def counter_lines(path: Path) -> int:
    return len(path.read_text().splitlines()) if path.exists() else 0


def first_parent_commits(repo: Repo, ref: str = "main") -> list[str]:
    return repo.git("rev-list", "--first-parent", ref).split()


def builds(repo: Repo, commit: str, scratch: Path) -> bool:
    """Does commit pass the same check as the gate? Extracted outside the repository."""
    import subprocess

    out = scratch / f"build-{commit[:12]}-{len(list(scratch.glob('build-*')))}"
    out.mkdir(parents=True)
    archive = subprocess.run(
        ["git", "archive", commit], cwd=repo.path, env=repo.env, capture_output=True, check=True
    )
    subprocess.run(["tar", "-x", "-C", str(out)], input=archive.stdout, check=True)
    gate = [sys.executable, "-c", GATE_SCRIPT]
    return subprocess.run(gate, cwd=out, capture_output=True, env={"PATH": "/usr/bin:/bin"}).returncode == 0
