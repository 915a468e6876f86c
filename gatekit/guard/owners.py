"""Who owns a dirty path: a gatekit session (claims, edit ledger) or an agent-host session (its
Edit/Write/apply_patch tool calls, recorded by `gatekit agent post-tool`).

Owners are labels: "session agent-3" for a gatekit session, "claude-code session 5c1e..." for a
host session. The caller of a git command is a set of labels (it can be both at once).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from gatekit.guard import journal

HOST_EDIT_HORIZON = 7 * 86400.0  # an edit older than this says nothing about who is here now


@dataclass(frozen=True)
class Caller:
    """Who runs a git command: a gatekit session, an agent-host session, or nobody known."""

    session: str | None = None
    host: str | None = None
    host_session: str | None = None
    via: str = "shim"  # how the command was intercepted: "shim", "claude-code", ...

    @property
    def labels(self) -> frozenset[str]:
        labels = set()
        if self.session:
            labels.add(session_label(self.session))
        if self.host and self.host_session:
            labels.add(host_label(self.host, self.host_session))
        return frozenset(labels)

    @property
    def name(self) -> str:
        return ", ".join(sorted(self.labels)) or "an unidentified writer"

    @classmethod
    def from_env(cls, via: str = "shim", env: Mapping[str, str] | None = None) -> Caller:
        """The caller of a shim or of plain git: GATEKIT_SESSION, and the session id an agent
        host exports to the commands its shell tool runs."""
        env = os.environ if env is None else env
        host, host_session = None, None
        for var, name in HOST_SESSION_VARS:
            if env.get(var):
                host, host_session = name, env[var]
                break
        return cls(env.get("GATEKIT_SESSION") or None, host, host_session, via)


# What each host exports to its shell tool's commands, equal to the session_id of its hook
# payloads: Claude Code since 2.1.132 (CLAUDE_CODE_SESSION_ID), Codex its thread id
# (CODEX_THREAD_ID). The older names are kept for launchers that set them themselves. Gemini CLI
# exports only GEMINI_CLI=1 and Cursor nothing: their commands are known by GATEKIT_SESSION only.
HOST_SESSION_VARS = (
    ("CLAUDE_CODE_SESSION_ID", "claude-code"),
    ("CLAUDE_SESSION_ID", "claude-code"),
    ("CODEX_THREAD_ID", "codex"),
    ("CODEX_SESSION_ID", "codex"),
    ("GEMINI_SESSION_ID", "gemini"),
)


def session_label(name: str) -> str:
    return f"session {name}"


def host_label(host: str, session: str) -> str:
    return f"{host} session {session}"


def record_edits(git_dir: Path, host: str, session: str, paths: Iterable[str], tool: str) -> None:
    """Remember that a host session wrote these paths (repository-relative)."""
    for path in paths:
        journal.append(
            journal.edits_file(git_dir),
            {"t": round(time.time(), 3), "host": host, "session": session, "path": path, "tool": tool},
        )


def host_owners(git_dir: Path) -> dict[str, str]:
    """{path: label of the host session that edited it last}."""
    horizon = time.time() - HOST_EDIT_HORIZON
    owners: dict[str, str] = {}
    for record in journal.read(journal.edits_file(git_dir)):
        path, host, session = record.get("path"), record.get("host"), record.get("session")
        recent = float(record.get("t", 0) or 0) >= horizon
        if recent and isinstance(path, str) and isinstance(host, str) and isinstance(session, str):
            owners[path] = host_label(host, session)
    return owners


@dataclass
class Owners:
    """Ownership of the paths of one worktree, read once."""

    git_dir: Path
    caller: Caller

    def __post_init__(self) -> None:
        from gatekit.guard.sessions_store import list_sessions

        self.sessions = list_sessions(self.git_dir)
        self.hosts = host_owners(self.git_dir)

    def owner(self, path: str) -> str | None:
        from gatekit.guard.sessions import owner_of

        record = owner_of(path, self.sessions)
        if record is not None:
            return session_label(record.name)
        return self.hosts.get(path)

    def other_writers(self, still_dirty: Callable[[list[str]], set[str]]) -> list[str]:
        """Writers other than the caller present in this worktree: its other gatekit sessions,
        and host sessions whose edited paths are still dirty (still_dirty asks git once)."""
        mine = self.caller.labels
        found = {session_label(r.name) for r in self.sessions} - mine
        theirs = {p: label for p, label in self.hosts.items() if label not in mine}
        if theirs:
            found |= {theirs[p] for p in still_dirty(sorted(theirs))}
        return sorted(found)
