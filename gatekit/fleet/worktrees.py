"""`gatekit worktree add` and `gatekit worktree remove`: the only fleet commands that write."""

from __future__ import annotations

import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from gatekit import git
from gatekit.config import FleetConfig
from gatekit.errors import Refused, UsageError
from gatekit.fleet.inventory import FleetWorktree, find_worktree, list_fleet_worktrees
from gatekit.guard.sessions import start_session
from gatekit.guard.sessions_store import list_sessions
from gatekit.guard.snapshots import take_snapshot
from gatekit.state_dirs import removed_worktrees_dir
from gatekit.system.processes import is_alive


def worktree_root(repo: git.RepoPaths, config: FleetConfig) -> Path:
    """The folder new worktrees go in: fleet.worktree_dir, relative to the main worktree."""
    main = git.list_worktrees(repo.toplevel)[0].path
    try:
        folder = config.worktree_dir.format(repo=main.name)
    except (KeyError, IndexError, ValueError) as exc:
        raise UsageError(
            f"fleet.worktree_dir {config.worktree_dir!r}: only {{repo}} may be used ({exc})"
        ) from exc
    return (main / folder).resolve()


def check_branch_name(cwd: Path, name: str) -> None:
    if not git.is_valid_branch_name(cwd, name):
        raise UsageError(f"{name!r} is not a valid branch name")


@dataclass(frozen=True)
class Added:
    path: Path
    branch: str
    start: str
    session: str | None


def add_worktree(
    repo: git.RepoPaths, config: FleetConfig, name: str, start: str, session: str | None = None
) -> Added:
    """A new branch NAME from start, checked out in a new worktree in the configured folder."""
    check_branch_name(repo.toplevel, name)
    if git.branch_exists(repo.toplevel, name):
        raise UsageError(f"a branch named {name!r} already exists; pick another name")
    start_commit = git.resolve_commit(repo.toplevel, start)
    path = worktree_root(repo, config) / name
    if path.exists():
        raise UsageError(f"{path} already exists")
    path.parent.mkdir(parents=True, exist_ok=True)
    git.add_worktree(repo.toplevel, path, name, start_commit)
    if session:
        # The guard's own session start, so the new session has a baseline to compare with;
        # it belongs to the process that asked for the worktree (our parent).
        start_session(path, session, claims=(), pid=None)
    return Added(path, name, start_commit, session)


def removal_blockers(repo: git.RepoPaths, wt: FleetWorktree) -> list[str]:
    """Why removing this worktree could lose work (empty when it is safe)."""
    reasons: list[str] = []
    if wt.exists:
        dirty = git.status(wt.path, untracked="all")
        if dirty:
            reasons.append(f"it has {len(dirty)} uncommitted change(s), e.g. {dirty[0].path!r}")
        ignored = git.ignored_files(wt.path)
        if ignored:
            reasons.append(f"it has {len(ignored)} ignored file(s) no snapshot can hold, e.g. {ignored[0]!r}")
    if wt.entry.head:
        unique = git.unmerged_commit_count(repo.toplevel, wt.entry.head, wt.entry.branch_name)
        if unique:
            reasons.append(f"{unique} commit(s) on it are on no other branch and no remote")
    live = [s.name for s in list_sessions(wt.git_dir) if is_alive(s.pid)] if wt.git_dir else []
    if live:
        reasons.append(f"live session(s): {', '.join(live)}")
    if wt.entry.locked is not None:
        reasons.append(f"it is locked{': ' + wt.entry.locked if wt.entry.locked else ''}")
    return reasons


@dataclass(frozen=True)
class Removed:
    path: Path
    branch: str | None
    snapshot: str | None
    ignored_saved_in: Path | None = None  # where its ignored files were copied (--force)


def remove_worktree(repo: git.RepoPaths, name: str, force: bool) -> Removed:
    """Remove a worktree; refuse when it holds unsaved work unless forced (then snapshot first)."""
    worktrees = list_fleet_worktrees(repo)
    wt = find_worktree(worktrees, name)
    if wt is None:
        known = ", ".join(w.path.name for w in worktrees[1:]) or "none"
        raise UsageError(f"no worktree named {name!r} (linked worktrees: {known})")
    if wt.is_main:
        raise UsageError("the main worktree cannot be removed")
    if repo.toplevel.resolve() == wt.path.resolve():
        raise UsageError("cannot remove the worktree gatekit is running in; run it from another one")
    reasons = removal_blockers(repo, wt)
    if reasons and not force:
        raise Refused(
            f"not removing {wt.path}: " + "; ".join(reasons) + " (use --force to snapshot and remove)"
        )
    ref = None
    kept = None
    if force and wt.exists:
        saved = take_snapshot(git.get_repo_paths(wt.path), "worktree remove --force")
        # None: the work is already in the newest snapshot (or there is none beyond HEAD).
        ref = saved.ref if saved is not None else None
        kept = _save_ignored_files(repo, wt)
    git.remove_worktree(repo.toplevel, wt.path, locked=wt.entry.locked is not None)
    return Removed(wt.path, wt.entry.branch_name, ref, kept)


def _save_ignored_files(repo: git.RepoPaths, wt: FleetWorktree) -> Path | None:
    """Copy the worktree's ignored files (with their modes) to a gatekit-owned directory."""
    ignored = git.ignored_files(wt.path)
    if not ignored:
        return None
    stamp = time.strftime("%Y%m%d-%H%M%S")
    target = removed_worktrees_dir(repo.common_dir) / f"{wt.path.name}-{stamp}-{os.getpid()}"
    for path in ignored:
        source = wt.path / path
        destination = target / path
        destination.parent.mkdir(parents=True, exist_ok=True)
        if source.is_symlink():
            os.symlink(os.readlink(source), destination)
        elif source.is_file():
            shutil.copy2(source, destination)
    return target
