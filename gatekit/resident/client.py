"""Hand this run to the resident server, or say that it must run here.

Every hook start imports this before anything else, so it uses only what the interpreter has
loaded already (posix, sys), the C modules _socket and resource, system/bare_os.py,
system/signals.py and resident/standing.py: not `os` (collections.abc and posixpath), nor the
`socket` and `signal` modules (enum), each of which costs a hook more than the whole conversation.
"""

from __future__ import annotations

import posix
import sys

from gatekit.resident import protocol
from gatekit.system import bare_os, signals


def hand_over(argv: list[str]) -> int | None:
    """The exit code of argv run by a worker of the resident server, or None: run it here.

    None when the server is off, absent (one is started for the next run), stale or refuses; or
    when a worker stopped before it could say how the run ended (after that worker has gone, so
    the run here never overlaps it).
    """
    environ = bare_os.environ()
    if not protocol.enabled(environ):
        return None
    try:
        here = posix.getcwd()
    except OSError:
        return None  # a directory removed under us: the run here says so
    if sys.path[:1] and sys.path[0] in ("", here):
        return None  # `python -m gatekit` from a directory: its modules may come from that directory
    directory = protocol.socket_dir(environ)
    if directory is None:
        return None
    try:
        import _socket
    except ImportError:
        return None
    setup = protocol.material(environ)
    path = protocol.socket_path(directory, setup)
    sock = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM | _socket.SOCK_CLOEXEC)
    try:
        sock.connect(path)
    except OSError:
        sock.close()
        if protocol.may_start(environ) and not protocol.recently_failed(path):
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
        cwd = posix.open(".", posix.O_RDONLY | posix.O_DIRECTORY | posix.O_CLOEXEC)
        opened.append(cwd)
        fds.append(cwd)
    except OSError:
        for fd in opened:
            posix.close(fd)
        return None
    from gatekit.resident import standing

    stdout, stdin = sys.stdout, sys.stdin
    fields = {
        "material": setup,
        "pid": str(posix.getpid()),
        "ppid": str(posix.getppid()),
        "umask": str(_umask()),
        "stdout_encoding": getattr(stdout, "encoding", None) or "utf-8",
        "stdout_errors": getattr(stdout, "errors", None) or "strict",
        "stdin_encoding": getattr(stdin, "encoding", None) or "utf-8",
        "stdout_buffering": _buffering(stdout),
        "stderr_buffering": _buffering(sys.stderr),
        "ignored": ",".join(str(number) for number in signals.ignored()),
        **standing.of_this_process(),
    }
    payload = protocol.encode_request(fields, argv, dict(posix.environ))
    header = protocol.MAGIC + len(payload).to_bytes(4, "big")
    rights = b"".join(fd.to_bytes(4, sys.byteorder, signed=True) for fd in fds)
    try:
        sock.sendmsg([header], [(_socket.SOL_SOCKET, _socket.SCM_RIGHTS, rights)])
        sock.sendall(payload)
    finally:
        for fd in opened:
            posix.close(fd)
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
        posix.fstat(fd)
        return fd
    except OSError:
        null = posix.open(bare_os.DEVNULL, posix.O_RDWR | posix.O_CLOEXEC)
        opened.append(null)
        return null


def _umask() -> int:
    mask = posix.umask(0o022)
    posix.umask(mask)
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
        return line.decode("latin-1")  # ASCII replies; latin-1 needs no codec module loaded


def _wait_gone(pid: int) -> None:
    """Wait until process pid has exited (it is not our child: no wait(), poll its pidfd)."""
    try:
        fd = posix.pidfd_open(pid)
    except OSError:
        return  # already gone
    try:
        import select

        select.select([fd], [], [])
    finally:
        posix.close(fd)


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
        pid = posix.fork()
    except OSError:
        return
    if pid:
        return
    try:
        posix.setsid()
        null = posix.open(bare_os.DEVNULL, posix.O_RDWR)
        for fd in (0, 1, 2):
            posix.dup2(null, fd)
        # No descriptor of the client's but those three: a pipe end it inherited (as
        # `gatekit overlap 3>&1 | cat` passes one) would keep its reader waiting for the server to leave.
        posix.closerange(3, max(posix.sysconf("SC_OPEN_MAX"), 256))
        posix.execv(executable, argv)
    finally:
        posix._exit(127)


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
