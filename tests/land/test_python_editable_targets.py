"""land, verify-push and check --merge-into judge the subject's code, never the worktree's (issue 11).

The project's package is installed editable (real `pip install -e`, src and flat layouts) in a
`.venv` of the main checkout, shared by every worktree (the user activated it). Whatever the
worktrees hold, the verdict follows the branch: a branch that breaks the package's tests is
refused although every worktree has the good code, and a branch that is good passes although
the worktrees hold a break that was never committed.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from testing.editable import (
    BROKEN,
    FAILURE,
    GOOD,
    activated,
    editable_calc,
    setuptools_wheelhouse,
)
from testing.repo import REPO_ROOT, Repo


@pytest.fixture(scope="session")
def wheelhouse() -> Path:
    return setuptools_wheelhouse()


def with_origin(repo: Repo, tmp_path: Path, *hook_args: str) -> None:
    """A bare remote `origin` holding main, and the pre-push hook that runs verify-push."""
    remote = tmp_path / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", str(remote)], env=repo.env, check=True)
    repo.git("remote", "add", "origin", str(remote))
    repo.git("push", "-q", "origin", "main")
    hook = repo.path / ".git" / "hooks" / "pre-push"
    args = " ".join(hook_args)
    hook.write_text(
        f'#!/bin/sh\nPYTHONPATH={REPO_ROOT} exec {sys.executable} -m gatekit verify-push {args} "$@"\n'
    )
    hook.chmod(0o755)


def push(worktree: Repo, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", "push", *args], cwd=worktree.path, env={**worktree.env, **env}, capture_output=True, text=True
    )


@pytest.mark.parametrize("layout", ["src", "flat"])
def test_a_branch_that_breaks_the_package_is_refused_while_every_worktree_is_good(
    repo: Repo, layout: str, wheelhouse: Path, tmp_path: Path
) -> None:
    module = editable_calc(repo, layout, "pip", wheelhouse)
    with_origin(repo, tmp_path)
    user = activated(repo)  # the main checkout's .venv, whose editable install points at it
    branch = repo.worktree_add(tmp_path / "wt-broken", "broken")
    branch.commit("break add", {module: BROKEN})
    branch.write(module, GOOD)  # an uncommitted fix, never part of the branch
    assert repo.read(module) == GOOD.encode()
    main_before = repo.rev("main")

    merged = branch.gatekit("check", "--merge-into", "main", env=user)
    assert merged.returncode == 1, merged.stdout + merged.stderr
    assert FAILURE in merged.stdout

    landed = branch.gatekit("land", "broken", env=user)
    assert landed.returncode == 1, landed.stdout + landed.stderr
    assert "refused: broken" in landed.stdout, landed.stdout
    assert FAILURE in landed.stdout
    # From the main checkout, whose .venv gatekit finds without activation: the same.
    landed = repo.gatekit("land", "broken")
    assert landed.returncode == 1 and "refused: broken" in landed.stdout, landed.stdout + landed.stderr
    assert repo.rev("main") == main_before

    pushed = push(branch, user, "origin", "broken:main")
    assert pushed.returncode != 0, pushed.stderr
    assert "gate 'test' failed" in pushed.stderr and "push blocked" in pushed.stderr
    assert FAILURE in pushed.stderr
    assert repo.git("ls-remote", "origin", "refs/heads/main").split()[0] == main_before

    # The worktrees were never touched.
    assert repo.read(module) == GOOD.encode() and branch.read(module) == GOOD.encode()


@pytest.mark.parametrize("layout", ["src", "flat"])
def test_a_good_branch_passes_while_the_worktrees_hold_an_uncommitted_break(
    repo: Repo, layout: str, wheelhouse: Path, tmp_path: Path
) -> None:
    module = editable_calc(repo, layout, "pip", wheelhouse)
    with_origin(repo, tmp_path, "--no-cache")  # each path really runs the gate
    user = activated(repo)
    branch = repo.worktree_add(tmp_path / "wt-feature", "feature")
    feature = branch.commit("docs", {"README.md": "calc adds\n"})
    main_before = repo.rev("main")
    repo.write(module, BROKEN)  # where the editable install points
    branch.write(module, BROKEN)

    merged = branch.gatekit("check", "--merge-into", "main", "--no-cache", env=user)
    assert merged.returncode == 0, merged.stdout + merged.stderr
    assert "verdict cached" not in merged.stdout

    pushed = push(branch, user, "origin", "feature:main")
    assert pushed.returncode == 0, pushed.stderr
    assert "verdicts cached" not in pushed.stderr
    assert repo.git("ls-remote", "origin", "refs/heads/main").split()[0] == feature

    landed = branch.gatekit("land", "feature", "--no-cache", env=user)
    assert landed.returncode == 0, landed.stdout + landed.stderr
    assert "landed: feature" in landed.stdout
    assert repo.rev("main") != main_before
    assert repo.git("show", "main:README.md") == "calc adds\n"
    # The uncommitted break stays where it was, in both worktrees.
    assert repo.read(module) == BROKEN.encode() and branch.read(module) == BROKEN.encode()
