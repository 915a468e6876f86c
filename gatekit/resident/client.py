"""Hand this run to the resident server, or say that it must run here.

Every hook start imports this before anything else, so it uses only what the interpreter has
loaded already (os, sys), the C modules _socket and resource, system/signals.py and
resident/standing.py (the `socket` and `signal` modules import enum, which costs a hook more than
the whole conversation).
"""

from __future__ import annotations

import os
import sys

from gatekit.resident import protocol
from gatekit.system import signals


def hand_over(argv: list[str]) -> int | None:
    """The exit code of argv run by a worker of the resident server, or None: run it here.

    None when the server is off, absent (one is started for the next run), stale or refuses; or
    when a worker stopped before it could say how the run ended (after that worker has gone, so
    the run here never overlaps it).
    """
    if not protocol.enabled(os.environ):
        return None
    try:
        here = os.getcwd()
    except OSError:
        return None  # a directory removed under us: the run here says so
    if sys.path[:1] and sys.path[0] in ("", here):
        return None  # `python -m gatekit` from a directory: its modules may come from that directory
    directory = protocol.socket_dir(os.environ)
    if directory is None:
        return None
    try:
        import _socket
    except ImportError:
        return None
    setup = protocol.material()
    path = protocol.socket_path(directory, setup)
    sock = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM | _socket.SOCK_CLOEXEC)
    try:
        sock.connect(path)
    except OSError:
        sock.close()
        if protocol.may_start(os.environ) and not protocol.recently_failed(path):
            _start_server(path)
        return None
    try:
        sock.settimeout(protocol.START_TIMEOUT)  # a stopped or wedged server must not hang a run
        if sock.recv(len(protocol.HELLO)) != protocol.HELLO:
            return None
        return _converse(sock, _socket, setup, argv)
    except OSError:
        return None  # the server went away, or did not answer in time, before it started a worker
    finally:
        sock.close()


def _converse(sock, _socket, setup: str, argv: list[str]) -> int | None:  # type: ignore[no-untyped-def]
    opened: list[int] = []
    try:
        fds = [_stream_fd(fd, opened) for fd in (0, 1, 2)]
        cwd = os.open(".", os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        opened.append(cwd)
        fds.append(cwd)
    except OSError:
        for fd in opened:
            os.close(fd)
        return None
    from gatekit.resident import standing

    stdout, stdin = sys.stdout, sys.stdin
    fields = {
        "material": setup,
        "pid": str(os.getpid()),
        "ppid": str(os.getppid()),
        "umask": str(_umask()),
        "stdout_encoding": getattr(stdout, "encoding", None) or "utf-8",
        "stdout_errors": getattr(stdout, "errors", None) or "strict",
        "stdin_encoding": getattr(stdin, "encoding", None) or "utf-8",
        "stdout_buffering": _buffering(stdout),
        "stderr_buffering": _buffering(sys.stderr),
        "ignored": ",".join(str(number) for number in signals.ignored()),
        **standing.of_this_process(),
    }
    payload = protocol.encode_request(fields, argv, dict(os.environb))
    header = protocol.MAGIC + len(payload).to_bytes(4, "big")
    rights = b"".join(fd.to_bytes(4, sys.byteorder, signed=True) for fd in fds)
    try:
        sock.sendmsg([header], [(_socket.SOL_SOCKET, _socket.SCM_RIGHTS, rights)])
        sock.sendall(payload)
    finally:
        for fd in opened:
            os.close(fd)
    replies = _Lines(sock)
    try:
        first = replies.next()
    except OSError:  # no answer in time: the worker it may still fork waits for a "go" that never comes
        return None
    if first is None or not first.startswith("P "):
        return None  # "R ...": stale, another setup, or busy; EOF: the server is gone
    worker = int(first[2:])
    sock.settimeout(None)  # the run itself takes as long as it takes
    sock.sendall(protocol.GO)
    signals.forward_to(worker)
    try:
        last = replies.next()
    except OSError:
        last = None
    if last is not None and last.startswith("X "):
        return int(last[2:])
    if last is not None and last.startswith("S "):
        signals.die_by(int(last[2:]))
    sys.stderr.write("gatekit: the resident server stopped during this run; running it again here\n")
    _wait_gone(worker)
    return None


def _buffering(stream: object) -> str:
    return ("l" if getattr(stream, "line_buffering", False) else "") + (
        "w" if getattr(stream, "write_through", False) else ""
    )


def _stream_fd(fd: int, opened: list[int]) -> int:
    """fd when it is open, else /dev/null (a hook may start with a closed stdin)."""
    try:
        os.fstat(fd)
        return fd
    except OSError:
        null = os.open(os.devnull, os.O_RDWR | os.O_CLOEXEC)
        opened.append(null)
        return null


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


class _Lines:
    """Reply lines from the server; None at end of stream."""

    def __init__(self, sock) -> None:  # type: ignore[no-untyped-def]
        self.sock = sock
        self.buffer = b""

    def next(self) -> str | None:
        while b"\n" not in self.buffer:
            chunk = self.sock.recv(256)
            if not chunk:
                return None
            self.buffer += chunk
        line, _, self.buffer = self.buffer.partition(b"\n")
        return line.decode("ascii", "replace")


def _wait_gone(pid: int) -> None:
    """Wait until process pid has exited (it is not our child: no wait(), poll its pidfd)."""
    try:
        fd = os.pidfd_open(pid)
    except OSError:
        return  # already gone
    try:
        import select

        select.select([fd], [], [])
    finally:
        os.close(fd)


def _start_server(path: str) -> None:
    """Start a server for this setup in the background, for the next run (best effort).

    fork and exec, not posix_spawn: glibc's posix_spawn leaves its internal signals (32 and 33)
    ignored in the program it starts, and every gate of every served run inherited that.
    """
    executable = sys.executable
    if not executable or any("\n" in entry for entry in sys.path):
        return
    argv = [executable, *_interpreter_options(), "-c", _BOOT, "\n".join(sys.path), path]
    try:
        pid = os.fork()
    except OSError:
        return
    if pid:
        return
    try:
        os.setsid()
        null = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(null, fd)
        # No descriptor of the client's but those three: a pipe end it inherited (as
        # `gatekit overlap 3>&1 | cat` passes one) would keep its reader waiting for the server to leave.
        os.closerange(3, max(os.sysconf("SC_OPEN_MAX"), 256))
        os.execv(executable, argv)
    finally:
        os._exit(127)


def _interpreter_options() -> list[str]:
    """The command-line options that shaped this interpreter (the server must be started alike)."""
    flags = sys.flags
    options = []
    for flag, option in (
        ("isolated", "-I"),
        ("no_site", "-S"),
        ("ignore_environment", "-E"),
        ("no_user_site", "-s"),
        ("dont_write_bytecode", "-B"),
        ("safe_path", "-P"),
    ):
        if getattr(flags, flag, 0) and not (
            flags.isolated and flag in ("ignore_environment", "no_user_site", "safe_path")
        ):
            options.append(option)
    options += ["-O"] * flags.optimize
    for key, value in getattr(sys, "_xoptions", {}).items():
        options += ["-X", key if value is True else f"{key}={value}"]
    for warning in sys.warnoptions:
        options += ["-W", warning]
    return options


# The server's first lines: the client's module path before any gatekit import.
_BOOT = (
    "import sys\n"
    "sys.path[:] = sys.argv[1].split('\\n')\n"
    "from gatekit.resident.server import main\n"
    "main(sys.argv[2])\n"
)
