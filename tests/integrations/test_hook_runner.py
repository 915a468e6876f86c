"""What each git hook runs, pre-push input parsing, and the pre-commit stash hazard detector."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from gatekit.git import NULL_OID
from gatekit.integrations.hook_runner import (
    Step,
    hook_exit_code,
    pushed_commits,
    run_steps,
    steps_for,
)
from gatekit.integrations.precommit_hazard import (
    find_hidden_changes,
    hazard_warning,
    patch_files,
    precommit_store_dir,
)

A, B = "a" * 40, "b" * 40


def test_pre_push_lines_name_every_pushed_commit_once_and_skip_deletions() -> None:
    stdin = (
        f"refs/heads/x {A} refs/heads/x {NULL_OID}\n"
        f"refs/heads/y {A} refs/heads/y {B}\n"
        f"(delete) {NULL_OID} refs/heads/gone {B}\n"
    ).encode()
    assert pushed_commits(stdin, {}) == [A]


def test_a_pushed_source_with_spaces_is_checked_like_any_other() -> None:
    stdin = f"HEAD@{{1 minute ago}} {A} refs/heads/x {NULL_OID}\n".encode()
    assert pushed_commits(stdin, {}) == [A]
    steps = steps_for("pre-push", stdin, {}, git_args=("origin", "/srv/remote.git"))
    assert [s.argv for s in steps][1:] == [("check", "--rev", A, "--stage", "pre-push")]


def test_pre_commit_framework_variables_name_the_pushed_commit() -> None:
    assert pushed_commits(b"", {"PRE_COMMIT": "1", "PRE_COMMIT_TO_REF": B}) == [B]
    assert pushed_commits(b"", {"PRE_COMMIT": "1"}) == ["HEAD"]  # pre-commit run --hook-stage pre-push


def test_pre_push_checks_each_pushed_commit_at_the_pre_push_stage() -> None:
    stdin = f"refs/heads/x {A} refs/heads/x {B}\n".encode()
    steps = steps_for("pre-push", stdin, {}, git_args=("origin", "/srv/remote.git"))
    assert [s.name for s in steps] == ["verify-push", "check"]
    assert steps[0].stdin and steps[0].argv == ("verify-push", "origin", "/srv/remote.git")
    assert steps[1].argv == ("check", "--rev", A, "--stage", "pre-push")


@pytest.mark.parametrize(
    ("hook", "names"),
    [
        ("pre-commit", ["protect", "clobber", "overlap", "check"]),
        ("post-commit", ["snapshot"]),
        ("post-checkout", ["snapshot"]),
        ("post-merge", ["snapshot"]),
    ],
)
def test_each_git_hook_runs_its_guards_in_order(hook: str, names: list[str]) -> None:
    assert [s.name for s in steps_for(hook, b"", {})] == names


def test_pre_commit_check_is_the_staged_subject_with_affected_packages() -> None:
    check = steps_for("pre-commit", b"", {})[-1]
    assert check.argv == ("check", "--staged", "--stage", "pre-commit", "--affected")


def test_unknown_hook_is_refused() -> None:
    with pytest.raises(ValueError, match="no pre-rebase hook"):
        steps_for("pre-rebase")


def test_skipped_guards_do_not_run(capsys: pytest.CaptureFixture[str]) -> None:
    steps = [Step("protect", ("no-such-command",)), Step("snapshot", ("no-such-command",), blocking=False)]
    results = run_steps(steps, env={**os.environ, "GATEKIT_SKIP": "protect, snapshot"})
    assert [r.returncode for r in results] == [None, None]
    err = capsys.readouterr().err
    assert "protect skipped (GATEKIT_SKIP)" in err and "snapshot skipped (GATEKIT_SKIP)" in err
    assert hook_exit_code(results) == 0


def test_a_blocking_failure_stops_the_hook_and_sets_its_exit_code() -> None:
    steps = [Step("bad", ("no-such-command",)), Step("later", ("--version",))]
    results = run_steps(steps)
    assert len(results) == 1
    assert hook_exit_code(results) == 2  # click: no such command -> usage error


def test_a_non_blocking_failure_does_not_stop_the_hook() -> None:
    steps = [Step("warn", ("no-such-command",), blocking=False), Step("ok", ("--version",))]
    results = run_steps(steps)
    assert [r.returncode for r in results] == [2, 0]
    assert hook_exit_code(results) == 0


# -- the pre-commit stash hazard ---------------------------------------------------------------

PATCH = (
    b"diff --git a/src/lib.py b/src/lib.py\nindex 1..2 100644\n"
    b"--- a/src/lib.py\n+++ b/src/lib.py\n@@ -1 +1 @@\n-a\n+b\n"
)


def test_patch_written_by_our_parent_pre_commit_is_reported(tmp_path: Path) -> None:
    env = {"PRE_COMMIT": "1", "PRE_COMMIT_HOME": str(tmp_path)}
    (tmp_path / "patch1700000000-4242").write_bytes(PATCH)
    hidden = find_hidden_changes(parent_pid=4242, env=env)
    assert hidden is not None
    assert hidden.files == ("src/lib.py",)
    assert "git checkout -- ." in hazard_warning(hidden)
    assert "gatekit install-hooks" in hazard_warning(hidden)


@pytest.mark.parametrize(
    ("files", "env_extra", "pid"),
    [
        ({"patch1700000000-99": PATCH}, {}, 4242),  # another pre-commit run's old patch
        ({"patch1700000000-4242": b""}, {}, 4242),  # nothing was unstaged
        ({"patch1700000000-4242": PATCH}, {"PRE_COMMIT": ""}, 4242),  # not under pre-commit
    ],
)
def test_no_hazard_without_a_patch_from_this_run(
    tmp_path: Path, files: dict[str, bytes], env_extra: dict[str, str], pid: int
) -> None:
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    env = {"PRE_COMMIT": "1", "PRE_COMMIT_HOME": str(tmp_path), **env_extra}
    assert find_hidden_changes(parent_pid=pid, env=env) is None


def test_store_dir_follows_pre_commit_rules(tmp_path: Path) -> None:
    assert precommit_store_dir({"PRE_COMMIT_HOME": "/x"}) == Path("/x")
    assert precommit_store_dir({"XDG_CACHE_HOME": "/c"}) == Path("/c/pre-commit")
    assert precommit_store_dir({"HOME": str(tmp_path)}) == tmp_path / ".cache" / "pre-commit"


def test_patch_files_lists_binary_and_text_paths_once() -> None:
    data = PATCH + b"diff --git a/img one.png b/img one.png\nGIT binary patch\n"
    assert patch_files(data) == ("src/lib.py", "img one.png")


def test_in_process_runner_maps_outcomes_to_exit_codes_and_restores_stdin() -> None:
    from gatekit.integrations.hook_runner import run_in_process

    saved = sys.stdin
    assert run_in_process(["--version"], b"", os.environ) == 0
    assert run_in_process(["no-such-command"], b"", os.environ) == 2
    assert run_in_process(["check", "--stage", "nope"], b"", os.environ) == 2
    assert sys.stdin is saved
