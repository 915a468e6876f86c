"""Refs, reflogs, notes and the stash: reading them, and moving refs only by compare-and-swap."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from gatekit.errors import CommandError
from gatekit.git.object_reader import ObjectReader, object_reader, tree_entries
from gatekit.git.revisions import rev_parse
from gatekit.git.runner import NO_HOOKS, git_env, is_object_id, run, run_rc
from gatekit.system.processes import run_captured


def update_ref(
    cwd: Path | str, ref: str, new: str, old: str | None, message: str, *, bookkeeping: bool = False
) -> bool:
    """Compare-and-swap ref from old to new (old=None: must not exist). A bookkeeping ref (one of
    gatekit's own) is written without the repository's hooks (runner.NO_HOOKS).

    False only when the ref really moved (or already exists). Any other failure -- above all
    a `<ref>.lock` left by a git process that was killed -- raises CommandError with git's
    message: reporting it as "moved" would send a caller into a retry loop it cannot win.
    """
    # An empty old value means "must not exist" in every hash width (40 zeros is SHA-1's only).
    expected = old if old is not None else ""
    argv = ("git", *(NO_HOOKS if bookkeeping else ()), "update-ref", "-m", message, ref, new, expected)
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


def lock_ref_file(git_dir: Path | str, ref: str, oid: str) -> str | None:
    """Take `<ref>.lock` as git's files backend does (created exclusively) and write oid into
    it; the lock's path, to be renamed over the ref or removed; None when it is taken (or the
    directory refuses it)."""
    lock = os.path.join(git_dir, ref + ".lock")
    try:
        os.makedirs(os.path.dirname(lock), exist_ok=True)
        fd = os.open(lock, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o666)
    except OSError:
        return None
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(oid.encode("ascii") + b"\n")
    except OSError:
        os.unlink(lock)
        return None
    return lock


def ref_value(cwd: Path | str, common_dir: Path, ref: str) -> str:
    """The object id a shared ref (not HEAD nor a per-worktree ref) holds now; "" when it does
    not exist. Read from the files backend's own files when they can say, else asked of git."""
    found = ref_in_files(common_dir, ref)
    return found if found is not None else (rev_parse(cwd, ref) or "")


def ref_in_files(common_dir: Path, ref: str) -> str | None:
    """ref's value from its loose file or packed-refs ("" when in neither); None when only git can
    tell (a reftable repository, a symbolic ref, a file in a shape git does not write).

    git replaces either file by renaming a new one over it, so each read sees a whole version.
    The loose file is read again after packed-refs: a ref written in between is not missed.
    """
    if (common_dir / "reftable").exists():
        return None
    loose = _loose_ref(common_dir / ref)
    if loose != "":
        return loose
    packed = _packed_ref(common_dir / "packed-refs", ref)
    again = _loose_ref(common_dir / ref)
    return packed if again == "" else again


def _loose_ref(path: Path) -> str | None:
    try:
        content = path.read_bytes()
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        return ""
    except OSError:
        return None
    value = content.rstrip(b"\n").decode("ascii", "replace")
    return value if is_object_id(value) else None


def _packed_ref(path: Path, ref: str) -> str | None:
    try:
        content = path.read_bytes()
    except FileNotFoundError:
        return ""
    except OSError:
        return None
    wanted = b" " + os.fsencode(ref)
    for line in content.splitlines():
        if line.endswith(wanted) and not line.startswith((b"#", b"^")):
            value = line[: -len(wanted)].decode("ascii", "replace")
            return value if is_object_id(value) else None
    return ""


def for_each_ref(cwd: Path | str, pattern: str, fmt: str = "%(refname)%00%(objectname)") -> list[list[str]]:
    """Rows of for-each-ref output, fields split on NUL (use %00 between fields in fmt)."""
    out = run(cwd, "for-each-ref", f"--format={fmt}", pattern)
    return [line.split("\0") for line in os.fsdecode(out).splitlines() if line]


@dataclass(frozen=True)
class NoteRead:
    """A note as read, with the notes commit it was read from ("" when the notes ref did not exist)."""

    commit: str
    content: str | None  # None: obj has no note there


