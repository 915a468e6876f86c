"""git failures that have a cause the user can fix, said in one sentence instead of git's text.

Asked only after a git command failed, so the fast path never pays for a version check.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from gatekit.errors import CommandError, GatekitError, UsageError
from gatekit.system.processes import run_captured

MINIMUM_GIT = (2, 38)  # merge-tree --write-tree, which every merge, land and overlap uses


def explain(cwd: Path | str | None, error: CommandError) -> GatekitError:
    """The clearest error for a failed git command: a known cause, else the command's own."""
    if error.returncode == 129 or "unknown option" in error.stderr:
        version = installed_version()
        if version is not None and version < MINIMUM_GIT:
            shown = ".".join(map(str, version))
            wanted = ".".join(map(str, MINIMUM_GIT))
            return UsageError(f"gatekit needs git {wanted} or newer; this is git {shown}")
    if "refusing to merge unrelated histories" in error.stderr and cwd is not None and is_shallow(cwd):
        return UsageError(
            "this clone is shallow, so the commits being merged share no history it holds; "
            "run `git fetch --unshallow` (in CI: fetch-depth: 0 / GIT_DEPTH: 0) and try again"
        )
    return error


def installed_version() -> tuple[int, ...] | None:
    result = run_captured(("git", "--version"), None, check=False)
    found = re.search(rb"(\d+)\.(\d+)(?:\.(\d+))?", result.stdout)
    return tuple(int(part) for part in found.groups() if part is not None) if found else None


def is_shallow(cwd: Path | str) -> bool:
    from gatekit.git.runner import git_env

    argv = ("git", "rev-parse", "--is-shallow-repository")
    result = run_captured(argv, cwd, env=git_env(cwd=cwd), check=False)
    return result.stdout.strip() == b"true"


def raise_explained(cwd: Path | str | None, argv: Sequence[str], returncode: int, stderr: bytes) -> NoReturn:
    """Raise the explained error for a failed git command."""
    raise explain(cwd, CommandError(argv, returncode, stderr))


__all__ = ["MINIMUM_GIT", "explain", "installed_version", "is_shallow", "raise_explained"]
