"""Where am I: the repository, git directory and common directory of a path."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from gatekit.errors import CommandError, ToolMissing, UsageError
from gatekit.git.memo import remember
from gatekit.git.runner import LAYOUT_VARS, git_env, pin, pin_start, pinned_layout, run
from gatekit.system.processes import run_captured


@dataclass(frozen=True)
class RepoPaths:
    """The three directories every command needs, resolved with one git call."""

    toplevel: Path
    git_dir: Path
    common_dir: Path


def pin_user_location(cwd: Path | str, environ: Mapping[str, str] | None = None) -> None:
    """Start-up: honour the GIT_DIR / GIT_WORK_TREE the user set (git sets them for its hooks).

    They name the repository and work tree of every git call gatekit makes about the user's
    worktree, made absolute against cwd as git reads them; the first locate(cwd) resolves them
    (git's own rules: a GIT_WORK_TREE without GIT_DIR, a GIT_DIR without GIT_WORK_TREE) and
    extends the pin to the work tree's root. Calls anywhere else -- the sandbox, other worktrees,
    temporary repositories -- never carry them.
    """
    environ = os.environ if environ is None else environ
    base = os.path.abspath(cwd)
    pin_start(base, {name: os.path.join(base, environ[name]) for name in LAYOUT_VARS if environ.get(name)})


@remember  # a hook tells it what its own discovery found
def get_repo_paths(cwd: Path | str = ".") -> RepoPaths:
    """Resolve the worktree root, its git dir and the common git dir, or explain why not."""
    return RepoPaths(*locate(cwd))


def locate(cwd: Path | str, git_paths: Sequence[str] = ()) -> list[Path]:
    """[toplevel, git dir, common dir, *per-worktree git paths] from one `git rev-parse`.

    Anything but a worktree of a repository becomes one clear UsageError (exit 2).
    """
    cwd = Path(cwd)
    if not cwd.is_dir():
        raise UsageError(f"{cwd} is not a directory")
    from_files = _located_from_files(cwd, git_paths)
    if from_files is not None:
        return from_files
    args = ["rev-parse", "--path-format=absolute", "--show-toplevel", "--git-dir", "--git-common-dir"]
    for name in git_paths:
        args += ["--git-path", name]
    layout = pinned_layout(cwd)
    try:
        out = run_captured(("git", *args), cwd, env=git_env(cwd=cwd)).stdout
    except ToolMissing as exc:
        raise UsageError("git was not found on PATH. Is it installed?") from exc
    except CommandError as exc:
        raise _not_located(cwd, layout, exc.stderr) from exc
    lines = [Path(line) for line in os.fsdecode(out).splitlines()]
    if len(lines) != 3 + len(git_paths) and b"\n" in out.rstrip(b"\n"):
        # A path holding a newline splits into extra lines, and rev-parse has no -z: ask for
        # each path on its own (only such repositories pay for the extra calls).
        lines = [_one_path(cwd, arg) for arg in _path_questions(git_paths)]
    if len(lines) != 3 + len(git_paths):
        raise UsageError(f"{cwd.resolve()} is not inside a git working tree")
    if layout:
        _pin_resolved(cwd, lines[0], lines[1])
    return lines


# git-path names that land in the git directory under their own name, whatever the config or the
# environment says (unlike hooks, objects or info/grafts); the index's own variable is never passed on.
_PLAIN_GIT_PATHS = ("logs/", "refs/", "index", "packed-refs", "gatekit")


def _located_from_files(cwd: Path, git_paths: Sequence[str]) -> list[Path] | None:
    """What locate's `git rev-parse` answers, read from the files where nothing but the files
    decides it; None (git answers) anywhere else.

    That is the root of an ordinary repository: cwd holds a `.git` directory (not a file, not a
    symlink) owned, like cwd, by this user (git's safe.directory check passes untold), whose
    config names no work tree, no include, no extension and `bare = false`, with no GIT_DIR, no
    GIT_WORK_TREE and no command-line configuration in play. Every hook of a main worktree runs
    there (git starts hooks at the root), and saves a git process.
    """
    if pinned_layout(cwd) or any(name in os.environ for name in _CONFIG_VARS):
        return None
    if not all(name.startswith(_PLAIN_GIT_PATHS) for name in git_paths):
        return None
    root = os.path.realpath(cwd)
    git_dir = os.path.join(root, ".git")
    try:
        if os.path.realpath(git_dir) != git_dir or os.path.lexists(os.path.join(git_dir, "commondir")):
            return None
        uid = os.geteuid()
        if os.stat(git_dir).st_uid != uid or os.stat(root).st_uid != uid:
            return None
        with open(os.path.join(git_dir, "config"), "rb") as file:
            config = file.read().lower()
    except OSError:
        return None
    if not _plain_config(config) or not os.path.isfile(os.path.join(git_dir, "HEAD")):
        return None
    located = [Path(root), Path(git_dir), Path(git_dir)]
    return located + [Path(git_dir, name) for name in git_paths]


_CONFIG_VARS = ("GIT_CONFIG_PARAMETERS", "GIT_CONFIG_COUNT")


def _plain_config(config: bytes) -> bool:
    """A repository config that leaves discovery alone: `bare = false`, and no worktree, include
    or extensions anywhere in it (where they could be, git reads them)."""
    if any(word in config for word in (b"worktree", b"include", b"extensions")):
        return False
    settings = [b"".join(line.split()) for line in config.splitlines() if line.strip().startswith(b"bare")]
    return settings == [b"bare=false"]  # a bare `bare` line means true


def _pin_resolved(cwd: Path, toplevel: Path, git_dir: Path) -> None:
    """The user's layout, resolved: git calls in cwd and in the work tree's root name both."""
    if not toplevel.is_dir():  # git accepts a GIT_WORK_TREE that does not exist, then fails
        raise UsageError(f"GIT_WORK_TREE names {toplevel}, which is not a directory")
    resolved = {"GIT_DIR": str(git_dir), "GIT_WORK_TREE": str(toplevel)}
    pin(cwd, resolved)
    pin(toplevel, resolved)


def _not_located(cwd: Path, layout: Mapping[str, str], said: str) -> UsageError:
    """Why discovery failed, naming the variable the user set when one is to blame."""
    git_dir = layout.get("GIT_DIR")
    if git_dir and "not a git repository" in said:
        return UsageError(f"GIT_DIR names {git_dir}, which is not a git repository")
    if git_dir and "must be run in a work tree" in said:
        return UsageError(
            f"GIT_DIR names {git_dir}, a repository without a working tree: "
            "set GIT_WORK_TREE (or git --work-tree) to the directory it tracks"
        )
    named = f" with GIT_WORK_TREE={layout['GIT_WORK_TREE']}" if "GIT_WORK_TREE" in layout else ""
    return UsageError(
        f"{cwd.resolve()} is not inside a git repository with a working tree{named} "
        f"(git said: {said or 'nothing'})"
    )


def _path_questions(git_paths: Sequence[str]) -> list[tuple[str, ...]]:
    questions: list[tuple[str, ...]] = [("--show-toplevel",), ("--git-dir",), ("--git-common-dir",)]
    return questions + [("--git-path", name) for name in git_paths]


def _one_path(cwd: Path, question: tuple[str, ...]) -> Path:
    out = run_captured(
        ("git", "rev-parse", "--path-format=absolute", *question), cwd, env=git_env(cwd=cwd)
    ).stdout
    return Path(os.fsdecode(out[:-1] if out.endswith(b"\n") else out))


@remember
def git_path(cwd: Path | str, name: str) -> Path:
    """The per-worktree location of a git-dir file (e.g. logs/HEAD, index.lock)."""
    out = run(cwd, "rev-parse", "--path-format=absolute", "--git-path", name)
    return Path(os.fsdecode(out).rstrip("\n"))


@dataclass(frozen=True)
class GuardPaths:
    """Everything the clobber check needs to locate, from one `git rev-parse` call."""

    repo: RepoPaths
    head_log: Path  # per-worktree reflog of HEAD
    stash_log: Path  # shared reflog of refs/stash
    index_lock: Path
    index: Path


def guard_paths(cwd: Path | str = ".") -> GuardPaths:
    """Resolve worktree, git dirs and the per-worktree reflog and lock paths in one git call."""
    lines = locate(cwd, ("logs/HEAD", "logs/refs/stash", "index.lock", "index"))
    return GuardPaths(RepoPaths(*lines[:3]), *lines[3:])


def has_commit_graph(common_dir: Path) -> bool:
    """Whether the repository has a commit-graph file (history walks read it instead of objects)."""
    info = common_dir / "objects" / "info"
    return (info / "commit-graph").is_file() or (info / "commit-graphs").is_dir()
