"""The default branch in two git calls, with the answers of the old one-question-per-ref lookup."""

from __future__ import annotations

from pathlib import Path

from gatekit import git
from testing.repo import init_repo


def test_a_branch_below_a_candidate_name_is_not_that_candidate(
    tmp_path: Path, git_env: dict[str, str]
) -> None:
    repo = init_repo(tmp_path / "r", git_env)
    repo.git("branch", "-m", "main", "dev")
    repo.git("branch", "master/topic")  # refs/heads/master/topic: no branch named master
    assert git.default_branch(repo.path) is None
    repo.git("branch", "trunk")
    assert git.default_branch(repo.path) == "trunk"


def test_a_dangling_origin_head_falls_back_to_the_local_names(
    tmp_path: Path, git_env: dict[str, str]
) -> None:
    upstream = init_repo(tmp_path / "up", git_env)
    upstream.git("branch", "develop")
    repo = init_repo(tmp_path / "r", git_env)
    repo.git("remote", "add", "origin", str(upstream.path))
    repo.git("fetch", "-q", "origin")
    repo.git("remote", "set-head", "origin", "develop")
    assert git.default_branch(repo.path) == "develop"
    repo.git("update-ref", "-d", "refs/remotes/origin/develop")  # origin/HEAD now points nowhere
    assert git.default_branch(repo.path) == "main"


def test_init_default_branch_names_a_branch_that_exists_only_on_origin(
    tmp_path: Path, git_env: dict[str, str]
) -> None:
    upstream = init_repo(tmp_path / "up", git_env)
    upstream.git("branch", "stable")
    repo = init_repo(tmp_path / "r", git_env)
    repo.git("remote", "add", "origin", str(upstream.path))
    repo.git("fetch", "-q", "origin")
    repo.git("config", "init.defaultBranch", "stable")
    assert git.default_branch(repo.path) == "stable"
    repo.git("config", "init.defaultBranch", "nope")
    assert git.default_branch(repo.path) == "main"
