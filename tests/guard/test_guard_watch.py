"""`gatekit watch`: snapshots after edits settle, signals as they appear (bounded runs)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from testing.guard import snapshot_refs
from testing.repo import REPO_ROOT, Repo


def test_watch_once_snapshots_pending_work_and_reports_signals(repo: Repo) -> None:
    repo.write("wip.txt", "pending\n")
    (repo.path / ".git" / "index.lock").write_bytes(b"")
    result = repo.gatekit("watch", "--once")
    assert result.returncode == 1
    assert "snapshot snapshot:main/" in result.stdout
    assert "stale-lock" in result.stdout
    assert len(snapshot_refs(repo)) == 1


def test_watch_snapshots_after_edits_settle_and_sees_a_reset(repo: Repo) -> None:
    assert repo.gatekit("session", "start", "--name", "W").returncode == 0
    proc = repo.spawn_gatekit(
        "watch", "--duration", "12", "--settle", "0.3", env={"GATEKIT_SESSION": "W"}, text=True
    )
    try:
        _wait_for(lambda: _has_watchdog_started(proc), 5)
        # Keep typing until a snapshot shows up: the observer may start after the first edit.
        _wait_for(lambda: _type_and_check(repo), 8)
        repo.git("reset", "--hard", "HEAD")
        out, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert "unexplained-reset" in out, (out, err)
    assert proc.returncode == 1
    newest = sorted(snapshot_refs(repo))[-1]
    assert repo.git("show", f"{newest}:edited.txt") == "typed by a writer\n"


def _type_and_check(repo: Repo) -> bool:
    repo.write("edited.txt", "typed by a writer\n")
    time.sleep(0.7)
    return len(snapshot_refs(repo)) >= 1


def _has_watchdog_started(proc: subprocess.Popen[str]) -> bool:
    # The first check and snapshot run before the observer starts; give it a moment after.
    time.sleep(1.5)
    return proc.poll() is None


def _wait_for(condition, timeout: float) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError("condition not met in time")


def test_watch_outside_a_repository_is_a_usage_error(tmp_path: Path, git_env: dict[str, str]) -> None:
    env = {**git_env, "PYTHONPATH": str(REPO_ROOT)}
    result = subprocess.run(
        [sys.executable, "-m", "gatekit", "watch", "--once"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2 and "not inside a git repository" in result.stderr
    assert os.listdir(tmp_path) == ["home"]
