"""Standard output that may be closed under us (`gatekit check | head`).

A reader that goes away must not change the verdict: the gates keep running, their results stay
what they are, and what cannot be shown any more is dropped instead of raising in a thread.
"""

from __future__ import annotations

import os
import sys
from typing import BinaryIO


def silence_stdout() -> None:
    """Point file descriptor 1 at /dev/null, so nothing (not even the interpreter's last flush)
    writes to the closed pipe again."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # stdout already closed or not a real file: nothing to redirect
        pass
    finally:
        os.close(devnull)


class ReaderSafeOutput:
    """A binary stream whose writes are dropped, not raised, once its reader has gone."""

    def __init__(self, stream: BinaryIO) -> None:
        self.stream = stream
        self.reader_gone = False

    def write(self, data: bytes) -> None:
        if self.reader_gone:
            return
        try:
            self.stream.write(data)
            self.stream.flush()
        except BrokenPipeError:
            self.reader_gone = True
            silence_stdout()

    def flush(self) -> None:
        self.write(b"")
