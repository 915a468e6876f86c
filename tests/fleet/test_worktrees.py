from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from gatekit.guard.sessions_store import SessionRecord, list_sessions, save_session
from testing.repo import Repo


def add(repo: Repo, name: str, *args: str) -> Path:
    result = repo.gatekit("worktree", "add", name, *args)
    assert result.returncode == 0, result.stderr
    return repo.path.parent / "repo-worktrees" / name


def test_worktree_add_creates_branch_and_worktree_in_configured_folder(repo: Repo) -> None:
    repo.commit("second", {"b.txt": "b\n"})
    path = add(repo, "feature-x", "--from", "HEAD~1")
    wt = Repo(path, repo.env)
    assert wt.git("symbolic-ref", "--short", "HEAD").strip() == "feature-x"
    assert wt.rev() == repo.rev("HEAD~1")
    assert not (path / "b.txt").exists()


def test_worktree_add_uses_the_configured_folder(repo: Repo) -> None:
    repo.commit("config", {"gatekit.toml": '[fleet]\nworktree_dir = ".wt/{repo}"\n'})
    result = repo.gatekit("worktree", "add", "t1")
    assert result.returncode == 0, result.stderr
    assert (repo.path / ".wt" / "repo" / "t1" / "gatekit.toml").is_file()


def test_worktree_add_with_session_records_it(repo: Repo) -> None:
    path = add(repo, "agent-1", "--session", "agent-1")
    git_dir = Path(Repo(path, repo.env).git("rev-parse", "--path-format=absolute", "--git-dir").strip())
    [session] = list_sessions(git_dir)
    assert (session.name, session.branch, session.worktree) == ("agent-1", "agent-1", str(path))


@pytest.mark.parametrize("name", ["bad..name", "-f", "with space", "main"])
def test_worktree_add_rejects_bad_or_taken_names(repo: Repo, name: str) -> None:
    refs = repo.git("for-each-ref")
    result = repo.gatekit("worktree", "add", "--", name)
    assert result.returncode == 2, result.stderr
    assert repr(name) in result.stderr
    assert repo.git("for-each-ref") == refs


def test_worktree_remove_refuses_a_dirty_worktree(repo: Repo) -> None:
    path = add(repo, "dirty")
    (path / "work in progress.txt").write_text("unsaved\n")
    result = repo.gatekit("worktree", "remove", "dirty")
    assert result.returncode == 1
    assert "uncommitted" in result.stderr and "work in progress.txt" in result.stderr
    assert (path / "work in progress.txt").read_text() == "unsaved\n"


def test_worktree_remove_refuses_unpushed_commits(repo: Repo, tmp_path: Path) -> None:
    remote = tmp_path / "remote.git"
    repo.git("init", "-q", "--bare", str(remote))
    repo.git("remote", "add", "origin", str(remote))
    path = add(repo, "feature")
    wt = Repo(path, repo.env)
    wt.commit("local only", {"f.txt": "1\n"})
    result = repo.gatekit("worktree", "remove", "feature")
    assert result.returncode == 1
    assert "1 commit(s) on it are on no other branch and no remote" in result.stderr
    assert path.is_dir()
    wt.git("push", "-q", "origin", "feature")
    result = repo.gatekit("worktree", "remove", "feature")
    assert result.returncode == 0, result.stderr
    assert not path.exists()
    assert repo.rev("refs/heads/feature") == repo.rev("refs/remotes/origin/feature")  # branch stays


def test_worktree_remove_refuses_a_live_session(repo: Repo) -> None:
    path = add(repo, "busy")
    git_dir = Path(Repo(path, repo.env).git("rev-parse", "--path-format=absolute", "--git-dir").strip())
    save_session(git_dir, SessionRecord("writer", os.getpid(), time.time(), str(path), "busy", None))
    result = repo.gatekit("worktree", "remove", "busy")
    assert result.returncode == 1 and "live session(s): writer" in result.stderr


def test_worktree_remove_force_snapshots_first(repo: Repo) -> None:
    path = add(repo, "doomed")
    wt = Repo(path, repo.env)
    wt.commit("unpushed", {"kept.txt": "committed\n"})
    (path / "café draft.txt").write_text("unsaved\n")
    result = repo.gatekit("worktree", "remove", "--force", "doomed")
    assert result.returncode == 0, result.stderr
    assert not path.exists()
    [ref] = repo.git("for-each-ref", "--format=%(refname)", "refs/gatekit/snapshots/").split()
    assert ref.startswith("refs/gatekit/snapshots/doomed/")
    assert repo.git("show", f"{ref}:café draft.txt") == "unsaved\n"
    assert repo.git("show", f"{ref}:kept.txt") == "committed\n"


def test_worktree_remove_clean_pushed_worktree_needs_no_force(repo: Repo) -> None:
    path = add(repo, "merged")  # same commit as main: nothing unique
    result = repo.gatekit("worktree", "remove", "merged")
    assert result.returncode == 0, result.stderr
    assert not path.exists()
    assert repo.git("for-each-ref", "refs/gatekit/") == ""


def test_worktree_remove_unknown_name_is_a_usage_error(repo: Repo) -> None:
    result = repo.gatekit("worktree", "remove", "nope")
    assert result.returncode == 2 and "no worktree named 'nope'" in result.stderr


def test_worktree_remove_refuses_main_worktree(repo: Repo) -> None:
    result = repo.gatekit("worktree", "remove", str(repo.path))
    assert result.returncode == 2 and "main worktree" in result.stderr


def test_status_json_lists_added_worktree(repo: Repo) -> None:
    add(repo, "listed")
    rows = json.loads(repo.gatekit("status", "--format", "json").stdout)["rows"]
    assert [r["branch"] for r in rows] == ["main", "listed"]


def test_worktree_remove_treats_ignored_files_as_state(repo: Repo) -> None:
    repo.commit("ignore", {".gitignore": ".env\nbuild/\n"})
    path = add(repo, "secrets")
    (path / ".env").write_text("TOKEN=only-copy\n")
    (path / "build").mkdir()
    (path / "build" / "out.o").write_bytes(b"\0" * 10)

    refused = repo.gatekit("worktree", "remove", "secrets")
    assert refused.returncode == 1, refused.stderr
    assert ".env" in refused.stderr and "ignored" in refused.stderr
    assert (path / ".env").read_text() == "TOKEN=only-copy\n"

    forced = repo.gatekit("worktree", "remove", "--force", "secrets")
    assert forced.returncode == 0, forced.stderr
    assert not path.exists()
    saved = [line for line in forced.stdout.splitlines() if "ignored file" in line]
    assert saved, forced.stdout
    kept = Path(saved[0].rsplit(" ", 1)[-1])
    assert (kept / ".env").read_text() == "TOKEN=only-copy\n"
    assert not (kept / "build").exists()  # build outputs are not state
