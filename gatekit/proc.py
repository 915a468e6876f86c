"""Run short-lived helper processes (git, cargo metadata, ...) and capture their output; tell
whether a recorded process is still the same one.

Long-running gate commands are not run here: gates.py streams them in their own process group.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

from gatekit.errors import CommandError, ToolMissing


def run_captured(
    argv: Sequence[str],
    cwd: Path | str | None = None,
    *,
    env: Mapping[str, str] | None = None,
    input: bytes | None = None,
    check: bool = True,
    ok_codes: Sequence[int] = (0,),
    timeout: float | None = None,
) -> subprocess.CompletedProcess[bytes]:
    """Run argv to completion, capturing stdout and stderr as bytes.

    Raises ToolMissing when the program is not installed and CommandError (naming the command,
    its exit code and its stderr) when it exits with a code outside ok_codes and check is set.
    """
    try:
        result = subprocess.run(
            list(argv),
            cwd=cwd,
            env=dict(env) if env is not None else None,
            input=input,
            capture_output=True,
            stdin=None if input is not None else subprocess.DEVNULL,
            timeout=timeout,
        )
    except FileNotFoundError as exc:
        if cwd is not None and not Path(cwd).is_dir():
            raise CommandError(argv, 127, f"working directory {cwd} does not exist") from exc
        raise ToolMissing(argv[0]) from exc
    if check and result.returncode not in ok_codes:
        raise CommandError(argv, result.returncode, result.stderr)
    return result


def which(program: str, path: str | None = None) -> str | None:
    """The full path of program on PATH, or None."""
    import shutil

    return shutil.which(program, path=path if path is not None else os.environ.get("PATH"))


def process_start_ticks(pid: int) -> int | None:
    """When pid started, in clock ticks since boot (Linux /proc); None when unknown or gone.

    A pid can be reused; the pair (pid, start) names one process for as long as the machine runs.
    """
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        return int(stat.rsplit(")", 1)[1].split()[19])
    except (OSError, ValueError, IndexError):
        return None


def now_ticks() -> int:
    """The current time in the units of process_start_ticks (clock ticks since boot); 0 if unknown."""
    try:
        uptime = float(Path("/proc/uptime").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 0
    return int(uptime * os.sysconf("SC_CLK_TCK"))


def process_start(pid: int) -> float | None:
    """Epoch start time of pid (Linux /proc), to tell a live owner from a reused pid."""
    ticks = process_start_ticks(pid)
    if ticks is None:
        return None
    try:
        uptime = float(Path("/proc/uptime").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None
    import time

    return time.time() - uptime + ticks / os.sysconf("SC_CLK_TCK")


def marked_processes(var: str, value: str, root: Path, *, started_since: int = 0) -> list[int]:
    """Live processes (Linux /proc) whose environment has var=value, or whose cwd is inside root
    and which started at or after started_since (clock ticks since boot).

    Finds what a gate detached from its process group (`setsid`, a double fork): the marker
    survives in the environment of every descendant that did not scrub it, and a daemon that
    did still works somewhere inside the sandbox. Processes of other users are not readable and
    not ours to stop.
    """
    marker = f"{var}={value}".encode()
    inside = str(root.resolve())
    me = os.getpid()
    found = []
    for entry in Path("/proc").iterdir() if Path("/proc/self").exists() else ():
        if not entry.name.isdigit() or int(entry.name) == me:
            continue
        try:
            if marker in (entry / "environ").read_bytes().split(b"\0"):
                found.append(int(entry.name))
                continue
            cwd = os.readlink(entry / "cwd")
        except OSError:
            continue  # gone, a zombie, or not ours
        if cwd == inside or cwd.startswith(inside + os.sep):
            start = process_start_ticks(int(entry.name))
            if start is not None and start >= started_since:
                found.append(int(entry.name))
    return found


def describe_process(pid: int) -> str:
    try:
        name = Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return f"pid {pid}"
    return f"pid {pid} ({name})"


def stop_processes(pids: Sequence[int], grace: float = 3.0) -> list[str]:
    """SIGTERM pids, SIGKILL those still alive after grace; returns "pid N (name)" for each."""
    import signal
    import time

    described = [describe_process(pid) for pid in pids]
    for pid in pids:
        _signal(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and any(_alive(pid) for pid in pids):
        time.sleep(0.05)
    for pid in pids:
        if _alive(pid):
            _signal(pid, signal.SIGKILL)
    return described


def _signal(pid: int, sig: int) -> None:
    try:
        os.kill(pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def _alive(pid: int) -> bool:
    """Running and not a zombie (a zombie only waits for its parent to reap it)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"
