"""A private index file: git's staging machinery on a copy, so the user's index is never written.

Like git-revise's `Index`: the staged tree, a worktree's state commit and snapshots all run git
with GIT_INDEX_FILE pointing at a copy of a real index.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator, Sequence
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

    def stage_paths(self, paths: Sequence[str]) -> str:
        """What add_all does for exactly these paths (their content, or their deletion); the tree.

        No walk of the rest of the worktree: a snapshot after a commit stages the few dirty
        paths `git status` named, not every file again (issue 13). A path that is gone, or now
        lies beyond a symlink, leaves the index; one that is there is added, --replace letting a
        file (or a symlink) take the place of a tracked directory, as with add -A.
        """
        present = [path for path in paths if _present(self.cwd, path)]
        kept = set(present)
        gone = [path for path in paths if path not in kept]
        if gone:
            self._update_index(gone, "--force-remove")
        if present:
            self._update_index(present, "--add", "--replace")
        return self.write_tree()

    def _update_index(self, paths: Sequence[str], *options: str) -> None:
        data = b"".join(os.fsencode(path) + b"\0" for path in paths)
        run(self.cwd, "update-index", *options, "-z", "--stdin", input=data, env=self.env())


def _present(root: Path, path: str) -> bool:
    """Whether path exists in the worktree as itself (no directory on the way is a symlink)."""
    parts = path.split("/")
    for depth in range(1, len(parts)):
        if os.path.islink(os.path.join(root, *parts[:depth])):
            return False
    return os.path.lexists(os.path.join(root, path))


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
