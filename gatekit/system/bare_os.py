"""What a hook's first milliseconds need of `os`, from the C module `posix` alone.

Every hook starts a Python (`-S`, no site) that hands its run to the resident server, and
`import os` is the costliest thing it would do: os loads collections.abc and posixpath, 1-2 ms
of every commit. The client's modules (resident/client.py, resident/protocol.py, system/dirs.py,
system/signals.py, resident/standing.py, __main__.py) call `posix` for the system calls and this
module for what os adds in Python: the environment as text, and its encoding.
"""

from __future__ import annotations

import posix
import sys

DEVNULL = "/dev/null"
_ENCODING = sys.getfilesystemencoding()


def fsencode(text: str) -> bytes:
    return text.encode(_ENCODING, "surrogateescape")


def fsdecode(data: bytes) -> str:
    return data.decode(_ENCODING, "surrogateescape")


def environ() -> dict[str, str]:
    """This process's environment as os.environ shows it (a copy: read once, at start)."""
    return {fsdecode(key): fsdecode(value) for key, value in posix.environ.items()}
