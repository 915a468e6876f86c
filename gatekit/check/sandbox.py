"""Sandboxes: gatekit-owned linked worktrees where a subject's tree is checked out and gated.

Each slot is `<common-git-dir>/gatekit/sandboxes/slot-N`, created once and reused, so build
outputs (target/, node_modules/, .venv) persist and incremental builds stay incremental. A slot is
held with an flock on `slot-N.lock`: the kernel drops it when its holder dies, even by SIGKILL, so
a killed run never leaves a slot locked. SIGKILL does leave the run's gate behind, though (it
runs in its own process group), so the slot remembers that group in `slot-N.gate` while a gate
runs, and the next holder stops a group still running there before it touches the files.
Everything here writes only inside the slot.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import signal
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from gatekit import git
from gatekit.git import RepoPaths
from gatekit.state_dirs import sandboxes_dir
from gatekit.system.processes import process_start_ticks

WAIT_NOTICE_SECONDS = 30.0
STOP_GRACE_SECONDS = 3.0


@dataclass
class Sandbox:
    repo: RepoPaths
    path: Path
    slot: int

    def checkout(self, tree: str, commit: str, *, fresh: bool = False) -> Path:
        """Make the slot's files and index exactly `tree`, with HEAD detached at `commit`.

        `read-tree --reset -u` rewrites only the files whose content differs and removes files
        the previous subject tracked, so unchanged files keep their mtimes (incremental builds)
        and untracked build outputs stay. `fresh` also deletes those outputs first.
        """
        self._ensure_worktree(commit)
        self._clear_stale_locks()
        if fresh:
            git.run(self.path, "clean", "-ffdxq")
        git.run(self.path, "read-tree", "--reset", "-u", tree)
        git.run(self.path, "update-ref", "--no-deref", "-m", "gatekit: sandbox checkout", "HEAD", commit)
        return self.path

    def _ensure_worktree(self, commit: str) -> None:
        if (self.path / ".git").is_file() and git.run_rc(self.path, "rev-parse", "--git-dir")[0] == 0:
            return
        # Creating worktrees is serialized across gatekit processes: two concurrent
        # `git worktree add`s in one repository race on git's worktrees/ bookkeeping.
        with _exclusive(self.path.parent / "create.lock"):
            # Missing or half-made (a run killed while creating it): start the slot over.
            # --force re-registers a path git still lists as a missing worktree.
            if self.path.exists():
                shutil.rmtree(self.path)
            git.run(
                self.repo.toplevel,
                "worktree",
                "add",
                "--force",
                "--detach",
                "--no-checkout",
                "--quiet",
                str(self.path),
                commit,
            )

    def _clear_stale_locks(self) -> None:
        # We hold the slot's flock, so no other gatekit uses this worktree: a lock file here
        # is left over from a run that was killed mid-checkout (SIGKILL leaves them behind).
        admin = self._admin_dir()
        for name in ("index.lock", "HEAD.lock"):
            (admin / name).unlink(missing_ok=True)

    @property
    def gate_record(self) -> Path:
        return self.path.with_name(self.path.name + ".gate")

    def track_gate(self, group: int | None) -> None:
        """Record the process group of the gate running here (None: it is over)."""
        if group is None:
            self.gate_record.unlink(missing_ok=True)
            return
        tmp = self.gate_record.with_suffix(".gate.tmp")
        tmp.write_text(f"{group} {process_start_ticks(group) or 0}\n")
        os.replace(tmp, self.gate_record)

    def stop_orphaned_gate(self, notify: Callable[[str], None]) -> None:
        """Stop the gate a killed run left running in this slot (we hold the slot's flock)."""
        try:
            group, ticks = (int(field) for field in self.gate_record.read_text().split())
        except FileNotFoundError:
            return
        except (OSError, ValueError):
            group, ticks = 0, 0
        try:
            if group > 1 and _is_that_group(group, ticks):
                _stop_group(group)
                notify(
                    f"stopped a gate (process group {group}) still running in sandbox slot {self.slot}; "
                    f"the gatekit run that started it had been killed"
                )
        finally:
            self.gate_record.unlink(missing_ok=True)

    def _admin_dir(self) -> Path:
        """The slot's own git dir, read from its `.git` file (no git process needed)."""
        pointer = (self.path / ".git").read_text(encoding="utf-8", errors="surrogateescape")
        admin = Path(pointer.removeprefix("gitdir:").strip())
        return admin if admin.is_absolute() else (self.path / admin).resolve()


def _is_that_group(group: int, ticks: int) -> bool:
    """Does the recorded process group still have live members?

    Only judged where /proc tells when a process started. A group id is its leader's pid, and no
    new process gets that pid while any member of the group lives; so the group is ours when its
    leader is the recorded process (same start) or gone with members left behind.
    """
    if not Path("/proc/self/stat").exists():
        return False
    leader = process_start_ticks(group)
    if leader is not None and leader != ticks:
        return False  # the pid now belongs to another process: our group is long gone
    return bool(_live_members(group))


def _live_members(group: int) -> list[int]:
    """Processes of the group that are not zombies (a zombie waits for its reaper, not for us)."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue  # exited while we looked
        if len(fields) > 2 and fields[2] == str(group) and fields[0] != "Z":
            members.append(int(entry.name))
    return members


def _stop_group(group: int) -> None:
    """SIGTERM the group, then SIGKILL what is left after a grace period."""
    for sig, grace in ((signal.SIGTERM, STOP_GRACE_SECONDS), (signal.SIGKILL, 1.0)):
        try:
            os.killpg(group, sig)
        except (ProcessLookupError, PermissionError):
            return
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline:
            if not _live_members(group):
                return
            time.sleep(0.05)


@contextmanager
def _exclusive(path: Path) -> Iterator[None]:
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _try_lock(path: Path) -> int | None:
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    os.ftruncate(fd, 0)
    os.write(fd, f"{os.getpid()}\n".encode())
    return fd


@contextmanager
def acquire_sandbox(
    repo: RepoPaths,
    slots: int,
    notify: Callable[[str], None],
    *,
    timeout: float | None = None,
) -> Iterator[Sandbox]:
    """Hold a free sandbox slot for the duration of the block; waits (and says so) when all are busy."""
    base = sandboxes_dir(repo.common_dir)
    base.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    next_notice = 0.0
    while True:
        for slot in range(slots):
            fd = _try_lock(base / f"slot-{slot}.lock")
            if fd is not None:
                try:
                    sandbox = Sandbox(repo, base / f"slot-{slot}", slot)
                    sandbox.stop_orphaned_gate(notify)
                    yield sandbox
                finally:
                    os.close(fd)  # closing drops the flock
                return
        waited = time.monotonic() - started
        if timeout is not None and waited >= timeout:
            from gatekit.errors import GatekitError

            raise GatekitError(f"all {slots} sandbox slots stayed busy for {waited:.0f}s", exit_code=1)
        if waited >= next_notice:
            notify(
                f"all {slots} sandbox slots are busy with other gatekit runs; waiting "
                f"({waited:.0f}s so far; raise [sandbox] slots to run more at once)"
            )
            next_notice = waited + WAIT_NOTICE_SECONDS
        time.sleep(0.2)
