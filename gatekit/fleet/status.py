"""`gatekit status`: where every worktree (and optionally every branch) stands.

One `git status` and one `rev-list --count` per worktree, run in parallel; everything shared
(branches and upstreams, snapshot refs) comes from one for-each-ref call each.
"""

from __future__ import annotations

import os
import re
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from gatekit import git
from gatekit.errors import GatekitError
from gatekit.fleet.inventory import FleetWorktree, list_fleet_worktrees
from gatekit.guard.sessions_store import SessionRecord, list_sessions
from gatekit.state_dirs import SNAPSHOT_REF_PREFIX
from gatekit.system.processes import is_alive, stale_index_lock_age

# Past this many dirty paths the oldest-change age is taken from a sample: stat is not free.
MAX_AGE_STATS = 5000


@dataclass(frozen=True)
class LiveSession:
    name: str
    pid: int
    started: float  # epoch seconds
    claims: list[str]


@dataclass
class Row:
    """One line of the status table: a worktree, or a branch that no worktree has checked out."""

    kind: str  # "worktree" | "branch"
    path: str | None
    branch: str | None
    head: str | None
    ahead: int | None = None
    behind: int | None = None
    dirty: int | None = None
    oldest_change_age: float | None = None
    upstream: str = "none"
    upstream_ref: str | None = None  # e.g. origin/main
    upstream_ahead: int | None = None  # commits the branch has that its upstream lacks
    upstream_behind: int | None = None
    snapshot_age: float | None = None
    sessions: list[LiveSession] = field(default_factory=list)
    claims: list[str] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)
    locked_reason: str | None = None  # `git worktree lock --reason` ("" when none was given)
    prunable_reason: str | None = None
    error: str | None = None


@dataclass
class StatusReport:
    target: str
    target_commit: str | None  # None when the target does not exist (yet)
    rows: list[Row]


_TRACK_PART = re.compile(r"(ahead|behind) (\d+)")


def upstream_counts(info: git.BranchInfo | None) -> tuple[int | None, int | None]:
    """(ahead, behind) of a branch against its upstream, from for-each-ref's track field."""
    if info is None or not info.upstream or "gone" in info.track:
        return None, None
    counts = {word: int(number) for word, number in _TRACK_PART.findall(info.track)}
    return counts.get("ahead", 0), counts.get("behind", 0)


def _set_upstream(row: Row, info: git.BranchInfo | None) -> None:
    row.upstream = upstream_state(info)
    if info is not None and info.upstream:
        row.upstream_ref = info.upstream.removeprefix("refs/remotes/")
        row.upstream_ahead, row.upstream_behind = upstream_counts(info)


def upstream_state(info: git.BranchInfo | None) -> str:
    """none / pushed / ahead N / behind N / diverged / gone, from for-each-ref's track field."""
    if info is None or not info.upstream:
        return "none"
    track = info.track.strip("[]")
    if not track:
        return "pushed"
    if track == "gone":
        return "gone"
    if "," in track:
        return "diverged"
    return track


def stale_lock(worktree: Path, git_dir: Path | None, now: float) -> bool:
    return git_dir is not None and stale_index_lock_age(worktree, git_dir, now) is not None


def clobber_signal(worktree: Path, git_dir: Path | None, live: list[SessionRecord], now: float) -> bool:
    """Does this worktree show a clobber signal of medium severity or more?

    With live sessions the guard's full inspection runs (foreign files and reverted edits need a
    session's ledger to be seen). Without one, only the cheap evidence is read — a stale
    index.lock — so the table stays at the cost of one `git status` per worktree.
    """
    if git_dir is None:
        return False
    if stale_lock(worktree, git_dir, now):
        return True
    if not live or not worktree.is_dir():
        return False
    from gatekit.guard.signals import clobber_signals

    return any(signal.at_least("medium") for signal in clobber_signals(worktree))


