"""The pre-commit hook's word to the post-commit hook of the same commit: nothing else to save.

After a commit the post-commit hook snapshots the work left uncommitted, and must first walk the
worktree (`git status`, the costliest step of a commit's hooks) to learn that there is none,
the usual case. The pre-commit hook walked it moments before. When that walk found nothing
uncommitted but the changes being committed, it writes the pid of the `git commit` process here
(the hook's parent, which the post-commit hook of the same commit shares), and the post-commit
hook (in sh, hooks_data/hook.sh) stops without a status when its parent is that process.

Every other commit walks the worktree as before, because nothing vouches for it: a commit past
the hooks (`--no-verify`), or one after a commit that was abandoned once its pre-commit hook had
passed (another git process), a partial `git commit PATH` (what else is staged stays behind: its
pre-commit hook sees a temporary index), `commit -a` over unstaged changes. Work written between
the two hooks of one commit is saved by the next snapshot, as work written just after the
post-commit hook would be.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path

from gatekit.git.worktrees import StatusEntry
from gatekit.state_dirs import worktree_state_dir
from gatekit.system.files import atomic_write

MARKER = "clean-after-commit"  # hook.sh reads it as ${GIT_INDEX_FILE%/*}/gatekit/clean-after-commit
GIT_PID_VAR = "GATEKIT_GIT_PID"  # the hook's parent (git), exported by the installed pre-commit hook
# The index a whole commit is made from: the real one, or its lock (git commit, commit -a).
WHOLE_INDEX_NAMES = ("index", "index.lock")


def marker_path(git_dir: Path) -> Path:
    return worktree_state_dir(git_dir) / MARKER


def vouch_for_clean_commit(entries: Iterable[StatusEntry], git_dir: Path, environ: Mapping[str, str]) -> bool:
    """Leave the word when the pre-commit hook's status shows nothing uncommitted but what is
    staged, and the commit is made from the whole index; whether it was left.

    Best effort: the post-commit hook walks the worktree itself when there is no word.
    """
    pid = environ.get(GIT_PID_VAR, "")
    index = environ.get("GIT_INDEX_FILE", "")
    if not pid.isdigit() or Path(index).name not in WHOLE_INDEX_NAMES:
        return False
    if any(entry.unstaged or entry.untracked for entry in entries):
        return False
    try:
        # GIT_INDEX_FILE is relative to the hook's directory, as hook.sh reads it.
        if not os.path.samefile(Path(index).parent, git_dir):
            return False
        # Read within this commit: a power loss ends the git process it names, no fsync.
        atomic_write(marker_path(git_dir), f"{pid}\n", durable=False)
    except OSError:
        return False
    return True
