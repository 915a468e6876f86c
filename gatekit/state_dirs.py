"""Where gatekit keeps its state. One place, so every module agrees on it.

Shared state (sandboxes, the land lock, logs) lives under the *common* git dir; state that belongs
to one worktree (its sessions, its last checkpoint) lives under that worktree's own git dir, so
linked worktrees never read each other's state by accident.
"""

from __future__ import annotations

from pathlib import Path

STATE_DIR = "gatekit"
NOTES_REF = "refs/notes/gatekit"
SNAPSHOT_REF_PREFIX = "refs/gatekit/snapshots/"
KEPT_REF_PREFIX = "refs/gatekit/kept/"  # commits a guarded command dropped (branch -D, stash drop)


def shared_state_dir(common_dir: Path) -> Path:
    """gatekit's directory under the common git dir (shared by all worktrees)."""
    return common_dir / STATE_DIR


def sandboxes_dir(common_dir: Path) -> Path:
    return shared_state_dir(common_dir) / "sandboxes"


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
    """True for a worktree that is one of gatekit's own sandboxes (hidden from fleet views)."""
    try:
        path.resolve().relative_to(sandboxes_dir(common_dir).resolve())
        return True
    except ValueError:
        return False
