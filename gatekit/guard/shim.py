"""The `git` shim: a POSIX sh wrapper first on PATH that runs the guard, then the real git.

Only command lines naming a destructive subcommand (or a command-line alias) start Python; every
other git command costs one `sh` and one `exec`. The real git is found when the shim is
installed, skipping the shim's own directory and any other gatekit shim, so it never calls
itself.
"""

from __future__ import annotations

import os
import shlex
import sys
from pathlib import Path

from gatekit.errors import UsageError
from gatekit.guard.gitargv import DESTRUCTIVE_SUBCOMMANDS
from gatekit.system.files import atomic_write

MARKER = "# gatekit git shim"


def default_dir() -> Path:
    data = os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")
    return Path(data) / "gatekit" / "shim"


def find_real_git(shim_dir: Path, path: str | None = None) -> str:
    """The first git on PATH that is not a gatekit shim."""
    for entry in (path if path is not None else os.environ.get("PATH", "")).split(os.pathsep):
        if not entry or Path(entry).resolve() == shim_dir.resolve():
            continue
        candidate = Path(entry) / "git"
        if candidate.is_file() and os.access(candidate, os.X_OK) and not is_shim(candidate):
            return str(candidate)
    raise UsageError("no git found on PATH besides the gatekit shim; install git first")


def is_shim(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            return MARKER.encode() in handle.read(200)
    except OSError:
        return False


def script(real_git: str) -> str:
    """The wrapper: sh only, a `case` per argument, Python for destructive names alone."""
    names = "|".join(sorted(DESTRUCTIVE_SUBCOMMANDS))
    package_parent = str(Path(__file__).resolve().parents[2])
    python = shlex.quote(sys.executable)
    git = shlex.quote(real_git)
    return f"""#!/bin/sh
{MARKER} (issue 10): installed by `gatekit shim install`; remove with `gatekit shim uninstall`.
if [ -z "$GATEKIT_GUARD_INNER" ]; then
  for arg in "$@"; do
    case $arg in
      {names}|alias.*)
        PYTHONPATH={shlex.quote(package_parent)}${{PYTHONPATH:+:$PYTHONPATH}} \\
          exec {python} -m gatekit shim-exec {git} "$@" ;;
    esac
  done
fi
exec {git} "$@"
"""


def install(directory: Path | None = None) -> Path:
    """Write the shim into directory (default ~/.local/share/gatekit/shim); its path."""
    directory = directory or default_dir()
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / "git"
    if target.exists() and not is_shim(target):
        raise UsageError(f"{target} exists and is not a gatekit shim; choose another --dir")
    atomic_write(target, script(find_real_git(directory)), mode=0o755)
    return target


def uninstall(directory: Path | None = None) -> bool:
    target = (directory or default_dir()) / "git"
    if target.exists() and is_shim(target):
        target.unlink()
        return True
    return False


def shell_init(directory: Path | None = None) -> str:
    """Lines for `eval "$(gatekit shell-init)"`: install (refresh) the shim, put it first on PATH."""
    target = install(directory)
    folder = shlex.quote(str(target.parent))
    return (
        f'case ":$PATH:" in *:{folder}:*) ;; *) export PATH={folder}:"$PATH" ;; esac\n'
        "hash -r 2>/dev/null || true\n"
    )
