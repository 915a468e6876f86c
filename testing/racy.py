"""Edits git's stat cache cannot see: same size, same second as the index write.

git trusts an index entry whose cached stat data (mtime to the second, size, inode...) matches
the file, unless the entry is "racily clean": its mtime is not older than the index file's own
mtime, so the file may have changed after git looked. A private index copied with a fresh mtime
loses that rule, and an edit made in the index's second that keeps the size is skipped.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from testing.repo import Repo


def _set_mtime(path: Path, second: int, fraction_ns: int) -> None:
    os.utime(path, ns=(second * 10**9, second * 10**9 + fraction_ns))


def stage_then_edit_in_the_same_second(repo: Repo, files: int, round_: int) -> dict[str, str]:
    """Stage `files` files, then rewrite each with new content of the same size in the second
    of the index write; returns {path: the content now in the worktree}.

    The second is pinned with utime (the file, then the index, 0.1 s, 0.5 s and 0.9 s into one
    past second) so the race is hit every time, not once in a while; whoever reads the index
    later reads it in a later second, as a snapshot taken some time after the edit does.
    """
    second = int(time.time()) - 100 - round_
    names = [f"racy/f{i:04d}.txt" for i in range(files)]
    for name in names:
        _set_mtime(repo.write(name, f"staged {round_:03d} {name}\n"), second, 100_000_000)
    repo.git("add", "--", "racy")
    edited = {name: f"edited {round_:03d} {name}\n" for name in names}
    for name, content in edited.items():
        _set_mtime(repo.write(name, content), second, 500_000_000)
    index = Path(repo.git("rev-parse", "--path-format=absolute", "--git-path", "index").strip())
    _set_mtime(index, second, 900_000_000)
    return edited


def saved_contents(repo: Repo, commit: str, folder: str = "racy") -> dict[str, str]:
    """{path: content} of every file under folder in commit, read with one cat-file process."""
    listing = repo.git("ls-tree", "-r", "-z", commit, "--", folder).split("\0")
    entries = [line.split("\t", 1) for line in listing if line]
    batch = "".join(f"{meta.split()[2]}\n" for meta, _ in entries).encode()
    out = repo.git("cat-file", "--batch", input=batch).encode()
    contents: dict[str, str] = {}
    pos = 0
    for _, path in entries:
        header_end = out.index(b"\n", pos)
        size = int(out[pos:header_end].split()[2])
        contents[path] = out[header_end + 1 : header_end + 1 + size].decode()
        pos = header_end + 1 + size + 1
    return contents


def missed_edits(edited: dict[str, str], saved: dict[str, str]) -> list[str]:
    """The edited paths whose saved content is not the edited one."""
    return [path for path, content in edited.items() if saved.get(path) != content]
