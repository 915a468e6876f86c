"""Make a destructive git command recoverable before it runs.

Uncommitted work becomes a snapshot commit under refs/gatekit/snapshots/<worktree>/<ms>: its
tree is the worktree (tracked, untracked, and the ignored files the command would delete), its
second parent holds the index as it was (a partly staged file's staged version). Commits a
command would make unreachable (a deleted branch, dropped stash entries) get a ref under
refs/gatekit/kept/. Nothing the user owns is written: the index is copied first.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from gatekit import git
from gatekit.git import guarding
from gatekit.guard.snapshots import Snapshot, list_snapshots, prune_snapshots, snapshot_prefix
from gatekit.state_dirs import KEPT_REF_PREFIX as KEPT_PREFIX
from gatekit.state_dirs import worktree_id


def snapshot_before(
    repo: git.RepoPaths,
    reason: str,
    ignored_paths: Sequence[str] = (),
    keep: int = 50,
    max_age_days: float = 30.0,
    dirty: tuple[Sequence[str], str | None] | None = None,
) -> Snapshot:
    """Snapshot the worktree and index now; the newest snapshot is reused when nothing changed.

    dirty: (the dirty paths, HEAD) from a status taken just before, when the caller has one: the
    snapshot then adds those paths alone (with `git status -uno`, the tracked ones: what a command
    that cannot touch untracked files would discard) instead of walking the worktree again.
    """
    root = repo.toplevel
    head = dirty[1] if dirty is not None else git.head_commit(root)
    # A copy of the real index that keeps git's racy-clean rule (git/index.py): an edit made in
    # the second the index was written, same size, is still seen.
    with git.temporary_index(root, git.git_path(root, "index")) as index:
        index_tree = index.write_tree()
        tree = index.add_all() if dirty is None else index.stage_paths(list(dirty[0]))
        if ignored_paths:  # ignored files the command would delete: added by force
            index.git("add", "-f", "--", *(f":(top,literal){p}" for p in ignored_paths))
            tree = index.write_tree()
    existing = list_snapshots(repo)
    if existing and existing[-1].tree == tree:
        return existing[-1]
    wid = worktree_id(repo.git_dir, repo.common_dir)
    ident = _identity()
    parents = [head] if head else []
    index_commit = git.commit_tree(root, index_tree, parents, "gatekit: index before the command\n", ident)
    message = (
        f"gatekit snapshot: {reason}\n\nworktree: {root}\nworktree-id: {wid}\n"
        f"head: {head or '(unborn)'}\nindex: {index_commit}\n"
    )
    commit = git.commit_tree(root, tree, [*parents, index_commit], message, ident)
    stamp = int(time.time() * 1000)
    for attempt in range(100):
        ref = f"{snapshot_prefix(repo)}{stamp:013d}" + (f"-{attempt}" if attempt else "")
        if git.update_ref(root, ref, commit, None, f"gatekit snapshot: {reason}", bookkeeping=True):
            break
    prune_snapshots(repo, keep, max_age_days)
    return Snapshot(ref, commit, tree, stamp / 1000, reason, wid)


def keep_commits(repo: git.RepoPaths, kind: str, commits: Sequence[tuple[str, str]]) -> list[str]:
    """Refs refs/gatekit/kept/<kind>/<name>/<ms> for each (name, commit); their names."""
    stamp = int(time.time() * 1000)
    updates = [(f"{KEPT_PREFIX}{kind}/{name}/{stamp:013d}", oid) for name, oid in commits]
    guarding.keep_refs(repo.toplevel, updates)
    return [ref for ref, _ in updates]


def _identity() -> dict[str, str]:
    import os

    env: dict[str, str] = {}
    for role in ("AUTHOR", "COMMITTER"):
        env[f"GIT_{role}_NAME"] = os.environ.get(f"GIT_{role}_NAME", "gatekit")
        env[f"GIT_{role}_EMAIL"] = os.environ.get(f"GIT_{role}_EMAIL", "gatekit@localhost")
    return env
