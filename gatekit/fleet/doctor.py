"""`gatekit doctor`: repository health, one finding per problem, each with the command that
fixes it."""

from __future__ import annotations

import os
import re
import shlex
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from gatekit import git
from gatekit.fleet.inventory import FleetWorktree, list_fleet_worktrees
from gatekit.guard.lost import LostCommit, counts, lost_commits
from gatekit.guard.sessions_store import list_sessions
from gatekit.state_dirs import sessions_dir
from gatekit.system.processes import is_alive, stale_index_lock_age

OLD_STASH_DAYS = 14
HOOK_NAMES = ("pre-commit", "commit-msg", "pre-push", "post-checkout", "prepare-commit-msg")


@dataclass(frozen=True)
class Finding:
    kind: str
    subject: str
    problem: str
    fix: str
    commit: str | None = None  # the full id, for findings about one commit


@dataclass
class Diagnosis:
    findings: list[Finding]
    lost_work: dict[str, int]  # commits no ref reaches, by class (gatekit.guard.lost.KINDS)


def _q(path: Path | str) -> str:
    return shlex.quote(str(path))


def stale_locks(worktrees: list[FleetWorktree], now: float, journaled: str | None = None) -> list[Finding]:
    """Old index.locks; one an interrupted land journaled is left to its own finding (doctor --fix)."""
    found = []
    for wt in worktrees:
        if wt.git_dir is None:
            continue
        lock = wt.git_dir / "index.lock"
        if journaled is not None and str(lock) == journaled:
            continue
        age = stale_index_lock_age(wt.path, wt.git_dir, now)
        if age is not None:
            found.append(
                Finding(
                    "stale-lock",
                    str(wt.path),
                    f"index.lock is {int(age)}s old; git commands in this worktree fail until it goes",
                    f"make sure no git process runs in {_q(wt.path)}, then: rm {_q(lock)}",
                )
            )
    return found


def worktree_problems(worktrees: list[FleetWorktree]) -> list[Finding]:
    found = []
    for wt in worktrees:
        entry = wt.entry
        if entry.prunable is not None:
            found.append(
                Finding(
                    "prunable-worktree",
                    str(wt.path),
                    f"prunable: {entry.prunable}",
                    "git worktree prune",
                )
            )
        elif not wt.exists:
            found.append(
                Finding(
                    "missing-worktree",
                    str(wt.path),
                    "the worktree's directory is missing but git still records it (locked)",
                    f"git worktree unlock {_q(wt.path)} && git worktree prune",
                )
            )
        if entry.detached and wt.exists:
            found.append(
                Finding(
                    "detached-head",
                    str(wt.path),
                    f"HEAD is detached at {(entry.head or '')[:12]}; new commits here belong to no branch",
                    f"git -C {_q(wt.path)} switch -c <new-branch-name>",
                )
            )
    return found


def dead_sessions(worktrees: list[FleetWorktree]) -> list[Finding]:
    found = []
    for wt in worktrees:
        if wt.git_dir is None:
            continue
        readable = {s.name for s in list_sessions(wt.git_dir)}
        for session in list_sessions(wt.git_dir):
            if not is_alive(session.pid):
                path = sessions_dir(wt.git_dir) / f"{session.name}.json"
                found.append(
                    Finding(
                        "dead-session",
                        str(wt.path),
                        f"session {session.name!r} is recorded but its process {session.pid} is gone",
                        f"rm {_q(path)}",
                    )
                )
        directory = sessions_dir(wt.git_dir)
        for path in sorted(directory.glob("*.json")) if directory.is_dir() else []:
            if path.stem not in readable:
                found.append(
                    Finding(
                        "corrupt-session",
                        str(wt.path),
                        f"{path.name} is not a session record",
                        f"rm {_q(path)}",
                    )
                )
    return found


