from __future__ import annotations

import json
import os
import time
from pathlib import Path

from gatekit.guard.sessions_store import SessionRecord, save_session
from testing.gitlocks import git_holding_index_lock
from testing.landing import branch_with
from testing.repo import Repo
from testing.state import capture_state


def status_report(repo: Repo, *args: str) -> dict:
    result = repo.gatekit("status", "--format", "json", *args)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["version"] == 1
    return report


def status_rows(repo: Repo, *args: str) -> list[dict]:
    return status_report(repo, *args)["rows"]


def test_status_over_fifty_worktrees_reports_each_one(repo: Repo, tmp_path: Path) -> None:
    for i in range(50):
        wt = repo.worktree_add(tmp_path / "wts" / f"w{i:02d}", f"task-{i:02d}")
        if i % 7 == 0:
            wt.commit(f"work {i}", {f"done-{i}.txt": "y\n"})
        if i % 5 == 0:
            wt.write(f"dirty-{i}.txt", "x\n")
    before = capture_state(repo.path, repo.env)
    rows = status_rows(repo)
    assert capture_state(repo.path, repo.env) == before
    assert len(rows) == 51
    by_branch = {row["branch"]: row for row in rows}
    assert by_branch["task-00"]["dirty"] == 1 and by_branch["task-00"]["ahead"] == 1
    assert by_branch["task-05"]["dirty"] == 1 and by_branch["task-05"]["ahead"] == 0
    assert by_branch["task-07"]["dirty"] == 0 and by_branch["task-07"]["ahead"] == 1
    assert by_branch["task-01"]["dirty"] == 0
    assert sum(row["dirty"] for row in rows) == 10
    assert all(row["error"] is None for row in rows)
    table = repo.gatekit("status").stdout.splitlines()
    assert table[0].split()[:3] == ["WORKTREE", "BRANCH", "AHEAD/BEHIND"]
    assert len(table) == 52


def test_status_shows_behind_upstream_and_oldest_change(repo: Repo, tmp_path: Path) -> None:
    wt = repo.worktree_add(tmp_path / "feature wt", "feature")
    repo.commit("main moves", {"m.txt": "1\n"})
    repo.commit("main moves again", {"m.txt": "2\n"})
    note = wt.write("café notes.txt", "draft\n")
    old = time.time() - 7200
    os.utime(note, (old, old))
    remote = tmp_path / "remote.git"
    repo.git("init", "-q", "--bare", str(remote))
    repo.git("remote", "add", "origin", str(remote))
    repo.git("push", "-q", "-u", "origin", "main")
    rows = {row["branch"]: row for row in status_rows(repo)}
    feature = rows["feature"]
    assert (feature["ahead"], feature["behind"]) == (0, 2)
    assert feature["dirty"] == 1
    assert 7000 < feature["oldest_change_age"] < 7400
    assert feature["upstream"] == "none"
    assert rows["main"]["upstream"] == "pushed"
    repo.commit("unpushed", {"m.txt": "3\n"})
    assert {r["branch"]: r for r in status_rows(repo)}["main"]["upstream"] == "ahead 1"


def test_status_flags_detached_locked_missing_and_stale_lock(repo: Repo, tmp_path: Path) -> None:
    repo.git("worktree", "add", "-q", "--detach", str(tmp_path / "det"), "HEAD")
    repo.worktree_add(tmp_path / "locked", "locked-branch")
    repo.git("worktree", "lock", "--reason", "on a usb disk", str(tmp_path / "locked"))
    gone = repo.worktree_add(tmp_path / "gone", "gone-branch")
    stale = repo.worktree_add(tmp_path / "stale", "stale-branch")
    lock = Path(stale.git("rev-parse", "--path-format=absolute", "--git-path", "index.lock").strip())
    lock.write_bytes(b"")
    os.utime(lock, (time.time() - 3600, time.time() - 3600))
    import shutil

    shutil.rmtree(gone.path)
    rows = {Path(row["path"]).name: row for row in status_rows(repo)}
    assert "detached" in rows["det"]["flags"]
    assert rows["det"]["branch"] is None
    assert "locked" in rows["locked"]["flags"]
    assert "prunable" in rows["gone"]["flags"]
    assert rows["gone"]["dirty"] is None
    assert "stale-lock" in rows["stale"]["flags"] and "clobber" in rows["stale"]["flags"]
    assert rows["repo"]["flags"] == []


