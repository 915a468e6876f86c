"""The git processes of a sandboxed check with a trivial gate: its fixed cost (issues 11 and 13).

Each budget is what the run needs today; a new git call on this path has to earn its place here.
Only the processes gatekit starts itself are counted (git's own children, such as the `git show`
that `git notes show` execs, differ between git versions), and no question may be asked twice.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from testing.gittrace import GitRun, traced_gatekit
from testing.repo import Repo

GATE = '[[gates]]\nname = "trivial"\nrun = ["true"]\n'

CHECK_FIRST = 7
CHECK_CACHED = 5
HOOK_FIRST = 4
HOOK_CACHED = 4


@pytest.fixture
def work(repo: Repo) -> Repo:
    """On branch work (main is protected), a trivial gate, and a sandbox slot already made."""
    repo.commit("gate", {"gatekit.toml": GATE, "src/a.txt": "a\n"})
    repo.git("checkout", "-q", "-b", "work")
    warm = repo.gatekit("check", "--no-cache")
    assert warm.returncode == 0, warm.stdout + warm.stderr
    return repo


# What git exports to a commit's hooks (the hook tests run the hook as git would).
COMMIT_HOOK_ENV = {
    "GIT_AUTHOR_NAME": "A U Thor",
    "GIT_AUTHOR_EMAIL": "author@example.com",
    "GIT_AUTHOR_DATE": "@1796228205 +0000",
    "GIT_INDEX_FILE": ".git/index",
}


def stage(repo: Repo, content: str) -> None:
    repo.write("src/a.txt", content)
    repo.git("add", "src/a.txt")


def assert_within(run: GitRun, budget: int) -> None:
    listing = "\n".join(run.commands())
    assert not run.repeated(), f"asked twice: {run.repeated()}\n{listing}"
    assert len(run.direct) <= budget, f"{len(run.direct)} git processes (budget {budget}):\n{listing}"
    assert not run.named("var"), listing  # the committer is asked of git only when a write fails


def test_a_staged_check_starts_no_more_git_processes_than_it_needs(work: Repo, tmp_path: Path) -> None:
    stage(work, "first\n")
    first = traced_gatekit(work, tmp_path / "first.json", "check", "--staged")
    assert_within(first, CHECK_FIRST)
    assert len(first.named("notes")) == 1  # the verdict written; read along with the notes ref
    cached = traced_gatekit(work, tmp_path / "cached.json", "check", "--staged")
    assert_within(cached, CHECK_CACHED)
    assert not cached.named("read-tree")  # every verdict cached: no sandbox


def test_the_pre_commit_hook_starts_no_more_git_processes_than_it_needs(work: Repo, tmp_path: Path) -> None:
    stage(work, "hooked\n")
    first = traced_gatekit(work, tmp_path / "first.json", "hook", "pre-commit", env=COMMIT_HOOK_ENV)
    assert_within(first, HOOK_FIRST)
    cached = traced_gatekit(work, tmp_path / "cached.json", "hook", "pre-commit", env=COMMIT_HOOK_ENV)
    assert_within(cached, HOOK_CACHED)
    assert not cached.named("read-tree")


def test_the_next_commit_s_hook_moves_the_sandbox_refs_without_git(work: Repo, tmp_path: Path) -> None:
    """Between two commits the branch gained one: the sandbox mirrors it (and HEAD) from files."""
    stage(work, "one\n")
    warm = traced_gatekit(work, tmp_path / "warm.json", "hook", "pre-commit", env=COMMIT_HOOK_ENV)
    assert_within(warm, HOOK_FIRST)
    work.git("commit", "-q", "--no-verify", "-m", "one")
    stage(work, "two\n")
    after = traced_gatekit(work, tmp_path / "after.json", "hook", "pre-commit", env=COMMIT_HOOK_ENV)
    assert_within(after, HOOK_FIRST)
    assert not after.named("update-ref"), "\n".join(after.commands())
