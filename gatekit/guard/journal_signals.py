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
from gatekit.guard.reflog import ReflogEntry

DEFAULT_HORIZON = 86400.0  # without a checkpoint, the journal of the last day is read
SILENT = "no journal record: the command bypassed the guard (no git shim or agent hook ran it)"


def records_for(obs: Observation, since: float | None, every_worktree: bool = False) -> list[dict[str, Any]]:
    """This worktree's journal records (or every worktree's: the stash is shared) since a time
    (default: the last day), oldest first."""
    from gatekit.guard.witness import fold

    cutoff = since if since is not None else obs.time - DEFAULT_HORIZON
    root = str(obs.root)
    return fold(
        [
            r
            for r in journal.read(journal.journal_file(obs.paths.repo.common_dir))
            if (every_worktree or r.get("worktree") == root) and float(r.get("t") or 0) >= cutoff
        ]
    )


def is_own(record: dict[str, Any], asker: frozenset[str], alone: bool) -> bool:
    """Did the asker run it? alone: nobody is identified in the worktree, asker included, so an
    unidentified command is the one writer's own."""
    by = author(record)
    return bool(by & asker) or (alone and not by and not asker)


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
    if via == "reference-transaction":
        parent = str(record.get("parent") or "")
        started = f", started by `{parent[:80]}`" if parent else ""
        via = f"plain git, seen by the reference-transaction hook{started}"
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
    signals: Sequence[Signal],
    obs: Observation,
    records: Sequence[dict[str, Any]],
    asker: frozenset[str],
    alone: bool,
) -> list[Signal]:
    """Name who ran each reset/stash the reflog shows; drop the asker's own."""
    # One `git stash` explains both its stash entry and the reset it does internally.
    used: set[tuple[int, str]] = set()
    out = []
    for signal in signals:
        if signal.kind == "stash-drop":
            taken = _taker(signal, records)
            if taken is None:
                out.append(mark_silent(signal))
            elif not is_own(taken, asker, alone):
                out.append(_taken_by(signal, taken, records))
            continue
        if signal.kind not in ("unexplained-reset", "stash-push"):
            out.append(signal)
            continue
        index = _match(signal, records, used, obs)
        if index is None:
            out.append(mark_silent(signal))
            continue
        used.add((index, signal.kind))
        record = records[index]
        if is_own(record, asker, alone):
            continue
        out.append(
            replace(
                signal,
                summary=f"{signal.summary} — {describe(record)}",
                evidence={**signal.evidence, "journal": describe(record)},
            )
        )
    return out


# Reflog messages of operations that write history but never discard uncommitted work.
_REWRITES = ("commit", "rebase", "pull", "cherry-pick", "merge", "revert", "am")


def is_rewrite(message: str) -> bool:
    words = message.split(":", 1)[0].split()
    return bool(words) and words[0] in _REWRITES


def explain_own_history(
    signals: Sequence[Signal],
    obs: Observation,
    entries: Sequence[ReflogEntry],
    records: Sequence[dict[str, Any]],
    asker: frozenset[str],
    alone: bool,
) -> list[Signal]:
    """Drop (or lower) the signals a single writer's own ordinary work raises.

    Amend, rebase, pull --rebase, cherry-pick, merge and revert rewrite or extend history but
    discard no uncommitted byte; a branch switch or reset the asker ran itself (its journal
    record says so) is its own; an edit whose content was committed, or that the asker's own
    journaled command restored, is not "reverted" by anyone else.
    """
    own = [r for r in records if is_own(r, asker, alone) and r.get("decision") != "deny"]
    own_heads = {r.get("head") for r in own if str(r.get("op") or "").startswith(("reset", "stash"))}
    own_switch = any(str(r.get("op") or "").split(" ")[0] in ("checkout", "switch") for r in own)
    own_paths = {p for r in own for p in r.get("paths") or ()}
    # A reset --hard or stash of the asker's own that only the witness saw (plain git): it names
    # no paths, and every tracked edit it discarded was the asker's to discard.
    own_wipe = any(
        r.get("via") == "reference-transaction" and str(r.get("op")).startswith(_WIPES) for r in own
    )
    out = []
    for signal in signals:
        kind, evidence = signal.kind, signal.evidence
        if kind == "head-moved" and "was_branch" in evidence:
            if own_switch:
                continue
            if evidence.get("was_head") == evidence.get("head"):
                # `switch -c`: a new branch at the same commit; no work went anywhere.
                signal = replace(signal, severity="low")
        if (
            kind == "head-moved"
            and "was_branch" not in evidence
            and _only_rewrites(entries, own_heads, own_switch)
        ):
            continue
        if kind == "orphaned-commit" and _orphaned_by_rewrite(
            str(evidence.get("commit")), entries, own_heads
        ):
            signal = replace(
                signal, severity="low", summary=signal.summary + " (history rewritten; the reflog keeps it)"
            )
        if kind == "unexplained-reset" and evidence.get("old") in own_heads:
            continue
        if kind == "reverted-edit" and (
            own_wipe
            or set(signal.paths) <= own_paths
            or all(_committed(obs, entries, p, evidence.get("after_edit")) for p in signal.paths)
        ):
            continue
        out.append(signal)
    return out