def notes_read(cwd: Path | str, notes_ref: str, obj: str) -> NoteRead:
    """The note attached to obj under notes_ref, and the commit of notes_ref it is part of.

    One object reader (loose files, else `git cat-file --batch`) reads the ref's commit, then walks its tree down to obj's note
    (git spreads notes over two-character directories once there are many; each level names the
    next), so the content is exactly that commit's. Unlike `git notes show` it execs no `git show`.
    """
    with object_reader(cwd) as reader:
        ref = _full_notes_ref(notes_ref)
        # The notes ref from its file where the reader reads files: its commit is likely loose.
        known = ref_in_files(reader.common_dir, ref) if reader.common_dir is not None else None
        head = reader.read(known or ref) if known != "" else None
        if head is None:
            return NoteRead("", None)
        commit, kind, body = head
        if kind != "commit" or not body.startswith(b"tree "):
            return NoteRead(commit, None)  # not a notes ref: `git notes show` finds nothing either
        blobs = _note_blobs(reader, body[5 : body.index(b"\n")].decode(), obj.lower(), len(commit) // 2)
        notes = [found[2] for found in map(reader.read, blobs) if found is not None]
    if not notes:
        return NoteRead(commit, None)
    # Two notes for one object (odd fanouts merged): git shows them joined, as does this.
    return NoteRead(commit, b"\n".join(notes).decode("utf-8", "replace"))


def _common_dir_of_hook(cwd: Path | str, env: Mapping[str, str] | None) -> Path | None:
    """The common git dir where a note may be written without git: inside a hook run, with
    loose objects readable (object_reader.py), and no identity of gatekit's own asked for."""
    from gatekit.git.object_reader import loose_dir

    return loose_dir(cwd) if env is None else None


def _full_notes_ref(notes_ref: str) -> str:
    """What `git notes --ref=X` makes of X."""
    if notes_ref.startswith("refs/notes/"):
        return notes_ref
    return f"refs/{notes_ref}" if notes_ref.startswith("notes/") else f"refs/notes/{notes_ref}"


def _note_blobs(reader: ObjectReader, tree: str, obj: str, hash_bytes: int) -> list[str]:
    """The blobs holding obj's note in a notes tree: named by obj's hex id, whole or after as many
    two-character directories as the tree's fanout has levels."""
    blobs: list[str] = []
    pending = [(tree, 0)]
    while pending:
        oid, used = pending.pop()
        found = reader.read(oid)
        if found is None or found[1] != "tree":
            continue
        for mode, raw_name, raw_oid in tree_entries(found[2], hash_bytes):
            name, entry = os.fsdecode(raw_name).lower(), raw_oid.hex()
            if mode == b"40000" and len(name) == 2 and obj.startswith(name, used):
                pending.append((entry, used + 2))
            elif mode != b"40000" and name == obj[used:]:
                blobs.append(entry)
    return blobs


def notes_write(
    cwd: Path | str, notes_ref: str, obj: str, content: str, env: Mapping[str, str] | None = None
) -> None:
    """Attach content as the note of obj under notes_ref, replacing the previous note.

    `git notes` moves the notes ref without a compare-and-swap, so callers serialise writers
    (verdicts.py holds a lock around read-modify-write). Inside a commit hook, where the loose
    object files and the ref's file say all, Python writes it as git would (git/loose.py).
    """
    from gatekit.git.loose import write_note

    common = _common_dir_of_hook(cwd, env)
    if common is not None and write_note(
        cwd, common, _full_notes_ref(notes_ref), obj, content.encode(), os.environ
    ):
        return
    run(
        cwd,
        *NO_HOOKS,  # a note is bookkeeping
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


def update_refs(cwd: Path | str, commands: Sequence[str], *, bookkeeping: bool = False) -> None:
    """Apply `git update-ref --stdin -z` commands (one transaction); bookkeeping as update_ref."""
    if commands:
        payload = b"".join(c.encode() + b"\0" for c in commands)
        run(cwd, *(NO_HOOKS if bookkeeping else ()), "update-ref", "--stdin", "-z", input=payload)


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
