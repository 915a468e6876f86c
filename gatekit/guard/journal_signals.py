"""Clobber evidence from the guard's journal and the snapshots it took (issue 10).

Every destructive command that passed the shim or an agent hook left a journal record, and its
work a snapshot. So a path whose snapshotted content is gone from the worktree (and was not
committed) is a loss whoever ran the command and whether or not a session exists, and the
record names who did it. Reflog and stash signals found by inference get the same attribution;
where the journal is silent, the signal says so.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from gatekit import git
from gatekit.guard import journal
from gatekit.guard.content import blob_ids
from gatekit.guard.evidence import Signal, iso, quote
from gatekit.guard.observe import Observation
from gatekit.guard.owners import host_label, session_label

DEFAULT_HORIZON = 86400.0  # without a checkpoint, the journal of the last day is read
SILENT = "no journal record: the command bypassed the guard (no git shim or agent hook ran it)"


def records_for(obs: Observation, since: float | None) -> list[dict[str, Any]]:
    """This worktree's journal records since a time (default: the last day), oldest first."""
    cutoff = since if since is not None else obs.time - DEFAULT_HORIZON
    root = str(obs.root)
    return [
        r
        for r in journal.read(journal.journal_file(obs.paths.repo.common_dir))
        if r.get("worktree") == root and float(r.get("t") or 0) >= cutoff
    ]


def author(record: dict[str, Any]) -> set[str]:
    labels = set()
    if record.get("session"):
        labels.add(session_label(str(record["session"])))
    if record.get("host") and record.get("host_session"):
        labels.add(host_label(str(record["host"]), str(record["host_session"])))
    return labels


def describe(record: dict[str, Any]) -> str:
    """ "stash by session agent-3, pid 4121, `git stash -u`, 12:04:07"."""
    who = ", ".join(sorted(author(record))) or "an unidentified writer"
    argv = " ".join(quote(a) for a in record.get("argv", []))
    when = time.strftime("%H:%M:%S", time.gmtime(float(record.get("t") or 0)))
    via = record.get("via") or "?"
    return f"{record.get('op')} by {who}, pid {record.get('pid')}, `git {argv}`, {when} UTC (via {via})"


def lost_work(obs: Observation, records: Sequence[dict[str, Any]], asker: frozenset[str]) -> list[Signal]:
    """Paths a journaled command snapshotted whose content is not in the worktree now."""
    signals = []
    for record in records:
        paths, snap = record.get("paths") or [], record.get("snapshot")
        if record.get("decision") == "deny" or not paths or not snap:
            continue
        by = author(record)
        if by and by & asker:
            continue  # the asker's own command
        gone = _vanished(obs, str(snap), [str(p) for p in paths])
        if not gone:
            continue
        severity = "high" if by and asker else ("medium" if by or asker else "low")
        signals.append(
            Signal(
                "wiped-by-command",
                severity,
                f"{len(gone)} path(s) lost their uncommitted content to {describe(record)}",
                f"gatekit rescue --restore {snap} " + " ".join(quote(p) for p in gone[:10]),
                tuple(gone),
                evidence={"journal": describe(record), "snapshot": snap, "decision": record.get("decision")},
            )
        )
    return signals


def _vanished(obs: Observation, snap_id: str, paths: list[str]) -> list[str]:
    from gatekit.guard.snapshots import find_snapshot

    snap = find_snapshot(obs.paths.repo, snap_id)
    if snap is None:
        return []
    saved = git.tree_blobs(obs.root, snap.commit, paths)
    head = git.tree_blobs(obs.root, obs.status.head, paths) if obs.status.head else {}
    now = blob_ids(obs.root, list(saved))
    return [
        p for p, (_, blob) in saved.items() if now.get(p) != blob and (p not in head or head[p][1] != blob)
    ]


def attribute(
    signals: Sequence[Signal], obs: Observation, records: Sequence[dict[str, Any]], asker: frozenset[str]
) -> list[Signal]:
    """Name who ran each reset/stash the reflog shows; drop the asker's own."""
    used: set[int] = set()
    out = []
    for signal in signals:
        if signal.kind not in ("unexplained-reset", "stash-push"):
            out.append(signal)
            continue
        index = _match(signal, records, used, obs)
        if index is None:
            out.append(mark_silent(signal))
            continue
        used.add(index)
        record = records[index]
        if author(record) & asker:
            continue
        out.append(
            replace(
                signal,
                summary=f"{signal.summary} — {describe(record)}",
                evidence={**signal.evidence, "journal": describe(record)},
            )
        )
    return out


def mark_silent(signal: Signal) -> Signal:
    if signal.kind not in ("unexplained-reset", "stash-push"):
        return signal
    return replace(signal, evidence={**signal.evidence, "journal": SILENT})


def _match(signal: Signal, records: Sequence[dict[str, Any]], used: set[int], obs: Observation) -> int | None:
    """The newest unused record of the same operation that started from the same HEAD."""
    want = "reset" if signal.kind == "unexplained-reset" else "stash"
    head_before = signal.evidence.get("old") if want == "reset" else _stash_parent(obs, signal)
    for index in range(len(records) - 1, -1, -1):
        record = records[index]
        op = str(record.get("op") or "")
        if index in used or not op.startswith(want) or record.get("decision") == "deny":
            continue
        if head_before is None or record.get("head") in (None, head_before):
            return index
    return None


def _stash_parent(obs: Observation, signal: Signal) -> str | None:
    commit = signal.evidence.get("commit")
    if not commit:
        return None
    parents = git.commit_parents(obs.root, str(commit))
    return parents[0] if parents else None


def iso_time(record: dict[str, Any]) -> str:
    return iso(float(record.get("t") or 0))
