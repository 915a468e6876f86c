"""Repositories that borrow another's objects (a sandbox): create one, check a tree out in it,
and give it a copy of the lender's branches and tags.

A borrowing repository lists the lender's object directory in `objects/info/alternates`, so it
reads every object of the lender without copying one, while its refs, stash, index, config and
hooks are its own: whatever a gate's git commands do there stays there.
"""

from __future__ import annotations

import os
from pathlib import Path

from gatekit.git.runner import git_env, run, run_rc
from gatekit.system.processes import run_captured

# The lender's refs a gate may ask about (`git describe`, `git merge-base origin/main HEAD`).
MIRRORED_REFS = ("refs/heads/", "refs/tags/", "refs/remotes/")
PACK_AFTER = 500


def object_format(cwd: Path | str) -> str:
    """The repository's hash algorithm ("sha1" or "sha256")."""
    code, out = run_rc(cwd, "rev-parse", "--show-object-format")
    return out.decode().strip() if code == 0 and out.strip() else "sha1"


def alternates_file(path: Path) -> Path:
    return path / ".git" / "objects" / "info" / "alternates"


def borrows_from(path: Path, objects_dir: Path) -> bool:
    """Is path an intact repository (not a linked worktree) that borrows from objects_dir?"""
    try:
        listed = alternates_file(path).read_text(encoding="utf-8", errors="surrogateescape").splitlines()
    except OSError:
        return False
    return str(objects_dir) in listed and (path / ".git" / "HEAD").is_file()


def init_borrowing(path: Path, objects_dir: Path, hash_format: str) -> None:
    """Make path a new repository that reads its objects from objects_dir."""
    path.mkdir(parents=True, exist_ok=True)
    # No template: no sample hooks, and nothing a user's init.templateDir would add.
    run(path, "init", "--quiet", "--template=", f"--object-format={hash_format}")
    # Automatic gc would only repack the sandbox's few objects, in the middle of a gate.
    run(path, "config", "gc.auto", "0")
    alternates = alternates_file(path)
    alternates.parent.mkdir(parents=True, exist_ok=True)
    alternates.write_text(f"{objects_dir}\n", encoding="utf-8", errors="surrogateescape")


def checkout_detached(path: Path, tree: str, commit: str, *, fresh: bool = False) -> None:
    """Make the files and index of path exactly tree, with HEAD detached at commit.

    `read-tree --reset -u` rewrites only the files whose content differs and removes files the
    previous subject tracked, so unchanged files keep their mtimes (incremental builds) and
    untracked build outputs stay. `fresh` deletes those outputs first.
    """
    if fresh:
        run(path, "clean", "-ffdxq")
    run(path, "read-tree", "--reset", "-u", tree)
    run(path, "update-ref", "--no-deref", "-m", "gatekit: sandbox checkout", "HEAD", commit)


def mirror_refs(lender: Path, path: Path) -> None:
    """Give the repository at path the lender's branches, tags and remote-tracking refs; drop
    every other ref it has (what the last gate created: its branches, tags, stash)."""
    wanted = dict(_refs(lender, *MIRRORED_REFS))
    have = dict(_refs(path))
    payload = bytearray()
    for ref in sorted(set(have) - set(wanted)):
        payload += b"delete " + os.fsencode(ref) + b"\0\0"
    for ref, oid in sorted(wanted.items()):
        if have.get(ref) != oid:
            payload += b"update " + os.fsencode(ref) + b"\0" + oid.encode() + b"\0\0"
    if not payload:
        return
    code = _update_refs(path, bytes(payload))
    if code != 0:
        # A D/F clash (refs/heads/a vs refs/heads/a/b) in one transaction: delete, then create.
        _update_refs(path, b"".join(b"delete " + os.fsencode(r) + b"\0\0" for r in sorted(have)))
        run(path, "update-ref", "--stdin", "-z", input=bytes(_creates(wanted)))
    if payload.count(b"update ") > PACK_AFTER:
        run(path, "pack-refs", "--all", "--prune")  # thousands of loose tag files slow every later read


def _creates(refs: dict[str, str]) -> bytes:
    return b"".join(
        b"update " + os.fsencode(r) + b"\0" + o.encode() + b"\0\0" for r, o in sorted(refs.items())
    )


def _update_refs(path: Path, payload: bytes) -> int:
    argv = ("git", "update-ref", "--stdin", "-z")
    return run_captured(argv, path, env=git_env(cwd=path), input=payload, check=False).returncode


def _refs(cwd: Path, *patterns: str) -> list[tuple[str, str]]:
    out = run(cwd, "for-each-ref", "--format=%(objectname)%00%(refname)", *patterns)
    rows = []
    for line in os.fsdecode(out).split("\n"):
        oid, sep, ref = line.partition("\0")
        if sep:
            rows.append((ref, oid))
    return rows
