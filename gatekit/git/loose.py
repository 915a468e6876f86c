"""What a commit hook writes without a git process, in git's own formats: the commit that stands
for the staged tree, and the verdict note (`git notes add -f`).

A loose object is zlib("<type> <size>\\0<content>") at objects/<first two hex>/<the rest>, named
by the hash of that header and content (SHA-1, or SHA-256 in a repository made with it). git
writes it to a temporary file in that directory and links it into place, never over an existing
object; so does this. Only where nothing else has a say: a config that includes no other file,
shares the repository with no group (core.sharedRepository sets the files' modes), asks for no
fsync and keeps no compatibility hash; and an identity git gave (the hook's GIT_AUTHOR_*).
Everywhere else git writes them.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import zlib
from collections.abc import Mapping, Sequence
from pathlib import Path

from gatekit.git.object_reader import ObjectReader, object_reader, tree_entries

# What git exports to a commit's hooks: GIT_AUTHOR_DATE as "@<epoch> <zone>".
_GIT_DATE = re.compile(r"@(\d+) ([+-]\d{4})")
_CRUD = " .,:;<>\"\\'"  # what git strips from both ends of a name or an email


def commit_object(
    common_dir: Path, tree: str, parents: Sequence[str], message: str, environ: Mapping[str, str]
) -> str | None:
    """The id of a new commit of tree on parents with message, authored and committed as the
    commit the hook runs for; None (nothing written) where git must write it."""
    identity = _hook_identity(environ)
    algorithm = _hash_algorithm(common_dir)
    if identity is None or algorithm is None:
        return None
    lines = [f"tree {tree}", *(f"parent {parent}" for parent in parents)]
    lines += [f"author {identity}", f"committer {identity}", "", message]
    return write_object(common_dir / "objects", "commit", "\n".join(lines).encode(), algorithm)


def write_object(objects_dir: Path, kind: str, content: bytes, algorithm: str) -> str | None:
    """Write a loose object as git does; its id (None when the directory refuses it)."""
    raw = f"{kind} {len(content)}\0".encode() + content
    oid = hashlib.new(algorithm, raw).hexdigest()
    folder = objects_dir / oid[:2]
    target = folder / oid[2:]
    if target.exists():
        return oid  # objects never change: the one there is this one
    temporary = folder / f"tmp_obj_gatekit_{os.getpid()}"
    try:
        folder.mkdir(exist_ok=True)
        with open(temporary, "wb") as file:
            file.write(zlib.compress(raw))
        os.chmod(temporary, 0o444)
        with contextlib.suppress(FileExistsError):  # written meanwhile by another: the same bytes
            os.link(temporary, target)
    except OSError:
        return None
    finally:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
    return oid


def _hook_identity(environ: Mapping[str, str]) -> str | None:
    """`Name <email> <epoch> <zone>` from the GIT_AUTHOR_* git exports to commit hooks."""
    name, email = environ.get("GIT_AUTHOR_NAME"), environ.get("GIT_AUTHOR_EMAIL")
    date = _GIT_DATE.fullmatch(environ.get("GIT_AUTHOR_DATE", ""))
    if not name or not email or date is None or any(c in name + email for c in "<>\0\n"):
        return None
    if name != name.strip(_CRUD) or email != email.strip(_CRUD):
        return None  # git trims these; it writes such an identity itself
    return f"{name} <{email}> {date[1]} {date[2]}"


def _hash_algorithm(common_dir: Path) -> str | None:
    """sha1 or sha256 as the repository's config says; None when the config has more to say."""
    try:
        config = (common_dir / "config").read_bytes().lower()
    except OSError:
        return None
    # An include may say anything; shared repositories set modes; fsync settings ask for a
    # sync git would do; a compatibility hash needs its map kept: git writes it there.
    if any(word in config for word in (b"include", b"sharedrepository", b"fsync", b"compatobjectformat")):
        return None
    formats = [b"".join(line.split()) for line in config.splitlines() if b"objectformat" in line]
    if not formats:
        return "sha1"
    return (
        {b"objectformat=sha1": "sha1", b"objectformat=sha256": "sha256"}.get(formats[-1])
        if len(formats) == 1
        else None
    )


# -- a note, as `git notes add -f` writes it ------------------------------------------------------

NOTES_MESSAGE = "Notes added by 'git notes add'\n"


