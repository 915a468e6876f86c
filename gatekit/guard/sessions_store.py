"""The on-disk record of writer sessions: the one format guard/ writes and fleet/ reads.

A session lives in the worktree's own git dir, `<git-dir>/gatekit/sessions/<name>.json`, so
linked worktrees keep separate sessions and `session list` can walk every worktree. Writes go
through a temporary file and an atomic rename: a SIGKILL never leaves half a record.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from gatekit.errors import UsageError
from gatekit.state_dirs import sessions_dir

SESSION_FORMAT = 1


@dataclass
class SessionRecord:
    name: str
    pid: int
    started: float  # epoch seconds
    worktree: str  # absolute path of the worktree
    branch: str | None
    head: str | None
    claims: list[str] = field(default_factory=list)  # glob patterns, relative to the worktree
    # Everything else a session keeps (baseline, ledger, declarations) is owned by guard/.
    data: dict[str, Any] = field(default_factory=dict)
    format: int = SESSION_FORMAT


def session_path(git_dir: Path, name: str) -> Path:
    return sessions_dir(git_dir) / f"{name}.json"


def save_session(git_dir: Path, record: SessionRecord) -> None:
    """Write the record atomically (temp file + rename in the same directory)."""
    save_record(session_path(git_dir, record.name), record)


def save_record(path: Path, record: SessionRecord) -> None:
    """Write a record to path atomically; a SIGKILL leaves the old file or the new one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(asdict(record), handle, indent=1, sort_keys=True)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def load_session(git_dir: Path, name: str) -> SessionRecord | None:
    return load_record(session_path(git_dir, name))


class CorruptRecord(UsageError):
    """A session record that exists but cannot be read: named, with the way to clear it."""

    def __init__(self, path: Path, why: str) -> None:
        name = path.stem
        super().__init__(
            f"the session record {path} is corrupt ({why}); `gatekit session end --session {name}` "
            "removes it (its snapshots stay)"
        )
        self.path = path


def load_record(path: Path) -> SessionRecord | None:
    """The record at path; None when there is none; CorruptRecord when it cannot be read."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise CorruptRecord(path, str(exc)) from exc
    if not isinstance(raw, dict):
        raise CorruptRecord(path, "not a JSON object")
    known = {k: raw[k] for k in SessionRecord.__dataclass_fields__ if k in raw}
    try:
        return SessionRecord(**known)
    except TypeError as exc:
        raise CorruptRecord(path, f"missing fields: {exc}") from exc


def readable_or_none(path: Path) -> SessionRecord | None:
    """load_record for listings: a corrupt record is skipped (doctor names it), never fatal."""
    try:
        return load_record(path)
    except CorruptRecord:
        return None


def list_sessions(git_dir: Path) -> list[SessionRecord]:
    """Every readable session recorded in one worktree's git dir, oldest first."""
    directory = sessions_dir(git_dir)
    if not directory.is_dir():
        return []
    records = [readable_or_none(p) for p in sorted(directory.glob("*.json"))]
    return sorted((r for r in records if r is not None), key=lambda r: r.started)


def delete_session(git_dir: Path, name: str) -> bool:
    try:
        session_path(git_dir, name).unlink()
        return True
    except FileNotFoundError:
        return False


def pid_alive(pid: int) -> bool:
    """True when a process with this pid exists (signal 0 probes without sending anything)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
