"""Where am I: the root, git directory and git paths of a repository, from its files where only
the files decide, and as git answers everywhere else."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from gatekit.errors import UsageError
from gatekit.git.location import locate
from testing.repo import Repo

GIT_PATHS = ("logs/HEAD", "logs/refs/stash", "index.lock", "index")


def by_git(cwd: Path, env: dict[str, str]) -> list[Path]:
    args = ["git", "rev-parse", "--path-format=absolute", "--show-toplevel", "--git-dir", "--git-common-dir"]
    for name in GIT_PATHS:
        args += ["--git-path", name]
    out = subprocess.run(args, cwd=cwd, env=env, capture_output=True, check=True, text=True).stdout
    return [Path(line) for line in out.splitlines()]


def git_starts(trace: Path) -> int:
    return sum(" start " in line for line in trace.read_text().splitlines()) if trace.exists() else 0


@pytest.fixture
def traced(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    trace = tmp_path / "trace.txt"
    monkeypatch.setenv("GIT_TRACE2", str(trace))
    return trace


def test_an_ordinary_root_is_read_from_files_as_git_answers(repo: Repo, tmp_path: Path, traced: Path) -> None:
    link = tmp_path / "a link to it"
    link.symlink_to(repo.path)
    for cwd in (repo.path, link):
        traced.write_text("")
        assert locate(cwd, GIT_PATHS) == by_git(cwd, repo.env)
        assert git_starts(traced) == 0, cwd


def test_git_answers_wherever_the_files_do_not_decide(repo: Repo, tmp_path: Path, traced: Path) -> None:
    def git_asked(cwd: Path) -> bool:
        traced.write_text("")
        assert locate(cwd, GIT_PATHS) == by_git(cwd, repo.env)
        return git_starts(traced) > 0

    (repo.path / "sub").mkdir()
    assert git_asked(repo.path / "sub")  # not the root
    linked = tmp_path / "linked"
    repo.git("worktree", "add", "-q", "-b", "linked", str(linked))
    assert git_asked(linked)  # a linked worktree's .git is a file
    assert not git_asked(repo.path)  # the main worktree's root still decides alone
    repo.git("config", "core.worktree", str(repo.path))
    assert git_asked(repo.path)  # a work tree named in the config
    repo.git("config", "--unset", "core.worktree")
    repo.git("config", "extensions.worktreeConfig", "true")
    assert git_asked(repo.path)  # an extension (a config.worktree may name a work tree)


def test_a_repository_git_would_refuse_is_refused_with_git_s_reason(repo: Repo, traced: Path) -> None:
    """Owned by someone else: git's safe.directory check decides, and locate says what git said."""
    os.chown(repo.path / ".git", 4321, 4321)
    try:
        with pytest.raises(UsageError, match="dubious ownership"):
            locate(repo.path, GIT_PATHS)
        assert git_starts(traced) > 0
    finally:
        os.chown(repo.path / ".git", os.geteuid(), os.getegid())
