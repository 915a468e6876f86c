"""`gatekit install-hooks`: plain git hooks for repositories without the pre-commit framework.

Hooks go where git looks for them (`git rev-parse --git-path hooks`): that honours
core.hooksPath and, from a linked worktree, lands in the common dir every worktree shares. A hook
that is already there is never overwritten: it is renamed to `<hook>.gatekit-chained` and the
gatekit hook runs it first. `--uninstall` renames it back, so it is restored byte for byte.
"""

from __future__ import annotations

import os
import shlex
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from gatekit import git
from gatekit.errors import Refused, UsageError
from gatekit.integrations.hook_runner import GIT_HOOKS, OPTIONAL_HOOKS
from gatekit.system.files import atomic_write

MARKER = "# gatekit-managed hook:"
CHAINED_SUFFIX = ".gatekit-chained"


@dataclass(frozen=True)
class HookChange:
    """What install or uninstall did to one hook, for the report."""

    hook: str
    path: Path
    action: str  # installed | updated | chained | removed | restored | absent | foreign


def hooks_dir(cwd: Path) -> Path:
    """The directory git runs hooks from for the repository at cwd."""
    return git.git_path(cwd, "hooks")


def render_hook(hook: str, python: str = "", path: Sequence[str] = (), every_branch: bool = False) -> str:
    """The script for one git hook; python is the interpreter baked in as a fallback ("" = none),
    path its module path (sys.path), which lets the hook start it without site (-S). every_branch:
    the reference-transaction hook starts Python for every branch move (protect's warning), not
    only for the guard's witness."""
    if hook not in GIT_HOOKS + OPTIONAL_HOOKS:
        raise UsageError(f"gatekit has no {hook!r} hook; hooks are {', '.join(GIT_HOOKS + OPTIONAL_HOOKS)}")
    template = (
        resources.files("gatekit.integrations").joinpath("hooks_data/hook.sh").read_text(encoding="utf-8")
    )
    joined = os.pathsep.join(entry for entry in path if entry and os.pathsep not in entry)
    return (
        template.replace("@HOOK@", hook)
        .replace("@PYTHON@", shlex.quote(python) if python else "''")
        .replace("@PATH@", shlex.quote(joined) if joined else "''")
        .replace("@EVERY_BRANCH@", "1" if every_branch else "")
    )


def is_gatekit_hook(path: Path) -> bool:
    """True when path is a hook this module wrote (so it may be replaced or removed)."""
    try:
        with path.open("rb") as handle:
            head = handle.read(512)
    except OSError:
        return False
    return MARKER.encode() in head


def install(
    cwd: Path, hooks: tuple[str, ...] = GIT_HOOKS, python: str | None = None, every_branch: bool = False
) -> list[HookChange]:
    """Install the gatekit hooks, chaining any existing hook; safe to run again. every_branch: see
    render_hook."""
    directory = hooks_dir(cwd)
    # This interpreter's module path is known; another one's is not (it starts with site then).
    # sys.path[0] is where this process was started from (the script dir or, with -m, the cwd).
    module_path = [entry for entry in sys.path[1:] if entry] if python is None else []
    python = sys.executable if python is None else python
    _refuse_conflicts(directory, hooks)
    directory.mkdir(parents=True, exist_ok=True)
    changes: list[HookChange] = []
    for hook in hooks:
        path = directory / hook
        chained = directory / (hook + CHAINED_SUFFIX)
        if is_gatekit_hook(path):
            action = "updated"
        elif path.exists() or path.is_symlink():
            # rename keeps the bytes, the mode and a symlink as a symlink: uninstall is exact.
            os.rename(path, chained)
            action = "chained"
        else:
            action = "installed"
        _write_executable(path, render_hook(hook, python, module_path, every_branch))
        changes.append(HookChange(hook, path, action))
    return changes


def uninstall(cwd: Path, hooks: tuple[str, ...] = GIT_HOOKS) -> list[HookChange]:
    """Remove the gatekit hooks and put back the hooks they chained."""
    directory = hooks_dir(cwd)
    changes: list[HookChange] = []
    for hook in hooks:
        path = directory / hook
        chained = directory / (hook + CHAINED_SUFFIX)
        if not (path.exists() or path.is_symlink()):
            action = "absent"
            if chained.exists() or chained.is_symlink():
                os.rename(chained, path)
                action = "restored"
        elif not is_gatekit_hook(path):
            action = "foreign"  # someone replaced our hook: theirs stays, and so does the chained one
        else:
            path.unlink()
            action = "removed"
            if chained.exists() or chained.is_symlink():
                os.rename(chained, path)
                action = "restored"
        changes.append(HookChange(hook, path, action))
    return changes


def _refuse_conflicts(directory: Path, hooks: tuple[str, ...]) -> None:
    """Refuse, before touching anything, when chaining would overwrite an earlier chained hook."""
    for hook in hooks:
        path = directory / hook
        chained = directory / (hook + CHAINED_SUFFIX)
        occupied = path.exists() or path.is_symlink()
        if occupied and not is_gatekit_hook(path) and (chained.exists() or chained.is_symlink()):
            raise Refused(
                f"{path} is not a gatekit hook, and {chained.name} "
                "(a hook gatekit chained earlier) is "
                "still there; move one of them away, then run install-hooks again"
            )


def _write_executable(path: Path, content: str) -> None:
    """Write a script atomically (a hook git runs mid-write must never be half a file)."""
    atomic_write(path, content, mode=0o755)


def export(directory: Path) -> list[Path]:
    """Write the hooks (no baked-in interpreter) to directory, e.g. this repository's hooks/."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for hook in GIT_HOOKS + OPTIONAL_HOOKS:
        _write_executable(directory / hook, render_hook(hook))
        written.append(directory / hook)
    return written


if __name__ == "__main__":  # regenerate hooks/: python -m gatekit.integrations.hooks_install hooks
    for written_path in export(Path(sys.argv[1] if len(sys.argv) > 1 else "hooks")):
        print(written_path)
