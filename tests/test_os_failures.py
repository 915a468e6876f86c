"""Failures of the operating system around gatekit: a closed stdout, a read-only repository,
a full disk. Each ends in one clear sentence and a documented exit code, never a traceback."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from testing.repo import Repo, gatekit_env, init_repo


def run_with_reader_gone(repo: Repo, argv: tuple[str, ...], lines_read: int) -> tuple[int, str]:
    """Run gatekit, read lines_read lines of its output and close the pipe; (exit code, stderr)."""
    proc = repo.spawn_gatekit(*argv)
    assert proc.stdout is not None and proc.stderr is not None
    for _ in range(lines_read):
        proc.stdout.readline()
    proc.stdout.close()
    stderr = proc.stderr.read().decode()
    return proc.wait(timeout=300), stderr


def test_closed_stdout_keeps_the_gates_result_and_prints_no_traceback(repo: Repo) -> None:
    # The gate prints far more than a pipe holds, after the reader has gone.
    script = "import sys\nfor i in range(200000): sys.stdout.write('line %d\\n' % i)\n"
    repo.write("gatekit.toml", f'[[gates]]\nname = "chatty"\nrun = [{sys.executable!r}, "-c", {script!r}]\n')
    code, stderr = run_with_reader_gone(repo, ("check", "--worktree"), lines_read=1)  # `| head -1`
    assert code == 0, stderr
    assert "Traceback" not in stderr and "BrokenPipe" not in stderr


def test_closed_stdout_of_a_listing_exits_quietly(repo: Repo) -> None:
    for i in range(300):
        repo.git("branch", f"b{i:03d}")
    undisturbed = repo.gatekit("status", "--all-branches").returncode
    code, stderr = run_with_reader_gone(repo, ("status", "--all-branches"), lines_read=0)
    assert code in (undisturbed, 141), stderr
    assert "Traceback" not in stderr and "Exception ignored" not in stderr


@contextmanager
def tmpfs(path: Path, size: str) -> Iterator[Path]:
    path.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)], capture_output=True
    )
    if mounted.returncode != 0:
        pytest.skip(f"this machine cannot mount a tmpfs (needs root): {mounted.stderr.decode().strip()}")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


def test_read_only_repository_gets_one_sentence_and_exit_2(tmp_path: Path, git_env: dict[str, str]) -> None:
    with tmpfs(tmp_path / "ro", "20m") as mount:
        repo = init_repo(mount / "repo", git_env)
        repo.write("work.txt", "uncommitted\n")
        subprocess.run(["mount", "-o", "remount,ro", str(mount)], check=True)
        result = repo.gatekit("snapshot")
        assert result.returncode == 2, result.stderr
        assert result.stderr.startswith("gatekit: the repository is on a read-only file system")
        assert "Traceback" not in result.stderr + result.stdout


def test_full_disk_gets_one_sentence_and_exit_2(tmp_path: Path, git_env: dict[str, str]) -> None:
    with tmpfs(tmp_path / "full", "3m") as mount:
        repo = init_repo(mount / "repo", git_env)
        repo.write("work.txt", "uncommitted\n")
        filler = mount / "filler"
        with filler.open("wb") as handle:
            try:
                while True:
                    handle.write(b"\0" * 65536)
                    handle.flush()
            except OSError:
                pass
        result = repo.gatekit("snapshot")
        assert result.returncode == 2, result.stderr
        assert result.stderr.startswith("gatekit: the disk is full")
        assert "Traceback" not in result.stderr + result.stdout
        assert repo.read("work.txt") == b"uncommitted\n"


def test_agent_guard_fails_closed_when_its_state_dir_is_unusable(repo: Repo) -> None:
    """An internal error in the agent's pre-tool hook denies the destructive command with the crash
    log's path; the crash handler itself never fails (once it imported a module that no longer
    existed, and wrote its log under the same unusable repository dir: a traceback, exit 1, and
    the host ran the command)."""
    import json

    repo.write("README.md", "unsaved edit\n")
    (repo.path / ".git" / "gatekit").write_text("a file where gatekit's state dir belongs\n")
    payload = {
        "session_id": "me",
        "cwd": str(repo.path),
        "hook_event_name": "PreToolUse",
        "tool_name": "Bash",
        "tool_input": {"command": "git checkout -- ."},
    }
    logs = repo.path.parent / "tmp"
    logs.mkdir()
    result = subprocess.run(
        [sys.executable, "-m", "gatekit", "agent", "pre-tool", "--host", "claude-code"],
        cwd=repo.path,
        env={**gatekit_env(repo.env), "TMPDIR": str(logs)},
        input=json.dumps(payload).encode(),
        capture_output=True,
        timeout=120,
    )
    assert result.returncode == 0 and b"Traceback" not in result.stderr, result.stderr
    answer = json.loads(result.stdout)["hookSpecificOutput"]
    assert answer["permissionDecision"] == "deny"
    assert "internal error" in answer["permissionDecisionReason"]
    assert repo.read("README.md") == b"unsaved edit\n"
    assert list((logs / "gatekit-logs").glob("crash-*.log"))  # the log went where it could
