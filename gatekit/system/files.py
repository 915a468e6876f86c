"""File primitives: an flock held for a block, and atomic writes that survive SIGKILL and power loss."""

from __future__ import annotations

import fcntl
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def flocked(path: Path, *, blocking: bool = True) -> Iterator[bool]:
    """Hold an exclusive flock on path (created if missing) for the block.

    Yields False instead of waiting when blocking is off and another process holds it. The kernel
    drops an flock when its holder dies, however it dies, so a killed holder never leaves it held.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX if blocking else fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        yield True
    finally:
        os.close(fd)  # closing drops the flock


def atomic_write(path: Path, data: str | bytes, *, mode: int | None = None) -> None:
    """Replace path with data in one step: a reader (or a crash) sees the old file or the new one.

    The data is fsynced before the rename, so the new name never points at an empty file after a
    power loss. mode sets the permission bits (else the temp file's 0600 becomes 0644).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data.encode("utf-8") if isinstance(data, str) else data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o644 if mode is None else mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
