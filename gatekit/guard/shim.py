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
from collections.abc import Callable, Sequence
from pathlib import Path

from gatekit.errors import UsageError
from gatekit.guard.gitargv import DESTRUCTIVE_SUBCOMMANDS, GIT_COMMANDS
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


def script(real_git: str, others: Sequence[str] = ()) -> str:
    """The wrapper: sh only, a `case` per argument, Python for destructive names alone, and for a
    subcommand that is not one of git's own nor a git-* program on PATH (others), which may be an
    alias from git config."""
    names = "|".join(sorted(DESTRUCTIVE_SUBCOMMANDS))
    plain = {name for name in others if name and all(c.isalnum() or c in "-_." for c in name)}
    builtins = "|".join(sorted((GIT_COMMANDS | plain) - DESTRUCTIVE_SUBCOMMANDS))
    package_parent = str(Path(__file__).resolve().parents[2])
    python = shlex.quote(sys.executable)
    git = shlex.quote(real_git)
    return f"""#!/bin/sh
{MARKER} (issue 10): installed by `gatekit shim install`; remove with `gatekit shim uninstall`.
if [ -z "$GATEKIT_GUARD_INNER" ]; then
  guard=
  for arg in "$@"; do
    case $arg in
      {names}|alias.*) guard=1; break ;;
    esac
  done
  if [ -z "$guard" ]; then
    skip=
    for arg in "$@"; do
      if [ -n "$skip" ]; then skip=; continue; fi
      case $arg in
        -C|-c|--git-dir|--work-tree|--namespace|--super-prefix|--config-env) skip=1 ;;
        -*) ;;
        {builtins}) break ;;
        *) guard=1; break ;;
      esac
    done
  fi
  if [ -n "$guard" ]; then
    PYTHONPATH={shlex.quote(package_parent)}${{PYTHONPATH:+:$PYTHONPATH}} \\
      exec {python} -m gatekit shim-exec {git} "$@"
  fi
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
    from gatekit.git.guarding import other_commands

    atomic_write(target, script(find_real_git(directory), other_commands()), mode=0o755)
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


# -- `git update-ref --stdin` through the shim ---------------------------------------------------

_COMMITTING = (b"prepare", b"commit")


def relay_input(keep: Callable[[bytes], None]) -> None:
    """Put a relay between the client and git: git reads, as fd 0, exactly the bytes the client
    writes; before it passes on a `prepare` or `commit` (git's transaction protocol), or the end
    of the input (a batch: git commits then), it calls keep with the commands read since the last
    call, while no ref has moved yet. A client that waits for git's `start: ok` is never kept
    waiting: each chunk goes on as soon as it is read."""
    read_end, write_end = os.pipe()
    if os.fork() == 0:
        os.close(read_end)
        code = 0
        try:
            _relay(0, write_end, keep)
        except Exception:  # noqa: BLE001 - the relay must never leave git without its input
            code = 1
        finally:
            os._exit(code)
    os.close(write_end)
    os.dup2(read_end, 0)
    os.close(read_end)


def _relay(source: int, sink: int, keep: Callable[[bytes], None]) -> None:
    pending = b""
    while True:
        chunk = os.read(source, 65536)
        if not chunk:
            if pending:
                keep(pending)
            return
        pending += chunk
        records = pending.replace(b"\0", b"\n").split(b"\n")[:-1]  # the complete ones
        if any(record.strip() in _COMMITTING for record in records):
            keep(pending)
            pending = b""
        _write_all(sink, chunk)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]
