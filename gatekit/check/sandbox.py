"""Sandboxes: gatekit-owned repositories where a subject's tree is checked out and gated.

A repository's slots live outside it, in `<sandbox root>/<name>-<hash of its common git dir>/slot-N`
(the root is the user cache dir unless configured; see state_dirs.sandbox_root), so tools that
search parent directories for configuration (an untracked `.cargo/config.toml`, `go.work`) find
nothing of the user's, and TypeScript, which ignores symlinks under `.git`, resolves pnpm's links.
Each slot is a repository of its own that borrows the user's objects through alternates: a gate's
`git stash`, `git tag` or `git branch` changes the slot's refs, never the user's, and slots are not
in `git worktree list`. Slots are created once and reused, so build outputs (target/,
node_modules/, .venv) persist and incremental builds stay incremental; a pool whose repository is
gone is deleted by the next run of any repository.

A slot is held with an flock on `slot-N.lock`: the kernel drops it when its holder dies, even by
SIGKILL, so a killed run never leaves a slot locked. SIGKILL does leave the run's gate behind,
though (it runs in its own process group), so the slot remembers that group in `slot-N.gate`
while a gate runs, and the next holder stops a group still running there before it touches the
files. What a gate detached from its group (`setsid`, a double fork) is stopped when the gate ends:
found through its parent link where gatekit is the reaper of its gates' orphans (system/reaper.py),
else by the marker variable naming the slot that gates carry, or by a working directory in the slot.
After a killed run only the marker and the directory are left to find them by. Everything here
writes only inside the pool.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from gatekit import git
from gatekit.check.isolation import isolation_env
from gatekit.config import SandboxConfig
from gatekit.errors import GatekitError, UsageError
from gatekit.git import RepoPaths
from gatekit.state_dirs import (
    SANDBOX_DIR_VAR,
    legacy_sandboxes_dir,
    private_sandbox_root,
    sandbox_root_chosen,
    sandboxes_dir,
)
from gatekit.system.dirs import private_dir
from gatekit.system.files import atomic_write, flocked, try_flock
from gatekit.system.processes import (
    live_group_members,
    marked_processes,
    now_ticks,
    process_start_ticks,
    stop_group,
    stop_processes,
)

MARKER_VAR = "GATEKIT_SANDBOX"
NEVER = 2**63  # a start time no process has
WAIT_NOTICE_SECONDS = 30.0
STOP_GRACE_SECONDS = 3.0


@dataclass
class Sandbox:
    repo: RepoPaths
    path: Path
    slot: int
    gate_started_ticks: int = 0  # when the current (or last) gate started, in clock ticks since boot

    @property
    def objects_dir(self) -> Path:
        return self.repo.common_dir.resolve() / "objects"

    def checkout(self, tree: str, commit: str, *, fresh: bool = False) -> Path:
        """Make the slot's files and index exactly `tree`, with HEAD detached at `commit`, and
        give it the user's branches and tags (read-only copies: the gate may move them freely)."""
        self._ensure_repository()
        self._clear_stale_locks()
        git.checkout_tree(self.path, tree, fresh=fresh)
        git.mirror_refs(self.repo, self.path, head=commit)
        return self.path

    def _ensure_repository(self) -> None:
        if git.borrows_from(self.path, self.objects_dir):
            return
        # Missing, half-made (a run killed while creating it) or an old linked worktree: start
        # the slot over. We hold its flock, so nobody else is in it.
        if self.path.exists():
            shutil.rmtree(self.path)
        git.init_borrowing(self.path, self.objects_dir, git.object_format(self.repo.toplevel))

    def _clear_stale_locks(self) -> None:
        # We hold the slot's flock, so no other gatekit uses this repository: a lock file here
        # is left over from a run that was killed mid-checkout (SIGKILL leaves them behind).
        admin = self.path / ".git"
        for name in ("index.lock", "HEAD.lock", "packed-refs.lock"):
            (admin / name).unlink(missing_ok=True)
        for folder, _, files in os.walk(admin / "refs"):  # not rglob: its pattern compiles per run
            for name in files:
                if name.endswith(".lock"):
                    Path(folder, name).unlink(missing_ok=True)

    @property
    def gate_record(self) -> Path:
        return self.path.with_name(self.path.name + ".gate")

    def gate_environment(self) -> dict[str, str]:
        """What every gate in this slot carries: the marker that finds its detached processes, and
        the variables that keep it on the subject's code (isolation.py)."""
        return {**isolation_env(self.repo, self.path), MARKER_VAR: str(self.path)}

    def track_gate(self, group: int | None) -> None:
        """Record the process group of the gate running here (None: it is over)."""
        if group is None:
            self.gate_record.unlink(missing_ok=True)
            return
        started = process_start_ticks(group)
        # A gate that is already over has no start to read: "now" still spares older processes.
        self.gate_started_ticks = started if started is not None else now_ticks()
        # Read by the next run after this one is killed; a kill keeps what was written, and after
        # a power loss no gate is left to find: no fsync on every gate's start.
        atomic_write(self.gate_record, f"{group} {started or 0}\n", durable=False)

    def stop_strays(self, since_ticks: int | None = None) -> list[str]:
        """Stop what a gate left running (a `setsid` daemon, a double fork): processes that carry
        this slot's marker, or that work inside the slot and started with the gate or later (a
        shell you opened there to look around is not the gate's). Returns "pid N (name)" each."""
        since = self.gate_started_ticks if since_ticks is None else since_ticks
        return stop_processes(marked_processes(MARKER_VAR, str(self.path), self.path, started_since=since))

    def stop_orphaned_gate(self, notify: Callable[[str], None]) -> None:
        """Stop the gate a killed run left running in this slot (we hold the slot's flock)."""
        try:
            group, ticks = (int(field) for field in self.gate_record.read_text().split())
        except FileNotFoundError:
            return  # the last gate here ended with its run, which stopped what it left behind
        except (OSError, ValueError):
            group, ticks = 0, NEVER  # unreadable: trust only the marker, not working directories
        try:
            if group > 1 and _is_that_group(group, ticks):
                stop_group(group, STOP_GRACE_SECONDS)
                notify(
                    f"stopped a gate (process group {group}) still running in sandbox slot {self.slot}; "
                    f"the gatekit run that started it had been killed"
                )
            strays = self.stop_strays(since_ticks=ticks)
            if strays:
                notify(
                    f"stopped {len(strays)} process(es) a killed run left running in sandbox slot "
                    f"{self.slot}: {', '.join(strays)}"
                )
        finally:
            self.gate_record.unlink(missing_ok=True)


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
    return bool(live_group_members(group))


