"""A worker: a fork of the resident server that becomes the client and runs its command.

What a fresh `gatekit` process would have from its parent, the worker takes from the request: the
standard streams (the client's own descriptors, so a terminal stays a terminal and git reads the
hook's output from the same pipe), the environment, the working directory, the umask and the
arguments. Attribution sees the client's parent as the process that started gatekit
(system/identity.py). The worker leads a process group of its own: a signal meant for one run never
reaches the server or another run. How it ends is how the client ends (server.py reports it).
"""

from __future__ import annotations

import atexit
import io
import os
import signal
import sys
import threading
import time

from gatekit.resident import standing
from gatekit.system import identity, signals

SERVED_BY_VAR = "GATEKIT_SERVED_BY"  # the server's pid, in the environment of a run it serves


def run(fds: list[int], fields: dict[str, str], argv: list[str], environ: dict[bytes, bytes]) -> int:
    """Become the client described by the request and run argv; the exit code."""
    os.setpgid(0, 0)
    ignored = [int(number) for number in fields["ignored"].split(",") if number]
    signals.ignore_only(ignored)  # what the client ignores (and only that), its gates inherit
    if signal.SIGINT not in ignored:  # Python leaves an ignored SIGINT alone at start
        signal.signal(signal.SIGINT, signal.default_int_handler)
    _adopt_streams(fds[:3], fields)
    os.fchdir(fds[3])
    os.close(fds[3])
    os.environb.clear()
    os.environb.update(environ)
    os.environ[SERVED_BY_VAR] = str(os.getppid())  # for whoever wonders how this run was started
    time.tzset()
    os.umask(int(fields["umask"]))
    standing.adopt(fields)
    identity.stand_in_for(int(fields["ppid"]))
    sys.argv = ["gatekit", *argv]

    from gatekit.__main__ import dispatch

    code = 0
    try:
        dispatch(argv)
    except SystemExit as stop:
        code = _exit_code(stop.code)
    except KeyboardInterrupt:
        # Python ends an uncaught Ctrl-C by dying of SIGINT; the client then does the same.
        _finish()
        signals.die_by(signal.SIGINT)
    except BaseException:
        import traceback

        traceback.print_exc()
        code = 1
    _finish()
    return code


def _adopt_streams(fds: list[int], fields: dict[str, str]) -> None:
    """The client's descriptors as 0, 1 and 2, and text streams over them as Python makes them."""
    for target, fd in enumerate(fds):
        if fd != target:
            os.dup2(fd, target)
            os.close(fd)
    encoding = fields["stdout_encoding"]
    sys.stdin = _text(0, "r", fields["stdin_encoding"], "strict", "")
    sys.stdout = _text(1, "w", encoding, fields["stdout_errors"], fields["stdout_buffering"])
    sys.stderr = _text(2, "w", encoding, "backslashreplace", fields["stderr_buffering"])
    # The interpreter's own copies (tracebacks at exit, code that restores the originals).
    sys.__stdin__, sys.__stdout__, sys.__stderr__ = sys.stdin, sys.stdout, sys.stderr  # type: ignore[misc]


def _text(fd: int, mode: str, encoding: str, errors: str, buffering: str) -> io.TextIOWrapper:
    """A text stream over fd buffered as the client's ("l": by line, "w": not at all)."""
    unbuffered = "w" in buffering and mode == "w"
    binary = open(fd, mode + "b", buffering=0 if unbuffered else -1, closefd=False)  # noqa: SIM115 (lives as sys.std*)
    return io.TextIOWrapper(
        binary,
        encoding=encoding,
        errors=errors,
        line_buffering="l" in buffering,
        write_through="w" in buffering,
    )


def _exit_code(code: object) -> int:
    """The exit status of SystemExit(code), as the interpreter computes it."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF
    sys.stderr.write(f"{code}\n")
    return 1


def _finish() -> None:
    """What an interpreter does at exit: join threads, run atexit handlers, flush the streams."""
    for thread in threading.enumerate():
        if thread is not threading.main_thread() and not thread.daemon:
            thread.join()
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
