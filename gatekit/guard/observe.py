"""What the worktree looks like right now: one status call, two reflog reads.

Everything the clobber check, checkpoints and baselines compare is gathered here once, so the
hook path stays at the floor of `git status` plus reading the reflog files.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from gatekit import git
from gatekit.guard.content import blob_ids
from gatekit.guard.reflog import Reflog, read_reflog
from gatekit.guard.sessions_store import Baseline


@dataclass(frozen=True)
class Observation:
    paths: git.GuardPaths
    status: git.BranchStatus
    head_log: Reflog
    stash_log: Reflog
    time: float = field(default_factory=time.time)

    @property
    def root(self) -> Path:
        return self.paths.repo.toplevel

    @property
    def dirty_paths(self) -> list[str]:
        """Every dirty path, renames contributing both names."""
        paths: list[str] = []
        for entry in self.status.entries:
            paths.append(entry.path)
            if entry.orig_path:
                paths.append(entry.orig_path)
        return list(dict.fromkeys(paths))

    @property
    def stash_oids(self) -> list[str]:
        return [entry.new for entry in self.stash_log]


def observe(
    cwd: Path | str,
    paths: git.GuardPaths | None = None,
    pending: git.PendingStatus | None = None,
) -> Observation:
    """Look at the worktree containing cwd (pending: a status already started there)."""
    paths = paths or git.guard_paths(cwd)
    root, common = paths.repo.toplevel, paths.repo.common_dir
    status = pending.result() if pending is not None else git.branch_status(root)
    head_log = read_reflog(paths.head_log, root, "HEAD", common)
    stash_log = read_reflog(paths.stash_log, root, "refs/stash", common)
    return Observation(paths, status, head_log, stash_log)


def baseline_of(obs: Observation) -> Baseline:
    """The point a clobber window starts from: HEAD, reflog positions, dirty content."""
    return Baseline(
        time=obs.time,
        head=obs.status.head,
        branch=obs.status.branch,
        head_log_count=len(obs.head_log),
        head_log_last=obs.head_log[-1].key if obs.head_log else None,
        stash=obs.stash_oids,
        dirty=blob_ids(obs.root, obs.dirty_paths),
    )


def window_start(entries: Reflog, count: int, last_key: str | None) -> int:
    """Index of the first reflog entry after a recorded position.

    Positions are checked against the recorded last entry: `git reflog expire` can rewrite the
    file, and then the entry is searched by its key instead (time stamps alone cannot order
    entries made within one second).
    """
    if last_key is None:
        return 0 if count == 0 else min(count, len(entries))
    if 0 < count <= len(entries) and entries[count - 1].key == last_key:
        return count
    for index in range(len(entries) - 1, -1, -1):
        if entries[index].key == last_key:
            return index + 1
    return min(count, len(entries))
