"""Internal errors: the traceback goes to a log file whose path is printed (exit 3)."""

from __future__ import annotations

import os
import sys
import tempfile
import time
import traceback
from pathlib import Path

from gatekit import __version__


def write_crash_log() -> Path:
    """Write the current exception's traceback to a fresh log file and return its path."""
    directory = Path(tempfile.gettempdir()) / "gatekit-logs"
    try:
        from gatekit.git import get_repo_paths
        from gatekit.state_dirs import logs_dir

        directory = logs_dir(get_repo_paths(Path.cwd()).common_dir)
    except Exception:  # noqa: BLE001 - outside a repository the temp dir will do
        pass
    directory.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    path = directory / f"crash-{stamp}-{os.getpid()}.log"
    with path.open("w", encoding="utf-8") as log:
        log.write(f"gatekit {__version__}, python {sys.version.split()[0]}\n")
        log.write(f"argv: {sys.argv!r}\n\n")
        traceback.print_exc(file=log)
    return path
