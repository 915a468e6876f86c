from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from pathlib import Path

from gatekit.guard.sessions_store import SessionRecord, save_session
from testing.gitlocks import git_holding_index_lock
from testing.repo import Repo
from testing.state import capture_state


def findings(repo: Repo) -> list[dict]:
    result = repo.gatekit("doctor", "--format", "json")
    assert result.returncode in (0, 1), result.stderr
    report = json.loads(result.stdout)
    assert report["version"] == 1
    rows = report["findings"]
    assert result.returncode == (1 if rows else 0)
    return rows


def apply_fix(repo: Repo, fix: str) -> None:
    subprocess.run(fix, shell=True, cwd=repo.path, env=repo.env, check=True, capture_output=True)


def test_doctor_on_a_healthy_repository_finds_nothing(repo: Repo, tmp_path: Path) -> None:
    repo.worktree_add(tmp_path / "ok", "ok")
    result = repo.gatekit("doctor")
    assert (result.returncode, result.stdout.strip()) == (0, "no problems found")


def test_doctor_finds_stale_lock_and_its_fix_works(repo: Repo) -> None:
    lock = repo.path / ".git" / "index.lock"
    lock.write_bytes(b"")
    os.utime(lock, (time.time() - 600, time.time() - 600))
    before = capture_state(repo.path, repo.env)
    [finding] = findings(repo)
    assert capture_state(repo.path, repo.env) == before and lock.exists()
    assert finding["kind"] == "stale-lock"
    apply_fix(repo, finding["fix"].split(", then: ")[1])
    assert findings(repo) == []


def test_doctor_proposes_no_rm_for_an_old_index_lock_a_live_git_holds(repo: Repo) -> None:
    with git_holding_index_lock(repo) as lock:
        assert [f for f in findings(repo) if f["kind"] == "stale-lock"] == []
        clobber = repo.gatekit("clobber", "--format", "json")
        assert "stale-lock" not in clobber.stdout and lock.exists()


def test_doctor_finds_prunable_and_detached_worktrees(repo: Repo, tmp_path: Path) -> None:
    gone = repo.worktree_add(tmp_path / "gone dir", "gone")
    shutil.rmtree(gone.path)
    repo.git("worktree", "add", "-q", "--detach", str(tmp_path / "det"), "HEAD")
    kinds = {f["kind"]: f for f in findings(repo)}
    assert set(kinds) == {"prunable-worktree", "detached-head"}
    apply_fix(repo, kinds["prunable-worktree"]["fix"])
    fix = kinds["detached-head"]["fix"].replace("<new-branch-name>", "rescued")
    apply_fix(repo, fix)
    assert findings(repo) == []


def test_doctor_finds_dead_and_corrupt_sessions(repo: Repo) -> None:
    git_dir = repo.path / ".git"
    save_session(git_dir, SessionRecord("ghost", 2**22 + 4321, time.time(), str(repo.path), "main", None))
    save_session(git_dir, SessionRecord("alive", os.getpid(), time.time(), str(repo.path), "main", None))
    (git_dir / "gatekit" / "sessions" / "broken.json").write_text("{not json")
    found = findings(repo)
    assert sorted(f["kind"] for f in found) == ["corrupt-session", "dead-session"]
    assert any("'ghost'" in f["problem"] for f in found)
    for f in found:
        apply_fix(repo, f["fix"])
    assert findings(repo) == []


def test_doctor_finds_old_stash_and_orphaned_commit(repo: Repo) -> None:
    repo.write("README.md", "edited\n")
    repo.git("stash", "-q")  # test dates are fixed in 2023: the stash is years old
    tree = repo.git("rev-parse", "HEAD^{tree}").strip()
    orphan = repo.git("commit-tree", tree, "-p", "HEAD", "-m", "lost work", input=b"").strip()
    found = {f["kind"]: f for f in findings(repo)}
    assert set(found) == {"old-stash", "orphaned-commit"}
    assert found["old-stash"]["subject"] == "stash@{0}"
    assert "'lost work'" in found["orphaned-commit"]["problem"]
    apply_fix(repo, found["orphaned-commit"]["fix"].split("   ")[0])
    assert repo.rev(f"rescued-{orphan[:8]}") == orphan
    repo.git("stash", "drop", "-q")
    # A dropped stash is lost work too: it now shows as an orphaned commit of its own.
    [dropped] = findings(repo)
    assert dropped["kind"] == "orphaned-commit" and "WIP on main" in dropped["problem"]


def test_doctor_finds_hook_that_does_not_fire_in_a_worktree(repo: Repo, tmp_path: Path) -> None:
    hook = repo.write(".hooks/pre-commit", "#!/bin/sh\nexit 0\n", mode=0o755)
    repo.git("config", "core.hooksPath", ".hooks")  # relative: resolved in each worktree
    wt = repo.worktree_add(tmp_path / "linked", "linked")
    [finding] = findings(repo)
    assert finding["kind"] == "hook-not-firing"
    assert finding["subject"] == str(wt.path)
    assert "pre-commit" in finding["problem"]
    repo.git("config", "core.hooksPath", str(hook.parent))
    assert findings(repo) == []


def test_doctor_text_output_names_a_fix_per_finding(repo: Repo, tmp_path: Path) -> None:
    repo.git("worktree", "add", "-q", "--detach", str(tmp_path / "det"), "HEAD")
    result = repo.gatekit("doctor")
    assert result.returncode == 1
    assert "detached-head:" in result.stdout and "    fix: git -C" in result.stdout
