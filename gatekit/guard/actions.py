"""Session commands that combine guard pieces (checkpoint = check + ledger + snapshot)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gatekit.config import GuardConfig
from gatekit.errors import UsageError
from gatekit.guard import sessions
from gatekit.guard.observe import observe
from gatekit.guard.sessions_store import SessionRecord
from gatekit.guard.signals import Signal, inspect
from gatekit.guard.snapshots import Snapshot, take_snapshot


@dataclass(frozen=True)
class CheckpointResult:
    record: SessionRecord
    absorbed: list[Signal]  # signals the old window held; the new window starts after them
    snapshot: Snapshot | None


def checkpoint(cwd: Path, name: str | None, paths: Sequence[str], config: GuardConfig) -> CheckpointResult:
    """Report what the closing window holds, update the ledger, move the window, snapshot."""
    absorbed = [s for s in inspect(cwd, name).signals if s.at_least(config.severity)]
    obs = observe(cwd)
    record = sessions.resolve_session(obs.paths.repo.git_dir, name)
    record = sessions.checkpoint(obs, record, paths, cwd)
    snap = take_snapshot(
        obs.paths.repo,
        f"checkpoint {record.name or '(no session)'}",
        config.snapshot_keep,
        config.snapshot_max_age_days,
    )
    if absorbed:
        _record_absorbed(obs, record, absorbed)
    return CheckpointResult(record, absorbed, snap)


def _record_absorbed(obs: Any, record: SessionRecord, absorbed: Sequence[Signal]) -> None:
    """A checkpoint never launders evidence: the signals its new window leaves behind go to the
    journal, where `gatekit clobber --since` and a person reading it still find them (issue 10)."""
    from gatekit.guard import journal

    entry = journal.operation_record(
        op="checkpoint",
        worktree=str(obs.root),
        session=record.name or None,
        decision="absorbed",
        signals=[
            {"kind": s.kind, "severity": s.severity, "summary": s.summary, "way_back": s.way_back}
            for s in absorbed
        ],
    )
    journal.append(journal.journal_file(obs.paths.repo.common_dir), entry)


def start(
    cwd: Path, name: str | None, claims: Sequence[str], pid: int | None, config: GuardConfig
) -> tuple[SessionRecord, Snapshot | None]:
    record = sessions.start_session(cwd, name, claims, pid)
    snap = take_snapshot(
        observe(cwd).paths.repo,
        f"session {record.name} start",
        config.snapshot_keep,
        config.snapshot_max_age_days,
    )
    return record, snap


def require_session(cwd: Path, name: str | None) -> SessionRecord:
    """The current session, or a usage error saying how to name one."""
    from gatekit.git import get_repo_paths

    record = sessions.resolve_session(get_repo_paths(cwd).git_dir, name)
    if record is None:
        raise UsageError(
            "no current session: start one with `gatekit session start`, or name it with "
            f"--session or ${sessions.SESSION_ENV} (several sessions share this worktree?)"
        )
    return record


def declare(cwd: Path, name: str | None, op: str) -> SessionRecord:
    record = require_session(cwd, name)
    sessions.declare(observe(cwd), record, op)
    return record


def end(cwd: Path, name: str | None) -> str:
    """End the current session; a corrupt record is removed too (the only way out of it).
    Returns what was done, for the user."""
    from gatekit.git import get_repo_paths
    from gatekit.guard.sessions_store import CorruptRecord

    git_dir = get_repo_paths(cwd).git_dir
    try:
        record = require_session(cwd, name)
    except CorruptRecord as corrupt:
        corrupt.path.unlink(missing_ok=True)
        return f"session {corrupt.path.stem} ended (its corrupt record {corrupt.path} was removed)"
    sessions.end_session(git_dir, record.name)
    return f"session {record.name} ended"
