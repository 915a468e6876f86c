"""Signals between a resident client, its worker and the servers, kept cheap to import.

The client imports this on every hook start, so it uses only the C modules posix and _signal (the
`signal` module imports enum).
"""

from __future__ import annotations

import posix
import sys

FORWARDED = ("SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2")


def send(pid: int, signum: int) -> bool:
    """Signal pid; False when it is gone or not ours."""
    try:
        posix.kill(pid, signum)
    except OSError:
        return False
    return True


def forward_to(pid: int) -> None:
    """From now on, a Ctrl-C (or a kill) aimed at this process reaches pid instead; a signal
    this process ignores (a script's background job ignores SIGINT) stays ignored."""
    import _signal

    def forward(signum: int, frame: object) -> None:
        send(pid, signum)

    for name in FORWARDED:
        number = getattr(_signal, name)
        if _signal.getsignal(number) != _signal.SIG_IGN:
            _signal.signal(number, forward)


def ignored() -> list[int]:
    """The signals this process ignores."""
    import _signal

    return [number for number in range(1, _signal.NSIG) if _signal.getsignal(number) == _signal.SIG_IGN]


def ignore_only(numbers: list[int]) -> None:
    """Ignore these signals and no other, as a process started ignoring them does (its children
    inherit that); a signal ignored here but not in numbers gets its default."""
    import _signal

    for number in range(1, _signal.NSIG):
        ignored_now = _signal.getsignal(number) == _signal.SIG_IGN
        if (number in numbers) == ignored_now:
            continue
        try:
            _signal.signal(number, _signal.SIG_IGN if number in numbers else _signal.SIG_DFL)
        except (OSError, ValueError):
            pass  # SIGKILL, SIGSTOP, or a number this system does not have


def die_by(signum: int) -> None:
    """End this process as killed by signum (as a process it stood in for ended)."""
    import _signal

    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError, AttributeError):
            pass
    try:
        _signal.signal(signum, _signal.SIG_DFL)
    except (OSError, ValueError):
        pass  # SIGKILL and SIGSTOP keep their default: they cannot be caught
    posix.kill(posix.getpid(), signum)
    posix._exit(128 + signum)  # a signal that does not end a process by default
