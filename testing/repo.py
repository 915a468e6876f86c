"""Build real git repositories in temporary directories, and run gatekit against them."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Repo:
    """A real git repository at path, driven by real git processes in env."""

    path: Path
    env: dict[str, str] = field(default_factory=dict)

    # -- git -------------------------------------------------------------------------------
    def git(self, *args: str, check: bool = True, input: bytes | None = None, cwd: Path | None = None) -> str:
        result = subprocess.run(
            ["git", *args],
            cwd=cwd or self.path,
            env=self.env,
            input=input,
            capture_output=True,
        )
        if check and result.returncode != 0:
            raise AssertionError(
                f"git {' '.join(args)} failed ({result.returncode}):\n{result.stderr.decode(errors='replace')}"
            )
        return result.stdout.decode("utf-8", "surrogateescape")

    def rev(self, rev: str = "HEAD") -> str:
        return self.git("rev-parse", "--verify", rev).strip()

    # -- files -----------------------------------------------------------------------------
    def write(self, relpath: str, content: str | bytes, mode: int | None = None) -> Path:
        target = self.path / relpath
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, str):
            content = content.encode()
        target.write_bytes(content)
        if mode is not None:
            target.chmod(mode)
        return target

    def write_files(self, files: Mapping[str, str | bytes]) -> None:
        for relpath, content in files.items():
            self.write(relpath, content)

    def read(self, relpath: str) -> bytes:
        return (self.path / relpath).read_bytes()

    def commit(self, message: str = "change", files: Mapping[str, str | bytes] | None = None) -> str:
        """Write files (if given), stage everything and commit; returns the new commit id."""
        if files:
            self.write_files(files)
        self.git("add", "-A")
        self.git("commit", "-q", "--allow-empty", "--no-verify", "-m", message)
        return self.rev()

    def branch(self, name: str, start: str = "HEAD") -> None:
        self.git("branch", name, start)

    def checkout(self, rev: str) -> None:
        self.git("checkout", "-q", rev)

    def worktree_add(self, path: Path, branch: str, start: str = "HEAD") -> Repo:
        self.git("worktree", "add", "-q", "-b", branch, str(path), start)
        return Repo(path, self.env)

    # -- gatekit ---------------------------------------------------------------------------
    def spawn_gatekit(
        self, *args: str, env: Mapping[str, str] | None = None, **options: Any
    ) -> subprocess.Popen:  # type: ignore[type-arg]
        """Start gatekit in this repository without waiting (see spawn_gatekit)."""
        return spawn_gatekit(args, cwd=self.path, env={**self.env, **(env or {})}, **options)

    def gatekit(
        self,
        *args: str,
        cwd: Path | None = None,
        env: Mapping[str, str] | None = None,
        input: bytes | None = None,
        timeout: float = 600,
    ) -> subprocess.CompletedProcess[str]:
        """Run gatekit as a real process (python -m gatekit) in this repository."""
        return run_gatekit(
            args, cwd=cwd or self.path, env={**self.env, **(env or {})}, input=input, timeout=timeout
        )


def gatekit_env(env: Mapping[str, str]) -> dict[str, str]:
    """env plus a PYTHONPATH that makes `python -m gatekit` run this checkout's code."""
    full_env = dict(env)
    full_env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH", "")]))
    return full_env


def spawn_gatekit(
    args: Sequence[str],
    *,
    cwd: Path,
    env: Mapping[str, str],
    text: bool = False,
    new_session: bool = False,
    stdout: int | None = subprocess.PIPE,
    stderr: int | None = subprocess.PIPE,
) -> subprocess.Popen:  # type: ignore[type-arg]
    """Start gatekit as a real process and return at once (for signals, races, watchers)."""
    return subprocess.Popen(
        [sys.executable, "-m", "gatekit", *args],
        cwd=cwd,
        env=gatekit_env(env),
        stdout=stdout,
        stderr=stderr,
        text=text,
        start_new_session=new_session,
    )


def run_gatekit(
    args: Sequence[str],
    *,
    cwd: Path,
    env: Mapping[str, str],
    input: bytes | None = None,
    timeout: float = 600,
) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [sys.executable, "-m", "gatekit", *args],
        cwd=cwd,
        env=gatekit_env(env),
        input=input,
        capture_output=True,
        timeout=timeout,
    )
    return subprocess.CompletedProcess(
        result.args,
        result.returncode,
        result.stdout.decode("utf-8", "replace"),
        result.stderr.decode("utf-8", "replace"),
    )


def init_repo(path: Path, env: dict[str, str], files: Mapping[str, str | bytes] | None = None) -> Repo:
    """A new repository on branch main, with one commit of files (or an empty README)."""
    path.mkdir(parents=True, exist_ok=True)
    repo = Repo(path, env)
    repo.git("init", "-q", "-b", "main")
    repo.commit("initial", files or {"README.md": "hello\n"})
    return repo
