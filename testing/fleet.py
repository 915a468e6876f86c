"""Builders for fleet scenarios: branches with changes, made without touching the main worktree."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from testing.repo import Repo


def branch_with(
    repo: Repo, name: str, files: Mapping[str, str | bytes], start: str = "main", message: str = ""
) -> str:
    """Create branch name from start with one commit writing files; the main worktree is untouched.

    Built with a throwaway worktree so tests never depend on what the main worktree has checked out.
    """
    scratch = repo.path.parent / f".scratch-{name.replace('/', '-')}"
    repo.git("worktree", "add", "-q", "-b", name, str(scratch), start)
    try:
        wt = Repo(scratch, repo.env)
        return wt.commit(message or f"{name}: change", files)
    finally:
        repo.git("worktree", "remove", "--force", str(scratch))


def deleting_branch(repo: Repo, name: str, paths: list[str], start: str = "main") -> str:
    scratch = repo.path.parent / f".scratch-{name.replace('/', '-')}"
    repo.git("worktree", "add", "-q", "-b", name, str(scratch), start)
    try:
        wt = Repo(scratch, repo.env)
        wt.git("rm", "-q", "--", *paths)
        wt.git("commit", "-q", "--no-verify", "-m", f"{name}: delete")
        return wt.rev()
    finally:
        repo.git("worktree", "remove", "--force", str(scratch))


def numbered_lines(count: int, prefix: str = "line") -> str:
    return "".join(f"{prefix} {i}\n" for i in range(1, count + 1))


def worktree_path(repo: Repo, name: str) -> Path:
    return repo.path.parent / "wts" / name
