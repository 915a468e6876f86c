"""Who started gatekit: the parent process that attribution names.

A guard names the writer behind a change by the process that ran gatekit (its parent: git, a shell,
an agent host). A run handed to the resident server executes in a worker forked from the server,
whose own parent is the server; the worker stands in for the client, so the client's parent is the
one attribution must see (gatekit/resident/worker.py).
"""

from __future__ import annotations

import os

_stand_in_parent: int | None = None


def parent_pid() -> int:
    """The pid of the process that started this gatekit run."""
    return os.getppid() if _stand_in_parent is None else _stand_in_parent


def stand_in_for(parent: int) -> None:
    """This process runs on behalf of a client whose parent is `parent`."""
    global _stand_in_parent
    _stand_in_parent = parent
