"""Recovering from a land killed mid-swap: the swap journal and the checkout it was carrying."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from gatekit import git
from gatekit.state_dirs import locks_dir
from gatekit.system.files import atomic_write


def target_worktree(root: Path, target_ref: str) -> Path | None:
    """The worktree (not a gatekit sandbox) that has the target branch checked out, if any."""
    for worktree in git.list_worktrees(root):
        if worktree.branch == target_ref and not worktree.bare and worktree.path.is_dir():
            return worktree.path
    return None


class SwapJournal:
    """Records "moving REF from OLD to NEW (and carrying worktree W)" across the compare-and-swap.

    A land killed during the swap can leave two things behind, and the next land (holding the
    queue lock, so the journal's writer is certainly gone) cleans both up:
    - `<ref>.lock` (and `HEAD.lock` where the target is checked out), from the `git update-ref`
      it was running. Every later update of the target would fail on them. A lock is ours when
      it holds the journal's NEW (or nothing) and was made right after the journal: then it is
      removed, and the target is left as git left it.
    - a checkout of the target whose index still holds OLD's tree (killed between moving the
      target and updating the files), perhaps with the `index.lock` of the `read-tree` it was
      running. A lock made right after the journal, once the target holds NEW, is removed; when
      the index is exactly OLD's tree with no unstaged edits, the carry is finished, so the
      repository stays usable (DESIGN invariant 3).
    """

    # The dead lander's update-ref starts right after the journal is written; a lock made much
    # later than that belongs to some other git process.
    LOCK_WINDOW_SECONDS = 30.0

    def __init__(self, common_dir: Path) -> None:
        self.common_dir = common_dir
        self.path = locks_dir(common_dir) / "land-swap.json"

    def write(self, worktree: Path | None, ref: str, old: str, new: str) -> None:
        entry = {"worktree": str(worktree) if worktree else None, "ref": ref, "old": old, "new": new}
        atomic_write(self.path, json.dumps(entry))

    def clear(self) -> None:
        self.path.unlink(missing_ok=True)

    def finish_interrupted(self, notify: Callable[[str], None]) -> None:
        try:
            written = self.path.stat().st_mtime
            entry = json.loads(self.path.read_text())
            ref, old, new = str(entry["ref"]), str(entry["old"]), str(entry["new"])
            worktree = Path(entry["worktree"]) if entry.get("worktree") else None
        except FileNotFoundError:
            return
        except (OSError, ValueError, KeyError, TypeError):
            self.clear()
            return
        try:
            self._remove_dead_ref_locks(ref, new, written, notify)
            if worktree is not None and worktree.is_dir():
                self._remove_dead_index_lock(worktree, ref, new, written, notify)
                _finish_carry(worktree, ref, old, notify)
        finally:
            self.clear()

    def _remove_dead_ref_locks(
        self, ref: str, new: str, written: float, notify: Callable[[str], None]
    ) -> None:
        for lock in git.ref_lock_paths(self.common_dir, ref):
            try:
                made = lock.stat().st_mtime
                content = lock.read_bytes().strip()
            except OSError:
                continue
            # git writes NEW into the ref's lock and nothing into HEAD's.
            if content in (b"", new.encode()) and self._made_by_the_dead_lander(made, written):
                lock.unlink(missing_ok=True)
                notify(f"removed {lock}, left by a land that was killed while moving {ref}")

    def _remove_dead_index_lock(
        self, worktree: Path, ref: str, new: str, written: float, notify: Callable[[str], None]
    ) -> None:
        # The carry's read-tree runs only once the target holds NEW, right after the journal.
        if git.rev_parse(worktree, ref) != new:
            return
        lock = git.git_path(worktree, "index.lock")
        try:
            made = lock.stat().st_mtime
        except OSError:
            return
        if self._made_by_the_dead_lander(made, written):
            lock.unlink(missing_ok=True)
            notify(f"removed {lock}, left by a land that was killed while updating that checkout")

    def _made_by_the_dead_lander(self, made: float, written: float) -> bool:
        return written - 1 <= made <= written + self.LOCK_WINDOW_SECONDS


def _finish_carry(worktree: Path, ref: str, old: str, notify: Callable[[str], None]) -> None:
    head = git.rev_parse(worktree, f"{ref}^{{commit}}") if worktree.is_dir() else None
    if head is None or target_worktree(worktree, ref) != worktree:
        return
    index = git.index_tree(worktree)
    if index == git.tree_of(worktree, head):
        return  # the carry had finished (or the target never moved)
    unstaged = any(e.unstaged for e in git.status(worktree, untracked="no"))
    if index == git.tree_of(worktree, old) and not unstaged:
        ok, _ = git.read_tree_update(worktree, old, head)
        if ok:
            notify(f"finished updating the checkout in {worktree}, which a killed land left behind")
            return
    notify(
        f"the checkout in {worktree} was left behind by a killed land and has edits since; "
        f"after saving them, run `git -C {worktree} read-tree -m -u {old} {head}`"
    )
