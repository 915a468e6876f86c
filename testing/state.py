"""Fingerprints of everything gatekit promises not to touch, for before/after comparisons."""

from __future__ import annotations

import hashlib
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class RepoState:
    worktree: dict[str, str]  # relative path -> sha256 of content (or link target)
    index: str  # sha256 of the index file bytes
    stash: str  # `git stash list` output
    refs: str  # every ref outside refs/gatekit and refs/notes/gatekit
    reflogs: dict[str, str]  # relative path under logs/ -> sha256


def capture_state(worktree: Path, env: dict[str, str]) -> RepoState:
    """Fingerprint the user-owned state of the worktree at path (not gatekit's own refs)."""

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", *args], cwd=worktree, env=env, check=True, stdout=subprocess.PIPE
        ).stdout.decode("utf-8", "surrogateescape")

    git_dir = Path(git("rev-parse", "--path-format=absolute", "--git-dir").strip())
    common = Path(git("rev-parse", "--path-format=absolute", "--git-common-dir").strip())
    files: dict[str, str] = {}
    for dirpath, dirnames, filenames in os.walk(worktree):
        dirnames[:] = [d for d in dirnames if d != ".git"]
        for name in filenames:
            full = Path(dirpath, name)
            rel = os.fsdecode(full.relative_to(worktree))
            if name == ".git":
                continue
            if full.is_symlink():
                files[rel] = "link:" + os.readlink(full)
            elif not full.is_file():  # a FIFO or socket: reading it would block
                files[rel] = f"special:{full.stat().st_mode:o}"
            else:
                files[rel] = hashlib.sha256(full.read_bytes()).hexdigest()
    index_file = git_dir / "index"
    index = hashlib.sha256(index_file.read_bytes()).hexdigest() if index_file.exists() else ""
    refs = "\n".join(
        line
        for line in git("for-each-ref", "--format=%(refname) %(objectname)").splitlines()
        if not line.startswith(("refs/gatekit/", "refs/notes/gatekit"))
    )
    reflogs: dict[str, str] = {}
    for base in {git_dir, common}:
        logs = base / "logs"
        if logs.is_dir():
            for dirpath, _, filenames in os.walk(logs):
                for name in filenames:
                    full = Path(dirpath, name)
                    rel = os.fsdecode(full.relative_to(base))
                    if "refs/gatekit" in rel or "refs/notes/gatekit" in rel:
                        continue
                    reflogs[f"{base.name}:{rel}"] = hashlib.sha256(full.read_bytes()).hexdigest()
    return RepoState(files, index, git("stash", "list"), refs, reflogs)
