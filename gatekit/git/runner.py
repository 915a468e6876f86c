"""How git is run: the environment it gets, its output decoded."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path

from gatekit.errors import CommandError
from gatekit.system.processes import run_captured

# Variables a hook (or an outer git) exports that pin git to *a* repository. They must not leak
# into a git call that works on another repository or worktree (pre-commit strips them too).
_REPO_LOCATING_VARS = (
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_INDEX_FILE",
    "GIT_OBJECT_DIRECTORY",
    "GIT_ALTERNATE_OBJECT_DIRECTORIES",
    "GIT_COMMON_DIR",
    "GIT_PREFIX",
    "GIT_NAMESPACE",
)


NULL_OID = "0" * 40  # SHA-1's; a SHA-256 repository's null id is 64 zeros: test with is_null_oid


def is_null_oid(oid: str) -> bool:
    """True for git's all-zero object id, whatever the repository's hash width."""
    return bool(oid) and not oid.strip("0")


def is_object_id(value: str) -> bool:
    """Is value a full object id as git writes it (lowercase hex, SHA-1 or SHA-256 wide)?"""
    return _OBJECT_ID.fullmatch(value) is not None


_OBJECT_ID = re.compile(r"[0-9a-f]{40}(?:[0-9a-f]{24})?")


class _Pins:
    """Where the user pinned git with GIT_DIR / GIT_WORK_TREE (or git did: it exports GIT_DIR to
    every hook), as absolute paths: directory -> the variables every git call run there carries.

    Started by location.pin_user_location and made exact by the first discovery there. Keyed by
    the exact directory, never "anything inside": the sandbox may live inside the user's work
    tree (~/.cache under a dotfiles work tree) and must find its own repository, as must every
    other worktree. Process-wide, like the environment it comes from.
    """

    def __init__(self) -> None:
        self.start: tuple[str, tuple[tuple[str, str], ...]] | None = None
        self.by_dir: dict[str, dict[str, str]] = {}


_PINS = _Pins()
LAYOUT_VARS = ("GIT_DIR", "GIT_WORK_TREE")  # the user's layout: honoured, pinned to its worktree


def pin_start(directory: Path | str, variables: Mapping[str, str]) -> None:
    """Start-up: git calls in directory carry variables (none: nothing is pinned anywhere).

    The same start again (a command a hook runs in-process) keeps what discovery learnt since.
    """
    start = (os.path.realpath(directory), tuple(sorted(variables.items())))
    if start == _PINS.start:
        return
    _PINS.start = start
    _PINS.by_dir = {start[0]: dict(variables)} if variables else {}


def pin(directory: Path | str, variables: Mapping[str, str]) -> None:
    """Git calls run in directory carry variables (GIT_DIR / GIT_WORK_TREE, absolute)."""
    _PINS.by_dir[os.path.realpath(directory)] = dict(variables)


def pinned_layout(cwd: Path | str | None) -> dict[str, str]:
    """The GIT_DIR / GIT_WORK_TREE a git call in cwd carries: the user's, or none."""
    if not _PINS.by_dir or cwd is None:
        return {}
    return dict(_PINS.by_dir.get(os.path.realpath(cwd), {}))


def located(cwd: Path | str | None, env: Mapping[str, str]) -> dict[str, str]:
    """env plus the user's layout for a call in cwd, unless env already names a repository."""
    layout = pinned_layout(cwd)
    if not layout or any(name in env for name in LAYOUT_VARS):
        return dict(env)
    return {**env, **layout}


# gatekit's own refs (verdict notes, snapshots, the commits a guard kept) are its bookkeeping, not
# the user's work: git writes them running no hook. Each ref update would otherwise start the
# repository's reference-transaction hook twice, which cost a verdict more than its note.
NO_HOOKS = ("-c", "core.hooksPath=/dev/null")


def without_repo_vars() -> dict[str, str]:
    """This process's environment minus the variables that pin git to one repository."""
    return {k: v for k, v in os.environ.items() if k not in _REPO_LOCATING_VARS}


def git_env(
    extra: Mapping[str, str] | None = None, *, keep_index: bool = False, cwd: Path | str | None = None
) -> dict[str, str]:
    """The environment for a git call: no inherited repository-locating variables, never a
    prompt; for a call in cwd, the layout the user pinned there (pinned_layout)."""
    env = {k: v for k, v in os.environ.items() if k not in _REPO_LOCATING_VARS}
    if extra is None or not any(name in extra for name in LAYOUT_VARS):
        env.update(pinned_layout(cwd))
    if keep_index and "GIT_INDEX_FILE" in os.environ:
        env["GIT_INDEX_FILE"] = os.environ["GIT_INDEX_FILE"]
    env["GIT_TERMINAL_PROMPT"] = "0"
    # gatekit's own git calls pass straight through a `gatekit shim` git wrapper (issue 10).
    env["GATEKIT_GUARD_INNER"] = "1"
    env.setdefault("LC_ALL", "C")
    if extra:
        env.update(extra)
    return env


def run(
    cwd: Path | str,
    *args: str,
    input: bytes | None = None,
    env: Mapping[str, str] | None = None,
    ok_codes: Sequence[int] = (0,),
) -> bytes:
    """Run `git args` in cwd and return its stdout; a failure raises CommandError (or the
    clearer error of a known cause: an old git, a shallow clone)."""
    try:
        result = run_captured(
            ("git", *args),
            cwd,
            env=located(cwd, env) if env is not None else git_env(cwd=cwd),
            input=input,
            ok_codes=ok_codes,
        )
    except CommandError as exc:
        from gatekit.git.failures import explain

        raise explain(cwd, exc) from exc
    return result.stdout


def run_rc(cwd: Path | str, *args: str, env: Mapping[str, str] | None = None) -> tuple[int, bytes]:
    """Run `git args` and return (exit code, stdout) without raising on a non-zero exit."""
    result = run_captured(
        ("git", *args), cwd, env=located(cwd, env) if env else git_env(cwd=cwd), check=False
    )
    return result.returncode, result.stdout


def zsplit(data: bytes) -> list[str]:
    """Split NUL-terminated git output into file-system strings."""
    return [os.fsdecode(part) for part in data.split(b"\0") if part]


def text(data: bytes) -> str:
    return data.decode("utf-8", "replace").strip()
