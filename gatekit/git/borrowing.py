"""Repositories that borrow another's objects (a sandbox): create one, check a tree out in it,
and give it a copy of the lender's branches and tags.

A borrowing repository lists the lender's object directory in `objects/info/alternates`, so it
reads every object of the lender without copying one, while its refs, stash, index, config and
hooks are its own: whatever a gate's git commands do there stays there.
"""

from __future__ import annotations

import contextlib
import os
import re
from pathlib import Path

from gatekit.git.location import RepoPaths
from gatekit.git.refs import lock_ref_file
from gatekit.git.runner import git_env, is_object_id, run, run_rc
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


def checkout_tree(path: Path, tree: str, *, fresh: bool = False) -> None:
    """Make the files and index of path exactly tree (mirror_refs then points HEAD at its commit).

    `read-tree --reset -u` rewrites only the files whose content differs and removes files the
    previous subject tracked, so unchanged files keep their mtimes (incremental builds) and
    untracked build outputs stay. It compares every tracked file with the index (an lstat each),
    which is what finds the files a gate changed behind the index. `fresh` deletes those outputs first.
    """
    if fresh:
        run(path, "clean", "-ffdxq")
    run(path, "read-tree", "--reset", "-u", tree)


def mirror_refs(lender: RepoPaths, path: Path, head: str) -> None:
    """Detach the HEAD of the repository at path at commit head, give it the lender's branches,
    tags and remote-tracking refs, and drop every other ref it has (what the last gate created:
    its branches, tags, stash): one update-ref transaction, none when nothing changed.

    Both repositories' refs are read from their files, as for-each-ref would list them; git
    lists them when the files cannot say, or when the transaction they led to fails (a ref git
    would not list: a broken one, an invalid name).
    """
    detached = _detached_head(path)
    if detached is None:
        # A gate switched branches (or HEAD is not a plain file): HEAD and the branch it names
        # cannot both move in one transaction, so HEAD moves first, on its own.
        run(path, "update-ref", "--no-deref", "-m", CHECKOUT_MESSAGE, "HEAD", head)
    move_head = head if detached not in (None, head) else None
    wanted = refs_in_files(lender.common_dir, MIRRORED_REFS)
    have = refs_in_files(path / ".git", ("refs/",))
    if wanted is not None and have is not None and _write_loose_refs(path / ".git", have, wanted, move_head):
        pass  # the usual new subject: HEAD and the branch that gained the commit move, nothing goes
    elif wanted is None or have is None or _update_refs(path, _changes(have, wanted, move_head)) != 0:
        wanted = dict(_refs(lender.toplevel, *MIRRORED_REFS))
        have = dict(_refs(path))
        if _update_refs(path, _changes(have, wanted, move_head)) != 0:
            # A D/F clash (refs/heads/a vs refs/heads/a/b) in one transaction: delete, then create.
            _update_refs(path, _deletes(have))
            creates = _changes({}, wanted, head)
            run(path, "update-ref", "-m", CHECKOUT_MESSAGE, "--stdin", "-z", input=creates)
    if sum(1 for ref, oid in wanted.items() if have.get(ref) != oid) > PACK_AFTER:
        run(path, "pack-refs", "--all", "--prune")  # thousands of loose tag files slow every later read


CHECKOUT_MESSAGE = "gatekit: sandbox checkout"


def _changes(have: dict[str, str], wanted: dict[str, str], head: str | None) -> bytes:
    """update-ref -z commands that turn have into wanted, and detach HEAD at head (unless None).

    Each names the ref itself, not what it points to: a symbolic ref a gate made is replaced
    or deleted, never followed to the branch it names.
    """
    payload = bytearray()
    if head is not None:
        payload += _NO_DEREF + b"update HEAD\0" + head.encode() + b"\0\0"
    for ref in sorted(set(have) - set(wanted)):
        payload += _NO_DEREF + b"delete " + os.fsencode(ref) + b"\0\0"
    for ref, oid in sorted(wanted.items()):
        if have.get(ref) != oid:
            payload += _NO_DEREF + b"update " + os.fsencode(ref) + b"\0" + oid.encode() + b"\0\0"
    return bytes(payload)


def _deletes(refs: dict[str, str]) -> bytes:
    return b"".join(_NO_DEREF + b"delete " + os.fsencode(ref) + b"\0\0" for ref in sorted(refs))


_NO_DEREF = b"option no-deref\0"


def _update_refs(path: Path, payload: bytes) -> int:
    if not payload:
        return 0
    argv = ("git", "update-ref", "-m", CHECKOUT_MESSAGE, "--stdin", "-z")
    return run_captured(argv, path, env=git_env(cwd=path), input=payload, check=False).returncode