_WIPES = ("reset --hard", "reset --merge", "stash push", "stash save")


def _only_rewrites(entries: Sequence[ReflogEntry], own_heads: set[Any], own_switch: bool) -> bool:
    return all(
        is_rewrite(e.message) or (e.is_checkout and own_switch) or (e.is_reset and e.old in own_heads)
        for e in entries
    )


def _orphaned_by_rewrite(oid: str, entries: Sequence[ReflogEntry], own_heads: set[Any]) -> bool:
    leaving = [e for e in entries if e.old == oid and e.new != oid]
    if not leaving:
        return False
    last = leaving[-1]
    return is_rewrite(last.message) or (last.is_reset and oid in own_heads)


def _committed(obs: Observation, entries: Sequence[ReflogEntry], path: str, blob: Any) -> bool:
    """Was this content of path committed in the window (then no wipe can lose it)?"""
    commits = list(dict.fromkeys(e.new for e in entries if is_rewrite(e.message)))[-20:]
    return any(git.tree_blobs(obs.root, c, [path]).get(path, ("", None))[1] == blob for c in commits)


def stash_taken(
    obs: Observation, records: Sequence[dict[str, Any]], asker: frozenset[str], already: set[str]
) -> list[Signal]:
    """Stash entries the asker made (its journaled push) that another writer popped or dropped,
    in this worktree or a linked one: the stash is shared by every worktree."""
    if not asker:
        return []
    pushes = [r for r in records if str(r.get("op") or "").startswith("stash push") and author(r) & asker]
    signals = []
    for record in records:
        oid = record.get("stash_entry")
        if not oid or oid in already or author(record) & asker or record.get("decision") == "deny":
            continue
        parents = git.commit_parents(obs.root, str(oid))
        mine = [
            p
            for p in pushes
            if parents and p.get("head") == parents[0] and float(p["t"]) <= float(record["t"])
        ]
        if not mine:
            continue
        signals.append(
            Signal(
                "stash-taken",
                "high",
                f"your stash entry {str(oid)[:12]} was taken by {describe(record)} in worktree {record.get('worktree_id')}",
                f"gatekit rescue --restore stash:{oid}",
                evidence={"commit": oid, "journal": describe(record), "pushed": describe(mine[-1])},
            )
        )
    return signals


def _taker(signal: Signal, records: Sequence[dict[str, Any]]) -> dict[str, Any] | None:
    """The journaled `stash pop/apply/drop` that took this entry."""
    oid = signal.evidence.get("commit")
    return next((r for r in reversed(records) if oid and r.get("stash_entry") == oid), None)


def _taken_by(signal: Signal, taker: dict[str, Any], records: Sequence[dict[str, Any]]) -> Signal:
    """A stash entry taken by another writer: high when the asker made it (its work went to
    another worktree or session)."""
    where = taker.get("worktree_id")
    summary = f"{signal.summary} — {describe(taker)} in worktree {where}"
    return replace(
        signal, severity="high", summary=summary, evidence={**signal.evidence, "journal": describe(taker)}
    )


def mark_silent(signal: Signal) -> Signal:
    if signal.kind not in ("unexplained-reset", "stash-push", "stash-drop"):
        return signal
    return replace(signal, evidence={**signal.evidence, "journal": SILENT})


def _match(
    signal: Signal, records: Sequence[dict[str, Any]], used: set[tuple[int, str]], obs: Observation
) -> int | None:
    """The newest unused record of the same operation that started from the same HEAD."""
    want: tuple[str, ...] = ("reset",) if signal.kind == "unexplained-reset" else ("stash",)
    if signal.kind == "unexplained-reset" and signal.evidence.get("old") == signal.evidence.get("new"):
        want = ("reset", "stash")  # `git stash` resets to HEAD after saving the work
    head_before = signal.evidence.get("old") if want == ("reset",) else _stash_parent(obs, signal)
    for index in range(len(records) - 1, -1, -1):
        record = records[index]
        op = str(record.get("op") or "")
        if (index, signal.kind) in used or not op.startswith(want) or record.get("decision") == "deny":
            continue
        if signal.kind == "unexplained-reset" and record.get("worktree") != str(obs.root):
            continue  # HEAD's reflog is this worktree's own; the stash is shared
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