def oldest_mtime(root: Path, paths: list[str]) -> float | None:
    oldest: float | None = None
    for rel in paths[:MAX_AGE_STATS]:
        try:
            mtime = os.lstat(root / rel).st_mtime
        except OSError:
            continue  # deleted: its age is unknown
        oldest = mtime if oldest is None else min(oldest, mtime)
    return oldest


def _worktree_row(
    wt: FleetWorktree,
    target: str | None,
    branches: dict[str, git.BranchInfo],
    snapshots: dict[str, int],
    now: float,
) -> Row:
    entry = wt.entry
    row = Row("worktree", str(wt.path), entry.branch_name, entry.head)
    flags = row.flags
    if entry.detached:
        flags.append("detached")
    if entry.locked is not None:
        flags.append("locked")
        row.locked_reason = entry.locked
    if entry.prunable is not None or not wt.exists:
        flags.append("prunable" if entry.prunable is not None else "missing")
        row.prunable_reason = entry.prunable
    if entry.branch_name:
        _set_upstream(row, branches.get(entry.branch_name))
    if wt.id in snapshots:
        row.snapshot_age = max(0.0, now - snapshots[wt.id])
    live = [s for s in list_sessions(wt.git_dir) if is_alive(s.pid)] if wt.git_dir else []
    row.sessions = [LiveSession(s.name, s.pid, s.started, list(s.claims)) for s in live]
    row.claims = sorted({claim for s in live for claim in s.claims})
    if stale_lock(wt.path, wt.git_dir, now):
        flags.append("stale-lock")
    if clobber_signal(wt.path, wt.git_dir, live, now):
        flags.append("clobber")
    if not wt.exists or entry.bare:
        return row
    try:
        entries = git.status(wt.path)
        row.dirty = len(entries)
        mtime = oldest_mtime(wt.path, [e.path for e in entries])
        row.oldest_change_age = max(0.0, now - mtime) if mtime is not None else None
        if target and entry.head:
            row.ahead, row.behind = git.ahead_behind(wt.path, target, entry.head)
    except GatekitError as exc:
        row.error = exc.message
    return row


def _branch_row(info: git.BranchInfo, target: str | None, cwd: Path) -> Row:
    row = Row("branch", None, info.name, info.commit)
    _set_upstream(row, info)
    if target:
        row.ahead, row.behind = git.ahead_behind(cwd, target, info.commit)
    return row


def snapshot_times(cwd: Path) -> dict[str, int]:
    """worktree id -> newest snapshot's committer time, from one for-each-ref."""
    newest: dict[str, int] = {}
    for ref, stamp in git.ref_dates(cwd, SNAPSHOT_REF_PREFIX):
        wt_id = ref[len(SNAPSHOT_REF_PREFIX) :].split("/", 1)[0]
        newest[wt_id] = max(stamp, newest.get(wt_id, 0))
    return newest


def collect_status(repo: git.RepoPaths, target: str, all_branches: bool = False) -> StatusReport:
    """The status rows of every worktree (and, with all_branches, every other local branch)."""
    now = time.time()
    cwd = repo.toplevel
    workers = max(2, min(8, os.cpu_count() or 2))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        # The shared questions are independent git calls: ask them all at once.
        branches_f = pool.submit(git.list_branches, cwd)
        snapshots_f = pool.submit(snapshot_times, cwd)
        target_f = pool.submit(git.rev_parse, cwd, f"{target}^{{commit}}")
        worktrees = list_fleet_worktrees(repo)
        branches = {b.name: b for b in branches_f.result()}
        target_commit = target_f.result() if not target.startswith("-") else None
        snapshots = snapshots_f.result()
        rows = list(
            pool.map(lambda wt: _worktree_row(wt, target_commit, branches, snapshots, now), worktrees)
        )
        if all_branches:
            checked_out = {wt.entry.branch_name for wt in worktrees}
            others = [b for name, b in sorted(branches.items()) if name not in checked_out]
            rows += list(pool.map(lambda b: _branch_row(b, target_commit, cwd), others))
    return StatusReport(target, target_commit, rows)
