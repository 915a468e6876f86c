"""How git is run: the environment it gets, its output decoded."""

from __future__ import annotations

import os
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


def without_repo_vars() -> dict[str, str]:
    """This process's environment minus the variables that pin git to one repository."""
    return {k: v for k, v in os.environ.items() if k not in _REPO_LOCATING_VARS}


def git_env(extra: Mapping[str, str] | None = None, *, keep_index: bool = False) -> dict[str, str]:
    """The environment for a git call: no repository-locating variables, never a prompt."""
    env = {k: v for k, v in os.environ.items() if k not in _REPO_LOCATING_VARS}
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
            env=env if env is not None else git_env(),
            input=input,
            ok_codes=ok_codes,
        )
    except CommandError as exc:
        from gatekit.git.failures import explain

        raise explain(cwd, exc) from exc
    return result.stdout


def run_rc(cwd: Path | str, *args: str, env: Mapping[str, str] | None = None) -> tuple[int, bytes]:
    """Run `git args` and return (exit code, stdout) without raising on a non-zero exit."""
    result = run_captured(("git", *args), cwd, env=env or git_env(), check=False)
    return result.returncode, result.stdout


def zsplit(data: bytes) -> list[str]:
    """Split NUL-terminated git output into file-system strings."""
    return [os.fsdecode(part) for part in data.split(b"\0") if part]


def text(data: bytes) -> str:
    return data.decode("utf-8", "replace").strip()
