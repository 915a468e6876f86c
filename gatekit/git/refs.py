"""Refs, reflogs, notes and the stash: reading them, and moving refs only by compare-and-swap."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from gatekit.errors import CommandError
from gatekit.git.revisions import rev_parse
from gatekit.git.runner import git_env, run, run_rc
from gatekit.system.processes import run_captured


def update_ref(cwd: Path | str, ref: str, new: str, old: str | None, message: str) -> bool:
    """Compare-and-swap ref from old to new (old=None: must not exist).

    False only when the ref really moved (or already exists). Any other failure -- above all
    a `<ref>.lock` left by a git process that was killed -- raises CommandError with git's
    message: reporting it as "moved" would send a caller into a retry loop it cannot win.
    """
    # An empty old value means "must not exist" in every hash width (40 zeros is SHA-1's only).
    expected = old if old is not None else ""
    argv = ("git", "update-ref", "-m", message, ref, new, expected)
    result = run_captured(argv, cwd, env=git_env(cwd=cwd), check=False)
    if result.returncode == 0:
        return True
    if rev_parse(cwd, ref) != old:
        return False
    raise CommandError(argv, result.returncode, result.stderr)


def ref_lock_paths(common_dir: Path, ref: str) -> list[Path]:
    """The lock files the files backend takes to update `ref` (a branch, in common_dir).

    Besides `<ref>.lock`, git locks the HEAD of every worktree that has the branch checked out
    (HEAD's reflog is written too), so a killed update can leave `HEAD.lock` behind as well.
    """
    locks = [common_dir / (ref + ".lock")]
    linked = common_dir / "worktrees"
    admin_dirs = [common_dir, *(sorted(linked.iterdir()) if linked.is_dir() else [])]
    for admin in admin_dirs:
        try:
            head = (admin / "HEAD").read_text(encoding="utf-8", errors="replace").strip()
        except OSError:
            continue
        if head == f"ref: {ref}":
            locks.append(admin / "HEAD.lock")
    return locks


def for_each_ref(cwd: Path | str, pattern: str, fmt: str = "%(refname)%00%(objectname)") -> list[list[str]]:
    """Rows of for-each-ref output, fields split on NUL (use %00 between fields in fmt)."""
    out = run(cwd, "for-each-ref", f"--format={fmt}", pattern)
    return [line.split("\0") for line in os.fsdecode(out).splitlines() if line]


def notes_show(cwd: Path | str, notes_ref: str, obj: str) -> str | None:
    """The note attached to obj under notes_ref, or None when there is none."""
    code, out = run_rc(cwd, "notes", f"--ref={notes_ref}", "show", obj)
    return out.decode("utf-8", "replace") if code == 0 else None


def notes_write(
    cwd: Path | str, notes_ref: str, obj: str, content: str, env: Mapping[str, str] | None = None
) -> None:
    """Attach content as the note of obj under notes_ref, replacing the previous note.

    `git notes` moves the notes ref without a compare-and-swap, so callers serialise writers
    (verdicts.py holds a lock around read-modify-write).
    """
    run(
        cwd,
        "notes",
        f"--ref={notes_ref}",
        "add",
        "-f",
        "-F",
        "-",
        obj,
        input=content.encode("utf-8"),
        env=git_env(env),
    )


@dataclass(frozen=True)
class BranchInfo:
    """A local branch with its tip and upstream tracking state."""

    name: str
    commit: str
    upstream: str  # "" when the branch has none
    track: str  # "[ahead 1, behind 2]", "[gone]" or ""


def list_branches(cwd: Path | str) -> list[BranchInfo]:
    """Every local branch, with upstream and tracking, from one for-each-ref call."""
    rows = for_each_ref(
        cwd,
        "refs/heads/",
        "%(refname:lstrip=2)%00%(objectname)%00%(upstream:short)%00%(upstream:track)",
    )
    return [BranchInfo(*row) for row in rows if len(row) == 4]


def ref_dates(cwd: Path | str, pattern: str) -> list[tuple[str, int]]:
    """(refname, committer epoch) of every ref under pattern, newest first."""
    rows = for_each_ref(cwd, pattern, "%(refname)%00%(committerdate:unix)")
    dated = [(row[0], int(row[1] or 0)) for row in rows if len(row) == 2]
    return sorted(dated, key=lambda item: -item[1])


def stash_entries(cwd: Path | str) -> list[tuple[str, int, str]]:
    """(stash@{n}, epoch, subject) of every stash entry."""
    code, out = run_rc(cwd, "log", "-g", "--format=%gd%x00%ct%x00%gs", "refs/stash", "--")
    if code != 0:
        return []
    rows = [line.split("\0") for line in os.fsdecode(out).splitlines() if line]
    return [(row[0], int(row[1]), row[2]) for row in rows if len(row) == 3]


def reflog_entries_raw(cwd: Path | str, ref: str) -> bytes:
    """A reflog in file format, through git (for refs that are not files, e.g. reftable)."""
    code, out = run_rc(
        cwd, "log", "-g", "-z", "--no-abbrev", "--date=unix", "--format=%H %gd%x09%gs", ref, "--"
    )
    return out if code == 0 else b""


def update_refs(cwd: Path | str, commands: Sequence[str]) -> None:
    """Apply `git update-ref --stdin -z` commands (one transaction)."""
    if commands:
        payload = b"".join(c.encode() + b"\0" for c in commands)
        run(cwd, "update-ref", "--stdin", "-z", input=payload)


def notes_objects(cwd: Path | str, notes_ref: str) -> set[str]:
    """The objects that have a note under notes_ref (one `git notes list`)."""
    code, out = run_rc(cwd, "notes", f"--ref={notes_ref}", "list")
    if code != 0:
        return set()
    return {line.split()[1] for line in os.fsdecode(out).splitlines() if len(line.split()) == 2}


def reflog_moves(cwd: Path | str, ref: str) -> list[tuple[str, str]]:
    """(new value, message) of every entry of ref's reflog, newest first."""
    code, out = run_rc(cwd, "log", "--walk-reflogs", "-z", "--format=%H %gs", ref, "--")
    if code != 0:
        return []
    moves = []
    for record in os.fsdecode(out).split("\0"):
        commit, _, message = record.partition(" ")
        if commit:
            moves.append((commit, message))
    return moves
