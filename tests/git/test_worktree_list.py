"""The worktree list: read from files where the repository has one worktree, as git lists it."""

from __future__ import annotations

from pathlib import Path

import pytest

from gatekit import git
from testing.repo import Repo


def listed_by_git(repo: Repo, cwd: Path) -> list[tuple[str, str | None, str | None, bool]]:
    """(path, HEAD, branch, detached) of each worktree, from `git worktree list` itself."""
    out = repo.git("worktree", "list", "--porcelain", cwd=cwd)
    rows = []
    for block in out.strip().split("\n\n"):
        fields = dict((line.split(" ", 1) + [""])[:2] for line in block.splitlines())
        rows.append((fields["worktree"], fields.get("HEAD"), fields.get("branch"), "detached" in fields))
    return rows


def listed(cwd: Path) -> list[tuple[str, str | None, str | None, bool]]:
    return [(str(w.path), w.head, w.branch, w.detached) for w in git.list_worktrees(cwd)]


def git_starts(trace: Path) -> list[str]:
    return [line for line in trace.read_text().splitlines() if " start " in line] if trace.exists() else []


def test_one_worktree_is_read_from_files_as_git_lists_it(
    repo: Repo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    link = tmp_path / "through a link"
    link.symlink_to(repo.path)
    for shape in ("on a branch", "detached"):
        if shape == "detached":
            repo.git("checkout", "-q", "--detach")
        for cwd in (repo.path, link):
            assert listed(cwd) == listed_by_git(repo, cwd), (shape, cwd)
    # From the files alone, the branch loose or packed: the list costs no git process.
    repo.git("checkout", "-q", "main")
    trace = tmp_path / "trace.txt"
    monkeypatch.setenv("GIT_TRACE2", str(trace))
    assert listed(repo.path)[0][1:3] == (repo.rev(), "refs/heads/main")
    repo.git("pack-refs", "--all")
    assert listed(repo.path)[0][1:3] == (repo.rev(), "refs/heads/main")
    assert git_starts(trace) == []


def test_git_lists_them_where_files_cannot_say(repo: Repo, tmp_path: Path) -> None:
    # An unborn branch (git writes a null id of the repository's hash length).
    unborn = Repo(tmp_path / "unborn", repo.env)
    unborn.path.mkdir()
    unborn.git("init", "-q", "-b", "main")
    assert listed(unborn.path) == listed_by_git(unborn, unborn.path)
    # A linked worktree, listed from either side; then removed, leaving an empty worktrees/.
    other = tmp_path / "other"
    repo.git("worktree", "add", "-q", "-b", "other", str(other))
    assert listed(repo.path) == listed_by_git(repo, repo.path)
    assert listed(other) == listed_by_git(repo, other) and len(listed(other)) == 2
    repo.git("worktree", "remove", str(other))
    (repo.path / ".git" / "worktrees").mkdir(exist_ok=True)
    assert listed(repo.path) == listed_by_git(repo, repo.path)
