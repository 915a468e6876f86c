"""A private index file: git's staging machinery on a copy, so the user's index is never written.

Like git-revise's `Index`: the staged tree, a worktree's state commit and snapshots all run git
with GIT_INDEX_FILE pointing at a copy of a real index.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from gatekit.git.runner import git_env, run, text


@dataclass(frozen=True)
class Index:
    """An index file of gatekit's own for the worktree at cwd."""

    cwd: Path
    file: Path

    def env(self) -> dict[str, str]:
        return git_env({"GIT_INDEX_FILE": str(self.file)})

    def git(self, *args: str) -> bytes:
        """Run `git args` in cwd against this index."""
        return run(self.cwd, *args, env=self.env())

    def write_tree(self) -> str:
        """The tree this index holds (write-tree may rewrite the file's cache-tree: ours)."""
        return text(self.git("write-tree"))

    def add_all(self) -> str:
        """Stage every tracked change and untracked, non-ignored file of the worktree; the tree."""
        self.git("add", "-A", "--", ":/")
        return self.write_tree()


@contextmanager
def temporary_index(cwd: Path | str, source: Path | None) -> Iterator[Index]:
    """A private index starting as a copy of source (empty when source is None or missing).

    The copy keeps source's mtime (copy2). git trusts an entry's cached stat data only when the
    entry is older than the index file ("racily clean" otherwise): with a fresh mtime the copy
    would trust an entry whose file was rewritten, same size, in the second the real index was
    written, and `add -A` would skip that edit.
    """
    with tempfile.TemporaryDirectory(prefix="gatekit-index-") as tmp:
        copy = Path(tmp, "index")
        if source is not None and source.exists():
            shutil.copy2(source, copy)
        yield Index(Path(cwd), copy)
