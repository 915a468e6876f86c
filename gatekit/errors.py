"""One small exception family. Below the CLI nothing calls sys.exit: it raises these."""

from __future__ import annotations

from collections.abc import Sequence

# Exit codes (README "gatekit check", docs/architecture.md): 0 passed · 1 failed/refused · 2 usage/config · 3 internal · 130 interrupted.
EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERNAL = 3
EXIT_INTERRUPTED = 130
EXIT_READER_GONE = 141  # stdout's reader closed the pipe (128 + SIGPIPE), as a shell reports it


class GatekitError(Exception):
    """An expected failure with a one-sentence message and the exit code it maps to."""

    exit_code = EXIT_USAGE

    def __init__(self, message: str, exit_code: int | None = None) -> None:
        super().__init__(message)
        if exit_code is not None:
            self.exit_code = exit_code

    @property
    def message(self) -> str:
        return str(self.args[0])


class UsageError(GatekitError):
    """Bad arguments, bad refs, not a repository: exit 2."""


class ConfigError(GatekitError):
    """Bad configuration: names the file, the key path and what was expected. Exit 2."""

    def __init__(self, source: str, key_path: str, problem: str) -> None:
        where = f"{source}: {key_path}" if key_path else source
        super().__init__(f"{where}: {problem}")
        self.source = source
        self.key_path = key_path
        self.problem = problem


class Refused(GatekitError):
    """An action gatekit declines to take (a protected branch, a dirty target): exit 1."""

    exit_code = EXIT_FAILED


# Failures of the machine, not of the input, that a command's stderr reveals: the sentence that
# leads the message, so the user reads the cause before git's own lines.
_MACHINE_CAUSES = (
    (
        "Read-only file system",
        "the repository is on a read-only file system; gatekit needs to write its state",
    ),
    ("No space left on device", "the disk is full; free some space and run it again"),
    ("Disk quota exceeded", "the disk quota is exhausted; free some space and run it again"),
)


def machine_cause(text: str) -> str | None:
    """The one-sentence cause when text (an error message) shows a read-only or full disk."""
    return next((sentence for marker, sentence in _MACHINE_CAUSES if marker in text), None)


class CommandError(GatekitError):
    """A command gatekit ran failed: names the command, its exit code and its stderr."""

    def __init__(self, argv: Sequence[str], returncode: int, stderr: bytes | str) -> None:
        if isinstance(stderr, bytes):
            stderr = stderr.decode("utf-8", "replace")
        detail = stderr.strip()
        command = " ".join(argv)
        text = f"`{command}` failed with exit code {returncode}"
        cause = machine_cause(detail)
        if cause:
            text = f"{cause} ({text})"
        super().__init__(f"{text}: {detail}" if detail else text)
        self.argv = tuple(argv)
        self.returncode = returncode
        self.stderr = detail


def from_os_error(exc: OSError) -> GatekitError | None:
    """The clear sentence for an OSError that is the machine's state (read-only, full), or None."""
    cause = machine_cause(exc.strerror or "")
    if cause is None:
        return None
    where = f" ({exc.filename})" if exc.filename else ""
    return GatekitError(f"{cause}{where}")


class ToolMissing(GatekitError):
    """A program gatekit or a gate needs is not installed."""

    def __init__(self, program: str, why: str = "") -> None:
        extra = f" ({why})" if why else ""
        super().__init__(f"`{program}` was not found on PATH{extra}")
        self.program = program
