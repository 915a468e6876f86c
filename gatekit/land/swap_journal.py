"""The compare-and-swap of the target, and its checkout, as one step nothing can interleave with.

land moves `refs/heads/<target>` and the checkout that has the target checked out together
(issue 12). A `git commit` in that checkout between the two would get the new parent and the old
tree, reverting what was landed; so the swap holds the checkout's own `index.lock` -- git's lock,
which every commit, merge, checkout and reset takes first -- from before the ref moves until the
checkout's index holds the new tree:

    locking   a lock file of ours exists; its inode is journaled, then it is linked to index.lock
    locked    index.lock is ours; HEAD, the ref and a clean index are re-checked under it
    swapping  `git update-ref HEAD NEW OLD` runs in the checkout (HEAD's referent, compare-and-swap)
    swapped   the ref holds NEW; the files are carried (git/carry.py)
    carrying  files are being written
    carried   the checkout's index holds NEW; index.lock is released next

Every phase is journaled (`locks/land-swap.json`) before it starts, so the next land (or
`gatekit doctor --fix`), holding the land queue lock and hence certain the writer is dead,
finishes the swap (the ref holds NEW: the carry is redone, it is idempotent) or rolls it back
(the ref holds OLD: our index.lock is released). Only locks proven ours are removed: our
index.lock by the inode the journal recorded, git's ref locks by their content (NEW) and age.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from gatekit import git
from gatekit.errors import CommandError, GatekitError, Refused
from gatekit.faults import reached
from gatekit.git.carry import CarryIndexes, CarryPlan, apply_carry, plan_carry
from gatekit.state_dirs import locks_dir
from gatekit.system.files import atomic_write

Notify = Callable[[str], None]
INDEX_LOCK_WAIT_SECONDS = 10.0  # a commit in progress holds index.lock for about this long at most


def target_worktree(root: Path, target_ref: str) -> Path | None:
    """The worktree (not a gatekit sandbox) that has the target branch checked out, if any."""
    for worktree in git.list_worktrees(root):
        if worktree.branch == target_ref and not worktree.bare and worktree.path.is_dir():
            return worktree.path
    return None


@dataclass(frozen=True)
class SwapEntry:
    ref: str
    old: str
    new: str
    worktree: str | None
    phase: str = "swapping"
    pid: int = 0
    index_lock: str | None = None
    lock_ino: int | None = None
    written: float = 0.0


class SwapJournal:
    """`locks/land-swap.json`: the swap in progress and its phase."""

    # The dead lander's update-ref starts right after the journal is written; a ref lock made
    # much later than that belongs to some other git process.
    LOCK_WINDOW_SECONDS = 30.0

    def __init__(self, common_dir: Path) -> None:
        self.common_dir = common_dir
        self.path = locks_dir(common_dir) / "land-swap.json"

    def record(self, entry: SwapEntry) -> SwapEntry:
        entry = replace(entry, pid=os.getpid(), written=time.time())
        atomic_write(self.path, json.dumps(asdict(entry)))
        reached(entry.phase)
        return entry

    def load(self) -> SwapEntry | None:
        try:
            entry = SwapEntry(**json.loads(self.path.read_text()))
            return entry if entry.written else replace(entry, written=self.path.stat().st_mtime)
        except FileNotFoundError:
            return None
        except (OSError, ValueError, TypeError):
            self.clear()
            return None

    def clear(self) -> None:
        self.path.unlink(missing_ok=True)

    def finish_interrupted(self, notify: Notify) -> None:
        """Finish or roll back a swap whose lander died (call holding the land queue lock)."""
        entry = self.load()
        if entry is None:
            return
        self._remove_dead_ref_locks(entry, notify)
        if entry.worktree is not None and not _recover_checkout(self, entry, notify):
            raise Refused(
                f"a land killed while moving {entry.ref} could not be finished yet; nothing was landed"
            )
        self.clear()

    def _remove_dead_ref_locks(self, entry: SwapEntry, notify: Notify) -> None:
        for lock in git.ref_lock_paths(self.common_dir, entry.ref):
            try:
                made = lock.stat().st_mtime
                content = lock.read_bytes().strip()
            except OSError:
                continue
            # git writes NEW into the ref's lock and nothing into HEAD's.
            fresh = entry.written - 1 <= made <= entry.written + self.LOCK_WINDOW_SECONDS
            if content in (b"", entry.new.encode()) and fresh:
                lock.unlink(missing_ok=True)
                notify(f"removed {lock}, left by a land that was killed while moving {entry.ref}")


@dataclass
class CheckoutSwap:
    """Move ref from old to new, carrying worktree (when the target is checked out) in one step."""

    common_dir: Path
    worktree: Path | None
    ref: str
    old: str
    new: str
    reflog: str
    notify: Notify

    def run(self) -> bool:
        """True when swapped; False when the target moved meanwhile (nothing changed)."""
        journal = SwapJournal(self.common_dir)
        entry = SwapEntry(self.ref, self.old, self.new, str(self.worktree) if self.worktree else None)
        if self.worktree is None:
            journal.record(entry)
            try:
                return self._update_ref(self.common_dir)
            finally:
                journal.clear()
        lock = IndexLock.acquire(self.worktree, journal, entry)
        swapped = finished = False
        try:
            if self._check_under_lock(lock) is None:
                return False
            journal.record(replace(lock.entry, phase="swapping"))
            if not self._update_ref(self.worktree):
                return False
            swapped = True
            journal.record(replace(lock.entry, phase="swapped"))
            try:
                kept = carry_checkout(self.worktree, self.old, self.new, lock, journal)
            except GatekitError as exc:
                raise Refused(
                    f"{_short(self.ref)} moved to {self.new[:12]} but its checkout in {self.worktree} could "
                    f"not follow ({exc.message}); {lock.path} stays held so that no commit there reverts the "
                    "land: fix the cause, then run `gatekit doctor --fix`"
                ) from exc
            finished = True
        finally:
            if finished or not swapped:
                lock.release()
                journal.clear()
            # else: the target moved and its checkout did not follow; the lock stays held (a
            # commit there would revert the land) and journaled, for the next land or doctor --fix.
        if kept:
            self.notify(
                f"left {len(kept)} file(s) edited during the land alone in {self.worktree}: {_list(kept)}"
            )
        return True

    def _check_under_lock(self, lock: IndexLock) -> CarryPlan | None:
        worktree = lock.worktree
        if git.rev_parse(worktree, self.ref) != self.old or git.current_branch(worktree) != _short(self.ref):
            return None
        try:
            plan = plan_carry(worktree, lock.indexes, self.old, self.new)
        except CommandError as exc:  # a staged change to a path the land changes
            raise Refused(
                f"{_short(self.ref)} is checked out in {worktree} with staged changes to files this land "
                f"changes; nothing was landed ({exc.message})"
            ) from exc
        if plan.blocked:
            raise Refused(
                f"{_short(self.ref)} is checked out in {worktree} with uncommitted changes to files this "
                f"land changes, which it would overwrite: {_list(plan.kept)}; nothing was landed. Commit "
                "or move them first"
            )
        return plan

    def _update_ref(self, cwd: Path) -> bool:
        # In the checkout, HEAD is updated: git moves its referent (the target) with the
        # compare-and-swap on OLD and writes both reflogs, exactly as a commit there would.
        ref = "HEAD" if cwd == self.worktree else self.ref
        try:
            return git.update_ref(cwd, ref, self.new, self.old, self.reflog)
        except CommandError as exc:
            raise _ref_locked(self.common_dir, self.ref, exc) from exc


@dataclass
class IndexLock:
    """The checkout's index.lock, taken the way git takes it (exclusive create) and journaled."""

    worktree: Path
    path: Path
    indexes: CarryIndexes
    entry: SwapEntry
    held: bool = True

    @classmethod
    def acquire(cls, worktree: Path, journal: SwapJournal, entry: SwapEntry) -> IndexLock:
        index = git.git_path(worktree, "index")
        path = index.with_name("index.lock")
        mine = index.with_name(f"index.lock.gatekit-{os.getpid()}")
        fd = os.open(mine, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        try:
            ino = os.fstat(fd).st_ino
        finally:
            os.close(fd)
        # Journaled before the link: a kill right after it leaves a lock the journal proves ours.
        entry = journal.record(replace(entry, phase="locking", index_lock=str(path), lock_ino=ino))
        try:
            _link_when_free(mine, path, worktree)
        except BaseException:
            journal.clear()
            raise
        finally:
            mine.unlink(missing_ok=True)
        lock = cls(worktree, path, CarryIndexes.beside(index), entry)
        lock.entry = journal.record(replace(entry, phase="locked"))
        return lock

    def release(self) -> None:
        if self.held:
            self.path.unlink(missing_ok=True)
            self.indexes.remove_scratch()
            self.held = False


def carry_checkout(
    worktree: Path, old: str, new: str, lock: IndexLock, journal: SwapJournal | None
) -> tuple[str, ...]:
    """Carry the checkout's files and index from old to new under lock; the paths left alone.

    Idempotent, so a recovery runs it again (without journaling its phases).
    """
    if git.index_tree(worktree) == git.tree_of(worktree, new):
        return ()  # the carry had committed its index before a kill
    plan = plan_carry(worktree, lock.indexes, old, new)
    if journal is not None:
        lock.entry = journal.record(replace(lock.entry, phase="carrying"))
    apply_carry(worktree, lock.indexes, plan)
    os.replace(lock.indexes.new, lock.indexes.index)
    if journal is not None:
        lock.entry = journal.record(replace(lock.entry, phase="carried"))
    return plan.kept


def _recover_checkout(journal: SwapJournal, entry: SwapEntry, notify: Notify) -> bool:
    """Finish (the ref holds NEW) or roll back (it does not) a dead lander's swap; False: not yet."""
    worktree = Path(str(entry.worktree))
    lock_path = Path(entry.index_lock) if entry.index_lock else None
    if lock_path is not None:
        lock_path.with_name(f"index.lock.gatekit-{entry.pid}").unlink(missing_ok=True)
    if not worktree.is_dir() or lock_path is None:
        return True
    ours = _inode(lock_path) == entry.lock_ino
    ref_now = git.rev_parse(worktree, entry.ref)
    if ref_now == entry.new and entry.phase not in ("locking", "locked"):
        return _finish_carry(journal, worktree, entry, lock_path, ours, notify)
    if ours:
        lock_path.unlink(missing_ok=True)
        CarryIndexes.beside(lock_path.with_name("index")).remove_scratch()
        notify(f"removed {lock_path}, left by a land killed before it moved {entry.ref} (rolled back)")
    return True


def _finish_carry(
    journal: SwapJournal, worktree: Path, entry: SwapEntry, lock_path: Path, ours: bool, notify: Notify
) -> bool:
    if not ours:
        try:
            fd = os.open(lock_path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            # Journaled as ours, so a kill during this recovery is recovered the same way.
            entry = journal.record(replace(entry, lock_ino=os.fstat(fd).st_ino))
            os.close(fd)
        except FileExistsError:
            notify(
                f"the checkout in {worktree} was left behind by a killed land, and another git process "
                f"holds {lock_path}; once it is done, land again (or run `gatekit doctor --fix`)"
            )
            return False
    else:
        notify(f"removed {lock_path}, left by a land that was killed while updating that checkout")
    lock = IndexLock(worktree, lock_path, CarryIndexes.beside(lock_path.with_name("index")), entry)
    try:
        if git.index_tree(worktree) not in (
            git.tree_of(worktree, entry.old),
            git.tree_of(worktree, entry.new),
        ):
            notify(f"the checkout in {worktree} changed since a land was killed there; it was left as it is")
            return True
        kept = carry_checkout(worktree, entry.old, entry.new, lock, None)
    finally:
        lock.release()
    notify(f"finished updating the checkout in {worktree}, which a killed land left behind")
    if kept:
        notify(f"left {len(kept)} file(s) edited since then alone: {_list(kept)}")
    return True


def _link_when_free(mine: Path, lock: Path, worktree: Path) -> None:
    deadline = time.monotonic() + INDEX_LOCK_WAIT_SECONDS
    while True:
        try:
            os.link(mine, lock)
            return
        except FileExistsError:
            if time.monotonic() > deadline:
                raise Refused(
                    f"{lock} stayed locked for {INDEX_LOCK_WAIT_SECONDS:.0f}s (a git command is running in "
                    f"{worktree}, or one was killed there); nothing was landed. If no git process runs "
                    "there, remove that file and land again"
                ) from None
            time.sleep(0.05)


def _inode(path: Path) -> int | None:
    try:
        return path.stat().st_ino
    except OSError:
        return None


def _short(ref: str) -> str:
    return ref[len("refs/heads/") :] if ref.startswith("refs/heads/") else ref


def _list(paths: tuple[str, ...] | list[str], sep: str = ", ", head: str = "", limit: int = 20) -> str:
    shown = sep.join(paths[:limit]) + (f"{sep}..." if len(paths) > limit else "")
    return head + shown


def _ref_locked(common_dir: Path, target_ref: str, exc: CommandError) -> Refused:
    """The swap failed though the target did not move: name the lock and the way out."""
    locks = [lock for lock in git.ref_lock_paths(common_dir, target_ref) if lock.exists()]
    if not locks:
        return Refused(f"could not move {target_ref}: {exc.message}; nothing was landed")
    return Refused(
        f"{target_ref} is locked by {' and '.join(map(str, locks))}, so nothing was landed. Another git "
        f"process is updating it, or one was killed while doing so; if no git process is running in "
        f"this repository, remove {'that file' if len(locks) == 1 else 'those files'} and land again"
    )


def catch_up_checkout(common_dir: Path, worktree: Path, ref: str, held: str, notify: Notify) -> None:
    """Carry a checkout left behind by its branch (index still at held) to the branch's tip.

    The same journaled, locked and idempotent carry as a land's, so a kill here is recovered too.
    """
    tip = git.rev_parse(worktree, ref)
    if tip is None:
        return
    journal = SwapJournal(common_dir)
    lock = IndexLock.acquire(worktree, journal, SwapEntry(ref, held, tip, str(worktree)))
    try:
        lock.entry = journal.record(replace(lock.entry, phase="swapped"))
        kept = carry_checkout(worktree, held, tip, lock, journal)
    finally:
        lock.release()
        journal.clear()
    notify(f"brought the checkout in {worktree} from {held[:12]} up to {_short(ref)} ({tip[:12]})")
    if kept:
        notify(f"left {len(kept)} file(s) edited there alone: {_list(kept)}")
