"""The default branch in one git call (a clone) or two, with the answers of the old one-question-per-ref lookup."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

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


def test_a_clone_learns_its_default_branch_from_origin_head_in_one_git_call(
    tmp_path: Path, git_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every hook asks: where origin/HEAD answers, init.defaultBranch is not read at all."""
    upstream = init_repo(tmp_path / "up", git_env)
    upstream.git("branch", "develop")
    upstream.git("symbolic-ref", "HEAD", "refs/heads/develop")
    clone = tmp_path / "clone"
    upstream.git("clone", "-q", str(upstream.path), str(clone))
    trace = tmp_path / "trace.txt"
    monkeypatch.setenv("GIT_TRACE2", str(trace))
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(tmp_path / "global"))
    (tmp_path / "global").write_text("[init]\n\tdefaultBranch = main\n")
    assert git.default_branch(clone) == "develop"
    starts = [line for line in trace.read_text().splitlines() if " start " in line]
    assert len(starts) == 1, starts


def test_a_target_branch_is_the_branch_before_a_tag_of_its_name(
    tmp_path: Path, git_env: dict[str, str]
) -> None:
    """git's own lookup of a bare `main` takes refs/tags/main first; a target is a branch. Inside
    a hook the answer default_branch's for-each-ref gave stands for the lookup, and is the same."""
    from gatekit.git.memo import remembered

    repo = init_repo(tmp_path / "r", git_env)
    first = repo.rev()
    repo.commit("second", {"b.txt": "b\n"})
    repo.git("tag", "main", first)  # a tag named like the branch, on another commit
    assert git.rev_parse(repo.path, "main^{commit}") == first  # what a bare name gives
    assert git.branch_commit(repo.path, "main") == repo.rev("refs/heads/main") != first
    with remembered():
        assert git.default_branch(repo.path) == "main"
        assert git.branch_commit(repo.path, "main") == repo.rev("refs/heads/main")
    assert git.branch_commit(repo.path, first) == first  # any other revision still names a commit
    assert git.branch_commit(repo.path, "nope") is None


def test_in_a_hook_the_default_branch_lookup_also_lists_every_local_branch(
    tmp_path: Path, git_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The hook's overlap asks for every local branch right after the default branch: one git
    process answers both, with what a for-each-ref of refs/heads/ alone lists."""
    from gatekit.git.memo import remembered

    upstream = init_repo(tmp_path / "up", git_env)
    clone = tmp_path / "clone"
    upstream.git("clone", "-q", str(upstream.path), str(clone))
    for name in ("feature/a", "work", "z\udcff"):  # a name that is not UTF-8 keeps its bytes
        subprocess.run(["git", "branch", os.fsencode(name)], cwd=clone, env=git_env, check=True)
    alone = git.local_branch_tips(clone)
    assert sorted(alone) == sorted(["feature/a", "main", "work", "z\udcff"])
    trace = tmp_path / "trace.txt"
    monkeypatch.setenv("GIT_TRACE2", str(trace))
    with remembered():
        assert git.default_branch(clone) == "main"
        assert git.local_branch_tips(clone) == alone
    starts = [line for line in trace.read_text().splitlines() if " start " in line] if trace.exists() else []
    assert len(starts) <= 1, starts  # the shared object reader, for objects that are not loose


def test_in_a_hook_the_refs_are_read_from_files_with_for_each_ref_s_answers(
    tmp_path: Path, git_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Inside a hook run the default branch and the branch tips come from the ref files (loose,
    packed, symbolic) and the object reader the guards share, and agree with for-each-ref."""
    from gatekit.git.memo import remembered

    upstream = init_repo(tmp_path / "up", git_env)
    upstream.git("branch", "trunk")
    clone = tmp_path / "clone"
    upstream.git("clone", "-q", str(upstream.path), str(clone))

    def git_in(*args: str) -> None:
        subprocess.run(["git", *args], cwd=clone, env=git_env, check=True, capture_output=True)

    def asked(inside: bool) -> tuple[str | None, dict[str, str], str | None]:
        if not inside:
            return git.default_branch(clone), git.local_branch_tips(clone), git.branch_commit(clone, "main")
        with remembered():
            return git.default_branch(clone), git.local_branch_tips(clone), git.branch_commit(clone, "main")

    shapes = [
        lambda: None,
        lambda: git_in("pack-refs", "--all"),
        lambda: git_in("branch", "later"),  # loose over packed
        lambda: git_in("symbolic-ref", "refs/heads/alias", "refs/heads/later"),
        lambda: git_in("tag", "-a", "-m", "t", "main"),  # a tag named like the branch
        lambda: git_in("remote", "set-head", "origin", "trunk"),
        lambda: git_in("update-ref", "refs/remotes/origin/master", "refs/tags/main"),  # a tag as a candidate
        lambda: git_in("remote", "set-head", "origin", "-d"),
    ]
    for shape in shapes:
        shape()
        assert asked(inside=True) == asked(inside=False)
    trace = tmp_path / "trace.txt"
    monkeypatch.setenv("GIT_TRACE2", str(trace))
    asked(inside=True)
    starts = [line for line in trace.read_text().splitlines() if " start " in line]
    assert not [line for line in starts if "for-each-ref" in line], starts
