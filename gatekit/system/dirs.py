"""A directory only this user can enter: kept to the C module posix while the directory is
there already, so a hook's first lines can afford it (system/bare_os.py)."""

from __future__ import annotations

import posix

_DIRECTORY = 0o040000  # stat.S_IFDIR (the stat module costs a hook's start an import)
_FILE_TYPE = 0o170000  # stat.S_IFMT


def private_dir(path: str) -> bool:
    """Make path (and its parents) a directory only this user can enter; False when it exists
    and is not one (another user's, a symlink, open to others): a shared temporary directory
    must not hand a stranger our files (or our environment, to a socket someone else made)."""
    try:
        info = posix.lstat(path)
    except FileNotFoundError:
        import os

        try:
            os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
            os.mkdir(path, 0o700)
        except FileExistsError:
            pass
        except OSError:
            return False
        try:
            info = posix.lstat(path)
        except OSError:
            return False
    except OSError:
        return False
    is_dir = info.st_mode & _FILE_TYPE == _DIRECTORY
    return is_dir and info.st_uid == posix.getuid() and not info.st_mode & 0o077
