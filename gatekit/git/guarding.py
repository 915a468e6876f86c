"""The git questions the destructive-command guard asks about the repository a command acts on.

The command's own repository-locating options (`--git-dir`, `--work-tree`, GIT_DIR) are passed
through as environment, so the guard looks at exactly the worktree the command would touch.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from gatekit.errors import CommandError, ToolMissing
from gatekit.git.runner import NO_HOOKS, git_env, pin, run, run_rc, text
from gatekit.system.processes import run_captured, start_captured

if TYPE_CHECKING:
    from gatekit.git.worktrees import StatusEntry


def locate_target(cwd: str, pinned: Mapping[str, str]) -> tuple[Path, Path, Path] | None:
    """(toplevel, git dir, common dir) of the worktree a command in cwd acts on; None if none.

    pinned: GIT_DIR / GIT_WORK_TREE the command itself set (its options or its environment).
    """
    args = ("git", "rev-parse", "--path-format=absolute", "--show-toplevel", "--git-dir", "--git-common-dir")
    try:
        result = run_captured(args, cwd, env=git_env(pinned), check=False)
    except (ToolMissing, CommandError):
        return None
    lines = os.fsdecode(result.stdout).splitlines()
    if result.returncode != 0 or len(lines) != 3:
        return None
    if pinned:
        # The command's own layout (`git --git-dir=~/.dotfiles --work-tree=~ ...`): every later
        # call about that worktree -- the snapshot before it runs, the journal -- carries it.
        pin(lines[0], {"GIT_DIR": lines[1], "GIT_WORK_TREE": lines[0]})
    return Path(lines[0]), Path(lines[1]), Path(lines[2])


class PendingGuardStatus:
    """`status_under(root, pinned, [])` started in the background, so git walks the worktree while
    the guard imports the rest of what it needs.

    untracked=False skips the untracked scan (`-uno`): a command that can only discard tracked
    work needs none, and on a large worktree the scan is a third of the status.
    """

    def __init__(
        self, root: str | Path, pinned: Mapping[str, str], ignored: bool, untracked: bool = True
    ) -> None:
        self.untracked = untracked or ignored
        self._argv = ["git", *_status_args(ignored, self.untracked), "--"]
        self._proc = start_captured(self._argv, root, git_env(pinned))

    def result(self) -> tuple[list[StatusEntry], str | None]:
        out, err = self._proc.communicate()
        if self._proc.returncode != 0:
            raise CommandError(self._argv, self._proc.returncode, err)
        return _parse_status(out)

    def cancel(self) -> None:
        """Stop it and forget its output (no wait for a pipe something else may still hold)."""
        if self._proc.poll() is None:
            self._proc.kill()
        self._proc.wait()
        for stream in (self._proc.stdout, self._proc.stderr):
            if stream is not None:
                stream.close()


# Statuses started before the guard knew which command it judges (the agent hook starts one as
# soon as it has read the payload's cwd): the decision takes the one that matches, or starts its own.
_PRESTARTED: dict[tuple[str, bool, bool], PendingGuardStatus] = {}


def prestart_status(root: str, ignored: bool, untracked: bool) -> None:
    key = (root, ignored, untracked or ignored)
    if key not in _PRESTARTED:
        _PRESTARTED[key] = PendingGuardStatus(root, {}, ignored, untracked)


def pending_status(
    root: str | Path, pinned: Mapping[str, str], ignored: bool, untracked: bool
) -> PendingGuardStatus:
    """The status of root the decision needs: a prestarted one when it matches, else a new one."""
    found = None if pinned else _PRESTARTED.pop((str(root), ignored, untracked or ignored), None)
    return found or PendingGuardStatus(root, pinned, ignored, untracked)


def discard_prestarted() -> None:
    """Stop the prestarted statuses no decision took (the command acted elsewhere)."""
    while _PRESTARTED:
        _PRESTARTED.popitem()[1].cancel()


def _status_args(ignored: bool, untracked: bool = True) -> list[str]:
    args = ["--no-optional-locks", "status", "--porcelain=v2", "-z", "--branch"]
    args.append("--untracked-files=all" if untracked or ignored else "--untracked-files=no")
    return [*args, "--ignored=matching"] if ignored else args


def _parse_status(out: bytes) -> tuple[list[StatusEntry], str | None]:
    from gatekit.git.worktrees import parse_status_v2

    head = None
    for record in out.split(b"\0"):
        if not record.startswith(b"# "):
            break
        if record.startswith(b"# branch.oid ") and record[13:] != b"(initial)":
            head = record[13:].decode()
    return list(parse_status_v2(out)), head


def status_under(
    cwd: str, pinned: Mapping[str, str], pathspecs: Sequence[str], ignored: bool = False
) -> tuple[list[StatusEntry], str | None]:
    """(dirty paths matching pathspecs, HEAD's commit id); pathspecs relative to cwd."""
    out = run(cwd, *_status_args(ignored), "--", *pathspecs, env=git_env(pinned))
    return _parse_status(out)


def is_commit(cwd: str, pinned: Mapping[str, str], rev: str) -> bool:
    if rev.startswith("-"):
        return False
    code, _ = run_rc(cwd, "rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}", env=git_env(pinned))
    return code == 0


def clean_dry_run(
    cwd: str, pinned: Mapping[str, str], flags: Sequence[str], pathspecs: Sequence[str]
) -> list[str]:
    """What `git clean` with these flags would remove, as git itself lists it (paths relative to cwd).

    `git clean` has no -z: names are read with core.quotePath off and C-quoted names unquoted.
    """
    out = run(cwd, "-c", "core.quotePath=false", "clean", "-n", *flags, "--", *pathspecs, env=git_env(pinned))
    paths = []
    for line in os.fsdecode(out).split("\n"):
        if line.startswith("Would remove "):
            paths.append(unquote_c(line[len("Would remove ") :]))
    return paths


def unquote_c(name: str) -> str:
    """Undo git's C-style quoting of a path ("a\\tb", octal bytes)."""
    if not (len(name) >= 2 and name.startswith('"') and name.endswith('"')):
        return name
    raw = name[1:-1].encode("utf-8", "surrogateescape").decode("unicode_escape")
    return raw.encode("latin-1").decode("utf-8", "surrogateescape")


def ref_target(cwd: str | Path, pinned: Mapping[str, str], ref: str) -> str | None:
    code, out = run_rc(cwd, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}", env=git_env(pinned))
    return text(out) if code == 0 else None


def other_commands() -> list[str]:
    """The git-* programs on PATH git would run as subcommands (`git lfs`): git runs one before
    it looks for an alias of the same name."""
    code, out = run_rc(os.path.expanduser("~"), "--list-cmds=others")
    return os.fsdecode(out).split() if code == 0 else []


def config_value(cwd: str | Path, pinned: Mapping[str, str], key: str) -> str | None:
    """The value of one git config key as git reads it there; None when unset."""
    code, out = run_rc(cwd, "config", "--get", key, env=git_env(pinned))
    return os.fsdecode(out).rstrip("\n") if code == 0 else None


def refs_under(cwd: str | Path, pinned: Mapping[str, str], prefix: str) -> list[tuple[str, str]]:
    """(ref, commit) of every ref under prefix ("refs/heads/")."""
    fmt = "--format=%(refname)%00%(objectname)"
    code, out = run_rc(cwd, "for-each-ref", fmt, "--", prefix, env=git_env(pinned))
    rows = [line.split("\0") for line in os.fsdecode(out).splitlines() if line] if code == 0 else []
    return [(row[0], row[1]) for row in rows if len(row) == 2]


def stash_commits(cwd: str | Path, pinned: Mapping[str, str]) -> list[str]:
    """The commit ids of every stash entry, newest first."""
    code, out = run_rc(cwd, "log", "-g", "--format=%H", "refs/stash", "--", env=git_env(pinned))
    return text(out).split() if code == 0 else []


def keep_refs(cwd: str | Path, updates: Sequence[tuple[str, str]]) -> None:
    """Create refs (name, commit) in one transaction, so the commits stay reachable."""
    if updates:
        payload = b"".join(f"update {ref}\0{oid}\0\0".encode() for ref, oid in updates)
        run(cwd, *NO_HOOKS, "update-ref", "--stdin", "-z", input=payload)  # bookkeeping
