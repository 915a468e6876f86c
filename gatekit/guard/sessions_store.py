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

from gatekit.errors import UsageError
from gatekit.state_dirs import sessions_dir
from gatekit.system.files import atomic_write

SESSION_FORMAT = 1


@dataclass
class Baseline:
    """Where a clobber window starts: HEAD, the reflog position, the stash and dirty content then."""

    time: float = 0.0
    head: str | None = None
    branch: str | None = None
    head_log_count: int = 0
    head_log_last: str | None = None  # key of the last HEAD reflog entry (survives expiry)
    stash: list[str] = field(default_factory=list)
    dirty: dict[str, str | None] = field(default_factory=dict)  # path -> blob id (None: absent)


@dataclass
class LedgerEntry:
    """One path the session edited: blob ids (None: no file) of the versions that matter."""

    before: str | None = None  # before the session's first edit
    after: str | None = None  # at its last checkpoint
    head: str | None = None  # in HEAD at that checkpoint


@dataclass
class Declaration:
    """An operation the session announced it will run itself (reset, stash, checkout)."""

    op: str
    head_pos: int = 0  # HEAD reflog length when it was declared
    stash: list[str] = field(default_factory=list)  # stash ids then
    at: float = 0.0


@dataclass
class Explained:
    """What `session run` did itself: HEAD reflog keys and stash ids it produced."""

    head: list[str] = field(default_factory=list)
    stash: list[str] = field(default_factory=list)


@dataclass
class SessionState:
    """A session's own state, owned by guard/ (fleet/ reads only the record's top-level fields)."""

    start: Baseline | None = None  # when the session began: dirty paths then are not "foreign"
    baseline: Baseline | None = None  # at the last checkpoint; None: written by another tool
    ledger: dict[str, LedgerEntry] = field(default_factory=dict)
    declared: list[Declaration] = field(default_factory=list)
    explained: Explained = field(default_factory=Explained)
    checkpoints: int = 0

    @classmethod
    def from_json(cls, raw: Any) -> SessionState:
        """The state from a record's `data`; malformed parts raise TypeError or ValueError."""
        if not isinstance(raw, dict):
            raise TypeError("a session's data must be an object")
        explained = raw.get("explained") or {}
        return cls(
            start=_baseline(raw.get("start")),
            baseline=_baseline(raw.get("baseline")),
            ledger={
                str(path): LedgerEntry(**_fields(LedgerEntry, item))
                for path, item in _object(raw, "ledger").items()
            },
            declared=[Declaration(**_fields(Declaration, item)) for item in raw.get("declared") or []],
            explained=Explained(**_fields(Explained, explained)),
            checkpoints=int(raw.get("checkpoints", 0)),
        )


def _fields(cls: type, raw: Any) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise TypeError(f"{cls.__name__} must be an object")
    return {k: raw[k] for k in cls.__dataclass_fields__ if k in raw}  # type: ignore[attr-defined]


def _object(raw: dict[str, Any], key: str) -> dict[str, Any]:
    value = raw.get(key) or {}
    if not isinstance(value, dict):
        raise TypeError(f"{key} must be an object")
    return value


def _baseline(raw: Any) -> Baseline | None:
    return None if raw is None else Baseline(**_fields(Baseline, raw))


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
    data: SessionState = field(default_factory=SessionState)
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
        known["data"] = SessionState.from_json(raw.get("data", {}))
        return SessionRecord(**known)
    except (TypeError, ValueError) as exc:
        raise CorruptRecord(path, f"unreadable fields: {exc}") from exc


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