def test_status_flags_no_stale_lock_for_an_old_index_lock_a_live_git_holds(repo: Repo) -> None:
    with git_holding_index_lock(repo):
        [row] = status_rows(repo)
    assert "stale-lock" not in row["flags"] and "clobber" not in row["flags"]


def test_status_shows_live_sessions_claims_and_reset_clobber(repo: Repo, tmp_path: Path) -> None:
    wt = repo.worktree_add(tmp_path / "agent", "agent")
    git_dir = Path(wt.git("rev-parse", "--path-format=absolute", "--git-dir").strip())
    started = time.time() - 60
    save_session(git_dir, SessionRecord("a1", os.getpid(), started, str(wt.path), "agent", None, ["src/**"]))
    save_session(
        git_dir,
        SessionRecord("dead", 2**22 + 12345, started, str(wt.path), "agent", None, ["docs/**"]),
    )
    row = next(r for r in status_rows(repo) if r["branch"] == "agent")
    assert [(x["name"], x["pid"], x["claims"]) for x in row["sessions"]] == [("a1", os.getpid(), ["src/**"])]
    assert (row["claims"], row["flags"]) == (["src/**"], [])
    # Reflog entries carry GIT_COMMITTER_DATE: a reset stamped before the session is no signal.
    wt.git("reset", "-q", "--hard", "HEAD")
    assert "clobber" not in next(r for r in status_rows(repo) if r["branch"] == "agent")["flags"]
    wt.env = {**repo.env, "GIT_COMMITTER_DATE": f"{int(time.time())} +0000"}
    wt.git("reset", "-q", "--hard", "HEAD")
    row = next(r for r in status_rows(repo) if r["branch"] == "agent")
    assert "clobber" in row["flags"]


def test_status_all_branches_adds_branches_without_worktree(repo: Repo) -> None:
    branch_with(repo, "parked", {"p.txt": "1\n"})
    rows = status_rows(repo, "--all-branches")
    parked = next(r for r in rows if r["branch"] == "parked")
    assert (parked["kind"], parked["path"], parked["ahead"], parked["behind"]) == (
        "branch",
        None,
        1,
        0,
    )
    assert all(r["branch"] != "parked" for r in status_rows(repo))
    assert "(no worktree)" in repo.gatekit("status", "--all-branches").stdout


def test_status_shows_last_snapshot_age(repo: Repo) -> None:
    repo.git("update-ref", "refs/gatekit/snapshots/main/1", "HEAD")
    row = status_rows(repo)[0]
    assert row["snapshot_age"] is not None and row["snapshot_age"] > 0  # fixed 2023 test dates
    assert status_rows(repo)[0]["snapshot_age"] >= row["snapshot_age"]


def test_status_outside_a_repository_is_a_usage_error(tmp_path: Path, git_env: dict[str, str]) -> None:
    from testing.repo import run_gatekit

    result = run_gatekit(["status"], cwd=tmp_path, env=git_env)
    assert result.returncode == 2
    assert "not inside a git repository" in result.stderr


def test_status_from_a_linked_worktree_lists_the_whole_fleet(repo: Repo, tmp_path: Path) -> None:
    wt = repo.worktree_add(tmp_path / "linked", "linked")
    result = wt.gatekit("status", "--format", "json")
    assert result.returncode == 0, result.stderr
    assert [row["branch"] for row in json.loads(result.stdout)["rows"]] == ["main", "linked"]


