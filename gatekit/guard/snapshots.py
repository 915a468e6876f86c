"""Snapshots: uncommitted work saved as commits under refs/gatekit/snapshots/<worktree>/<ms>.

Built with a temporary index file (git.worktree_state_tree: a copy of the real one, then `git add -A`), so
the user's worktree, index and stash are never written. A snapshot whose tree equals the last
one (or HEAD's) is not made. Old ones are pruned by count and age from [guard] config.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from gatekit import git
from gatekit.state_dirs import SNAPSHOT_REF_PREFIX, worktree_id

_FORMAT = "%(refname)%00%(objectname)%00%(tree)%00%(subject)"


@dataclass(frozen=True)
class Snapshot:
    ref: str
    commit: str
    tree: str
    time: float  # epoch seconds, from the ref name (commit dates may be pinned by the environment)
    reason: str
    worktree: str  # the worktree id

    @property
    def id(self) -> str:
        """The short handle `rescue --restore` accepts."""
        return f"snapshot:{self.worktree}/{self.ref.rsplit('/', 1)[-1]}"


def snapshot_prefix(repo: git.RepoPaths) -> str:
    return f"{SNAPSHOT_REF_PREFIX}{worktree_id(repo.git_dir, repo.common_dir)}/"


def list_snapshots(repo: git.RepoPaths, all_worktrees: bool = False) -> list[Snapshot]:
    """Snapshots of this worktree (or of all), oldest first."""
    pattern = SNAPSHOT_REF_PREFIX if all_worktrees else snapshot_prefix(repo)
    snaps = []
    for row in git.for_each_ref(repo.toplevel, pattern, _FORMAT):
        if len(row) != 4:
            continue
        ref, commit, tree, subject = row
        wid, _, stamp = ref[len(SNAPSHOT_REF_PREFIX) :].rpartition("/")
        try:
            when = _epoch(int(stamp.split("-")[0]))
        except ValueError:
            continue
        reason = subject.removeprefix("gatekit snapshot: ")
        snaps.append(Snapshot(ref, commit, tree, when, reason, wid))
    return sorted(snaps, key=lambda s: (s.time, s.ref))


def _epoch(stamp: int) -> float:
    """Seconds from a ref-name stamp in s, ms (ours), µs or ns (fleet's interim snapshots)."""
    for limit, scale in ((1e16, 1e9), (1e13, 1e6), (1e10, 1e3)):
        if stamp >= limit:
            return stamp / scale
    return float(stamp)


def take_snapshot(
    repo: git.RepoPaths,
    reason: str,
    keep: int = 50,
    max_age_days: float = 30.0,
    state: git.BranchStatus | None = None,
) -> Snapshot | None:
    """Save tracked changes and untracked, non-ignored files; None when there is nothing new.

    One `git status` (or the caller's, as state) names the dirty paths; only those are staged into
    a copy of the index, so a clean worktree costs that status and nothing more (issue 13: the
    post-commit snapshot of a 5,000-file worktree must not re-add every file).
    """
    root = repo.toplevel
    state = state if state is not None else git.branch_status(root)
    if not state.entries:
        return None  # index and worktree match HEAD: the snapshot would be HEAD's tree
    dirty = sorted({e.path for e in state.entries} | {e.orig_path for e in state.entries if e.orig_path})
    head = state.head
    with git.temporary_index(root, git.git_path(root, "index")) as index:
        tree = index.stage_paths(dirty)
    existing = list_snapshots(repo)
    if (existing and existing[-1].tree == tree) or (head and tree == git.tree_of(root, head)):
        return None
    wid = worktree_id(repo.git_dir, repo.common_dir)
    message = (
        f"gatekit snapshot: {reason}\n\nworktree: {root}\nworktree-id: {wid}\n"
        f"branch: {state.branch or '(detached)'}\nhead: {head or '(unborn)'}\n"
    )
    commit = git.commit_tree(root, tree, [head] if head else [], message, _identity())
    stamp = int(time.time() * 1000)
    for attempt in range(100):
        ref = f"{snapshot_prefix(repo)}{stamp:013d}" + (f"-{attempt}" if attempt else "")
        if git.update_ref(root, ref, commit, None, f"gatekit snapshot: {reason}", bookkeeping=True):
            break
    else:  # pragma: no cover - a hundred snapshots in one millisecond
        return None
    made = Snapshot(ref, commit, tree, stamp / 1000, reason, wid)
    prune_snapshots(repo, keep, max_age_days, [*existing, made])
    return made


def prune_snapshots(
    repo: git.RepoPaths, keep: int, max_age_days: float, snaps: list[Snapshot] | None = None
) -> list[Snapshot]:
    """Delete this worktree's snapshots beyond the newest `keep` or older than max_age_days.

    snaps: this worktree's snapshots oldest first, when the caller has just listed them.
    """
    snaps = snaps if snaps is not None else list_snapshots(repo)
    cutoff = time.time() - max_age_days * 86400
    doomed = [s for i, s in enumerate(snaps) if i < len(snaps) - max(keep, 1) or s.time < cutoff]
    if snaps and doomed and doomed[-1] is snaps[-1]:
        doomed.pop()  # the newest snapshot survives any age limit: it is the way back
    git.update_refs(repo.toplevel, [f"delete {s.ref}\0{s.commit}" for s in doomed], bookkeeping=True)
    return doomed


def find_snapshot(repo: git.RepoPaths, handle: str) -> Snapshot | None:
    """The snapshot named by a `snapshot:<worktree>/<stamp>` handle, a ref or a commit prefix."""
    for snap in reversed(list_snapshots(repo, all_worktrees=True)):
        if handle in (snap.id, snap.ref) or (len(handle) >= 7 and snap.commit.startswith(handle)):
            return snap
    return None


def find_snapshots_with(
    repo: git.RepoPaths, wanted: dict[str, str | None], limit: int = 20
) -> dict[str, str]:
    """{path: id of the newest recent snapshot holding that path with the wanted blob}.

    One `ls-tree` per snapshot for all paths, newest first, stopping once every path is found.
    """
    missing = {path: blob for path, blob in wanted.items() if blob is not None}
    found: dict[str, str] = {}
    for snap in list(reversed(list_snapshots(repo)))[:limit]:
        if not missing:
            break
        blobs = git.tree_blobs(repo.toplevel, snap.commit, list(missing))
        for path, blob in list(missing.items()):
            if path in blobs and blobs[path][1] == blob:
                found[path] = snap.id
                del missing[path]
    return found


def _identity() -> dict[str, str]:
    """Snapshots must work where no user identity is configured (fresh CI, a new machine)."""
    import os

    env: dict[str, str] = {}
    for role in ("AUTHOR", "COMMITTER"):
        env.setdefault(f"GIT_{role}_NAME", os.environ.get(f"GIT_{role}_NAME", "gatekit"))
        env.setdefault(f"GIT_{role}_EMAIL", os.environ.get(f"GIT_{role}_EMAIL", "gatekit@localhost"))
    return env


def of_removed_worktrees(repo: git.RepoPaths) -> list[Snapshot]:
    """Snapshots of linked worktrees that no longer exist, oldest first: nobody's rescue would
    show them as "this worktree's" (issue 10)."""
    return [
        s
        for s in list_snapshots(repo, all_worktrees=True)
        if s.worktree != "main" and not (repo.common_dir / "worktrees" / s.worktree).is_dir()
    ]
