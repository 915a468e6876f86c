"""Where gatekit keeps its state. One place, so every module agrees on it.

Shared state (the land lock, logs) lives under the *common* git dir; state that belongs to one
worktree (its sessions, its last checkpoint) lives under that worktree's own git dir, so linked
worktrees never read each other's state by accident. Sandboxes live outside the repository
altogether, under the user's cache dir: tools that search parent directories for their
configuration (cargo, go, tsc, pnpm) must find nothing of the user's above a sandbox.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

STATE_DIR = "gatekit"
NOTES_REF = "refs/notes/gatekit"
SNAPSHOT_REF_PREFIX = "refs/gatekit/snapshots/"
KEPT_REF_PREFIX = "refs/gatekit/kept/"  # commits a guarded command dropped (branch -D, stash drop)


def shared_state_dir(common_dir: Path) -> Path:
    """gatekit's directory under the common git dir (shared by all worktrees)."""
    return common_dir / STATE_DIR


SANDBOX_DIR_VAR = "GATEKIT_SANDBOX_DIR"


def legacy_sandboxes_dir(common_dir: Path) -> Path:
    """Where sandboxes were linked worktrees before they moved out of the repository."""
    return shared_state_dir(common_dir) / "sandboxes"


def sandbox_root(configured: str | None = None) -> Path:
    """The directory that holds every repository's sandboxes: $GATEKIT_SANDBOX_DIR, else
    `[sandbox] dir`, else `$XDG_CACHE_HOME/gatekit/sandboxes` (~/.cache when unset)."""
    chosen = os.environ.get(SANDBOX_DIR_VAR) or configured
    if chosen:
        return Path(chosen).expanduser().absolute()
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache).expanduser().absolute() / STATE_DIR / "sandboxes"


def sandbox_root_chosen(configured: str | None = None) -> bool:
    """Whether the user chose the sandbox root ($GATEKIT_SANDBOX_DIR or `[sandbox] dir`)."""
    return bool(os.environ.get(SANDBOX_DIR_VAR) or configured)


def private_sandbox_root() -> Path:
    """The sandbox root when the cache dir lies inside the repository (a dotfiles work tree is
    $HOME, ~/.cache with it): this user's own directory under $TMPDIR, else /var/tmp (kept
    across reboots, unlike /tmp), else the temporary directory."""
    import tempfile

    chosen = os.environ.get("TMPDIR") or ("/var/tmp" if os.path.isdir("/var/tmp") else tempfile.gettempdir())
    base = Path(chosen)
    return base / f"gatekit-{os.getuid()}" / "sandboxes"


_NOT_IN_LABEL = re.compile(r"[^A-Za-z0-9._-]+")


def sandboxes_dir(common_dir: Path, configured: str | None = None) -> Path:
    """This repository's sandboxes: `<root>/<name>-<hash of the common git dir>`."""
    common = common_dir.resolve()
    digest = hashlib.sha256(os.fsencode(common)).hexdigest()[:16]
    named = common.parent.name if common.name == ".git" else common.name
    label = _NOT_IN_LABEL.sub("_", named)[:40] or "repo"
    return sandbox_root(configured) / f"{label}-{digest}"


def locks_dir(common_dir: Path) -> Path:
    return shared_state_dir(common_dir) / "locks"


def logs_dir(common_dir: Path) -> Path:
    return shared_state_dir(common_dir) / "logs"


def removed_worktrees_dir(common_dir: Path) -> Path:
    """Ignored files saved from worktrees removed with --force (git snapshots cannot hold them)."""
    return shared_state_dir(common_dir) / "removed-worktrees"


def worktree_state_dir(git_dir: Path) -> Path:
    """gatekit's directory under one worktree's own git dir (sessions, checkpoints)."""
    return git_dir / STATE_DIR


def sessions_dir(git_dir: Path) -> Path:
    return worktree_state_dir(git_dir) / "sessions"


def worktree_id(git_dir: Path, common_dir: Path) -> str:
    """A stable, ref-safe name for a worktree: "main" for the main one, else its admin dir name."""
    if git_dir.resolve() == common_dir.resolve():
        return "main"
    return git_dir.name


def is_sandbox_path(path: Path, common_dir: Path) -> bool:
    """True for a worktree that is one of gatekit's own sandboxes (hidden from fleet views):
    today's live outside the repository and are no worktrees; older ones were linked worktrees."""
    try:
        path.resolve().relative_to(legacy_sandboxes_dir(common_dir).resolve())
        return True
    except ValueError:
        return False
