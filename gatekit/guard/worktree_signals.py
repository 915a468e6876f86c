"""Signals about paths and the worktree: foreign files, reverted edits, staged files that are
someone else's, and a stale index.lock."""

from __future__ import annotations

import os

from gatekit import git
from gatekit.guard.content import blob_ids, claimed_by
from gatekit.guard.evidence import Signal
from gatekit.guard.evidence import quote as _quote
from gatekit.guard.observe import Observation
from gatekit.guard.sessions import owner_of
from gatekit.guard.sessions_store import LedgerEntry, SessionRecord
from gatekit.system.processes import stale_index_lock_age


def foreign_files(
    obs: Observation,
    me: SessionRecord | None,
    record: SessionRecord | None,
    rivals: list[SessionRecord],
) -> list[Signal]:
    if me is None and not rivals:
        return []
    start = set(me.data.start.dirty) if me and me.data.start else set()
    ledger = me.data.ledger if me else {}
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
            summary = f"{len(paths)} dirty path(s) this session never claimed or touched, clean when it began"
            severity = "medium" if record is not None and (record.claims or ledger) else "low"
            back = "find their writer before committing; `gatekit session checkpoint PATH` if they are yours"
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


def reverted_edits(obs: Observation, me: SessionRecord | None, own_reset: bool) -> list[Signal]:
    ledger = me.data.ledger if me else {}
    if not ledger:
        return []
    like = next((v.after or v.before for v in ledger.values() if v.after or v.before), None)
    now = blob_ids(obs.root, list(ledger), like)
    reverted = [p for p, v in ledger.items() if _wiped(now[p], v)]
    if not reverted:
        return []
    from gatekit.guard.snapshots import find_snapshots_with

    holders = find_snapshots_with(obs.paths.repo, {p: ledger[p].after for p in reverted})
    signals = []
    for path in reverted:
        item = ledger[path]
        snap = holders.get(path)
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
                {
                    "before": item.before,
                    "head_at_checkpoint": item.head,
                    "after_edit": item.after,
                    "now": now[path],
                },
            )
        )
    return signals


def _wiped(now: str | None, item: LedgerEntry) -> bool:
    """Is the content back to a version the session's edit started from (not its own)?"""
    return now != item.after and now in (item.before, item.head)


def _staged(obs: Observation) -> list[str]:
    """Staged paths: from the status already taken when the commit uses the real index (plain
    `git commit`), else from the index a hook was handed (`commit -a` stages into index.lock,
    `commit PATH` into a next-index file)."""
    index = os.environ.get("GIT_INDEX_FILE")
    if index and os.path.abspath(os.path.join(obs.root, index)) != os.path.abspath(obs.paths.index):
        return git.staged_paths(obs.root, obs.status.head)
    paths: list[str] = []
    for entry in obs.status.entries:
        if entry.staged:
            paths.append(entry.path)
            if entry.orig_path:
                paths.append(entry.orig_path)
    return paths


def staged_foreign(
    obs: Observation, record: SessionRecord | None, rivals: list[SessionRecord]
) -> list[Signal]:
    staged = _staged(obs)
    ledger = record.data.ledger if record else {}
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


def behind_ref(obs: Observation) -> list[Signal]:
    """The checkout's index still holds an earlier value of its branch (the branch moved alone)."""
    branch = obs.status.branch
    if not branch or not any(e.staged for e in obs.status.entries):
        return []
    earlier = git.behind_commit(obs.root, f"refs/heads/{branch}", common_dir=obs.paths.repo.common_dir)
    if earlier is None:
        return []
    return [
        Signal(
            "behind-ref",
            "high",
            f"{branch} moved to {(obs.status.head or '')[:12]} but this checkout still holds {earlier[:12]}: "
            "a `commit -a` here would revert what the branch gained",
            f"gatekit doctor --fix   (or: git -C {_quote(str(obs.root))} read-tree -m -u {earlier} HEAD)",
            evidence={"branch": branch, "held": earlier, "tip": obs.status.head},
        )
    ]


def stale_lock(obs: Observation) -> list[Signal]:
    lock = obs.paths.index_lock
    age = stale_index_lock_age(obs.root, obs.paths.repo.git_dir, obs.time, lock)
    if age is None:
        return []
    return [
        Signal(
            "stale-lock",
            "medium",
            f"{lock} exists ({age:.0f}s old) and no git process is running here: every commit fails",
            f"rm {_quote(str(lock))}",
            evidence={"lock": str(lock), "age_seconds": round(age, 1)},
        )
    ]