@contextmanager
def acquire_sandbox(
    repo: RepoPaths,
    config: SandboxConfig,
    notify: Callable[[str], None],
    *,
    timeout: float | None = None,
) -> Iterator[Sandbox]:
    """Hold a free sandbox slot for the duration of the block; waits (and says so) when all are busy."""
    base = pool_dir(repo, config)
    base.mkdir(parents=True, exist_ok=True)
    _record_owner(base, repo)
    prune_abandoned(base.parent, keep=base)
    _retire_legacy_sandboxes(repo)
    # The shared lock: prune_abandoned never deletes a pool in use.
    with (
        flocked(base / "use.lock", shared=True),
        _free_slot(repo, base, config.slots, notify, timeout) as sandbox,
    ):
        yield sandbox


def pool_dir(repo: RepoPaths, config: SandboxConfig) -> Path:
    """This repository's sandbox directory, refused when it lies inside the repository itself."""
    base = sandboxes_dir(repo.common_dir, config.dir)
    if not sandbox_root_chosen(config.dir) and _inside_repository(base, repo):
        # The default cache dir is inside a work tree that is $HOME (dotfiles): go elsewhere.
        root = private_sandbox_root()
        if not private_dir(str(root.parent)):
            raise UsageError(
                f"the cache dir is inside the repository ({repo.toplevel}) and {root.parent} is not a "
                f"private directory of yours: choose a sandbox dir outside it (${SANDBOX_DIR_VAR} or "
                "[sandbox] dir)"
            )
        base = sandboxes_dir(repo.common_dir, str(root))
    for owned in (repo.toplevel, repo.common_dir):
        if _is_within(base, owned):
            raise UsageError(
                f"the sandbox dir {base.parent} is inside the repository ({owned}); tools that search "
                f"parent directories would read your files there: choose a dir outside it "
                f"(${SANDBOX_DIR_VAR} or [sandbox] dir)"
            )
    return base


def _inside_repository(path: Path, repo: RepoPaths) -> bool:
    return _is_within(path, repo.toplevel) or _is_within(path, repo.common_dir)


def _is_within(path: Path, root: Path) -> bool:
    try:
        path.resolve().relative_to(root.resolve())
        return True
    except ValueError:
        return False


@contextmanager
def _free_slot(
    repo: RepoPaths, base: Path, slots: int, notify: Callable[[str], None], timeout: float | None
) -> Iterator[Sandbox]:
    started = time.monotonic()
    next_notice = 0.0
    while True:
        for slot in range(slots):
            fd = try_flock(base / f"slot-{slot}.lock", holder_note=True)
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
            raise GatekitError(f"all {slots} sandbox slots stayed busy for {waited:.0f}s", exit_code=1)
        if waited >= next_notice:
            notify(
                f"all {slots} sandbox slots are busy with other gatekit runs; waiting "
                f"({waited:.0f}s so far; raise [sandbox] slots to run more at once)"
            )
            next_notice = waited + WAIT_NOTICE_SECONDS
        time.sleep(0.2)


OWNER_FILE = "repository"


def _record_owner(base: Path, repo: RepoPaths) -> None:
    """Say whose sandboxes these are, so a later run can prune them once that repository is gone."""
    owner = base / OWNER_FILE
    common = os.fsencode(repo.common_dir.resolve())
    try:
        if owner.read_bytes() == common:
            return
    except OSError:
        pass
    atomic_write(owner, common)


def prune_abandoned(root: Path, *, keep: Path) -> list[Path]:
    """Delete the sandbox pools under root whose repository no longer exists (and nobody uses)."""
    removed = []
    for pool in root.iterdir():
        if pool == keep or not pool.is_dir():
            continue
        try:
            owner = Path(os.fsdecode((pool / OWNER_FILE).read_bytes()))
        except OSError:
            continue  # not a pool gatekit made, or one still being made
        if (owner / "objects").is_dir():
            continue
        try:
            fd = try_flock(pool / "use.lock")
        except OSError:
            continue  # another run is deleting it right now
        if fd is None:
            continue  # in use
        try:
            shutil.rmtree(pool, ignore_errors=True)  # under the lock: no run can start using it
            removed.append(pool)
        finally:
            os.close(fd)
    return removed


def _retire_legacy_sandboxes(repo: RepoPaths) -> None:
    """Remove the linked-worktree sandboxes an older gatekit kept under .git (when none is busy)."""
    legacy = legacy_sandboxes_dir(repo.common_dir)
    if not legacy.is_dir():
        return
    held = []
    try:
        for lock in legacy.glob("slot-*.lock"):
            fd = try_flock(lock)
            if fd is None:
                return  # an older gatekit is using them right now
            held.append(fd)
        shutil.rmtree(legacy, ignore_errors=True)
    finally:
        for fd in held:
            os.close(fd)
    git.prune_worktrees(repo.toplevel)
