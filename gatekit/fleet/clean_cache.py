"""Which worktrees were clean at a set of paths, remembered between hook runs (issue 13).

The overlap hook asks every other worktree whether the staged paths carry uncommitted work there.
With 30 worktrees that is 30 git processes per commit, and most answers do not change between
commits. An answer "clean" is kept under a key of the worktree's HEAD, its index file's stat and
the stat of each asked path there; the next run that finds the same key trusts it with a few
stat calls instead of a git process. A stat younger than FRESH_SECONDS is never trusted: the
file system clock is coarse, and a second write within one tick could leave the stat unchanged
(git's own "racy clean" rule). Only clean answers are kept: they name no object that gc could
prune. The cache is one small JSON file under the common git dir; a damaged one is ignored.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Sequence
from pathlib import Path

from gatekit.state_dirs import shared_state_dir

FRESH_SECONDS = 2.0
CACHE_NAME = "overlap-clean.json"


def _stat(path: Path, now: float) -> list[int] | None | bool:
    """[mtime_ns, size, inode, mode], None for a missing path, False when too fresh to trust."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return None
    except OSError:
        return False
    if st.st_mtime_ns > (now - FRESH_SECONDS) * 1e9 or st.st_ctime_ns > (now - FRESH_SECONDS) * 1e9:
        return False
    return [st.st_mtime_ns, st.st_size, st.st_ino, st.st_mode]


def clean_key(worktree: Path, index: Path, head: str, paths: Sequence[str]) -> str | None:
    """The key of "clean at paths" for this worktree now, or None when it cannot be trusted."""
    now = time.time()
    stats = [_stat(index, now), *(_stat(worktree / path, now) for path in paths)]
    if any(s is False for s in stats):
        return None
    return json.dumps([head, list(paths), stats], separators=(",", ":"))


class CleanCache:
    """worktree path -> the key under which it was last found clean."""

    def __init__(self, common_dir: Path) -> None:
        self._file = shared_state_dir(common_dir) / "cache" / CACHE_NAME
        try:
            loaded = json.loads(self._file.read_text("utf-8"))
        except (OSError, ValueError):
            loaded = {}
        self._entries: dict[str, str] = loaded if isinstance(loaded, dict) else {}
        self._changed = False

    def is_clean(self, worktree: Path, key: str | None) -> bool:
        return key is not None and self._entries.get(str(worktree)) == key

    def remember(self, worktree: Path, key: str | None, clean: bool) -> None:
        name = str(worktree)
        if clean and key is not None:
            if self._entries.get(name) != key:
                self._entries[name] = key
                self._changed = True
        elif name in self._entries:
            del self._entries[name]
            self._changed = True

    def save(self) -> None:
        """Write the cache if it changed (atomically; a failure only costs the next run time)."""
        if not self._changed:
            return
        try:
            self._file.parent.mkdir(parents=True, exist_ok=True)
            tmp = self._file.with_name(f"{self._file.name}.{os.getpid()}.tmp")
            tmp.write_text(json.dumps(self._entries), "utf-8")
            os.replace(tmp, self._file)
        except OSError:
            pass
