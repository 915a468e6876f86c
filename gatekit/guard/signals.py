"""Clobber signals: evidence that another writer destroyed or moved this writer's work.

Each detector compares one Observation (status + reflogs, gathered once) with the session's
baseline and returns Signals with evidence and the way back. Only the detectors that found
something pay for further git calls (ancestry, reachability, snapshot lookups).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from gatekit import git
from gatekit.guard import worktree_signals
from gatekit.guard.evidence import SEVERITIES, Signal, iso
from gatekit.guard.evidence import short as _short
from gatekit.guard.observe import Observation, observe
from gatekit.guard.reflog import ReflogEntry
from gatekit.guard.sessions import load_anonymous, others, resolve_session
from gatekit.guard.sessions_store import Declaration, SessionRecord
from gatekit.guard.window import Window, window_for

__all__ = ["SEVERITIES", "Report", "Signal", "clobber_signals", "inspect", "iso"]


@dataclass(frozen=True)
class Report:
    signals: list[Signal]
    session: str | None
    window: str


def clobber_signals(worktree: Path | str) -> list[Signal]:
    """Every signal in a worktree as any of its sessions (or no session) sees it; for fleet.

    A signal several sessions see (the same reset) is listed once.
    """
    from gatekit.guard.sessions_store import list_sessions

    paths = git.guard_paths(worktree)
    views: list[str | None] = [None, *(r.name for r in list_sessions(paths.repo.git_dir))]
    seen: dict[tuple[str, str, tuple[str, ...]], Signal] = {}
    for name in views:
        for signal in inspect(Path(worktree), name, paths=paths).signals:
            seen.setdefault((signal.kind, signal.summary, signal.paths), signal)
    return list(seen.values())


def inspect(
    cwd: Path,
    session: str | None = None,
    since: str | None = None,
    staged: bool = False,
    paths: git.GuardPaths | None = None,
    pending: git.PendingStatus | None = None,
) -> Report:
    """Look for every clobber signal in the worktree containing cwd."""
    obs = observe(cwd, paths, pending)
    git_dir = obs.paths.repo.git_dir
    record = resolve_session(git_dir, session)
    me = record if record is not None else load_anonymous(git_dir)
    window = window_for(obs, me, since)
    rivals = others(git_dir, record)
    explained = _explain(obs, me, window)
    signals = [
        *_reflog_signals(obs, window, explained),
        *_stash_signals(obs, me, window),
        *_head_signals(obs, window, explained),
        *worktree_signals.foreign_files(obs, me, record, rivals),
        *worktree_signals.reverted_edits(obs, me, bool(explained) or _declared_any(me)),
        *worktree_signals.stale_lock(obs),
        *worktree_signals.behind_ref(obs),
        *_orphaned_commits(obs, window, explained),
    ]
    if staged:
        signals += worktree_signals.staged_foreign(obs, record, rivals)
    signals = _with_journal(obs, signals, record, me, window)
    return Report(signals, record.name if record else None, window.description)


def _with_journal(
    obs: Observation,
    signals: list[Signal],
    record: SessionRecord | None,
    me: SessionRecord | None,
    window: Window,
) -> list[Signal]:
    """Attribute reflog signals from the guard's journal, and add the losses its snapshots show."""
    from gatekit.guard import journal_signals
    from gatekit.guard.owners import Caller

    asker = Caller.from_env("clobber")
    if record is not None:
        asker = Caller(record.name, asker.host, asker.host_session, "clobber")
    since = me.data.baseline.time if me is not None and me.data.baseline is not None else None
    records = journal_signals.records_for(obs, since, every_worktree=True)
    entries = list(obs.head_log[window.head_from :])
    alone = not asker.labels and not others(obs.paths.repo.git_dir, None)
    here = [r for r in records if r.get("worktree") == str(obs.root)]
    signals = journal_signals.explain_own_history(signals, obs, entries, here, asker.labels, alone)
    if not records:
        return [journal_signals.mark_silent(s) for s in signals]
    attributed = journal_signals.attribute(signals, obs, records, asker.labels, alone)
    seen = {str(x.evidence.get("commit")) for x in attributed if x.kind == "stash-drop"}
    taken = journal_signals.stash_taken(obs, records, asker.labels, seen)
    return attributed + journal_signals.lost_work(obs, here, asker.labels) + taken


