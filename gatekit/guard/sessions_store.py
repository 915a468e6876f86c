"""The on-disk record of writer sessions: the one format guard/ writes and fleet/ reads.

A session lives in the worktree's own git dir, `<git-dir>/gatekit/sessions/<name>.json`, so
linked worktrees keep separate sessions and `session list` can walk every worktree. Writes go
through a temporary file and an atomic rename: a SIGKILL never leaves half a record.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from gatekit.state_dirs import sessions_dir
from gatekit.system.files import atomic_write

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
    atomic_write(path, json.dumps(asdict(record), indent=1, sort_keys=True), mode=0o600)


def load_session(git_dir: Path, name: str) -> SessionRecord | None:
    return load_record(session_path(git_dir, name))


def load_record(path: Path) -> SessionRecord | None:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        return None  # a corrupt record is reported by `gatekit doctor`, never fatal here
    if not isinstance(raw, dict):
        return None
    known = {k: raw[k] for k in SessionRecord.__dataclass_fields__ if k in raw}
    try:
        return SessionRecord(**known)
    except TypeError:
        return None


def list_sessions(git_dir: Path) -> list[SessionRecord]:
    """Every readable session recorded in one worktree's git dir, oldest first."""
    directory = sessions_dir(git_dir)
    if not directory.is_dir():
        return []
    records = [load_session(git_dir, p.stem) for p in sorted(directory.glob("*.json"))]
    return sorted((r for r in records if r is not None), key=lambda r: r.started)


def delete_session(git_dir: Path, name: str) -> bool:
    try:
        session_path(git_dir, name).unlink()
        return True
    except FileNotFoundError:
        return False
