"""`gatekit session ...`: records in the worktree's own git dir, listed across worktrees."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from gatekit.git import get_repo_paths
from gatekit.guard.sessions_store import LedgerEntry, load_session, session_path
from testing.guard import Writer
from testing.repo import Repo


def listing(repo: Repo) -> dict[str, dict]:
    result = repo.gatekit("session", "list", "--format", "json")
    assert result.returncode == 0, result.stderr
    return {row["name"]: row for row in json.loads(result.stdout)}


def test_start_records_the_baseline_in_the_worktree_git_dir(repo: Repo) -> None:
    repo.write("dirty before.txt", "already dirty\n")
    result = repo.gatekit("session", "start", "--name", "agent-1", "--claim", "src/**", "--claim", "docs/")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "agent-1"
    assert "GATEKIT_SESSION=agent-1" in result.stderr
    record = load_session(get_repo_paths(repo.path).git_dir, "agent-1")
    assert record is not None
    assert record.claims == ["src/**", "docs/"]
    assert record.branch == "main" and record.head == repo.rev()
    start = record.data.start
    assert start is not None and start.head_log_count == 1 and start.stash == []
    assert list(start.dirty) == ["dirty before.txt"]


def test_checkpoint_ledger_records_before_and_after_content(repo: Repo) -> None:
    w = Writer(repo, "A").start()
    repo.write("README.md", "changed\n")
    repo.write("new.txt", "created\n")
    w.checkpoint()
    record = load_session(get_repo_paths(repo.path).git_dir, "A")
    assert record is not None
    ledger = record.data.ledger
    head_blob = repo.git("rev-parse", "HEAD:README.md").strip()
    assert ledger["README.md"].before == head_blob
    assert ledger["README.md"].after == repo.git("hash-object", "README.md").strip()
    assert ledger["new.txt"] == LedgerEntry(
        before=None, after=repo.git("hash-object", "new.txt").strip(), head=None
    )
    assert ledger["README.md"].head == head_blob


def test_checkpoint_without_claims_leaves_other_sessions_files_alone(repo: Repo) -> None:
    Writer(repo, "B").start("theirs/")
    a = Writer(repo, "A").start()
    repo.write("theirs/t.txt", "B's\n")
    repo.write("mine.txt", "A's\n")
    a.checkpoint()
    record = load_session(get_repo_paths(repo.path).git_dir, "A")
    assert record is not None and list(record.data.ledger) == ["mine.txt"]


def test_anonymous_checkpoint_lets_clobber_work_without_a_session(repo: Repo) -> None:
    repo.write("README.md", "work in progress\n")
    assert repo.gatekit("session", "checkpoint").returncode == 0
    repo.git("reset", "--hard", "HEAD")
    result = repo.gatekit("clobber", "--format", "json")
    assert result.returncode == 1
    found = [s["kind"] for s in json.loads(result.stdout)["signals"]]
    assert "unexplained-reset" in found and "reverted-edit" in found


def test_list_spans_worktrees_and_tells_dead_from_alive(repo: Repo, tmp_path: Path) -> None:
    linked = repo.worktree_add(tmp_path / "wt", "feature")
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        assert repo.gatekit("session", "start", "--name", "live", "--pid", str(sleeper.pid)).returncode == 0
        dead = subprocess.run(
            [sys.executable, "-c", "import os; print(os.getpid())"],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert (
            linked.gatekit("session", "start", "--name", "gone", "--pid", dead.stdout.strip()).returncode == 0
        )
        rows = listing(linked)
        assert rows["live"]["alive"] is True and rows["live"]["worktree_id"] == "main"
        assert rows["gone"]["alive"] is False and rows["gone"]["branch"] == "feature"
        text = repo.gatekit("session", "list").stdout
        assert "live" in text and "gone" in text
    finally:
        sleeper.kill()
        sleeper.wait()


def test_end_removes_the_session(repo: Repo) -> None:
    Writer(repo, "A").start()
    assert Writer(repo, "A").gatekit("session", "end").returncode == 0
    assert listing(repo) == {}
    assert repo.gatekit("session", "end").returncode == 2  # no current session


def test_same_name_twice_is_refused(repo: Repo) -> None:
    Writer(repo, "A").start()
    again = repo.gatekit("session", "start", "--name", "A")
    assert again.returncode == 2 and "already exists" in again.stderr


@pytest.mark.parametrize("name", ["../escape", "-dash", "a b", "x" * 65, ""])
def test_bad_session_names_are_usage_errors(repo: Repo, name: str) -> None:
    result = repo.gatekit("session", "start", "--name", name)
    assert result.returncode == 2, result.stdout
    assert not list((repo.path / ".git").glob("gatekit/sessions/*.json"))


def test_declare_and_run_need_a_session(repo: Repo) -> None:
    assert repo.gatekit("session", "declare", "reset").returncode == 2
    assert repo.gatekit("session", "run", "--", "true").returncode == 2
    w = Writer(repo, "A").start()
    assert w.gatekit("session", "declare", "rebase").returncode == 2


def test_session_run_passes_the_exit_code_through(repo: Repo) -> None:
    w = Writer(repo, "A").start()
    assert w.gatekit("session", "run", "--", "sh", "-c", "exit 7").returncode == 7
    assert w.gatekit("session", "run", "--", "no-such-program-xyz").returncode == 2


def test_session_record_keeps_its_on_disk_format_and_reads_older_records(repo: Repo) -> None:
    Writer(repo, "A").start()
    git_dir = get_repo_paths(repo.path).git_dir
    path = session_path(git_dir, "A")
    data = json.loads(path.read_text())["data"]
    assert {"start", "baseline", "ledger", "declared", "explained"} <= set(data)
    assert set(data["start"]) == {
        "time",
        "head",
        "branch",
        "head_log_count",
        "head_log_last",
        "stash",
        "dirty",
    }
    # As an older gatekit wrote it: no checkpoint count, an empty `explained`, a declaration.
    data.update(explained={}, ledger={"a.txt": {"before": None, "after": "1" * 40, "head": None}})
    data["declared"] = [{"op": "stash", "head_pos": 1, "stash": [], "at": 1.0}]
    del data["checkpoints"]
    path.write_text(json.dumps({**json.loads(path.read_text()), "data": data}))
    record = load_session(git_dir, "A")
    assert record is not None
    assert record.data.ledger == {"a.txt": LedgerEntry(None, "1" * 40, None)}
    assert [d.op for d in record.data.declared] == ["stash"] and record.data.checkpoints == 0
    assert record.data.explained.head == [] and record.data.start is not None


def test_a_corrupt_session_record_is_named_with_the_fix_and_can_be_ended(repo: Repo) -> None:
    assert repo.gatekit("session", "start", "--name", "s1").returncode == 0
    record = repo.path / ".git" / "gatekit" / "sessions" / "s1.json"
    record.write_text('{"name": "s1", "pid": ')  # torn by a full disk, an editor, anything

    used = repo.gatekit("session", "checkpoint", env={"GATEKIT_SESSION": "s1"})
    assert used.returncode == 2, used.stderr
    assert "corrupt" in used.stderr and str(record) in used.stderr
    assert "gatekit session end --session s1" in used.stderr
    assert "no session named" not in used.stderr

    listed = repo.gatekit("session", "list")
    assert listed.returncode == 0, listed.stderr  # one bad record does not hide the others

    ended = repo.gatekit("session", "end", "--session", "s1")
    assert ended.returncode == 0, ended.stderr
    assert "corrupt" in ended.stdout + ended.stderr
    assert not record.exists()