def test_status_with_unknown_target_is_a_usage_error(repo: Repo) -> None:
    result = repo.gatekit("status", "--target", "nope")
    assert result.returncode == 2 and "'nope'" in result.stderr


def test_status_without_the_default_target_branch_still_works(make_repo) -> None:  # type: ignore[no-untyped-def]
    # With zero config the target is found (issue 11: default branch, else the checked-out
    # one); a configured target that does not exist must still leave status working.
    repo = make_repo("trunk-repo", {"gatekit.toml": 'target = "main"\n'})
    repo.git("branch", "-m", "trunk")
    [row] = status_rows(repo)
    assert (row["branch"], row["ahead"], row["behind"]) == ("trunk", None, None)
    repo.write("gatekit.toml", "")
    [row] = status_rows(repo)
    assert (row["branch"], row["ahead"], row["behind"]) == ("trunk", 0, 0)  # trunk is the default


def test_status_watch_refreshes_in_place(repo: Repo) -> None:

    screen = repo.path.parent / "watch-output"
    with open(screen, "wb") as sink:
        proc = repo.spawn_gatekit("status", "--watch", "0.2", stdout=sink)
        try:
            deadline = time.monotonic() + 30
            while screen.read_bytes().count(b"WORKTREE") < 2 and time.monotonic() < deadline:
                assert proc.poll() is None, proc.stderr.read()  # type: ignore[union-attr]
                time.sleep(0.1)
        finally:
            proc.terminate()
            proc.communicate(timeout=10)
    assert screen.read_bytes().count(b"WORKTREE") >= 2  # refreshed at least once (piped: no clear codes)


def test_status_json_names_target_commits_diverged_counts_and_lock_reasons(
    repo: Repo, tmp_path: Path
) -> None:
    remote = tmp_path / "remote.git"
    repo.git("init", "-q", "--bare", str(remote))
    repo.git("remote", "add", "origin", str(remote))
    repo.git("push", "-q", "-u", "origin", "main")
    clone = tmp_path / "other-clone"
    repo.git("clone", "-q", str(remote), str(clone))
    other = Repo(clone, repo.env)
    other.commit("theirs 1", {"t.txt": "1\n"})
    other.commit("theirs 2", {"t.txt": "2\n"})
    other.git("push", "-q", "origin", "main")
    repo.commit("mine", {"m.txt": "1\n"})
    repo.git("fetch", "-q", "origin")
    locked = repo.worktree_add(tmp_path / "held", "held")
    repo.git("worktree", "lock", "--reason", "on a USB disk", str(locked.path))
    report = status_report(repo)
    assert (report["target"], report["target_commit"]) == ("main", repo.rev("main"))
    rows = {row["branch"]: row for row in report["rows"]}
    main = rows["main"]
    assert main["head"] == repo.rev("main")
    assert (main["upstream"], main["upstream_ref"]) == ("diverged", "origin/main")
    assert (main["upstream_ahead"], main["upstream_behind"]) == (1, 2)
    assert rows["held"]["locked_reason"] == "on a USB disk"
    assert rows["held"]["sessions"] == []


def test_status_table_fits_the_terminal_and_wide_shows_everything(repo: Repo, tmp_path: Path) -> None:
    long_names = [f"feature/very-long-branch-name-for-the-task-number-{i}-of-the-sprint" for i in range(3)]
    for i, name in enumerate(long_names):
        repo.worktree_add(tmp_path / "worktrees-of-a-long-project-name" / f"agent-worktree-{i}", name)
    narrow = repo.gatekit("status", env={"COLUMNS": "100"}).stdout.splitlines()
    assert max(len(line) for line in narrow) <= 100
    assert any("…" in line for line in narrow)
    assert len(narrow) == 5
    wide = repo.gatekit("status", "--wide", env={"COLUMNS": "100"}).stdout
    assert all(name in wide for name in long_names)
    assert max(len(line) for line in wide.splitlines()) > 100
