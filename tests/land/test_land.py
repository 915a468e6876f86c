"""gatekit land: integrate, verify, compare-and-swap; bisect, conflicts, worktrees."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from testing.gitlocks import kill_git_holding_index_lock, kill_git_holding_ref_lock
from testing.landing import (
    APP,
    LIB,
    app_repo,
    branch_with,
    builds,
    counter_lines,
    first_parent_commits,
    gate_config,
)
from testing.repo import Repo


def _semantic_conflict_branches(repo: Repo) -> None:
    # A renames helper -> assist and updates its callers; B adds a new caller of the old name.
    branch_with(
        repo, "A", {"lib.py": "def assist():\n    return 1\n", "app.py": APP.replace("helper", "assist")}
    )
    branch_with(repo, "B", {"report.py": "from lib import helper\n\n\ndef report():\n    return helper()\n"})


def test_semantic_conflict_lands_a_and_refuses_b_naming_the_gate(app: Repo, tmp_path: Path) -> None:
    _semantic_conflict_branches(app)
    a_before, b_before = app.rev("A"), app.rev("B")
    # Each builds alone.
    assert builds(app, "A", tmp_path) and builds(app, "B", tmp_path)
    result = app.gatekit("land", "A", "B", "--onto", "main")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "landed: A" in result.stdout
    assert "refused: B breaks the build: gate 'app' failed" in result.stdout
    assert "ImportError" in result.stdout  # the gate's own output names the problem
    assert "landed: B" not in result.stdout
    # main moved to a merge of A only; every first-parent commit builds.
    assert app.git("log", "-1", "--format=%s", "main").strip() == "Merge branch 'A' into main"
    for commit in first_parent_commits(app):
        assert builds(app, commit, tmp_path), commit
    # The branches themselves are never modified.
    assert (app.rev("A"), app.rev("B")) == (a_before, b_before)


def test_land_of_a_passing_branch_moves_main_to_a_verified_merge(app: Repo, counter: Path) -> None:
    feature = branch_with(app, "feature", {"extra.py": "X = 1\n"})
    old = app.rev("main")
    result = app.gatekit("land", "feature")
    assert result.returncode == 0, result.stderr
    new = app.rev("main")
    assert app.git("rev-list", "--parents", "-n1", new).split()[1:] == [old, feature]
    assert counter_lines(counter) == 1
    # The checked-out main worktree (clean) was carried along.
    assert (app.path / "extra.py").read_text() == "X = 1\n"
    assert app.git("status", "--porcelain").strip() == ""
    assert "updated the checkout of main" in result.stdout
    # The land verified the tree: a check of main now costs no gate run.
    check = app.gatekit("check", "--rev", "main")
    assert check.returncode == 0, check.stdout + check.stderr
    assert counter_lines(counter) == 1


def test_a_batch_lands_as_one_verified_merge_so_every_first_parent_commit_builds(
    app: Repo, tmp_path: Path, counter: Path
) -> None:
    # A calls a function only B adds: A alone breaks the build, A and B together build. Merged
    # one after the other, main's first-parent history would hold base+A, which nothing verified.
    a = branch_with(app, "A", {"caller.py": "from lib import added_by_b\n\nVALUE = added_by_b()\n"})
    b = branch_with(app, "B", {"lib.py": LIB + "\n\ndef added_by_b():\n    return 2\n"})
    assert not builds(app, "A", tmp_path)
    old = app.rev("main")
    result = app.gatekit("land", "A", "B")
    assert result.returncode == 0, result.stdout + result.stderr
    new = app.rev("main")
    assert app.git("rev-list", "--parents", "-n1", new).split()[1:] == [old, a, b]
    assert app.git("log", "-1", "--format=%s", new).strip() == "Merge branches 'A' and 'B' into main"
    assert first_parent_commits(app)[:2] == [new, old]
    assert counter_lines(counter) == 1  # one verification for the batch
    for commit in first_parent_commits(app):
        assert builds(app, commit, tmp_path), commit


def test_a_branch_another_in_the_batch_contains_is_not_a_second_parent(app: Repo) -> None:
    a = branch_with(app, "A", {"a.py": "A = 1\n"})
    app.git("switch", "-q", "-c", "B", "A")
    b = app.commit("b on top of a", {"b.py": "B = 1\n"})
    app.git("switch", "-q", "main")
    old = app.rev("main")
    result = app.gatekit("land", "A", "B")
    assert result.returncode == 0, result.stdout + result.stderr
    parents = app.git("rev-list", "--parents", "-n1", "main").split()[1:]
    assert parents == [old, b] and a != b


def test_conflicting_branch_is_refused_with_its_paths(app: Repo) -> None:
    branch_with(app, "one", {"lib.py": "def helper():\n    return 2\n"})
    branch_with(app, "two", {"lib.py": "def helper():\n    return 3\n"})
    result = app.gatekit("land", "one", "two")
    assert result.returncode == 1
    assert "landed: one" in result.stdout
    assert "refused: two conflicts with main in:\n  lib.py" in result.stdout


@pytest.mark.parametrize("name", ["spaces in name.txt", "café.txt", "-leading.txt", "new\nline.txt"])
def test_conflict_paths_are_reported_exactly(app: Repo, name: str) -> None:
    app.git("switch", "-q", "-c", "tmp")
    app.commit("base file", {name: "base\n"})
    app.git("switch", "-q", "main")
    app.git("merge", "-q", "--ff-only", "tmp")
    branch_with(app, "x", {name: "x\n"})
    branch_with(app, "y", {name: "y\n"})
    result = app.gatekit("land", "x", "y")
    assert result.returncode == 1
    assert f"  {name}" in result.stdout


def test_dry_run_shows_what_would_land_and_moves_nothing(app: Repo, counter: Path) -> None:
    branch_with(app, "feature", {"extra.py": "X = 1\n"})
    old = app.rev("main")
    result = app.gatekit("land", "feature", "--dry-run")
    assert result.returncode == 0, result.stderr
    assert "would land (if it verifies): feature" in result.stdout
    assert app.rev("main") == old
    assert counter_lines(counter) == 0


def test_dirty_target_worktree_is_refused_and_never_overwritten(app: Repo) -> None:
    branch_with(app, "feature", {"lib.py": "def helper():\n    return 5\n"})
    app.write("lib.py", "def helper():\n    return 'my unsaved edit'\n")
    old = app.rev("main")
    result = app.gatekit("land", "feature")
    assert result.returncode == 1
    assert "uncommitted changes" in result.stderr and "lib.py" in result.stderr
    assert app.rev("main") == old
    assert "my unsaved edit" in (app.path / "lib.py").read_text()


def test_target_checked_out_in_a_linked_worktree_is_brought_up_to_date(app: Repo, tmp_path: Path) -> None:
    app.git("switch", "-q", "-c", "workbench")
    linked = tmp_path / "main-checkout"
    app.git("worktree", "add", "-q", str(linked), "main")
    branch_with(app, "feature", {"extra.py": "X = 1\n"}, start="main")
    result = app.gatekit("land", "feature")
    assert result.returncode == 0, result.stderr
    assert (linked / "extra.py").read_text() == "X = 1\n"
    assert app.git("status", "--porcelain", cwd=linked).strip() == ""
    assert not (app.path / "extra.py").exists()  # the worktree on another branch is untouched


def test_untracked_file_in_the_way_refuses_before_main_moves(app: Repo) -> None:
    branch_with(app, "feature", {"extra.py": "X = 1\n"})
    app.write("extra.py", "mine, untracked\n")
    old = app.rev("main")
    result = app.gatekit("land", "feature")
    assert result.returncode == 1
    assert "would overwrite" in result.stderr
    assert app.rev("main") == old
    assert (app.path / "extra.py").read_text() == "mine, untracked\n"


@pytest.mark.parametrize("strategy", ["rebase", "squash"])
def test_rebase_and_squash_strategies_land_linear_history(app: Repo, strategy: str) -> None:
    branch_with(app, "feature", {"extra.py": "X = 1\n"}, message="add extra")
    app.git("switch", "-q", "feature")
    app.commit("add more", {"more.py": "Y = 2\n"})
    app.git("switch", "-q", "main")
    # Move main so a fast-forward is impossible.
    branch_with(app, "side", {"side.py": "Z = 3\n"})
    assert app.gatekit("land", "side").returncode == 0
    feature_tip = app.rev("feature")
    result = app.gatekit("land", "feature", "--strategy", strategy)
    assert result.returncode == 0, result.stdout + result.stderr
    subjects = app.git("log", "--format=%s%x09%P", "main").splitlines()
    parents = [line.split("\t")[1].split() for line in subjects]
    top = [line.split("\t")[0] for line in subjects]
    if strategy == "rebase":
        assert top[:2] == ["add more", "add extra"]
        assert len(parents[0]) == len(parents[1]) == 1
        assert app.git("log", "-1", "--format=%an", "main").strip() == "Ada Author"
    else:
        assert top[0] == "Squashed branch 'feature' into main"
        assert len(parents[0]) == 1
    assert app.git("ls-tree", "--name-only", "main").split() == sorted(
        ["app.py", "extra.py", "gatekit.toml", "lib.py", "more.py", "side.py"]
    )
    assert app.rev("feature") == feature_tip


def test_already_landed_branch_is_reported_not_relanded(app: Repo) -> None:
    branch_with(app, "feature", {"extra.py": "X = 1\n"})
    assert app.gatekit("land", "feature").returncode == 0
    main = app.rev("main")
    result = app.gatekit("land", "feature")
    assert result.returncode == 0
    assert "already in main: feature" in result.stdout
    assert app.rev("main") == main


def test_target_moved_during_verification_is_integrated_and_verified_again(
    tmp_path: Path, git_env: dict[str, str], counter: Path
) -> None:
    # The gate itself moves main (once) while it runs: the compare-and-swap must notice.
    mover = (
        "import os, subprocess, app\n"
        "open(os.environ['GATE_COUNTER'], 'a').write('run\\n')\n"
        "flag = os.environ['MOVE_FLAG']\n"
        "if not os.path.exists(flag):\n"
        "    open(flag, 'w').close()\n"
        "    repo = os.environ['REPO']\n"
        "    sidetip = subprocess.check_output(['git', '-C', repo, 'rev-parse', 'side'], text=True).strip()\n"
        "    subprocess.check_call(['git', '-C', repo, 'update-ref', 'refs/heads/main', sidetip])\n"
        "app.main()\n"
    )
    repo = app_repo(tmp_path / "repo", git_env, gate_config(gate_script=mover))
    branch_with(repo, "side", {"side.py": "S = 1\n"})
    branch_with(repo, "feature", {"extra.py": "X = 1\n"})
    repo.git("switch", "-q", "-c", "elsewhere")  # keep main's worktree out of the way
    env = {"MOVE_FLAG": str(tmp_path / "moved"), "REPO": str(repo.path)}
    result = repo.gatekit("land", "feature", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "main moved while verifying" in result.stderr
    main = repo.rev("main")
    assert repo.git("rev-list", "--parents", "-n1", main).split()[1:] == [
        repo.rev("side"),
        repo.rev("feature"),
    ]
    assert counter_lines(counter) == 2


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nope"], "names no branch or commit"),
        (["main"], "onto itself"),
        (["--onto", "no-such-branch", "x"], "no such branch"),
        (["--onto", "bad..name", "x"], "not a valid branch name"),
        (["--strategy", "octopus", "x"], "octopus"),
    ],
)
def test_bad_land_arguments_are_usage_errors(app: Repo, args: list[str], message: str) -> None:
    branch_with(app, "x", {"x.py": "\n"})
    old = app.rev("main")
    result = app.gatekit("land", *args)
    assert result.returncode == 2, result.stdout + result.stderr
    assert message in result.stderr
    assert app.rev("main") == old


def test_land_without_gates_is_a_usage_error(tmp_path: Path, git_env: dict[str, str]) -> None:
    from testing.repo import init_repo

    repo = init_repo(tmp_path / "plain", git_env, {"notes.txt": "plain\n"})
    branch_with(repo, "x", {"x.txt": "x\n"})
    old = repo.rev("main")
    result = repo.gatekit("land", "x")
    assert result.returncode == 2
    assert "no gates" in result.stderr
    assert repo.rev("main") == old


def _killed_between_swap_and_carry(app: Repo) -> Path:
    """The state a SIGKILL between the compare-and-swap and the checkout update leaves behind:
    main moved (first landed), the worktree's index and files are still the old commit's, and
    the swap journal is there. Returns the journal."""
    branch_with(app, "first", {"first.py": "A = 1\n"})
    branch_with(app, "second", {"second.py": "B = 1\n"})
    old = app.rev("main")
    assert app.gatekit("land", "first").returncode == 0
    app.git("read-tree", "-u", "--reset", old)
    journal = app.path / ".git" / "gatekit" / "locks" / "land-swap.json"
    journal.write_text(
        json.dumps({"worktree": str(app.path), "ref": "refs/heads/main", "old": old, "new": app.rev("main")})
    )
    return journal


def _assert_second_landed_and_checkout_clean(app: Repo, result: subprocess.CompletedProcess[str]) -> None:
    assert result.returncode == 0, result.stdout + result.stderr
    assert "finished updating the checkout" in result.stderr
    assert app.git("status", "--porcelain").strip() == ""
    assert (app.path / "first.py").exists() and (app.path / "second.py").exists()


def test_checkout_left_behind_by_a_killed_land_is_finished_by_the_next_land(app: Repo) -> None:
    journal = _killed_between_swap_and_carry(app)
    assert app.git("status", "--porcelain").strip() != ""  # looks dirty
    _assert_second_landed_and_checkout_clean(app, app.gatekit("land", "second"))
    assert not journal.exists()


def test_an_index_lock_left_by_a_land_killed_mid_carry_is_removed_and_the_carry_finished(app: Repo) -> None:
    # Killed in the carry's read-tree: its index.lock is still there too (a real git, killed
    # while holding it).
    journal = _killed_between_swap_and_carry(app)
    lock = kill_git_holding_index_lock(app)
    result = app.gatekit("land", "second")
    _assert_second_landed_and_checkout_clean(app, result)
    assert f"removed {lock}" in result.stderr
    assert not lock.exists() and not journal.exists()


def test_land_refuses_when_no_gate_runs_at_the_land_stage(tmp_path: Path, git_env: dict[str, str]) -> None:
    config = gate_config().replace(
        '[[gates]]\nname = "app"\n', '[[gates]]\nname = "app"\nstages = ["pre-commit"]\n'
    )
    repo = app_repo(tmp_path / "repo", git_env, config)
    branch_with(repo, "x", {"x.py": "X = 1\n"})
    old = repo.rev("main")
    result = repo.gatekit("land", "x")
    assert result.returncode == 2, result.stdout + result.stderr
    assert "no gate runs at stage 'land'" in result.stderr
    assert repo.rev("main") == old


def test_a_refused_land_and_a_dry_run_change_nothing_the_user_owns(app: Repo) -> None:
    from testing.state import capture_state

    branch_with(app, "broken", {"broken.py": "from lib import nothing_here\n"})
    app.write("untracked.txt", "mine\n")
    before = capture_state(app.path, app.env)
    assert app.gatekit("land", "broken").returncode == 1
    assert app.gatekit("land", "broken", "--dry-run").returncode == 0
    assert capture_state(app.path, app.env) == before


def _kill_git_holding_ref_lock(repo: Repo, ref: str, new: str) -> Path:
    lock = kill_git_holding_ref_lock(repo, ref, new)
    assert (repo.path / ".git" / "HEAD.lock").exists()  # main is checked out: HEAD was locked too
    return lock


def test_a_ref_lock_left_by_a_land_killed_mid_swap_is_removed_by_the_next_land(app: Repo) -> None:
    # A land killed while its `git update-ref` held main's lock leaves the journal and the lock.
    branch_with(app, "first", {"first.py": "A = 1\n"})
    old, intended = app.rev("main"), app.rev("first")
    journal = app.path / ".git" / "gatekit" / "locks" / "land-swap.json"
    journal.parent.mkdir(parents=True, exist_ok=True)
    journal.write_text(json.dumps({"worktree": None, "ref": "refs/heads/main", "old": old, "new": intended}))
    lock = _kill_git_holding_ref_lock(app, "refs/heads/main", intended)
    result = app.gatekit("land", "first")
    assert result.returncode == 0, result.stdout + result.stderr
    head_lock = app.path / ".git" / "HEAD.lock"
    assert f"removed {lock}" in result.stderr and f"removed {head_lock}" in result.stderr
    assert "moved while verifying" not in result.stderr
    assert not lock.exists() and not head_lock.exists() and not journal.exists()
    assert app.rev("main") != old and (app.path / "first.py").exists()  # landed, checkout carried


def test_a_ref_lock_land_does_not_own_refuses_naming_it_and_is_left_alone(app: Repo) -> None:
    branch_with(app, "first", {"first.py": "A = 1\n"})
    old = app.rev("main")
    lock = _kill_git_holding_ref_lock(app, "refs/heads/main", app.rev("first"))  # no land journal
    result = app.gatekit("land", "first")
    assert result.returncode == 1, result.stdout + result.stderr
    head_lock = app.path / ".git" / "HEAD.lock"
    assert f"refs/heads/main is locked by {lock} and {head_lock}" in result.stderr
    assert "remove those files and land again" in result.stderr
    assert "moved while verifying" not in result.stderr  # a lock is not a moving target
    assert lock.exists() and head_lock.exists() and app.rev("main") == old
    lock.unlink()
    head_lock.unlink()
    assert app.gatekit("land", "first").returncode == 0