def orphaned_commits(commits: list[LostCommit], cwd: Path) -> list[Finding]:
    """The user's commits that no ref or reflog reaches (the same ones `rescue` lists as lost),
    less land's never-landed integration commits whose branches still hold their work."""
    return [
        Finding(
            "orphaned-commit",
            c.commit[:12],
            f"commit {c.subject!r} is reachable from no ref or reflog; `git gc` will delete it",
            f"git branch rescued-{c.commit[:8]} {c.commit}   (or, if unwanted: nothing to do)",
            c.commit,
        )
        for c in commits
        if c.kind == "lost" and not _land_leftover(cwd, c.subject)
    ]


# The subjects of land's integration commits (land/integrate.py); one that was never landed (a
# failed batch, a bisection half) is dangling, but its work is on the branches it names.
_LAND_SUBJECT = re.compile(r"^(?:Merge branch(?:es)?|Squashed branch) (.+) into \S+$")


def _land_leftover(cwd: Path, subject: str) -> bool:
    match = _LAND_SUBJECT.match(subject)
    if match is None:
        return False
    names = re.findall(r"'([^']+)'", match.group(1))
    return bool(names) and all(git.branch_exists(cwd, name) for name in names)


def old_stashes(cwd: Path, now: float) -> list[Finding]:
    found = []
    for name, stamp, subject in git.stash_entries(cwd):
        days = (now - stamp) / 86400
        if days > OLD_STASH_DAYS:
            found.append(
                Finding(
                    "old-stash",
                    name,
                    f"{subject!r} has been stashed for {int(days)} days",
                    f"git stash show -p {name}; then git stash branch <name> {name} or git stash drop {name}",
                )
            )
    return found


def _hooks_that_fire(worktree: Path) -> set[str]:
    hooks_dir = git.git_path(worktree, "hooks")
    hooks_path = git.config_value(worktree, "core.hooksPath", path=True)
    if hooks_path:
        configured = Path(hooks_path)
        hooks_dir = configured if configured.is_absolute() else worktree / configured
    return {
        name for name in HOOK_NAMES if os.access(hooks_dir / name, os.X_OK) and (hooks_dir / name).is_file()
    }


def hook_gaps(worktrees: list[FleetWorktree]) -> list[Finding]:
    """Hooks that fire in some worktree but not in another (e.g. a relative core.hooksPath)."""
    live = [wt for wt in worktrees if wt.exists and not wt.entry.bare]
    firing = {wt.path: _hooks_that_fire(wt.path) for wt in live}
    everywhere = set().union(*firing.values()) if firing else set()
    found = []
    for wt in live:
        for hook in sorted(everywhere - firing[wt.path]):
            elsewhere = next(str(p) for p, hooks in firing.items() if hook in hooks)
            found.append(
                Finding(
                    "hook-not-firing",
                    str(wt.path),
                    f"the {hook} hook fires in {elsewhere} but not here",
                    f"git -C {_q(wt.path)} config --get core.hooksPath  # use an absolute path, "
                    "or reinstall hooks (gatekit install / pre-commit install) in this worktree",
                )
            )
    return found


def checkouts_behind(worktrees: list[FleetWorktree]) -> list[Finding]:
    """Checkouts whose index still holds an earlier value of their branch (see git.behind_commit)."""
    found = []
    for wt in worktrees:
        branch = wt.entry.branch
        if not wt.exists or wt.entry.bare or not branch:
            continue
        held = git.behind_commit(wt.path, branch)
        if held is not None:
            found.append(
                Finding(
                    "checkout-behind",
                    str(wt.path),
                    f"{wt.entry.branch_name} moved but the checkout still holds {held[:12]}; a `commit -a` "
                    "here would revert what the branch gained",
                    "gatekit doctor --fix",
                )
            )
    return found


def interrupted_land(repo: git.RepoPaths) -> list[Finding]:
    from gatekit.land.swap_journal import SwapJournal

    entry = SwapJournal(repo.common_dir).load()
    if entry is None:
        return []
    return [
        Finding(
            "interrupted-land",
            entry.ref,
            f"a land moving {entry.ref} to {entry.new[:12]} was killed at phase {entry.phase!r}"
            + (f"; it holds {entry.index_lock}" if entry.index_lock else ""),
            "gatekit doctor --fix   (or the next gatekit land)",
        )
    ]