def _refs(cwd: Path, *patterns: str) -> list[tuple[str, str]]:
    out = run(cwd, "for-each-ref", "--format=%(objectname)%00%(refname)", *patterns)
    rows = []
    for line in os.fsdecode(out).split("\n"):
        oid, sep, ref = line.partition("\0")
        if sep:
            rows.append((ref, oid))
    return rows


def refs_in_files(refs_dir: Path, prefixes: tuple[str, ...]) -> dict[str, str] | None:
    """The refs under prefixes of the files backend at refs_dir (a common git dir), with the
    object ids for-each-ref lists for them (a symbolic ref's is its target's): from packed-refs
    and the loose files that override it. None when only git can tell: reftable, a symbolic ref
    whose target is not among them, a file in a shape git does not write."""
    if (refs_dir / "reftable").exists():
        return None
    values: dict[str, str] = {}
    try:
        packed = (refs_dir / "packed-refs").read_bytes()
    except FileNotFoundError:
        packed = b""
    except OSError:
        return None
    for line in packed.splitlines():
        if not line.startswith((b"#", b"^")):
            oid, _, name = line.partition(b" ")
            values[os.fsdecode(name)] = oid.decode("ascii", "replace")
    for prefix in dict.fromkeys(prefixes):
        for folder, _, files in os.walk(refs_dir / prefix):
            for file_name in files:
                if file_name.endswith(".lock"):
                    continue  # a lock, not a ref (the sandbox's are cleared before)
                file = Path(folder, file_name)
                try:
                    content = file.read_bytes().rstrip(b"\n").decode("ascii")
                except (OSError, ValueError):
                    return None
                values[file.relative_to(refs_dir).as_posix()] = content
    refs: dict[str, str] = {}
    for ref, value in values.items():
        if not ref.startswith(prefixes):
            continue
        for _ in range(5):  # git follows a chain of symbolic refs this deep
            if not value.startswith("ref: "):
                break
            value = values.get(value[5:], "")
        if not is_object_id(value):
            return None
        refs[ref] = value
    return refs


def _write_loose_refs(git_dir: Path, have: dict[str, str], wanted: dict[str, str], head: str | None) -> bool:
    """Make the sandbox's refs wanted (and detach its HEAD at head, unless None) as git's files
    backend would, without a git process: each changed ref's `.lock` created exclusively and
    written, then renamed over the loose file (which stands before packed-refs). On every new
    subject this is all that changes: HEAD and the branch that gained the commit.

    Only where that is all git would do: nothing to delete (a packed ref needs packed-refs
    rewritten), and every name plainly valid. The sandbox is gatekit's own and keeps no reflog
    of these moves. False, with nothing changed, when git must do it (or a lock is taken).
    """
    if set(have) - set(wanted):
        return False
    updates = {ref: oid for ref, oid in wanted.items() if have.get(ref) != oid}
    if not all(_plainly_valid(ref) for ref in updates):
        return False
    if head is not None:
        updates["HEAD"] = head
    locks: list[tuple[str, str]] = []
    for ref, oid in sorted(updates.items()):
        lock = lock_ref_file(git_dir, ref, oid)
        if lock is None:
            for taken, _ in locks:
                with contextlib.suppress(OSError):
                    os.unlink(taken)
            return False
        locks.append((lock, os.path.join(git_dir, ref)))
    try:
        for lock, target in locks:
            os.replace(lock, target)
    except OSError:
        for lock, _ in locks:
            with contextlib.suppress(OSError):
                os.unlink(lock)
        return False  # git sets what is still to set
    return True


# What every git accepts as a ref name (check-ref-format), kept narrow: anything else is git's to judge.
_PLAIN_REF = re.compile(r"refs/(?:[A-Za-z0-9_+=-][A-Za-z0-9._+=-]*/)*[A-Za-z0-9_+=-][A-Za-z0-9._+=-]*")


def _plainly_valid(ref: str) -> bool:
    return (
        _PLAIN_REF.fullmatch(ref) is not None
        and ".." not in ref
        and not ref.endswith(".")
        and not any(part.endswith(".lock") for part in ref.split("/"))
    )


def _detached_head(path: Path) -> str | None:
    """The commit a detached HEAD holds; None when HEAD names a branch (or is not a plain file)."""
    try:
        value = (path / ".git" / "HEAD").read_bytes().rstrip(b"\n").decode("ascii", "replace")
    except OSError:
        return None
    return value if is_object_id(value) else None
