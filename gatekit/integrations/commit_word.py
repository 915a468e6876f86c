"""The pre-commit hook's word to the later hooks of the same commit: what they need not ask again.

The pre-commit hook walked the worktree and knows HEAD; two hooks of the same `git commit` run
after it, in sh (hooks_data/hook.sh):

- post-commit snapshots the work left uncommitted, and must first walk the worktree (`git
  status`, the costliest step of a commit's hooks) to learn that there is none, the usual case.
  The word says "clean" when the pre-commit walk found nothing uncommitted but the changes being
  committed, and the commit is made from the whole index.
- reference-transaction witnesses a branch moved to a commit that does not descend from the old
  one, and asks `git merge-base --is-ancestor` of every move. The word says "child of HEAD"
  when the git process is a plain `git commit` (no `--amend`, read from its command line): its
  new commit's first parent is the HEAD the pre-commit hook saw.

The word names the `git commit` process (the hooks' parent) by pid and start time, so a stale
word (an abandoned commit, another git process) vouches for nothing. Every other commit asks git
as before: a commit past the hooks (`--no-verify`), a partial `git commit PATH` (what else is
staged stays behind) for the snapshot, `commit -a` over unstaged changes, an amend, an alias.
Work written between the two hooks of one commit is saved by the next snapshot, as work written
just after the post-commit hook would be.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path

from gatekit.git.worktrees import StatusEntry
from gatekit.state_dirs import worktree_state_dir
from gatekit.system.files import atomic_write
from gatekit.system.processes import process_start_ticks

# hook.sh reads it as ${GIT_INDEX_FILE%/*}/gatekit/commit-word (post-commit) and as
# ${GIT_DIR:-.git}/gatekit/commit-word (reference-transaction, which gets no GIT_INDEX_FILE).
WORD = "commit-word"
GIT_PID_VAR = "GATEKIT_GIT_PID"  # the hook's parent (git), exported by the installed pre-commit hook
# The index a whole commit is made from: the real one, or its lock (git commit, commit -a).
WHOLE_INDEX_NAMES = ("index", "index.lock")
# git's options that take the next argument as their value (`git -C dir commit`).
_GIT_OPTIONS_WITH_VALUE = (b"-c", b"-C", b"--git-dir", b"--work-tree", b"--namespace", b"--config-env")


def word_path(git_dir: Path) -> Path:
    return worktree_state_dir(git_dir) / WORD


def leave_word(
    entries: Iterable[StatusEntry], git_dir: Path, head: str | None, environ: Mapping[str, str]
) -> bool:
    """Leave the word for this commit's later hooks (after a passing pre-commit hook); whether
    it was left. Best effort: without it, each hook asks git itself."""
    pid = environ.get(GIT_PID_VAR, "")
    index = environ.get("GIT_INDEX_FILE", "")
    if not pid.isdigit():
        return False
    started = process_start_ticks(int(pid))  # as hook.sh reads it: with the pid, one process
    try:
        # GIT_INDEX_FILE is relative to the hook's directory, as hook.sh reads it.
        if started is None or not index or not os.path.samefile(Path(index).parent, git_dir):
            return False
        whole = Path(index).name in WHOLE_INDEX_NAMES
        clean = whole and not any(entry.unstaged or entry.untracked for entry in entries)
        child = head is not None and makes_a_child_of_head(_command_line(pid))
        # Read within this commit: a power loss ends the git process it names, no fsync.
        word = f"{pid} {started} {head or '-'} {int(clean)} {int(child)}\n"
        atomic_write(word_path(git_dir), word, durable=False)
    except OSError:
        return False
    return True


def makes_a_child_of_head(argv: list[bytes]) -> bool:
    """Is argv a plain `git commit`, whose commit's first parent is HEAD? Not an amend (in any
    abbreviation git accepts, or as another option's value: "no" either way), not an alias."""
    if not argv or os.path.basename(argv[0]) != b"git":
        return False
    i = 1
    while i < len(argv) and argv[i].startswith(b"-"):
        i += 2 if argv[i] in _GIT_OPTIONS_WITH_VALUE else 1
    if i >= len(argv) or argv[i] != b"commit":
        return False
    for arg in argv[i + 1 :]:
        if arg == b"--":
            break
        if arg.startswith(b"--am"):
            return False
    return True


def _command_line(pid: str) -> list[bytes]:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as file:
            return file.read().split(b"\0")[:-1]
    except OSError:
        return []
