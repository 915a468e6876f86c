"""A commit object written by Python into the repository's own object directory, where git's
loose-object format is the whole story: one less git process in every commit hook.

A loose object is zlib("<type> <size>\\0<content>") at objects/<first two hex>/<the rest>, named
by the hash of that header and content (SHA-1, or SHA-256 in a repository made with it). git
writes it to a temporary file in that directory and links it into place, never over an existing
object; so does this. Only where nothing else has a say: a config that includes no other file
and shares the repository with no group (core.sharedRepository sets the files' modes), and an
identity git gave (the hook's GIT_AUTHOR_*). Everywhere else `git commit-tree` writes it.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import zlib
from collections.abc import Mapping, Sequence
from pathlib import Path

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
    if b"include" in config or b"sharedrepository" in config:
        return None
    formats = [b"".join(line.split()) for line in config.splitlines() if b"objectformat" in line]
    if not formats:
        return "sha1"
    return (
        {b"objectformat=sha1": "sha1", b"objectformat=sha256": "sha256"}.get(formats[-1])
        if len(formats) == 1
        else None
    )
