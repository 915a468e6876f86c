"""Which git processes a gatekit run started, from git's own trace2 event stream."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from testing.repo import Repo


@dataclass(frozen=True)
class GitRun:
    """The git processes of one run: those gatekit started itself, and those git started for them."""

    direct: tuple[tuple[str, ...], ...]  # argv without the leading "git", in start order
    nested: tuple[tuple[str, ...], ...]  # e.g. the `git show` that `git notes show` execs

    def commands(self) -> list[str]:
        return [" ".join(argv) for argv in self.direct]

    def named(self, name: str) -> list[tuple[str, ...]]:
        """The direct calls of one git command (options before the command name skipped)."""
        return [argv for argv in self.direct if _command(argv) == name]

    def repeated(self) -> list[str]:
        """Direct calls made more than once with exactly the same arguments."""
        seen = self.commands()
        return sorted({c for c in seen if seen.count(c) > 1})


def _command(argv: tuple[str, ...]) -> str:
    for i, arg in enumerate(argv):
        if arg == "-c":
            continue
        if i and argv[i - 1] == "-c":
            continue
        if not arg.startswith("-"):
            return arg
    return ""


def traced_gatekit(repo: Repo, trace: Path, *args: str, env: Mapping[str, str] | None = None) -> GitRun:
    """Run gatekit in repo with GIT_TRACE2_EVENT on, and return the git processes it started.

    A process gatekit starts has a session id of its own; a process git starts carries its
    parent's id before a slash, so nesting is told apart whatever git execs internally.
    """
    trace.unlink(missing_ok=True)
    result = repo.gatekit(*args, env={**(env or {}), "GIT_TRACE2_EVENT": str(trace)})
    assert result.returncode == 0, result.stdout + result.stderr
    direct: list[tuple[str, ...]] = []
    nested: list[tuple[str, ...]] = []
    for line in trace.read_text(encoding="utf-8", errors="replace").splitlines():
        event = json.loads(line)
        if event.get("event") != "start":
            continue
        argv = tuple(event["argv"][1:])
        (nested if "/" in event["sid"] else direct).append(argv)
    return GitRun(tuple(direct), tuple(nested))
