"""`gatekit snapshot`: uncommitted work into hidden refs, never touching worktree/index/stash."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gatekit.git import get_repo_paths
from gatekit.guard.snapshots import (
    list_snapshots,
    prune_snapshots,
    take_snapshot,
)
from testing.guard import snapshot_refs
from testing.racy import missed_edits, saved_contents, stage_then_edit_in_the_same_second
from testing.repo import Repo
from testing.state import capture_state


def test_snapshot_saves_tracked_staged_and_untracked_but_not_ignored(repo: Repo) -> None:
    repo.commit("ignore", {".gitignore": "build/\n", "tracked.txt": "v1\n"})
    repo.write("tracked.txt", "v2 unstaged\n")
    repo.write("staged.txt", "staged\n")
    repo.git("add", "staged.txt")
    repo.write("untracked dir/new é.txt", "untracked\n")
    repo.write("build/out.bin", "ignored\n")
    before = capture_state(repo.path, repo.env)

    result = repo.gatekit("snapshot", "--format", "json")
    assert result.returncode == 0, result.stderr
    snap = json.loads(result.stdout)
    assert capture_state(repo.path, repo.env) == before
    files = repo.git("ls-tree", "-r", "--name-only", "-z", snap["commit"]).split("\0")
    assert {"tracked.txt", "staged.txt", "untracked dir/new é.txt"} <= set(files)
    assert "build/out.bin" not in files
    assert repo.git("show", f"{snap['commit']}:tracked.txt") == "v2 unstaged\n"
    assert repo.git("rev-parse", f"{snap['commit']}^").strip() == repo.rev()
    assert snap["ref"].startswith("refs/gatekit/snapshots/main/")


def test_identical_consecutive_snapshots_are_not_duplicated(repo: Repo) -> None:
    repo.write("a.txt", "a\n")
    assert repo.gatekit("snapshot").returncode == 0
    again = repo.gatekit("snapshot")
    assert again.returncode == 0 and "nothing new" in again.stdout
    assert len(snapshot_refs(repo)) == 1
    repo.write("a.txt", "b\n")
    assert repo.gatekit("snapshot").returncode == 0
    assert len(snapshot_refs(repo)) == 2


def test_quiet_snapshot_of_a_clean_worktree_prints_nothing_and_exits_0(repo: Repo) -> None:
    result = repo.gatekit("snapshot", "--quiet")
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")
    assert snapshot_refs(repo) == []


def test_snapshots_are_pruned_by_count_from_config(repo: Repo) -> None:
    repo.write("gatekit.toml", "[guard]\nsnapshot_keep = 2\n")
    for i in range(4):
        repo.write("a.txt", f"{i}\n")
        assert repo.gatekit("snapshot").returncode == 0
    refs = snapshot_refs(repo)
    assert len(refs) == 2
    newest = sorted(refs)[-1]
    assert repo.git("show", f"{newest}:a.txt") == "3\n"


def test_prune_by_age_keeps_the_newest(repo: Repo) -> None:
    paths = get_repo_paths(repo.path)
    for i in range(3):
        repo.write("a.txt", f"{i}\n")
        assert take_snapshot(paths, "t") is not None
    doomed = prune_snapshots(paths, keep=10, max_age_days=0)
    assert len(doomed) == 2
    assert len(list_snapshots(paths)) == 1


def test_snapshots_of_linked_worktrees_are_kept_apart(repo: Repo, tmp_path: Path) -> None:
    linked = repo.worktree_add(tmp_path / "wt", "feature")
    assert list_snapshots(get_repo_paths(repo.path)) == []
    linked.write("l.txt", "linked\n")
    assert linked.gatekit("snapshot").returncode == 0
    assert list_snapshots(get_repo_paths(repo.path)) == []
    [snap] = list_snapshots(get_repo_paths(linked.path))
    assert snap.time > 0
    ref = snapshot_refs(repo)[0]
    assert ref.split("/")[3] == "wt"


def test_snapshot_inside_a_commit_hook_does_not_disturb_the_commit(repo: Repo) -> None:
    pythonpath = str(Path(__file__).resolve().parents[2])
    hook = repo.path / ".git" / "hooks" / "pre-commit"
    hook.write_text(f"#!/bin/sh\nPYTHONPATH={pythonpath} exec python -m gatekit snapshot --quiet\n")
    hook.chmod(0o755)
    repo.write("committed.txt", "c\n")
    repo.write("unstaged.txt", "keep me out of the commit\n")
    repo.git("add", "committed.txt")
    repo.git("commit", "-q", "-m", "with hook")
    assert repo.git("show", "--name-only", "--format=", "HEAD").split() == ["committed.txt"]
    assert "?? unstaged.txt" in repo.git("status", "--porcelain")
    assert len(snapshot_refs(repo)) == 1


@pytest.mark.parametrize("name", ["with space.txt", "café.txt", "-dash.txt", "new\nline.txt"])
def test_snapshot_keeps_nasty_names(repo: Repo, name: str) -> None:
    repo.write(name, "x\n")
    assert repo.gatekit("snapshot").returncode == 0
    files = repo.git("ls-tree", "-r", "--name-only", "-z", snapshot_refs(repo)[0]).split("\0")
    assert name in files


def test_snapshot_holds_every_same_size_edit_made_in_the_second_of_the_index_write(repo: Repo) -> None:
    paths = get_repo_paths(repo.path)
    missed: list[str] = []
    rounds, files = 10, 150  # 1,500 edits git's stat cache alone would call unchanged
    for round_ in range(rounds):
        edited = stage_then_edit_in_the_same_second(repo, files, round_)
        before = capture_state(repo.path, repo.env)
        snap = take_snapshot(paths, "racy edit")
        assert snap is not None
        assert capture_state(repo.path, repo.env) == before
        missed += missed_edits(edited, saved_contents(repo, snap.commit))
    assert missed == [], f"{len(missed)} of {rounds * files} edits missing from the snapshots"
