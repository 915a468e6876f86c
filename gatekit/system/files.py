"""File primitives: an flock held for a block, and atomic writes that survive SIGKILL and power loss."""

from __future__ import annotations

import fcntl
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

# The kernel drops an flock when its holder dies, however it dies (SIGKILL included), so a lock
# taken here can never be held by a dead process.


@contextmanager
def flocked(path: Path, *, shared: bool = False) -> Iterator[None]:
    """Hold a flock on path (created if missing) for the block, waiting for it: exclusive, or
    shared with other shared holders (readers of a pool that a pruner must not delete)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_SH if shared else fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing drops the flock


def try_flock(path: Path, *, holder_note: bool = False) -> int | None:
    """An fd holding an exclusive flock on path (created if missing), or None when another
    process holds it. Closing the fd drops the lock. holder_note writes our pid into the file,
    for a person wondering who holds it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    if holder_note:
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
    return fd


def atomic_write(path: Path, data: str | bytes, *, mode: int | None = None, durable: bool = True) -> None:
    """Replace path with data in one step: a reader (or a crash) sees the old file or the new one.

    The data is fsynced before the rename (durable), so the new name never points at an empty
    file after a power loss; a record that means nothing after a reboot skips it. mode sets the
    permission bits (else the temp file's 0600 becomes 0644).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data.encode("utf-8") if isinstance(data, str) else data)
            handle.flush()
            if durable:
                os.fsync(handle.fileno())
        os.chmod(tmp, 0o644 if mode is None else mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def has_entries(directory: Path | str) -> bool | None:
    """Does directory hold anything? False when it is empty or absent; None when it cannot be read."""
    try:
        with os.scandir(directory) as entries:
            return next(entries, None) is not None
    except (FileNotFoundError, NotADirectoryError):
        return False
    except OSError:
        return None