# -- reflog: resets, checkouts, HEAD moves ----------------------------------------------------


def _explain(obs: Observation, me: SessionRecord | None, window: Window) -> list[ReflogEntry]:
    """Window entries the session ran itself (`session run`, or matched to a declaration)."""
    entries = obs.head_log[window.head_from :]
    if me is None:
        return []
    keys = set(me.data.explained.head)
    done = [e for e in entries if e.key in keys]
    for declared in me.data.declared:
        op, pos = declared.op, declared.head_pos
        for entry in entries:
            if entry.index < pos or entry in done:
                continue
            if (
                (op == "reset" and entry.is_reset)
                or (op == "checkout" and entry.is_checkout)
                or (op == "stash" and entry.message == "reset: moving to HEAD")
            ):
                done.append(entry)
                break
    return sorted(done, key=lambda e: e.index)  # oldest first: the last one tells where HEAD went


def _declared_any(me: SessionRecord | None) -> bool:
    """Did the session announce a reset/stash/checkout since its checkpoint? `git checkout --
    PATH` leaves no reflog entry, so the declaration itself is the only trace of it."""
    return bool(me and me.data.declared)


def _reflog_signals(obs: Observation, window: Window, explained: list[ReflogEntry]) -> list[Signal]:
    signals = []
    total = len(obs.head_log)
    for entry in obs.head_log[window.head_from :]:
        if not entry.is_reset or entry in explained:
            continue
        same = entry.old == entry.new
        selector = entry.selector("HEAD", total)
        signals.append(
            Signal(
                "unexplained-reset",
                "high",
                f"{entry.message!r} at {iso(entry.time)} ({selector}) "
                "was not declared by this session"
                + (": a reset to the same commit discards unstaged edits" if same else ""),
                "gatekit rescue  (snapshots, stash entries and dangling blobs hold the lost content)",
                evidence={
                    "reflog": selector,
                    "message": entry.message,
                    "time": iso(entry.time),
                    "old": entry.old,
                    "new": entry.new,
                },
            )
        )
    return signals


def _head_signals(obs: Observation, window: Window, explained: list[ReflogEntry]) -> list[Signal]:
    now_head, now_branch = obs.status.head, obs.status.branch
    signals: list[Signal] = []
    switched = [e for e in obs.head_log[window.head_from :] if e.is_checkout and e not in explained]
    if (
        window.branch_known
        and now_branch != window.known_branch
        and not any(e.is_checkout for e in explained)
    ):
        was = window.known_branch or "a detached HEAD"
        now = now_branch or f"a detached HEAD at {_short(now_head)}"
        back = (
            f"git switch {window.known_branch}"
            if window.known_branch
            else f"git switch --detach {_short(window.known_head)}"
        )
        signals.append(
            Signal(
                "head-moved",
                "high",
                f"HEAD moved under the session: it was on {was}, now on {now}",
                f"{back}  (after saving any work done on the new branch)",
                evidence={
                    "was_branch": window.known_branch,
                    "branch": now_branch,
                    "was_head": window.known_head,
                    "head": now_head,
                    "reflog": [e.message for e in switched],
                },
            )
        )
    elif now_branch is None and now_head:
        # Detached on purpose (the session began so) or without a baseline (a rebase stops
        # detached, and its commits must not be refused): worth a note, not a refusal.
        signals.append(
            Signal(
                "detached-head",
                "low",
                f"HEAD is detached at {_short(now_head)}: commits made now belong to no branch",
                f"git switch -c <new-branch>  (keeps {_short(now_head)} and anything committed on it)",
                evidence={"head": now_head},
            )
        )
    known = window.known_head
    for entry in explained:
        known = entry.new
    if known and now_head and known != now_head and not git.is_ancestor(obs.root, known, now_head):
        signals.append(
            Signal(
                "head-moved",
                "high",
                f"HEAD is at {_short(now_head)}, which does not descend from {_short(known)} "
                "where the session last saw it",
                f"git branch gatekit-rescue-{_short(known)[:8]} {known}  (keeps the old line of work)",
                evidence={"was_head": known, "head": now_head},
            )
        )
    return signals


