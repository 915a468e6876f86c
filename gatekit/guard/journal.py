"""Append-only JSON-lines logs: the guard's journal of intercepted operations, and the ledger of
which agent-host session edited which path.

Concurrent writers (several agent hosts, shims and people at once) each append one record with
a single write(2) on a descriptor opened with O_APPEND, so records never interleave and a
SIGKILL can at worst leave one torn last line, which the reader skips.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from gatekit.system import identity

JOURNAL_NAME = "journal.jsonl"  # in <common-dir>/gatekit/: every worktree's operations
EDITS_NAME = "edits.jsonl"  # in <git-dir>/gatekit/: one worktree's host-session edits


def journal_file(common_dir: Path) -> Path:
    return common_dir / "gatekit" / JOURNAL_NAME


def edits_file(git_dir: Path) -> Path:
    return git_dir / "gatekit" / EDITS_NAME


def append(path: Path, record: dict[str, Any]) -> None:
    """Append one record as one line, with one write."""
    data = (json.dumps(record, sort_keys=True, separators=(",", ":")) + "\n").encode()
    try:
        fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        size = os.fstat(fd).st_size
        if size and os.pread(fd, 1, size - 1) != b"\n":
            data = b"\n" + data  # a writer killed mid-record left a torn line: end it first
        os.write(fd, data)
    finally:
        os.close(fd)


def read(path: Path) -> Iterator[dict[str, Any]]:
    """Every whole record, oldest first; a torn or foreign line is skipped, never fatal."""
    try:
        data = path.read_bytes()
    except OSError:
        return
    for line in data.split(b"\n"):
        if not line:
            continue
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict):
            yield record


def parent_command(pid: int | None = None) -> str:
    """The command line of this process's parent (who ran git), from /proc; "" where unknown."""
    ppid = identity.parent_pid() if pid is None else pid
    try:
        raw = Path(f"/proc/{ppid}/cmdline").read_bytes()
    except OSError:
        return ""
    return " ".join(part.decode("utf-8", "replace") for part in raw.split(b"\0") if part)[:300]


def operation_record(**fields: Any) -> dict[str, Any]:
    """A journal record: time, pid, parent, plus the caller's fields."""
    record: dict[str, Any] = {
        "v": 1,
        "t": round(time.time(), 3),
        "pid": os.getpid(),
        "ppid": identity.parent_pid(),
    }
    record["parent"] = parent_command()
    record.update(fields)
    return record
