"""The temporary index behind staged trees, worktree state commits and snapshots."""

from __future__ import annotations

from gatekit import git
from testing.racy import missed_edits, saved_contents, stage_then_edit_in_the_same_second
from testing.repo import Repo
from testing.state import capture_state

ROUNDS, FILES = 10, 150  # 1,500 same-size edits in the second of the index write


def test_worktree_state_commit_holds_every_same_size_edit_made_in_the_index_second(repo: Repo) -> None:
    missed: list[str] = []
    for round_ in range(ROUNDS):
        edited = stage_then_edit_in_the_same_second(repo, FILES, round_)
        before = capture_state(repo.path, repo.env)
        commit = git.worktree_state_commit(repo.path, repo.rev(), "state\n")
        assert capture_state(repo.path, repo.env) == before
        missed += missed_edits(edited, saved_contents(repo, commit))
    assert missed == [], f"{len(missed)} of {ROUNDS * FILES} edits missing from the state commits"
