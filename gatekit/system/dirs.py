"""A directory only this user can enter: kept to os alone, so a hook's first lines can afford it."""

from __future__ import annotations

import os
import stat


def private_dir(path: str | os.PathLike[str]) -> bool:
    """Make path (and its parents) a directory only this user can enter; False when it exists
    and is not one (another user's, a symlink, open to others): a shared temporary directory
    must not hand a stranger our files (or our environment, to a socket someone else made)."""
    try:
        os.makedirs(os.path.dirname(os.fspath(path)) or ".", exist_ok=True)
        os.mkdir(path, 0o700)
    except FileExistsError:
        pass
    except OSError:
        return False
    try:
        info = os.lstat(path)
    except OSError:
        return False
    return stat.S_ISDIR(info.st_mode) and info.st_uid == os.getuid() and not info.st_mode & 0o077
