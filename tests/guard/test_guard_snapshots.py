"""`gatekit snapshot`: uncommitted work into hidden refs, never touching worktree/index/stash."""

from __future__ import annotations

import json
import subprocess
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


def add_all_tree(repo: Repo, tmp: Path) -> str:
    """The tree `git add -A` makes from a copy of the index: what a snapshot must hold."""
    index = tmp / "reference-index"
    index.write_bytes((repo.path / ".git" / "index").read_bytes())
    env = {**repo.env, "GIT_INDEX_FILE": str(index)}
    for args in (("add", "-A", "--", ":/"), ("write-tree",)):
        out = subprocess.run(["git", *args], cwd=repo.path, env=env, capture_output=True, check=True).stdout
    return out.decode().strip()


def test_snapshot_of_dirty_paths_equals_add_all_for_renames_deletions_and_nasty_names(
    repo: Repo, tmp_path: Path
) -> None:
    names = [
        "plain.txt",
        "with space.txt",
        "café.txt",
        "-leading.txt",
        "new\nline.txt",
        "gone.txt",
        "old.txt",
    ]
    repo.commit("files", {name: f"{name}\n" for name in names})
    repo.git("mv", "old.txt", "renamed.txt")  # a staged rename
    repo.git("rm", "-q", "gone.txt")  # a staged deletion
    (repo.path / "plain.txt").unlink()  # an unstaged deletion
    repo.write("with space.txt", "edited\n")
    repo.write("new\nline.txt", "edited\n")
    repo.write("café.txt", "staged\n")
    repo.git("add", "café.txt")
    repo.write("café.txt", "then edited again\n")
    repo.write("dir/untracked -x.txt", "new\n")

    snap = take_snapshot(get_repo_paths(repo.path), "test")

    assert snap is not None
    assert snap.tree == add_all_tree(repo, tmp_path)


def test_snapshot_of_a_clean_worktree_runs_only_status(repo: Repo, tmp_path: Path) -> None:
    repo.commit("many", {f"d{i // 50}/f{i}.txt": f"{i}\n" for i in range(500)})
    trace = tmp_path / "trace"

    result = repo.gatekit("hook", "post-commit", env={"GIT_TRACE": str(trace)})

    assert result.returncode == 0, result.stderr
    commands = [
        line.split("built-in: git ", 1)[1]
        for line in trace.read_text().splitlines()
        if "built-in: git " in line
    ]
    assert not [c for c in commands if c.split()[0] in ("add", "update-index", "write-tree", "commit-tree")]
    assert len(commands) <= 2, commands
    assert snapshot_refs(repo) == []


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
