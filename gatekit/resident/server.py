"""The resident server: import gatekit once, then fork a worker for every run a client hands over.

A worker is a fork of a server that has imported everything and run nothing, so each run starts from
the same clean state a fresh interpreter would reach after its imports, without paying for them.
The server itself only accepts, forks, reaps and reports; it exits when idle, when another server
has taken its socket, or when a module it loaded has changed on disk (the next client starts a fresh
one). One server at a time holds a socket's lock file, so racing clients start at most one.
"""

from __future__ import annotations

import gc
import importlib
import os
import select
import selectors
import signal
import socket
import sys
import time
from pathlib import Path

from gatekit.resident import protocol, standing
from gatekit.system import signals
from gatekit.system.files import try_flock

# What the hooks and the served commands import: loaded once here, never again in a worker. A
# module missing from this list still works (the worker imports it), only slower.
WARM_MODULES = (
    "gatekit.integrations.hook_entry",
    "gatekit.land.protect",
    "gatekit.guard.clobber_entry",
    "gatekit.guard.render",
    "gatekit.guard.witness",
    "gatekit.guard.snapshots",
    "gatekit.guard.journal_signals",
    "gatekit.fleet.overlap",
    "gatekit.fleet.render",
    "gatekit.check.service",
    "gatekit.check.verdicts",
    "gatekit.report.text",
    "gatekit.git.objects",
    "gatekit.git.borrowing",
    "gatekit.git.diffs",
    "gatekit.git.refs",
    "gatekit.git.worktrees",
    "gatekit.git.carry",
    "gatekit.git.loose",
    "gatekit.git.object_reader",
    "gatekit.integrations.commit_word",
    "encodings.ascii",  # what a .decode("ascii") loads on first use
    "gatekit.exits",
    "gatekit.resident.worker",
    "ctypes",  # the reaper's prctl
    "json",
    "subprocess",
    "traceback",
)
# The click CLI, for servers of a full (site-enabled) interpreter: `gatekit check` and friends.
WARM_CLI_MODULES = ("gatekit.cli", "gatekit.commands.check", "gatekit.commands.fleet", "gatekit.report.files")
# Seconds a worker whose client went away has to stop after the hang-up (a check stops its gates
# within STOP_GRACE_SECONDS) before it is killed, as its client was.
ABANDONED_GRACE = 10.0


def main(path: str) -> None:
    """Serve the socket at path until idle; exits quietly when another server holds it."""
    lock = try_flock(Path(path + ".lock"), holder_note=True)  # names the server for `resident status`
    if lock is None:
        return
    os.chdir("/")  # never keep a worktree busy (or a removed one alive): workers take the client's
    try:
        os.close(os.pidfd_open(os.getpid()))  # how workers are waited for (Linux 5.3)
        setup = protocol.material(dict(os.environ))
        for name in WARM_MODULES + (() if sys.flags.no_site else WARM_CLI_MODULES):
            try:
                importlib.import_module(name)
            except ImportError:  # an optional part (an extra) that is not installed: its users import it
                pass
        from gatekit.config import warm_type_hints

        warm_type_hints()
        loaded = _loaded_files()
        gc.collect()
        gc.freeze()  # a worker's garbage collections never touch (and copy) the server's objects
        server = Server(path, setup, loaded, lock)
        server.listen()
    except Exception as problem:  # noqa: BLE001 (whatever it is, clients must stop starting servers)
        protocol.mark_failed(path, repr(problem))
        return
    server.serve()