def _orphaned_commits(obs: Observation, window: Window, explained: list[ReflogEntry]) -> list[Signal]:
    entries = obs.head_log[window.head_from :]
    origin: dict[str, ReflogEntry] = {}
    for entry in entries:
        for oid in (entry.old, entry.new):
            if not git.is_null_oid(oid) and oid != obs.status.head:
                origin.setdefault(oid, entry)
    signals = []
    for oid in git.unreachable_commits(obs.root, list(origin)):
        entry = origin[oid]
        signals.append(
            Signal(
                "orphaned-commit",
                "low" if entry in explained else "medium",
                f"commit {_short(oid)} is reachable from no branch or tag since {entry.message!r}",
                f"git branch gatekit-rescue-{oid[:8]} {oid}",
                evidence={"commit": oid, "message": entry.message, "time": iso(entry.time)},
            )
        )
    return signals


# -- stash ------------------------------------------------------------------------------------


def _stash_signals(obs: Observation, me: SessionRecord | None, window: Window) -> list[Signal]:
    now = obs.stash_oids
    if window.stash_base is not None:
        base = set(window.stash_base)
        pushed = [e for e in obs.stash_log if e.new not in base]
        dropped = [oid for oid in window.stash_base if oid not in set(now)]
    else:
        cutoff = window.since_time or obs.time
        pushed = [e for e in obs.stash_log if e.time >= cutoff]
        dropped = []
    explained = set(me.data.explained.stash) if me else set()
    declared = [d for d in (me.data.declared if me else ()) if d.op == "stash"]
    total = len(obs.stash_log)
    signals = []
    for entry in pushed:
        if entry.new in explained or _consume(declared, entry.new, pushed=True):
            continue
        made_on = _stash_branch(entry.message)
        elsewhere = made_on is not None and made_on != (obs.status.branch or "(no branch)")
        selector = entry.selector("stash", total)
        signals.append(
            Signal(
                "stash-push",
                "low" if elsewhere else "high",
                f"{selector} was pushed ({entry.message!r} at {iso(entry.time)}), "
                "not by this session"
                + (
                    " (made on another branch)"
                    if elsewhere
                    else ": it took unstaged edits out of the worktree"
                ),
                f"gatekit rescue --restore stash:{entry.new}",
                evidence={
                    "stash": selector,
                    "commit": entry.new,
                    "message": entry.message,
                    "time": iso(entry.time),
                },
            )
        )
    for oid in dropped:
        if oid in explained or _consume(declared, oid, pushed=False):
            continue
        signals.append(
            Signal(
                "stash-drop",
                "medium",
                f"stash entry {_short(oid)} was popped, applied-and-dropped or dropped, not by this session",
                f"gatekit rescue --restore stash:{oid}  (the commit stays in the object store until gc)",
                evidence={"commit": oid},
            )
        )
    return signals


def _stash_branch(message: str) -> str | None:
    """The branch a stash entry was made on: "WIP on main: ..." or "On main: <message>"."""
    for prefix in ("WIP on ", "On "):
        if message.startswith(prefix):
            branch, colon, _ = message[len(prefix) :].partition(":")
            return branch if colon else None
    return None


def _consume(declared: list[Declaration], oid: str, *, pushed: bool) -> bool:
    """Match a stash change to a declaration made before it; each declaration explains one."""
    for item in declared:
        before = set(item.stash)
        if (pushed and oid not in before) or (not pushed and oid in before):
            declared.remove(item)
            return True
    return False
