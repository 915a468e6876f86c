"""The destructive-command decision asks git as little as it can (issue 10's ≤ 1.5× `git status`):
a command that cannot discard untracked files gets a status without the untracked scan, the agent
hook starts that status before it imports the decision engine, and the snapshot adds the paths
the status listed instead of walking the worktree again. None of it may change a decision."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

from testing.repo import Repo, gatekit_env
from tests.guard.test_guard_agents import hook, payload, refused


def pre_tool(repo: Repo, command: str):  # type: ignore[no-untyped-def]
    """Claude Code's pre-tool hook on command, run in repo as session "me"."""
    return hook(
        repo, "claude-code", "pre-tool", payload("claude-code", "pre_tool", repo, "me", command=command)
    )


def test_unknown_owner_work_is_refused_while_another_writers_untracked_file_is_here(repo: Repo) -> None:
    # The sibling's only work is an untracked file: a status without the untracked scan does not
    # list it, so the decision must still ask git whether it is there.
    repo.write("scratch.txt", "the sibling's notes\n")
    hook(
        repo,
        "claude-code",
        "post-tool",
        payload("claude-code", "post_tool", repo, "sibling", path="scratch.txt"),
    )
    repo.write("README.md", "an edit nobody claimed\n")
    result = pre_tool(repo, "git checkout -- .")
    reason = refused("claude-code", result)
    assert reason is not None and "README.md" in reason, result.stdout
    assert repo.read("README.md") == b"an edit nobody claimed\n"


def test_the_same_unclaimed_edit_is_snapshotted_when_no_other_writer_is_here(repo: Repo) -> None:
    repo.write("README.md", "an edit nobody claimed\n")
    result = pre_tool(repo, "git checkout -- .")
    assert refused("claude-code", result) is None, result.stdout
    refs = repo.git("for-each-ref", "--format=%(refname)", "refs/gatekit/snapshots/").split()
    assert len(refs) == 1


def test_a_status_prestarted_for_the_payload_cwd_does_not_decide_for_another_worktree(
    repo: Repo, make_repo
) -> None:  # type: ignore[no-untyped-def]
    other = make_repo("other", {"a.txt": "committed\n"})
    other.write("a.txt", "the sibling's edit in the other repository\n")
    hook(
        other, "claude-code", "post-tool", payload("claude-code", "post_tool", other, "sibling", path="a.txt")
    )
    command = f"git -C {other.path} checkout -- ."
    result = pre_tool(repo, command)
    reason = refused("claude-code", result)
    assert reason is not None and "a.txt" in reason, result.stdout
    assert other.read("a.txt") == b"the sibling's edit in the other repository\n"


def test_snapshot_from_the_listed_paths_keeps_worktree_and_index_versions(repo: Repo) -> None:
    repo.commit("more", {"staged.txt": "v1\n", "gone.txt": "tracked\n", "sub/deep.txt": "d1\n"})
    # sub/deep.txt gets a same-size edit in the second the index was written ("racily clean"):
    # git must compare contents, so the snapshot's copy of the index must keep the index's mtime.
    # Made exact: the index caches an mtime an hour old, and after the edit the file and the
    # index are given that mtime (ctime, which utime cannot set, is left out as
    # core.trustctime=false does).
    repo.git("config", "core.trustctime", "false")
    deep, index = repo.path / "sub" / "deep.txt", repo.path / ".git" / "index"
    cached = deep.stat().st_mtime_ns - 3600 * 10**9
    os.utime(deep, ns=(cached, cached))
    repo.git("update-index", "--refresh")
    repo.write("staged.txt", "v2 staged\n")
    repo.git("add", "staged.txt")
    repo.write("staged.txt", "v3 in the worktree\n")
    repo.write("sub/deep.txt", "d2\n")
    os.utime(deep, ns=(cached, cached))
    os.utime(index, ns=(cached, cached))
    (repo.path / "gone.txt").unlink()
    result = pre_tool(repo, "git reset --hard")
    assert refused("claude-code", result) is None, result.stdout
    ref = repo.git("for-each-ref", "--format=%(refname)", "refs/gatekit/snapshots/").split()[0]
    assert repo.git("show", f"{ref}:staged.txt") == "v3 in the worktree\n"
    assert repo.git("show", f"{ref}:sub/deep.txt") == "d2\n"
    assert "gone.txt" not in repo.git("ls-tree", "-r", "--name-only", ref).split()
    assert repo.git("show", f"{ref}^2:staged.txt") == "v2 staged\n"  # the index before the command


def test_a_bug_in_the_decision_refuses_the_command_and_leaves_a_crash_log(repo: Repo) -> None:
    # The operations journal is a directory: journaling the decision fails where no code path
    # expects it. A guard that fails must refuse, not crash (Claude Code runs the command after
    # a hook's traceback and exit 1); the crash handler itself once failed to import.
    repo.write("README.md", "work that must survive\n")
    (repo.path / ".git" / "gatekit" / "journal.jsonl").mkdir(parents=True)
    result = pre_tool(repo, "git reset --hard")
    reason = refused("claude-code", result)
    assert reason is not None and "internal error" in reason, (result.stdout, result.stderr)
    log = reason.rsplit(" ", 1)[-1]
    assert "Traceback" in Path(log).read_text()
    assert repo.read("README.md") == b"work that must survive\n"


def test_a_status_started_for_a_command_that_proves_harmless_does_not_outlive_the_hook(
    repo: Repo, tmp_path: Path
) -> None:
    # The payload holds "reset" (in its session id) but the command is `git log`: the hook starts
    # a status on the word, then allows the command. That status must be stopped, not left to run
    # on after the answer. A git on PATH that records its pid and sleeps before the real git makes
    # "left to run" observable.
    shim = tmp_path / "bin"
    shim.mkdir()
    pids = tmp_path / "pids"
    real_git = shutil.which("git")
    (shim / "git").write_text(
        f'#!/bin/sh\ncase "$*" in *status*) echo $$ >> {pids}; exec sleep 30;; esac\nexec {real_git} "$@"\n'
    )
    (shim / "git").chmod(0o755)
    data = payload("claude-code", "pre_tool", repo, "reset-session", command="git log -1")
    env = gatekit_env({**repo.env, "PATH": f"{shim}{os.pathsep}{repo.env.get('PATH', os.environ['PATH'])}"})
    result = subprocess.run(
        [sys.executable, "-m", "gatekit", "agent", "pre-tool", "--host", "claude-code"],
        cwd=repo.path,
        env=env,
        input=data,
        capture_output=True,
        timeout=60,
    )
    assert refused("claude-code", result) is None, result.stdout
    started = [int(pid) for pid in pids.read_text().split()]
    assert started, "the hook started no status: the test no longer sees what it checks"
    alive = [pid for pid in started if Path(f"/proc/{pid}").exists() and "Z" not in _state(pid)]
    for pid in alive:
        os.kill(pid, signal.SIGKILL)
    assert not alive


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "Z"