class Server:
    def __init__(self, path: str, setup: str, loaded: dict[str, int], lock: int) -> None:
        self.path = path
        self.lock = lock
        self.setup = setup
        self.loaded = loaded
        self.idle = _idle_seconds()
        self.selector = selectors.DefaultSelector()
        self.listener: socket.socket | None = None
        self.wakeup = -1
        self.workers: dict[int, tuple[int, socket.socket]] = {}  # pidfd -> (pid, client)
        # The clients of running workers, watched for their end of the socket closing alone (a
        # client killed outright): what a client sends, the worker reads.
        self.hangups = select.epoll()
        self.abandoned: dict[int, float] = {}  # pid of a worker hung up on -> when it is killed
        self.last_activity = time.monotonic()

    def listen(self) -> None:
        try:
            os.unlink(self.path)
        except FileNotFoundError:
            pass
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        listener.bind(self.path)
        os.chmod(self.path, 0o600)
        listener.listen(64)
        self.listener = listener
        self.inode = os.stat(self.path).st_ino
        self.selector.register(listener, selectors.EVENT_READ)

    def serve(self) -> None:
        # A signal wakes the loop through this pipe: select() itself resumes after a handler.
        self.wakeup, wakeup_write = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
        os.set_blocking(wakeup_write, False)
        signal.set_wakeup_fd(wakeup_write)
        self.selector.register(self.wakeup, selectors.EVENT_READ)
        self.selector.register(self.hangups.fileno(), selectors.EVENT_READ)
        signal.signal(signal.SIGTERM, lambda signum, frame: self.stop_listening())
        signal.signal(signal.SIGHUP, signal.SIG_IGN)
        while self.listener is not None or self.workers:
            for key, _ in self.selector.select(timeout=self.wait_at_most()):
                if key.fileobj is self.listener:
                    self.accept()
                elif key.fd == self.wakeup:
                    os.read(self.wakeup, 512)
                elif key.fd == self.hangups.fileno():
                    self.hang_up()
                else:
                    self.reap(key.fd)
            self.kill_abandoned()
            if self.listener is not None and not self.workers and self.expired():
                self.stop_listening()

    def expired(self) -> bool:
        """Idle too long, or the socket is no longer ours (removed, or another server's)."""
        try:
            ours = os.stat(self.path).st_ino == self.inode
        except OSError:
            ours = False
        return not ours or time.monotonic() - self.last_activity > self.idle

    def stop_listening(self) -> None:
        """Take no more runs; the running ones still get their ending reported."""
        if self.listener is None:
            return
        self.selector.unregister(self.listener)
        self.listener.close()
        self.listener = None
        try:
            if os.stat(self.path).st_ino == self.inode:
                os.unlink(self.path)
        except OSError:
            pass

    def accept(self) -> None:
        assert self.listener is not None
        try:
            client, _ = self.listener.accept()
        except OSError:
            return
        self.last_activity = time.monotonic()
        fds: list[int] = []
        try:
            client.settimeout(2.0)  # a client sends its request at once: never wait on a stuck one
            if not _same_user(client):
                client.close()
                return
            client.sendall(protocol.HELLO)
            fds, payload = _receive(client)
            fields, argv, environ = protocol.decode_request(payload)
            refusal = self.refusal(fields)
            if refusal:
                client.sendall(f"R {refusal}\n".encode())
                client.close()
                if refusal != "busy":
                    self.stop_listening()  # of no use to this socket's clients: make way for a fresh one
                return
            client.settimeout(None)
            pid = os.fork()
            if pid == 0:
                self.become_worker(client, fds, fields, argv, environ)
            pidfd = os.pidfd_open(pid)  # registered first: a worker is always reaped
            self.workers[pidfd] = (pid, client)
            self.selector.register(pidfd, selectors.EVENT_READ)
            self.hangups.register(client.fileno(), select.EPOLLRDHUP)
            client.sendall(f"P {pid}\n".encode())  # a client gone now: its worker sees no go and ends
        except Exception as problem:  # noqa: BLE001 (one bad request never takes the server down)
            self.log(f"a request failed: {problem!r}")
            if not any(other is client for _, other in self.workers.values()):
                client.close()
        finally:
            for fd in fds:
                os.close(fd)

    def hang_up(self) -> None:
        """A client went away during its run (killed outright: SIGKILL cannot be forwarded). Its
        worker gets the hang-up a terminal's end sends, and stops as on Ctrl-C (a check stops
        its gates) instead of running on for nobody, holding the client's output pipes open. A
        worker still there after ABANDONED_GRACE (its client ignored hang-ups: `nohup`) is
        killed, as its client was."""
        for fd, _ in self.hangups.poll(0):
            self.hangups.unregister(fd)
            for pid, client in self.workers.values():
                if client.fileno() == fd:
                    self.log(f"the client of worker {pid} went away: hung up on it")
                    signals.send(pid, signal.SIGHUP)
                    self.abandoned[pid] = time.monotonic() + ABANDONED_GRACE

    def kill_abandoned(self) -> None:
        now = time.monotonic()
        for pid, deadline in list(self.abandoned.items()):
            if deadline <= now:
                del self.abandoned[pid]
                signals.send(pid, signal.SIGKILL)

    def wait_at_most(self) -> float:
        """Seconds the loop may sleep: until the idle check, or the next abandoned worker's end."""
        deadlines = [deadline - time.monotonic() for deadline in self.abandoned.values()]
        return max(0.0, min([self.idle, 30.0, *deadlines]))

    def log(self, line: str) -> None:
        """One line in the server's log beside its socket (started afresh past 64 KiB)."""
        log = self.path + ".log"
        try:
            full = os.path.getsize(log) > 1 << 16
        except OSError:
            full = False
        try:
            with open(log, "w" if full else "a", encoding="utf-8") as handle:
                handle.write(f"{time.strftime('%Y-%m-%d %H:%M:%S')} pid {os.getpid()}: {line}\n")
        except OSError:
            pass

    def refusal(self, fields: dict[str, str]) -> str:
        if fields["material"] != self.setup:
            return "another interpreter setup"
        unreachable = standing.unreachable(fields)
        if unreachable:
            return unreachable
        if self.listener is None:
            return "busy"
        for name, mtime in self.loaded.items():
            try:
                if os.stat(name).st_mtime_ns != mtime:
                    return "gatekit changed on disk"
            except OSError:
                return "gatekit changed on disk"
        return ""

    def become_worker(
        self,
        client: socket.socket,
        fds: list[int],
        fields: dict[str, str],
        argv: list[str],
        environ: dict[bytes, bytes],
    ) -> None:
        """In the forked child: drop the server's sockets and run the client's command."""
        from gatekit.resident import worker

        code = 1
        try:
            signal.set_wakeup_fd(-1)
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            signal.signal(signal.SIGHUP, signal.SIG_DFL)
            for pidfd, (_, other) in self.workers.items():
                os.close(pidfd)
                other.close()
            self.hangups.close()
            if self.listener is not None:
                self.listener.close()
            self.selector.close()
            go = client.recv(len(protocol.GO))
            client.close()
            if go != protocol.GO:
                return  # the client stopped waiting (and runs the command itself)
            os.close(self.lock)  # a worker that outlives the server must not keep its successor out
            code = worker.run(fds, fields, argv, environ)
        except BaseException as problem:  # before the command ran (its own failures are its exit code)
            self.log(f"a worker failed: {problem!r}")
        finally:
            os._exit(code)

    def reap(self, pidfd: int) -> None:
        pid, client = self.workers.pop(pidfd)
        self.abandoned.pop(pid, None)
        self.selector.unregister(pidfd)
        try:
            self.hangups.unregister(client.fileno())
        except (OSError, ValueError):
            pass  # it hung up already
        os.close(pidfd)
        _, status = os.waitpid(pid, 0)
        self.last_activity = time.monotonic()
        if os.WIFSIGNALED(status):
            reply = f"S {os.WTERMSIG(status)}\n"
        else:
            reply = f"X {os.waitstatus_to_exitcode(status)}\n"
        try:
            client.sendall(reply.encode())
        except OSError:
            pass  # the client is gone (killed): nobody to tell
        client.close()


