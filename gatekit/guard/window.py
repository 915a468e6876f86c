"""The clobber window: which reflog entries, stash changes and dirty paths are "since then".

It starts at the session's last checkpoint (or its start, or `--since DURATION|REF`). Reflog
positions, not time stamps, bound it: entries made within one second (or under a fixed
GIT_COMMITTER_DATE) cannot be ordered by time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from gatekit import git
from gatekit.errors import UsageError
from gatekit.guard.observe import Observation, window_start
from gatekit.guard.sessions_store import Baseline, SessionRecord

_DURATION = re.compile(r"^(\d+(?:\.\d+)?)\s*(s|sec|m|min|h|d|w)$")
_UNITS = {"s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "d": 86400, "w": 604800}
_SELECTOR = re.compile(r"^HEAD@\{(\d+)\}$")


@dataclass(frozen=True)
class Window:
    head_from: int  # index of the first HEAD reflog entry inside the window
    stash_base: tuple[str, ...] | None  # stash ids at the start; None: unknown (a time window)
    since_time: float | None  # for time windows: stash pushes at or after this time count
    known_head: str | None  # HEAD at the start
    known_branch: str | None  # branch at the start; None when detached or unknown
    branch_known: bool  # False when the window start says nothing about the branch
    description: str


def parse_duration(value: str) -> float | None:
    match = _DURATION.match(value.strip().lower())
    return float(match.group(1)) * _UNITS[match.group(2)] if match else None


def window_for(obs: Observation, record: SessionRecord | None, since: str | None) -> Window:
    """The window to inspect, from --since, else the record's last checkpoint."""
    if since is not None:
        return _since(obs, record, since)
    if record is None:
        return Window(
            len(obs.head_log),
            tuple(obs.stash_oids),
            None,
            obs.status.head,
            obs.status.branch,
            False,
            "reflog not inspected: no checkpoint to compare with (use --since, or start a session)",
        )
    if record.data.baseline is None:
        # A record written by another tool, with no reflog positions: its start time bounds it.
        start = next((e.index for e in obs.head_log if e.time >= record.started), len(obs.head_log))
        return _positional(obs, start, record.started, f"since session {record.name} started")
    label = "last checkpoint" if record.data.checkpoints else "session start"
    who = f"session {record.name}" if record.name else "the worktree's checkpoint"
    return _from_baseline(obs, record.data.baseline, f"since the {label} of {who}")


def _from_baseline(obs: Observation, base: Baseline | None, description: str) -> Window:
    base = base or Baseline()
    start = window_start(obs.head_log, base.head_log_count, base.head_log_last)
    return Window(start, tuple(base.stash), None, base.head, base.branch, True, description)


def _since(obs: Observation, record: SessionRecord | None, since: str) -> Window:
    if since in ("start", "checkpoint"):
        if record is None:
            raise UsageError(f"--since {since} needs a session (none is active in this worktree)")
        base = record.data.start if since == "start" else record.data.baseline
        return _from_baseline(obs, base, f"since the {since} of session {record.name}")
    seconds = parse_duration(since)
    if seconds is not None:
        cutoff = obs.time - seconds
        start = next((e.index for e in obs.head_log if e.time >= cutoff), len(obs.head_log))
        return _positional(obs, start, cutoff, f"since {since} ago")
    selector = _SELECTOR.match(since)
    if selector:
        n = int(selector.group(1))
        if n >= len(obs.head_log):
            raise UsageError(f"--since {since}: the HEAD reflog has only {len(obs.head_log)} entries")
        return _positional(obs, len(obs.head_log) - n, None, f"since {since}")
    oid = git.resolve_commit(obs.root, since)
    # Where HEAD arrived at the commit; a reset to the commit it was already on is no arrival.
    hits = [e.index for e in obs.head_log if e.new == oid and e.old != oid]
    if not hits:
        raise UsageError(f"--since {since}: HEAD was never at that commit (per this worktree's reflog)")
    return _positional(obs, hits[-1] + 1, None, f"since HEAD was at {since}")


def _positional(obs: Observation, start: int, cutoff: float | None, description: str) -> Window:
    head = obs.head_log[start - 1].new if start > 0 else None
    if cutoff is None:  # stash entries are dated only; the window's first entry dates its start
        cutoff = obs.head_log[start].time if start < len(obs.head_log) else obs.time
    return Window(start, None, cutoff, head, None, False, description)