def _journaled_index_lock(repo: git.RepoPaths) -> str | None:
    from gatekit.land.swap_journal import SwapJournal

    entry = SwapJournal(repo.common_dir).load()
    return entry.index_lock if entry is not None else None


def fix(repo: git.RepoPaths, notify: Callable[[str], None]) -> None:
    """Finish or roll back an interrupted land, then bring every checkout behind its branch up to date."""
    from gatekit.land.queue import LandQueue
    from gatekit.land.swap_journal import SwapJournal, catch_up_checkout

    with LandQueue(repo.common_dir).hold("doctor --fix", notify, timeout=60):
        SwapJournal(repo.common_dir).finish_interrupted(notify)
        for wt in list_fleet_worktrees(repo):
            branch = wt.entry.branch
            if wt.exists and not wt.entry.bare and branch:
                held = git.behind_commit(wt.path, branch)
                if held is not None:
                    catch_up_checkout(repo.common_dir, wt.path, branch, held, notify)


def unverified_protected(repo: git.RepoPaths, protected: tuple[str, ...]) -> list[Finding]:
    """Protected branches whose tip no gate verified, with each commit since the last verified one."""
    from gatekit.land.audit import audit_protected

    found = []
    for audit in audit_protected(repo, protected):
        shown = "\n".join(f"      {u.commit[:12]}  {u.how}" for u in audit.unverified[:20])
        more = f"\n      ... and {len(audit.unverified) - 20} more" if len(audit.unverified) > 20 else ""
        found.append(
            Finding(
                "unverified-protected",
                audit.branch,
                f"protected branch {audit.branch!r} is at {audit.tip[:12]}, which no gate verified; "
                f"{len(audit.unverified)} first-parent commit(s) since the last verified one "
                f"({audit.last_verified[:12]}), newest first, and how each got there:\n{shown}{more}",
                f"gatekit check --rev {audit.branch}   (then bring changes in with `gatekit land`, or "
                f"`git -C {_q(repo.toplevel)} reset --keep {audit.last_verified[:12]}` to go back)",
            )
        )
    return found


def removed_worktree_snapshots(repo: git.RepoPaths) -> list[Finding]:
    """Uncommitted work snapshotted in a worktree that has since been removed (issue 10)."""
    from gatekit.guard.snapshots import of_removed_worktrees

    by_worktree: dict[str, list[str]] = {}
    for snap in of_removed_worktrees(repo):
        by_worktree.setdefault(snap.worktree, []).append(snap.id)
    return [
        Finding(
            "removed-worktree-snapshots",
            wid,
            f"{len(ids)} snapshot(s) of the removed worktree {wid} hold uncommitted work",
            f"gatekit rescue  # then: gatekit rescue --restore {ids[-1]} [PATH ...]",
        )
        for wid, ids in sorted(by_worktree.items())
    ]


def diagnose(repo: git.RepoPaths, protected: tuple[str, ...] = ()) -> Diagnosis:
    """Every finding for the repository, in a stable order, and the lost commits by class."""
    now = time.time()
    worktrees = list_fleet_worktrees(repo)
    cwd = repo.toplevel
    commits = lost_commits(cwd)
    findings = (
        interrupted_land(repo)
        + stale_locks(worktrees, now, _journaled_index_lock(repo))
        + checkouts_behind(worktrees)
        + unverified_protected(repo, protected)
        + worktree_problems(worktrees)
        + dead_sessions(worktrees)
        + hook_gaps(worktrees)
        + old_stashes(cwd, now)
        + orphaned_commits(commits, cwd)
        + removed_worktree_snapshots(repo)
    )
    return Diagnosis(findings, counts(commits))
