"""Processes: run short-lived helpers (git, cargo metadata, ...) and capture their output; tell
whether a recorded process is still alive (and still the same one); stop a process group; tell
whether a git process is working in a worktree (so its index.lock is not stale).

Long-running gate commands are started by check/gates.py, which streams them in their own
process group and stops that group here.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
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


def start_captured(
    argv: Sequence[str], cwd: Path | str | None, env: Mapping[str, str] | None, *, own_group: bool = False
) -> subprocess.Popen[bytes]:
    """Start argv in the background with stdout piped (stderr too, or merged into stdout when it
    runs in its own process group, as a gate does: one stream in the order it was written).

    own_group starts it in a new session, so that stop_group(proc.pid, ...) stops it and every
    child it started. OSError (a missing program, no permission) is the caller's to explain.
    """
    return subprocess.Popen(
        list(argv),
        cwd=cwd,
        env=dict(env) if env is not None else None,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT if own_group else subprocess.PIPE,
        start_new_session=own_group,
    )


def start_conversation(
    argv: Sequence[str], cwd: Path | str | None, env: Mapping[str, str] | None
) -> subprocess.Popen[bytes]:
    """Start argv with stdin, stdout and stderr piped, to be asked one question at a time
    (`git cat-file --batch`). OSError (a missing program) is the caller's to explain."""
    return subprocess.Popen(
        list(argv),
        cwd=cwd,
        env=dict(env) if env is not None else None,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


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
    return time.time() - uptime + ticks / os.sysconf("SC_CLK_TCK")


def run_attached(
    argv: Sequence[str],
    cwd: Path | str | None = None,
    *,
    env: Mapping[str, str] | None = None,
    input: bytes | None = None,
) -> int:
    """Run argv with this process's stdout and stderr (the user sees it as it runs); its exit code."""
    return subprocess.run(
        list(argv), cwd=cwd, env=dict(env) if env is not None else None, input=input
    ).returncode


def is_alive(pid: int, started_by: float | None = None) -> bool:
    """Does process pid exist (and, given started_by, is it one that had started by then)?

    Signal 0 probes without sending anything; a pid we may not signal exists. A pid can be reused:
    one whose process started after started_by (2 s of slack for clock rounding) is not the
    process that was recorded.
    """
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    if started_by is None:
        return True
    started = process_start(pid)
    return started is None or started <= started_by + 2.0


def live_group_members(group: int) -> list[int]:
    """Processes of the group that are not zombies (a zombie waits for its reaper, not for us)."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue  # exited while we looked
        if len(fields) > 2 and fields[2] == str(group) and fields[0] != "Z":
            members.append(int(entry.name))
    return members


def stop_group(group: int, grace: float, gone: Callable[[], bool] | None = None) -> None:
    """SIGTERM process group `group`, then SIGKILL it if it has not stopped after grace seconds.

    gone says when to stop waiting (default: the group has no live members, judged from /proc;
    without /proc the whole grace is waited).
    """
    if gone is None:
        gone = (lambda: not live_group_members(group)) if Path("/proc").is_dir() else (lambda: False)
    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 1.0)):
        try:
            os.killpg(group, sig)
        except (ProcessLookupError, PermissionError):
            return
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if gone():
                return
            time.sleep(0.05)


# Without /proc there is no telling who holds an index.lock: only an old one is judged stale.
STALE_LOCK_SECONDS_WITHOUT_PROC = 60.0


def git_running_in(places: Sequence[Path]) -> bool:
    """Is a git process working in (or below) one of these directories? Read from /proc."""
    names = tuple(str(place) for place in places)
    inside = tuple(name + os.sep for name in names)
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if not (entry / "comm").read_text().startswith("git"):
                continue
            cwd = os.readlink(entry / "cwd")
        except OSError:
            continue
        if cwd in names or cwd.startswith(inside):
            return True
    return False


def stale_index_lock_age(worktree: Path, git_dir: Path, now: float, lock: Path | None = None) -> float | None:
    """The age of the worktree's index.lock (lock, else git_dir/index.lock) when it is stale (no
    git process could be holding it), else None. A live git holds the lock however old it looks (a long `git add`), so the
    rule is the holder, not the age; only without /proc does an old lock count as stale."""
    try:
        age = now - (lock or git_dir / "index.lock").stat().st_mtime
    except OSError:
        return None
    if not Path("/proc").is_dir():
        return age if age >= STALE_LOCK_SECONDS_WITHOUT_PROC else None
    return None if git_running_in((worktree, git_dir)) else age


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


def parent_and_name(pid: int) -> tuple[int, str] | None:
    """(parent pid, executable name) of pid, from /proc; None when unknown or gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    name, _, rest = stat.partition(" (")[2].rpartition(") ")
    try:
        return int(rest.split()[1]), name
    except (IndexError, ValueError):
        return None


def command_line(pid: int) -> list[str]:
    """The argv of pid, from /proc; [] when unknown or gone."""
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return []
    return (
        [os.fsdecode(part) for part in raw.split(b"\0")[:-1]] if raw.endswith(b"\0") else [os.fsdecode(raw)]
    )


def describe_process(pid: int) -> str:
    try:
        name = Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return f"pid {pid}"
    return f"pid {pid} ({name})"


def stop_processes(pids: Sequence[int], grace: float = 3.0) -> list[str]:
    """SIGTERM pids, SIGKILL those still alive after grace; returns "pid N (name)" for each."""
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
