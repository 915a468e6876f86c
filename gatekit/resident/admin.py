"""`gatekit resident status` and `stop`: the servers of this user, found by their lock files."""

from __future__ import annotations

import os
import signal
import time
from dataclasses import dataclass
from pathlib import Path

from gatekit.resident import protocol
from gatekit.system import signals
from gatekit.system.processes import command_line, process_start


@dataclass(frozen=True)
class RunningServer:
    pid: int
    socket: Path
    interpreter: str
    started: float  # seconds since the epoch


def running_servers() -> list[RunningServer]:
    """Every live server in this user's socket directory (the lock file names its holder)."""
    directory = protocol.socket_dir(dict(os.environ))
    if directory is None:
        return []
    found = []
    for lock in sorted(Path(directory).glob("*.sock.lock")):
        try:
            pid = int(lock.read_text().split()[0])
        except (OSError, ValueError, IndexError):
            continue
        argv, started = command_line(pid), process_start(pid)
        socket = lock.with_suffix("")
        if "gatekit.resident.server" in " ".join(argv) and str(socket) in argv and started is not None:
            found.append(RunningServer(pid, socket, argv[0], started))
    return found


def describe(server: RunningServer) -> str:
    minutes = max(0, int((time.time() - server.started) // 60))
    return f"pid {server.pid}: {server.interpreter}, up {minutes} min, listening on {server.socket}"


def stop(servers: list[RunningServer]) -> list[RunningServer]:
    """Ask each server to leave (it finishes the runs it serves first); those it reached."""
    stopped = []
    for server in servers:
        if signals.send(server.pid, signal.SIGTERM):
            stopped.append(server)
    return stopped
