"""gatekit protect: commits on protected branches and in detached HEAD are refused."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from testing.repo import Repo
from testing.state import capture_state


def _install_hook(repo: Repo) -> None:
    from testing.repo import REPO_ROOT

    hook = repo.path / ".git" / "hooks" / "pre-commit"
    hook.write_text(f"#!/bin/sh\nPYTHONPATH={REPO_ROOT} exec {sys.executable} -m gatekit protect\n")
    hook.chmod(0o755)


def _git_commit(repo: Repo, env: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    import subprocess

    repo.write("new.txt", "x\n")
    repo.git("add", "new.txt")
    return subprocess.run(
        ["git", "commit", "-q", "-m", "direct"],
        cwd=repo.path,
        env={**repo.env, **(env or {})},
        capture_output=True,
        text=True,
    )


def test_protect_refuses_a_commit_on_main_and_names_land(repo: Repo) -> None:
    before = capture_state(repo.path, repo.env)
    result = repo.gatekit("protect")
    assert result.returncode == 1
    assert "protected branch 'main'" in result.stderr
    assert "gatekit land" in result.stderr
    assert "GATEKIT_ALLOW_PROTECTED=1" in result.stderr
    assert capture_state(repo.path, repo.env) == before


def test_real_git_commit_on_main_is_blocked_by_the_hook(repo: Repo) -> None:
    _install_hook(repo)
    head = repo.rev("main")
    result = _git_commit(repo)
    assert result.returncode != 0
    assert "refusing to commit directly on protected branch 'main'" in result.stderr
    assert repo.rev("main") == head


def test_escape_hatch_lets_the_commit_through_and_says_so(repo: Repo) -> None:
    _install_hook(repo)
    head = repo.rev("main")
    result = _git_commit(repo, {"GATEKIT_ALLOW_PROTECTED": "1"})
    assert result.returncode == 0, result.stderr
    assert "GATEKIT_ALLOW_PROTECTED is set" in result.stderr
    assert "protected branch 'main'" in result.stderr
    assert repo.rev("main") != head


def test_detached_head_is_refused(repo: Repo) -> None:
    repo.git("checkout", "-q", "--detach", "HEAD")
    result = repo.gatekit("protect")
    assert result.returncode == 1
    assert "detached HEAD" in result.stderr
    hatch = repo.gatekit("protect", env={"GATEKIT_ALLOW_PROTECTED": "1"})
    assert hatch.returncode == 0
    assert "detached HEAD" in hatch.stderr


@pytest.mark.parametrize("branch", ["feature", "café", "main-fix", "mainline", "team/main"])
def test_unprotected_branch_is_allowed_silently(repo: Repo, branch: str) -> None:
    repo.git("switch", "-q", "-c", branch)
    result = repo.gatekit("protect")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""


def test_protected_globs_from_config(repo: Repo) -> None:
    repo.commit("config", {"gatekit.toml": 'protected = ["release/*", "main"]\n'})
    repo.git("switch", "-q", "-c", "release/1.0")
    assert repo.gatekit("protect").returncode == 1
    repo.git("switch", "-q", "-c", "releasefoo")
    assert repo.gatekit("protect").returncode == 0


def test_bad_protected_config_is_a_usage_error(repo: Repo) -> None:
    repo.write("gatekit.toml", "protected = 'main'\n")
    result = repo.gatekit("protect")
    assert result.returncode == 2
    assert "protected" in result.stderr


def test_protect_outside_a_repository_is_a_usage_error(tmp_path: Path, git_env: dict[str, str]) -> None:
    from testing.repo import run_gatekit

    result = run_gatekit(["protect"], cwd=tmp_path, env=git_env)
    assert result.returncode == 2
    assert "not inside a git repository" in result.stderr
