"""The reaper of gates' orphans: what a gate leaves running is re-parented to gatekit (Linux).

A gate may detach a daemon every way a process can: `setsid`, a double fork, `env -i`, `cd /`.
No marker survives all of that, but the parent link does: a process whose parent dies is
re-parented to the nearest ancestor that is a child subreaper (prctl PR_SET_CHILD_SUBREAPER, no
privileges needed). gatekit becomes one when it first runs a gate, so whatever a gate orphans
becomes gatekit's child; when the gate ends, its leftovers are that child and its descendants,
found through the kernel's lists of each process's children in /proc, stopped, and reaped (an orphan that exited is a zombie
until its new parent waits for it).

Telling a gate's orphans from gatekit's own children: those gatekit starts itself (git) stay in
gatekit's session, while a gate runs in a session of its own that none of its descendants can
rejoin. An orphan still in the gate's session is that gate's. One that made a session of its own
is the gate's when it started after the gate did and no other gate this process runs started
before it; otherwise it could be either's, and it is left for the last of them to end.
Where prctl is not available, become_subreaper says so and callers fall back to a scan of their own.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from gatekit.system.processes import now_ticks, process_start_ticks, stop_processes

PR_SET_CHILD_SUBREAPER = 36


@lru_cache(maxsize=1)
def become_subreaper() -> bool:
    """Make this process the reaper of every orphan among its descendants; False where the kernel
    offers no such thing (not Linux, no libc, a kernel before 3.4)."""
    if not sys.platform.startswith("linux") or not Path("/proc/self/stat").exists():
        return False
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        return int(libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)) == 0
    except (OSError, AttributeError):
        return False


@dataclass(frozen=True)
class ProcStat:
    """One process as /proc/PID/stat describes it."""

    pid: int
    state: str
    ppid: int
    session: int
    start: int  # clock ticks since boot

    @property
    def exited(self) -> bool:
        """A zombie (or dying): it waits only for its parent to reap it."""
        return self.state in ("Z", "X")


def read_stat(pid: int) -> ProcStat | None:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return ProcStat(pid, fields[0], int(fields[1]), int(fields[3]), int(fields[19]))
    except (OSError, ValueError, IndexError):
        return None  # gone while we looked


def all_processes() -> list[ProcStat]:
    found = (read_stat(int(entry.name)) for entry in Path("/proc").iterdir() if entry.name.isdigit())
    return [stat for stat in found if stat is not None]


def descendants(pid: int) -> list[ProcStat] | None:
    """Every descendant of pid, from the kernel's lists of each process's children; None where
    the kernel keeps no such list (CONFIG_PROC_CHILDREN): scan all_processes() then.

    A gate's leftovers are a handful of processes; the machine may run hundreds.
    """
    if not _children_lists():
        return None
    found: list[ProcStat] = []
    todo, seen = [pid], {pid}
    while todo:
        parent = todo.pop()
        for child in _children(parent):
            stat = read_stat(child) if child not in seen else None
            seen.add(child)
            if stat is not None and stat.ppid == parent:  # not a pid reused since the list was read
                found.append(stat)
                todo.append(child)
    return found


def _children(pid: int) -> list[int]:
    """The children of pid: each of its threads keeps a list of those it started or adopted."""
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return []  # gone
    children: list[int] = []
    for task in tasks:
        try:
            with open(f"/proc/{pid}/task/{task}/children", "rb") as listing:
                children += [int(child) for child in listing.read().split()]
        except (OSError, ValueError):
            pass
    return children


@lru_cache(maxsize=1)
def _children_lists() -> bool:
    return os.path.exists(f"/proc/self/task/{os.getpid()}/children")


@dataclass(frozen=True)
class _Gate:
    leader: int
    start: int


_running: dict[int, _Gate] = {}  # the gates this process is running, by leader pid
_running_lock = threading.Lock()


class GateWatch:
    """The orphans of one running gate: registered when it starts, stopped when it ends."""

    def __init__(self, leader: int) -> None:
        started = process_start_ticks(leader)
        self.gate = _Gate(leader, started if started is not None else now_ticks())
        with _running_lock:
            _running[leader] = self.gate

    def stop_leftovers(self, rounds: int = 5) -> list[str]:
        """Stop what the gate left running and reap what exited; returns "pid N (name)" for each
        process that was still running."""
        stopped: list[str] = []
        for _ in range(rounds):  # a leftover may fork while it is being stopped
            tree = self._leftovers()
            running = [stat.pid for stat in tree if not stat.exited]
            _reap(stat.pid for stat in tree)
            if not running:
                break
            stopped += stop_processes(running)
            _reap(stat.pid for stat in self._leftovers())
        return stopped

    def close(self) -> None:
        """The gate is over: forget it (its leftovers are stopped)."""
        with _running_lock:
            _running.pop(self.gate.leader, None)

    def _leftovers(self) -> list[ProcStat]:
        """The gate's orphans adopted by this process, and every descendant of theirs."""
        me, mine = os.getpid(), os.getsid(0)
        processes = descendants(me)
        if processes is None:
            processes = all_processes()
        with _running_lock:
            others = [gate for gate in _running.values() if gate.leader != self.gate.leader]
        roots = [
            stat
            for stat in processes
            if stat.ppid == me and stat.pid != self.gate.leader and self._owns(stat, mine, others)
        ]
        return _with_descendants(roots, processes)

    def _owns(self, stat: ProcStat, mine: int, others: list[_Gate]) -> bool:
        if stat.session == self.gate.leader:
            return True
        if stat.session == mine or any(stat.session == gate.leader for gate in others):
            return False  # gatekit's own child, or another gate (its leader leads its session)
        if stat.start < self.gate.start:
            return False  # older than the gate: not of its making
        return not any(gate.start <= stat.start for gate in others)


def _with_descendants(roots: list[ProcStat], processes: list[ProcStat]) -> list[ProcStat]:
    children: dict[int, list[ProcStat]] = {}
    for stat in processes:
        children.setdefault(stat.ppid, []).append(stat)
    found, todo = [], list(roots)
    while todo:
        stat = todo.pop()
        found.append(stat)
        todo.extend(children.get(stat.pid, ()))
    return found


def _reap(pids: Iterable[int]) -> None:
    """Wait for those of pids that are this process's exited children (never for another: the
    subprocess module waits for the children it started itself)."""
    for pid in pids:
        try:
            os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            pass  # not our child (yet: its own parent still lives)
