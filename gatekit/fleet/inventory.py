"""The worktrees of a repository, each with its own git dir and gatekit id.

`git worktree list` names a worktree by its path; sessions, locks and reflogs live in its admin
dir (`<common>/worktrees/<id>`), which is found by reading the admin dirs' `gitdir` files once,
so a worktree whose directory has vanished still maps to its state.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from gatekit import git
from gatekit.state_dirs import is_sandbox_path, worktree_id


@dataclass(frozen=True)
class FleetWorktree:
    """One worktree as the fleet sees it."""

    entry: git.Worktree
    git_dir: Path | None  # None when git lists a worktree whose admin dir we cannot find
    id: str
    is_main: bool

    @property
    def path(self) -> Path:
        return self.entry.path

    @property
    def exists(self) -> bool:
        return self.entry.path.is_dir()

    @property
    def label(self) -> str:
        """The branch name, or "(detached)"."""
        return self.entry.branch_name or ("(bare)" if self.entry.bare else "(detached)")


def _admin_dirs(common_dir: Path) -> dict[str, Path]:
    """worktree path (as git recorded it) -> its admin dir."""
    found: dict[str, Path] = {}
    root = common_dir / "worktrees"
    if not root.is_dir():
        return found
    for admin in root.iterdir():
        try:
            recorded = (admin / "gitdir").read_bytes().rstrip(b"\n")
        except OSError:
            continue
        found[os.path.normpath(os.fsdecode(recorded)[: -len("/.git")])] = admin
    return found


def list_fleet_worktrees(repo: git.RepoPaths) -> list[FleetWorktree]:
    """Every worktree of the repository (main first), with its git dir and id."""
    # gatekit's sandboxes are linked worktrees too, but nobody writes in them.
    entries = [e for e in git.list_worktrees(repo.toplevel) if not is_sandbox_path(e.path, repo.common_dir)]
    admins = _admin_dirs(repo.common_dir)
    worktrees = []
    for index, entry in enumerate(entries):
        if index == 0:
            git_dir: Path | None = repo.common_dir
        else:
            git_dir = admins.get(os.path.normpath(str(entry.path)))
        wt_id = worktree_id(git_dir, repo.common_dir) if git_dir else entry.path.name
        worktrees.append(FleetWorktree(entry, git_dir, wt_id, index == 0))
    return worktrees


def find_worktree(worktrees: list[FleetWorktree], name: str) -> FleetWorktree | None:
    """The worktree a user means by name: its path, its directory name, its branch or its id."""
    wanted = os.path.normpath(os.path.abspath(name))
    for wt in worktrees:
        if os.path.normpath(str(wt.path)) == wanted:
            return wt
    for match in (
        lambda wt: wt.entry.branch_name == name,
        lambda wt: wt.path.name == name,
        lambda wt: wt.id == name,
    ):
        hits = [wt for wt in worktrees if match(wt)]
        if len(hits) == 1:
            return hits[0]
    return None
