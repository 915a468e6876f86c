"""Builders for clobber-guard tests: writers acting as named sessions in one worktree."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

from testing.repo import Repo


@dataclass
class Writer:
    """One writer (a session) in a worktree: runs gatekit with GATEKIT_SESSION set."""

    repo: Repo
    name: str

    def gatekit(self, *args: str) -> subprocess.CompletedProcess[str]:
        return self.repo.gatekit(*args, env={"GATEKIT_SESSION": self.name})

    def start(self, *claims: str) -> Writer:
        args = ["session", "start", "--name", self.name]
        for claim in claims:
            args += ["--claim", claim]
        result = self.gatekit(*args)
        assert result.returncode == 0, result.stderr
        return self

    def checkpoint(self, *paths: str) -> subprocess.CompletedProcess[str]:
        result = self.gatekit("session", "checkpoint", *(["--", *paths] if paths else []))
        assert result.returncode == 0, result.stderr
        return result

    def clobber(self, *args: str) -> subprocess.CompletedProcess[str]:
        return self.gatekit("clobber", *args)


def snapshot_refs(repo: Repo) -> list[str]:
    out = repo.git("for-each-ref", "--format=%(refname)", "refs/gatekit/snapshots/")
    return out.split()


def latest_snapshot_id(repo: Repo) -> str:
    """The `snapshot:<worktree>/<stamp>` handle of the newest snapshot of any worktree."""
    refs = sorted(snapshot_refs(repo), key=lambda r: r.rsplit("/", 1)[-1])
    assert refs, "no snapshot was taken"
    wid, stamp = refs[-1].split("/")[-2:]
    return f"snapshot:{wid}/{stamp}"


def write_bytes(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
