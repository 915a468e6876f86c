"""Lock files as a killed git process leaves them: real git, really SIGKILLed."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from testing.repo import Repo


def kill_git_holding_ref_lock(repo: Repo, ref: str, new: str) -> Path:
    """Leave `<ref>.lock` the way a SIGKILLed `git update-ref` leaves it.

    A real git process prepares the update (taking the lock and writing NEW into it) and is
    killed before it commits; returns the lock's path.
    """
    proc = subprocess.Popen(
        ["git", "update-ref", "--stdin"],
        cwd=repo.path,
        env=repo.env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write(f"start\nupdate {ref} {new}\nprepare\n")
    proc.stdin.flush()
    assert proc.stdout.readline().strip() == "start: ok"
    assert proc.stdout.readline().strip() == "prepare: ok"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    lock = repo.path / ".git" / (ref + ".lock")
    assert lock.read_text().strip() == new
    return lock


def kill_git_holding_index_lock(repo: Repo) -> Path:
    """Leave `index.lock` the way a SIGKILLed git leaves it: `git update-index --index-info`
    takes the lock, then waits for stdin, and is killed there."""
    lock = repo.path / ".git" / "index.lock"
    proc = subprocess.Popen(
        ["git", "update-index", "--index-info"], cwd=repo.path, env=repo.env, stdin=subprocess.PIPE
    )
    deadline = time.monotonic() + 30
    while not lock.exists():
        assert proc.poll() is None and time.monotonic() < deadline, "git never took the index lock"
        time.sleep(0.01)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    assert proc.stdin is not None
    proc.stdin.close()
    assert lock.exists()
    return lock


@contextmanager
def git_holding_index_lock(repo: Repo, age: float = 600.0) -> Iterator[Path]:
    """A live git process holding the worktree's `index.lock` for the block, the lock made to
    look `age` seconds old (a long `git add` on a big tree, or one waiting on a slow disk)."""
    lock = Path(repo.git("rev-parse", "--path-format=absolute", "--git-path", "index.lock").strip())
    proc = subprocess.Popen(
        ["git", "update-index", "--index-info"], cwd=repo.path, env=repo.env, stdin=subprocess.PIPE
    )
    try:
        deadline = time.monotonic() + 30
        while not lock.exists():
            assert proc.poll() is None and time.monotonic() < deadline, "git never took the index lock"
            time.sleep(0.01)
        os.utime(lock, (time.time() - age, time.time() - age))
        yield lock
    finally:
        assert proc.stdin is not None
        proc.stdin.close()  # git reads end of input, writes the index and drops the lock
        proc.wait(timeout=30)
