"""Clobber signals: evidence that another writer destroyed or moved this writer's work.

Each detector compares one Observation (status + reflogs, gathered once) with the session's
baseline and returns Signals with evidence and the way back. Only the detectors that found
something pay for further git calls (ancestry, reachability, snapshot lookups).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gatekit import git
from gatekit.guard.content import blob_ids, claimed_by
from gatekit.guard.observe import Observation, observe
from gatekit.guard.reflog import ReflogEntry
from gatekit.guard.sessions import load_anonymous, others, owner_of, resolve_session
from gatekit.guard.sessions_store import SessionRecord
from gatekit.guard.window import Window, window_for

SEVERITIES = ("low", "medium", "high")


@dataclass(frozen=True)
class Signal:
    """One piece of evidence of a clobber."""

    kind: str
    severity: str  # low | medium | high
    summary: str
    way_back: str
    paths: tuple[str, ...] = ()
    evidence: dict[str, Any] = field(default_factory=dict)

    def at_least(self, severity: str) -> bool:
        return SEVERITIES.index(self.severity) >= SEVERITIES.index(severity)


@dataclass(frozen=True)
class Report:
    signals: list[Signal]
    session: str | None
    window: str


def clobber_signals(worktree: Path | str) -> list[Signal]:
    """The signals of a worktree as its only/anonymous session sees them (for fleet status)."""
    return inspect(Path(worktree)).signals


def inspect(
    cwd: Path,
    session: str | None = None,
    since: str | None = None,
    staged: bool = False,
    paths: git.GuardPaths | None = None,
) -> Report:
    """Look for every clobber signal in the worktree containing cwd."""
    obs = observe(cwd, paths)
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
        *_foreign_files(obs, me, record, rivals),
        *_reverted_edits(obs, me, bool(explained) or _declared_any(me)),
        *_stale_lock(obs),
        *_orphaned_commits(obs, window, explained),
    ]
    if staged:
        signals += _staged_foreign(obs, record, rivals)
    return Report(signals, record.name if record else None, window.description)


def iso(when: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(when))


def _short(oid: str | None) -> str:
    return oid[:12] if oid else "(none)"


# -- reflog: resets, checkouts, HEAD moves ----------------------------------------------------


def _explain(obs: Observation, me: SessionRecord | None, window: Window) -> list[ReflogEntry]:
    """Window entries the session ran itself (`session run`, or matched to a declaration)."""
    entries = obs.head_log[window.head_from :]
    if me is None:
        return []
    keys = set(me.data.get("explained", {}).get("head", ()))
    done = [e for e in entries if e.key in keys]
    for declared in me.data.get("declared", ()):
        op, pos = declared.get("op"), int(declared.get("head_pos", 0))
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
    return done


def _declared_any(me: SessionRecord | None) -> bool:
    """Did the session announce a reset/stash/checkout since its checkpoint? `git checkout --
    PATH` leaves no reflog entry, so the declaration itself is the only trace of it."""
    return bool(me and me.data.get("declared"))


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
                "gatekit rescue  (snapshots, stash entries and dangling blobs hold the lost "
                "content)",
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
                f"git switch -c <new-branch>  (keeps {_short(now_head)} "
                "and anything committed on it)",
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
                f"git branch gatekit-rescue-{_short(known)[:8]} {known}"
                "  (keeps the old line of work)",
                evidence={"was_head": known, "head": now_head},
            )
        )
    return signals


def _orphaned_commits(
    obs: Observation, window: Window, explained: list[ReflogEntry]
) -> list[Signal]:
    entries = obs.head_log[window.head_from :]
    origin: dict[str, ReflogEntry] = {}
    for entry in entries:
        for oid in (entry.old, entry.new):
            if oid != git.NULL_OID and oid != obs.status.head:
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
    explained = set(me.data.get("explained", {}).get("stash", ())) if me else set()
    declared = [d for d in (me.data.get("declared", ()) if me else ()) if d.get("op") == "stash"]
    total = len(obs.stash_log)
    signals = []
    for entry in pushed:
        if entry.new in explained or _consume(declared, entry.new, pushed=True):
            continue
        here = obs.status.branch
        elsewhere = here is not None and f" on {here}:" not in f" {entry.message}"
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
                f"gatekit rescue --restore {selector}",
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
                f"stash entry {_short(oid)} was popped, applied-and-dropped or dropped, "
                "not by this session",
                f"git stash apply {oid}  (the commit stays in the object store until gc)",
                evidence={"commit": oid},
            )
        )
    return signals


def _consume(declared: list[dict[str, Any]], oid: str, *, pushed: bool) -> bool:
    """Match a stash change to a declaration made before it; each declaration explains one."""
    for item in declared:
        before = set(item.get("stash", ()))
        if (pushed and oid not in before) or (not pushed and oid in before):
            declared.remove(item)
            return True
    return False


# -- paths: foreign files, reverted edits, staged files ---------------------------------------


def _foreign_files(
    obs: Observation,
    me: SessionRecord | None,
    record: SessionRecord | None,
    rivals: list[SessionRecord],
) -> list[Signal]:
    if me is None and not rivals:
        return []
    start = set(me.data.get("start", {}).get("dirty", {})) if me else set()
    ledger = me.data.get("ledger", {}) if me else {}
    claims = me.claims if me else []
    groups: dict[str, list[str]] = {}
    for path in obs.dirty_paths:
        if path in start or path in ledger or claimed_by(path, claims):
            continue
        owner = owner_of(path, rivals)
        if owner is None and me is None:
            continue
        groups.setdefault(owner.name if owner else "", []).append(path)
    signals = []
    for owner_name, paths in groups.items():
        if owner_name:
            summary = f"{len(paths)} dirty path(s) belong to session {owner_name}, not to this one"
            # A known co-tenant's work is expected here; committing it is what --staged refuses.
            severity = "low"
            back = f"leave them to {owner_name}; do not stage or commit them"
        else:
            summary = (
                f"{len(paths)} dirty path(s) this session never claimed or touched, "
                "clean when it began"
            )
            severity = "medium" if record is not None and (record.claims or ledger) else "low"
            back = (
                "find their writer before committing; "
                "`gatekit session checkpoint PATH` if they are yours"
            )
        signals.append(
            Signal(
                "foreign-files",
                severity,
                summary,
                back,
                tuple(paths),
                {"owner": owner_name or None},
            )
        )
    return signals


def _reverted_edits(obs: Observation, me: SessionRecord | None, own_reset: bool) -> list[Signal]:
    ledger: dict[str, dict[str, Any]] = me.data.get("ledger", {}) if me else {}
    if not ledger:
        return []
    like = next(
        (
            v.get("after") or v.get("before")
            for v in ledger.values()
            if v.get("after") or v.get("before")
        ),
        None,
    )
    now = blob_ids(obs.root, list(ledger), like)
    reverted = [
        p
        for p, v in ledger.items()
        if now[p] == v.get("before") and v.get("before") != v.get("after")
    ]
    if not reverted:
        return []
    from gatekit.guard.snapshots import find_snapshot_with

    signals = []
    for path in reverted:
        item = ledger[path]
        snap = find_snapshot_with(obs.paths.repo, path, item.get("after"))
        back = (
            f"gatekit rescue --restore {snap} -- {_quote(path)}"
            if snap
            else "gatekit rescue  (look for the content in stash entries and dangling blobs)"
        )
        signals.append(
            Signal(
                "reverted-edit",
                "low" if own_reset else "high",
                f"{path!r} is back to its pre-edit content"
                + (" (after this session's own declared operation)" if own_reset else ""),
                back,
                (path,),
                {"before": item.get("before"), "after_edit": item.get("after"), "now": now[path]},
            )
        )
    return signals


def _staged_foreign(
    obs: Observation, record: SessionRecord | None, rivals: list[SessionRecord]
) -> list[Signal]:
    staged = git.staged_paths(obs.root, obs.status.head)
    ledger = record.data.get("ledger", {}) if record else {}
    signals = []
    for path in staged:
        owner = owner_of(path, rivals)
        if owner is not None:
            why = f"it belongs to session {owner.name}"
        elif record is not None and path not in ledger and not claimed_by(path, record.claims):
            why = f"session {record.name} never touched it"
        else:
            continue
        signals.append(
            Signal(
                "staged-foreign",
                "high",
                f"staged {path!r}: {why} (committing someone else's files)",
                f"git restore --staged -- {_quote(path)}  "
                f"(or `gatekit session checkpoint {_quote(path)}` if it is yours)",
                (path,),
                {"owner": owner.name if owner else None},
            )
        )
    return signals


# -- index.lock -------------------------------------------------------------------------------


def _stale_lock(obs: Observation) -> list[Signal]:
    lock = obs.paths.index_lock
    try:
        age = obs.time - lock.stat().st_mtime
    except FileNotFoundError:
        return []
    if _git_running_in(obs.root, obs.paths.repo.git_dir, age):
        return []
    return [
        Signal(
            "stale-lock",
            "medium",
            f"{lock} exists ({age:.0f}s old) and no git process is running here: "
            "every commit fails",
            f"rm {_quote(str(lock))}",
            evidence={"lock": str(lock), "age_seconds": round(age, 1)},
        )
    ]


def _git_running_in(root: Path, git_dir: Path, age: float) -> bool:
    """Is a git process working in this worktree? Without /proc, a young lock counts as live."""
    proc = Path("/proc")
    if not proc.is_dir():
        return age < 60
    places = (str(root), str(git_dir))
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if not (entry / "comm").read_text().startswith("git"):
                continue
            cwd = os.readlink(entry / "cwd")
        except OSError:
            continue
        if cwd.startswith(places):
            return True
    return False


def _quote(path: str) -> str:
    import shlex

    return shlex.quote(path)
