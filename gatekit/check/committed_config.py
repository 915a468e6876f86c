"""The configuration committed at a commit: what decides for `land`, `verify-push` and
`check --merge-into`, so that an uncommitted (or branch-only) edit of a gate cannot let a branch
into a target whose own gate it fails."""

from __future__ import annotations

from pathlib import Path

from gatekit import git
from gatekit.config import CONFIG_FILES, Config, load_committed_config


def committed_config(root: Path, commit: str, name: str) -> Config:
    """The config in commit's tree; name says which branch it is ("main")."""
    files = git.committed_files(root, commit, [*CONFIG_FILES, "pyproject.toml"])
    return load_committed_config(files, f"{name} ({commit[:12]})")