def _loaded_files() -> dict[str, int]:
    """Every loaded module's file and its mtime: a change means this server runs old code."""
    files = {}
    for module in list(sys.modules.values()):
        name = getattr(module, "__file__", None)
        if name:
            try:
                files[name] = os.stat(name).st_mtime_ns
            except OSError:
                pass
    return files


def _idle_seconds() -> float:
    try:
        return max(0.1, float(os.environ.get(protocol.IDLE_VAR, protocol.DEFAULT_IDLE)))
    except ValueError:
        return protocol.DEFAULT_IDLE


def _same_user(client: socket.socket) -> bool:
    import struct

    credentials = client.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    _, uid, _ = struct.unpack("3i", credentials)
    return uid == os.getuid()


def _receive(client: socket.socket) -> tuple[list[int], bytes]:
    """The descriptors and the request a client sent."""
    header_size = len(protocol.MAGIC) + 4
    fd_space = socket.CMSG_SPACE(protocol.FD_COUNT * 4)
    data, ancillary, _, _ = client.recvmsg(header_size, fd_space)
    fds: list[int] = []
    for level, kind, raw in ancillary:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            usable = len(raw) - len(raw) % 4
            fds += [int.from_bytes(raw[i : i + 4], sys.byteorder, signed=True) for i in range(0, usable, 4)]
    try:
        while len(data) < header_size:
            more = client.recv(header_size - len(data))
            if not more:
                raise ValueError("a request cut short")
            data += more
        if data[: len(protocol.MAGIC)] != protocol.MAGIC or len(fds) != protocol.FD_COUNT:
            raise ValueError("not a gatekit request")
        size = int.from_bytes(data[len(protocol.MAGIC) :], "big")
        payload = _receive_exactly(client, size)
    except BaseException:
        for fd in fds:
            os.close(fd)
        raise
    return fds, payload


def _receive_exactly(client: socket.socket, size: int) -> bytes:
    chunks, left = [], size
    while left:
        chunk = client.recv(min(left, 1 << 16))
        if not chunk:
            raise ValueError("a request cut short")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)
