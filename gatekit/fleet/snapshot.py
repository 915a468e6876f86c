"""A minimal snapshot of a worktree's uncommitted work, taken before a forced removal.

The guard (issue 3) owns snapshots; until its `take_snapshot` is wired in, this keeps the one
promise `worktree remove --force` needs: the work is recoverable from a hidden ref afterwards.
Swap `take_snapshot` for the guard's when merging.
"""

from __future__ import annotations

import time
from pathlib import Path

from gatekit import git
from gatekit.errors import Refused
from gatekit.layout import SNAPSHOT_REF_PREFIX


def take_snapshot(worktree: Path, wt_id: str, reason: str) -> str:
    """Commit the worktree's state under refs/gatekit/snapshots/<id>/; return the ref name."""
    head = git.head_commit(worktree)
    commit = git.worktree_state_commit(worktree, head, f"gatekit snapshot: {reason}\n")
    ref = f"{SNAPSHOT_REF_PREFIX}{wt_id}/{time.time_ns()}-{reason}"
    if not git.update_ref(worktree, ref, commit, None, f"gatekit: snapshot ({reason})"):
        raise Refused(f"could not write the snapshot ref {ref}")
    return ref
