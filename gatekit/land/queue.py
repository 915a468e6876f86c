"""The land queue: one lander at a time per repository, first come first served (docs/land.md).

Two pieces under `<common-dir>/gatekit/locks/`:

- `land-queue/<time_ns>-<pid>.json`: a ticket per waiter (and for the holder, until it is done).
  Tickets sort by arrival, so a waiter's position is its index among them and can be printed.
- `land.lock`: an fcntl.flock held by the lander at the head of the queue. The kernel drops a
  flock when its process dies, however it dies (SIGKILL included), so the lock can never be
  held by a dead process; the dead holder's *ticket* stays behind, and the next waiter removes
  it and reports it ("broke the lock of dead pid N").

A ticket is only ever deleted by its owner, or by another process after it proved the owner dead
(no such pid on this host, or the pid now belongs to a process started after the ticket).
"""

from __future__ import annotations

import json
import os
import socket
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from gatekit.state_dirs import locks_dir
from gatekit.system.files import atomic_write, try_flock
from gatekit.system.processes import is_alive

QUEUE_DIR = "land-queue"
LOCK_FILE = "land.lock"
POLL_SECONDS = 0.05


@dataclass(frozen=True)
class Ticket:
    path: Path
    pid: int
    host: str
    started: float  # epoch seconds when the ticket was taken
    what: str  # what the holder is landing, for the queue display

    @property
    def name(self) -> str:
        return self.path.name


def owner_alive(ticket: Ticket) -> bool:
    """False only when the ticket's owner is provably gone."""
    if ticket.host != socket.gethostname():
        return True  # a shared git dir on another host: never break what we cannot check
    return is_alive(ticket.pid, started_by=ticket.started)


def _read_ticket(path: Path) -> Ticket | None:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        return Ticket(
            path, int(raw["pid"]), str(raw["host"]), float(raw["started"]), str(raw.get("what", ""))
        )
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError):
        # Half-written by a writer killed mid-write (we write via rename, so only by hand):
        # judge it by the pid in its name.
        try:
            pid = int(path.stem.split("-")[1])
        except (IndexError, ValueError):
            pid = 0
        return Ticket(path, pid, socket.gethostname(), 0.0, "(unreadable ticket)")


class LandQueue:
    """The queue and lock of one repository's common git dir."""

    def __init__(self, common_dir: Path) -> None:
        self.root = locks_dir(common_dir)
        self.queue_dir = self.root / QUEUE_DIR
        self.lock_path = self.root / LOCK_FILE

    def tickets(self) -> list[Ticket]:
        if not self.queue_dir.is_dir():
            return []
        found = (_read_ticket(p) for p in sorted(self.queue_dir.glob("*.json")))
        return [t for t in found if t is not None]

    def _take_ticket(self, what: str) -> Ticket:
        self.queue_dir.mkdir(parents=True, exist_ok=True)
        now = time.time()
        name = f"{time.time_ns():020d}-{os.getpid()}.json"
        host = socket.gethostname()
        record = {"pid": os.getpid(), "host": host, "started": now, "what": what}
        atomic_write(self.queue_dir / name, json.dumps(record))  # a reader never sees half a ticket
        return Ticket(self.queue_dir / name, os.getpid(), host, now, what)

    @contextmanager
    def hold(
        self, what: str, notify: Callable[[str], None], timeout: float | None = None
    ) -> Iterator[Ticket]:
        """Wait for our turn, hold the land lock for the block, then leave the queue."""
        mine = self._take_ticket(what)
        lock = None
        try:
            lock = self._wait_turn(mine, notify, timeout)
            yield mine
        finally:
            if lock is not None:
                os.close(lock)  # drops the flock
            mine.path.unlink(missing_ok=True)

    def _wait_turn(self, mine: Ticket, notify: Callable[[str], None], timeout: float | None) -> int:
        """Wait until no live ticket is ahead of ours and the land lock is free; its fd."""
        deadline = None if timeout is None else time.monotonic() + timeout
        last_shown: tuple[int, str] | None = None
        while True:
            ahead = self._live_tickets_ahead(mine, notify)
            if not ahead:
                lock = try_flock(self.lock_path)
                if lock is not None:
                    return lock
            shown = (len(ahead) + 1, ahead[0].name if ahead else "")
            if shown != last_shown:
                holder = ahead[0] if ahead else None
                detail = f"; pid {holder.pid} is landing {holder.what}" if holder else ""
                notify(f"waiting for the land queue: position {len(ahead) + 1}{detail}")
                last_shown = shown
            if deadline is not None and time.monotonic() > deadline:
                from gatekit.errors import Refused

                raise Refused(f"gave up waiting for the land queue after {timeout:g}s")
            time.sleep(POLL_SECONDS)

    def _live_tickets_ahead(self, mine: Ticket, notify: Callable[[str], None]) -> list[Ticket]:
        ahead = []
        for ticket in self.tickets():
            if ticket.name >= mine.name:
                continue
            if owner_alive(ticket):
                ahead.append(ticket)
                continue
            try:
                ticket.path.unlink()
            except FileNotFoundError:
                continue  # another waiter removed it first, and reported it
            notify(
                f"broke the land lock of dead process {ticket.pid} "
                f"(it was landing {ticket.what or 'something'} since {_clock(ticket.started)})"
            )
        return ahead


def _clock(epoch: float) -> str:
    return time.strftime("%H:%M:%S", time.localtime(epoch)) if epoch else "an unknown time"
