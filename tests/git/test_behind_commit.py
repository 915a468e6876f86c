"""A checkout left behind by its branch: the reflog read from its file, its trees from the hook's
shared object reader, with git log's answers."""

from __future__ import annotations

from pathlib import Path

import pytest

from gatekit import git
from gatekit.git.carry import _reflog_trees
from gatekit.git.memo import remembered
from testing.repo import Repo


def by_git(repo: Repo, ref: str, depth: int) -> list[tuple[str, str]]:
    out = repo.git("log", "--walk-reflogs", f"--max-count={depth}", "--format=%H %T", ref, "--", check=False)
    return [(c, t) for c, t in (line.split() for line in out.splitlines())]


def test_the_reflog_read_from_its_file_lists_what_git_log_walks(repo: Repo) -> None:
    common = repo.path / ".git"
    assert _reflog_trees(repo.path, "refs/heads/nope", 20, common) == []  # no reflog
    first = repo.rev()
    for i in range(5):
        repo.commit(f"c{i}", {"a.txt": f"{i}\n"})
    repo.git("reset", "-q", "--hard", first)
    repo.git("update-ref", "-m", "x" * 70_000, "refs/heads/main", repo.rev("HEAD@{1}"))  # a long entry
    for i in range(30):
        repo.commit(f"d{i}", {"b.txt": f"{i}\n"})
    for depth in (1, 20, 40):
        assert _reflog_trees(repo.path, "refs/heads/main", depth, common) == by_git(
            repo, "refs/heads/main", depth
        )


def test_behind_commit_in_a_hook_starts_no_git_process_of_its_own(
    repo: Repo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The branch moved alone (update-ref), the index still holds its old tree: found, with the
    reflog's trees asked of the object reader the hook's other guards share."""
    held = repo.rev()
    repo.commit("gained", {"g.txt": "g\n"})
    gained = repo.rev()
    repo.git("reset", "-q", "--hard", held)
    repo.git("update-ref", "refs/heads/main", gained)  # the branch moves; index and files stay
    trace = tmp_path / "trace.txt"
    monkeypatch.setenv("GIT_TRACE2", str(trace))
    with remembered():
        found = git.behind_commit(repo.path, "refs/heads/main", common_dir=repo.path / ".git")
        starts = [line for line in trace.read_text().splitlines() if " start " in line]
    assert found == held
    assert not [s for s in starts if " log " in s], starts  # the reflog came from its file
