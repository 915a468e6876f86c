"""`git update-ref --stdin` through the shim and an agent hook: the ref updates are read before
git runs, the commits they drop are kept, and git still gets every byte (issue 10)."""

from __future__ import annotations

import os
import select
import subprocess
from pathlib import Path

import pytest

from gatekit.guard import journal
from testing.repo import Repo, gatekit_env


@pytest.fixture
def shim_env(repo: Repo, tmp_path: Path) -> dict[str, str]:
    shim = tmp_path / "shim"
    assert repo.gatekit("shim", "install", "--dir", str(shim)).returncode == 0
    env = gatekit_env(repo.env)
    env["PATH"] = f"{shim}{os.pathsep}{env['PATH']}"
    return env


def kept(repo: Repo) -> dict[str, str]:
    out = repo.git("for-each-ref", "--format=%(refname) %(objectname)", "refs/gatekit/kept/")
    return dict(line.split() for line in out.splitlines())


def with_feature(repo: Repo) -> str:
    repo.git("checkout", "-q", "-b", "feature")
    commit = repo.commit("feature work", {"f.txt": "feature\n"})
    repo.git("checkout", "-q", "main")
    return commit


def test_shim_keeps_a_branch_deleted_through_update_ref_stdin(repo: Repo, shim_env: dict[str, str]) -> None:
    feature = with_feature(repo)
    ran = subprocess.run(
        ["git", "update-ref", "--stdin"],
        cwd=repo.path,
        env=shim_env,
        input=f"verify refs/heads/main {repo.rev('main')}\ndelete refs/heads/feature\n".encode(),
        capture_output=True,
        timeout=120,
    )
    assert ran.returncode == 0, ran.stderr
    assert repo.git("branch", "--list", "feature").strip() == ""  # git got the input and ran it
    assert feature in kept(repo).values()
    record = list(journal.read(repo.path / ".git" / "gatekit" / "journal.jsonl"))[-1]
    assert record["op"] == "update-ref --stdin" and record["kept"], record


def test_shim_reads_the_nul_format(repo: Repo, shim_env: dict[str, str]) -> None:
    feature = with_feature(repo)
    main = repo.rev("main")
    ran = subprocess.run(
        ["git", "update-ref", "--stdin", "-z"],
        cwd=repo.path,
        env=shim_env,
        input=f"update refs/heads/feature\0{main}\0{feature}\0".encode(),
        capture_output=True,
        timeout=120,
    )
    assert ran.returncode == 0, ran.stderr
    assert repo.rev("feature") == main
    assert feature in kept(repo).values()


def test_shim_does_not_keep_an_interactive_transaction_waiting(repo: Repo, shim_env: dict[str, str]) -> None:
    """git's transaction protocol: the client waits for "start: ok" before it goes on."""
    feature = with_feature(repo)
    main = repo.rev("main")
    proc = subprocess.Popen(
        ["git", "update-ref", "--stdin"],
        cwd=repo.path,
        env=shim_env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdin is not None and proc.stdout is not None
    try:
        answers = []
        for lines in (
            b"start\n",
            f"update refs/heads/feature {main} {feature}\nprepare\n".encode(),
            b"commit\n",
        ):
            proc.stdin.write(lines)
            proc.stdin.flush()
            ready, _, _ = select.select([proc.stdout], [], [], 60)
            assert ready, f"no answer after {lines!r}: the shim kept the client waiting"
            answers.append(proc.stdout.readline())
        proc.stdin.close()
        assert proc.wait(timeout=60) == 0, proc.stderr.read() if proc.stderr else ""
    finally:
        proc.kill()
    assert answers == [b"start: ok\n", b"prepare: ok\n", b"commit: ok\n"]
    assert repo.rev("feature") == main
    assert feature in kept(repo).values()  # the update was read before git moved the branch


def test_agent_hook_reads_a_heredoc_and_keeps_only_the_named_branch(repo: Repo) -> None:
    from gatekit.guard.agent_entry import decide_line
    from gatekit.guard.owners import Caller

    feature = with_feature(repo)
    line = "git update-ref --stdin <<'EOF'\ndelete refs/heads/feature\nEOF\n"
    decision = decide_line(line, str(repo.path), Caller(host="claude-code", host_session="me"))
    assert decision.action == "snapshot"
    assert list(kept(repo).values()) == [feature]


def test_agent_hook_keeps_every_branch_when_the_input_is_not_on_the_line(repo: Repo) -> None:
    from gatekit.guard.agent_entry import decide_line
    from gatekit.guard.owners import Caller

    feature = with_feature(repo)
    line = "./make-updates.sh | git update-ref --stdin"
    decision = decide_line(line, str(repo.path), Caller(host="claude-code", host_session="me"))
    assert decision.action == "snapshot" and "cannot see" in decision.reason
    assert set(kept(repo).values()) == {feature, repo.rev("main")}