def write_note(
    cwd: Path | str, common_dir: Path, notes_ref: str, obj: str, content: bytes, environ: Mapping[str, str]
) -> bool:
    """Make content the note of obj under notes_ref (a full ref name) as `git notes add -f`
    would: a blob, the notes trees down to it, a notes commit on the last one, the ref moved
    (lock, compare, rename) and its reflog extended. False, with the ref unmoved, where git must
    do it: no hook identity, a config with more to say, a notes tree this does not know how to
    change, a ref that is not a plain file or moved meanwhile, its lock taken.

    Callers serialise writers (check/verdicts.py holds notes.lock), as for `git notes`.
    """
    from gatekit.git.refs import ref_in_files

    identity, algorithm = _hook_identity(environ), _hash_algorithm(common_dir)
    old = ref_in_files(common_dir, notes_ref)
    if identity is None or algorithm is None or old is None or not _logs_ref_updates(common_dir):
        return False
    objects = common_dir / "objects"
    blob = write_object(objects, "blob", content, algorithm)
    with object_reader(cwd) as reader:
        root = None
        if old:
            found = reader.read(old)
            if found is None or found[1] != "commit" or not found[2].startswith(b"tree "):
                return False
            root = found[2][5 : found[2].index(b"\n")].decode()
        tree = _with_note(reader, objects, algorithm, root, obj, blob) if blob else None
    if tree is None:
        return False
    lines = [
        f"tree {tree}",
        *([f"parent {old}"] if old else []),
        f"author {identity}",
        f"committer {identity}",
    ]
    commit = write_object(objects, "commit", ("\n".join(lines) + "\n\n" + NOTES_MESSAGE).encode(), algorithm)
    return commit is not None and _move_ref(common_dir, notes_ref, old, commit, identity)


def _with_note(
    reader: ObjectReader, objects: Path, algorithm: str, tree: str | None, obj: str, blob: str, used: int = 0
) -> str | None:
    """The notes tree `tree` (None: none yet) with obj's note set to blob, at the fanout level
    where the tree keeps obj's notes: inside the two-character directory of obj's next two hex
    digits when there is one, else here."""
    entries: list[tuple[bytes, bytes, bytes]] = []  # (mode, name, raw id)
    if tree is not None:
        found = reader.read(tree)
        if found is None or found[1] != "tree":
            return None
        entries = tree_entries(found[2], len(tree) // 2)
    name = obj[used:].encode()
    below = [e for e in entries if e[0] == b"40000" and e[1] == name[:2]]
    if below:
        if any(e[1] == name for e in entries):
            return None  # the note kept at two levels at once: git's to sort out
        inner = _with_note(reader, objects, algorithm, below[0][2].hex(), obj, blob, used + 2)
        if inner is None:
            return None
        entries = [e for e in entries if e is not below[0]] + [(b"40000", name[:2], bytes.fromhex(inner))]
    else:
        entries = [e for e in entries if e[1] != name] + [(b"100644", name, bytes.fromhex(blob))]
    # git's tree order: by name, a directory's as if it ended in "/".
    entries.sort(key=lambda e: e[1] + (b"/" if e[0] == b"40000" else b""))
    body = b"".join(mode + b" " + entry_name + b"\0" + raw for mode, entry_name, raw in entries)
    return write_object(objects, "tree", body, algorithm)


def _logs_ref_updates(common_dir: Path) -> bool:
    """Does git keep reflogs for refs/notes here (core.logAllRefUpdates, true in a repository with
    a work tree)? Anything but the plain `true` git init writes: git moves the ref itself."""
    try:
        config = (common_dir / "config").read_bytes().lower()
    except OSError:
        return False
    settings = [b"".join(line.split()) for line in config.splitlines() if b"logallrefupdates" in line]
    return settings == [b"logallrefupdates=true"]


def _move_ref(common_dir: Path, ref: str, old: str, new: str, identity: str) -> bool:
    """Move ref from old ("" for none) to new as the files backend does: `<ref>.lock` created
    exclusively, the ref compared with old under it, renamed into place; then the reflog line."""
    from gatekit.git.refs import lock_ref_file, ref_in_files

    target = common_dir / ref
    lock = lock_ref_file(common_dir, ref, new)
    if lock is None:
        return False
    try:
        if ref_in_files(common_dir, ref) != old:
            os.unlink(lock)
            return False
        os.replace(lock, target)
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(lock)
        return False
    log = common_dir / "logs" / ref
    with contextlib.suppress(OSError):
        log.parent.mkdir(parents=True, exist_ok=True)
        with open(log, "ab") as file:
            zero = "0" * len(new)
            file.write(f"{old or zero} {new} {identity}\tnotes: {NOTES_MESSAGE.rstrip()}\n".encode())
    return True
