"""Reflogs, read straight from their files (fast), through git where refs are not files.

Reading `logs/HEAD` in Python costs ~10 ms for 10,000 entries against ~23 ms for
`git reflog show` (measured on this project's machines), and the clobber check runs in a commit hook.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import overload

from gatekit import git

_SELECTOR_TIME = re.compile(r"@\{(\d+)\}$")


@dataclass(frozen=True)
class ReflogEntry:
    """One reflog line. index counts from the oldest entry (0), unlike HEAD@{n}."""

    index: int
    old: str
    new: str
    time: int  # epoch seconds
    message: str

    @property
    def key(self) -> str:
        """Identifies the entry even when its position shifts (expiry rewrites the file)."""
        return f"{self.old} {self.new} {self.time} {self.message}"

    @property
    def is_reset(self) -> bool:
        return self.message.startswith("reset: moving to")

    @property
    def is_checkout(self) -> bool:
        return self.message.startswith("checkout: moving from")

    def selector(self, ref: str, total: int) -> str:
        return f"{ref}@{{{total - 1 - self.index}}}"


class Reflog(Sequence[ReflogEntry]):
    """A reflog, oldest first, parsed line by line on demand.

    The clobber check looks at a handful of entries at the end of a log that may hold tens of
    thousands: splitting the file is cheap, parsing every line is not.
    """

    def __init__(self, lines: list[bytes] | list[ReflogEntry]) -> None:
        self._lines = lines
        self._parsed: dict[int, ReflogEntry] = {}

    def __len__(self) -> int:
        return len(self._lines)

    @overload
    def __getitem__(self, index: int) -> ReflogEntry: ...

    @overload
    def __getitem__(self, index: slice) -> list[ReflogEntry]: ...

    def __getitem__(self, index: int | slice) -> ReflogEntry | list[ReflogEntry]:
        if isinstance(index, slice):
            return [self._entry(i) for i in range(*index.indices(len(self._lines)))]
        if index < 0:
            index += len(self._lines)
        if not 0 <= index < len(self._lines):
            raise IndexError(index)
        return self._entry(index)

    def _entry(self, index: int) -> ReflogEntry:
        entry = self._parsed.get(index)
        if entry is None:
            line = self._lines[index]
            entry = line if isinstance(line, ReflogEntry) else _parse_line(index, line)
            self._parsed[index] = entry
        return entry


def parse_reflog(data: bytes) -> Reflog:
    """Reflog file format, one entry a line: `old new Name <email> time tz<TAB>message`."""
    return Reflog([line for line in data.split(b"\n") if len(line) >= 83])


def _parse_line(index: int, line: bytes) -> ReflogEntry:
    head, _, message = line.partition(b"\t")
    old, new = head[:40].decode("ascii", "replace"), head[41:81].decode("ascii", "replace")
    # The identity may contain anything but ">"; time and zone follow its last ">".
    stamp = head[head.rfind(b">") + 1 :].split()
    try:
        when = int(stamp[0])
    except (IndexError, ValueError):
        when = 0
    return ReflogEntry(index, old, new, when, message.decode("utf-8", "replace"))


def _parse_git_log(data: bytes) -> Reflog:
    """Parse `git log -g` output (newest first); old ids come from the next older entry."""
    rows = []
    for record in data.split(b"\0"):
        if not record.strip():
            continue
        head, _, message = os.fsdecode(record.strip(b"\n")).partition("\t")
        new, _, selector = head.partition(" ")
        match = _SELECTOR_TIME.search(selector)
        rows.append((new, int(match.group(1)) if match else 0, message))
    rows.reverse()
    entries = []
    for i, (new, when, message) in enumerate(rows):
        old = rows[i - 1][0] if i else git.NULL_OID
        entries.append(ReflogEntry(i, old, new, when, message))
    return Reflog(entries)


def read_reflog(log_file: Path, cwd: Path, ref: str, common_dir: Path) -> Reflog:
    """The reflog of ref, oldest first: from log_file, else from git (reftable repositories)."""
    try:
        return parse_reflog(log_file.read_bytes())
    except FileNotFoundError:
        pass
    # A reftable repository keeps its reflogs in <common-dir>/reftable/, not in files; without
    # reftable a missing file means the ref has no reflog (e.g. an empty stash).
    if not (common_dir / "reftable").is_dir():
        return Reflog([])
    return _parse_git_log(git.reflog_entries_raw(cwd, ref))
