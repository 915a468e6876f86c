"""Content hashes of worktree files, computed in Python the way git names blobs.

Hashing here instead of `git hash-object` keeps the clobber check to one git process. Clean
filters (autocrlf, LFS) are not applied: both sides of every comparison are hashed the same way,
so a reverted edit is still recognised; only the ids shown to users may differ from git's then.
"""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Iterable, Sequence
from pathlib import Path


def blob_id(root: Path, relpath: str, algorithm: str = "sha1") -> str | None:
    """The git blob id of the file at root/relpath now; None when it does not exist."""
    full = os.path.join(root, relpath)
    try:
        if os.path.islink(full):
            data = os.fsencode(os.readlink(full))
        else:
            with open(full, "rb") as handle:
                data = handle.read()
    except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
        return None
    import hashlib  # not at the top: the guard's hot path imports this module for claimed_by

    digest = hashlib.new(algorithm)
    digest.update(b"blob %d\0" % len(data))
    digest.update(data)
    return digest.hexdigest()


def blob_ids(root: Path, paths: Iterable[str], like: str | None = None) -> dict[str, str | None]:
    """blob_id for many paths; like is a recorded id whose length picks sha1 or sha256."""
    algorithm = "sha256" if like is not None and len(like) == 64 else "sha1"
    return {path: blob_id(root, path, algorithm) for path in paths}


def claim_matches(path: str, pattern: str) -> bool:
    """Does a claim glob cover path? A directory ("src", "src/", "src/**") claims all below it.

    fnmatch's "*" also matches "/", so "src/*.py" claims src/a/b.py too: claims err on the side
    of "yours".
    """
    base = pattern.lstrip("/")
    for suffix in ("/**", "/"):
        if base.endswith(suffix):
            base = base[: -len(suffix)]
    return fnmatch.fnmatchcase(path, base) or fnmatch.fnmatchcase(path, base + "/*")


def claimed_by(path: str, claims: Sequence[str]) -> bool:
    return any(claim_matches(path, pattern) for pattern in claims)
