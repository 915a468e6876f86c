"""The target's committed configuration decides (issue 11, item 4): editing the gate in a
feature worktree — uncommitted, or committed on the branch — never lands or pushes a branch that
fails the target's real gate."""

from __future__ import annotations

from pathlib import Path

from testing.repo import Repo
from testing.samples import python_project

LENIENT = '[[gates]]\nname = "build"\nrun = "true"\n'


def feature_worktree(tmp_path: Path, git_env: dict[str, str]) -> tuple[Repo, Repo]:
    """main (whose gate imports every module) and a linked worktree on `feature` that breaks it."""
    main = python_project(tmp_path / "main", git_env)
    feature = main.worktree_add(tmp_path / "feature", "feature")
    feature.commit("break the build", {"src/bad.py": "def oops(:\n"})
    return main, feature


def test_land_ignores_an_uncommitted_gate_edit_in_the_feature_worktree(
    tmp_path: Path, git_env: dict[str, str]
) -> None:
    main, feature = feature_worktree(tmp_path, git_env)
    before = main.rev("main")
    feature.write("gatekit.toml", LENIENT)  # uncommitted: the gate now always passes
    result = feature.gatekit("land", "feature", "--onto", "main")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "SyntaxError" in result.stdout + result.stderr
    assert main.rev("main") == before


def test_land_uses_the_targets_config_not_the_branchs_committed_edit(
    tmp_path: Path, git_env: dict[str, str]
) -> None:
    main, feature = feature_worktree(tmp_path, git_env)
    before = main.rev("main")
    feature.commit("weaken the gate", {"gatekit.toml": LENIENT})
    result = main.gatekit("land", "feature", "--onto", "main")
    assert result.returncode == 1, result.stdout + result.stderr
    assert main.rev("main") == before
    assert f"gatekit.toml at main ({before[:12]})" in result.stdout + result.stderr


def test_merge_into_check_uses_the_targets_committed_config_and_says_so(
    tmp_path: Path, git_env: dict[str, str]
) -> None:
    main, feature = feature_worktree(tmp_path, git_env)
    feature.write("gatekit.toml", LENIENT)
    result = feature.gatekit("check", "--merge-into", "main")
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"config: gatekit.toml at main ({main.rev('main')[:12]})" in result.stdout
    # A plain check of HEAD is the writer's own loop: the working tree's config, named as such.
    own = feature.gatekit("check", "--rev", "HEAD")
    assert own.returncode == 0, own.stdout + own.stderr
    assert "config: gatekit.toml (working tree)" in own.stdout


def test_verify_push_uses_the_remote_branchs_committed_config(
    tmp_path: Path, git_env: dict[str, str]
) -> None:
    main, feature = feature_worktree(tmp_path, git_env)
    feature.write("gatekit.toml", LENIENT)
    tip = feature.rev("HEAD")
    stdin = f"refs/heads/feature {tip} refs/heads/main {main.rev('main')}\n".encode()
    result = feature.gatekit("verify-push", "origin", "unused-url", input=stdin)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "failed (a gate failed)" in result.stderr
    # Committing the weaker gate on the branch does not help either.
    feature.commit("weaken the gate", {"gatekit.toml": LENIENT})
    tip = feature.rev("HEAD")
    stdin = f"refs/heads/feature {tip} refs/heads/main {main.rev('main')}\n".encode()
    result = feature.gatekit("verify-push", "origin", "unused-url", input=stdin)
    assert result.returncode == 1, result.stdout + result.stderr


def test_a_target_with_a_broken_committed_config_is_exit_2_naming_the_commit(
    tmp_path: Path, git_env: dict[str, str]
) -> None:
    main, feature = feature_worktree(tmp_path, git_env)
    main.commit("bad config", {"gatekit.toml": "[[gates]]\nname = 1\n"})
    result = feature.gatekit("check", "--merge-into", "main")
    assert result.returncode == 2
    assert "gatekit.toml at main" in result.stderr
