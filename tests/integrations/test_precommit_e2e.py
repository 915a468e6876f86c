"""The pre-commit framework, for real: a sample repository whose .pre-commit-config.yaml points at
this repository (a committed snapshot of it), driven by `git commit` and `git push`."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from testing.clients import require_client
from testing.repo import Repo
from testing.samples import python_project

pytestmark = pytest.mark.slow


@pytest.fixture
def sample(
    tmp_path: Path, git_env: dict[str, str], hook_repo: tuple[Path, str], precommit_home: Path
) -> Repo:
    """A project using gatekit's hooks through pre-commit, installed for every stage it needs."""
    pre_commit = require_client("pre-commit")
    repo = python_project(tmp_path / "sample", git_env)
    repo.env = {**git_env, "PRE_COMMIT_HOME": str(precommit_home)}
    hook_ids = ["gatekit-check", "gatekit-check-push", "gatekit-protect", "gatekit-verify-push"]
    path, commit = hook_repo
    hooks = "".join(f"      - id: {hook_id}\n" for hook_id in hook_ids)
    repo.write(
        ".pre-commit-config.yaml",
        f"repos:\n  - repo: {path}\n    rev: {commit}\n    hooks:\n{hooks}",
    )
    repo.git("add", "-A")
    repo.git("commit", "-q", "--no-verify", "-m", "use gatekit through pre-commit")
    result = subprocess.run(
        [pre_commit, "install", "-t", "pre-commit", "-t", "pre-push"],
        cwd=repo.path,
        env=repo.env,
        capture_output=True,
    )
    assert result.returncode == 0, result.stderr.decode()
    repo.git("checkout", "-q", "-b", "topic")
    return repo


def git_out(repo: Repo, *args: str) -> tuple[int, str]:
    result = subprocess.run(
        ["git", *args],
        cwd=repo.path,
        env=repo.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        timeout=600,
    )
    return result.returncode, result.stdout.decode("utf-8", "replace")


def test_broken_staged_build_blocks_the_commit_and_a_good_one_passes(sample: Repo) -> None:
    head = sample.rev()
    sample.write("src/broken.py", "def oops(:\n")
    sample.git("add", "-A")
    code, output = git_out(sample, "commit", "-m", "broken")
    assert code != 0, output
    assert "gatekit check" in output and "SyntaxError" in output
    assert sample.rev() == head
    sample.write("src/broken.py", "def fine():\n    return 1\n")
    sample.git("add", "-A")
    code, output = git_out(sample, "commit", "-m", "good")
    assert code == 0, output
    assert sample.rev() != head


def test_pre_push_hook_blocks_pushing_a_broken_commit(sample: Repo, tmp_path: Path) -> None:
    remote = tmp_path / "remote.git"
    sample.git("init", "-q", "--bare", str(remote))
    sample.git("remote", "add", "origin", str(remote))
    sample.write("src/broken.py", "def oops(:\n")
    sample.git("add", "-A")
    sample.git("commit", "-q", "--no-verify", "-m", "broken, past the pre-commit hook")
    code, output = git_out(sample, "push", "origin", "topic")
    assert code != 0, output
    assert "gatekit check (pushed commit" in output and "SyntaxError" in output
    assert sample.git("ls-remote", str(remote)).strip() == ""
    sample.write("src/broken.py", "X = 1\n")
    sample.git("add", "-A")
    sample.git("commit", "-q", "--no-verify", "-m", "fixed")
    code, output = git_out(sample, "push", "origin", "topic")
    assert code == 0, output


def test_commit_on_a_protected_branch_is_blocked(sample: Repo) -> None:
    sample.git("checkout", "-q", "main")
    head = sample.rev()
    sample.write("src/more.py", "X = 1\n")
    sample.git("add", "-A")
    code, output = git_out(sample, "commit", "-m", "straight to main")
    assert code != 0, output
    assert sample.rev() == head


def test_protected_bypass_is_reported_under_pre_commit_too(sample: Repo) -> None:
    """pre-commit hides the output of passing hooks; the bypass notice must still be seen."""
    sample.git("checkout", "-q", "main")
    sample.write("src/more.py", "X = 1\n")
    sample.git("add", "-A")
    sample.env = {**sample.env, "GATEKIT_ALLOW_PROTECTED": "1"}
    code, output = git_out(sample, "commit", "-m", "straight to main, knowingly")
    assert code == 0, output
    assert "GATEKIT_ALLOW_PROTECTED is set: allowing a commit on protected branch 'main'" in output


def test_stash_hazard_is_reported_when_pre_commit_hides_unstaged_changes(sample: Repo) -> None:
    sample.write("src/lib.py", "def greet():\n    return 'unstaged edit'\n")  # unstaged
    sample.write("src/more.py", "X = 1\n")
    sample.git("add", "src/more.py")
    code, output = git_out(sample, "commit", "-m", "with unstaged edits around")
    assert code == 0, output
    assert "pre-commit hid unstaged changes in 1 file(s) (src/lib.py)" in output
    assert "gatekit install-hooks" in output
    # pre-commit put the edit back after the hooks ran.
    assert sample.read("src/lib.py") == b"def greet():\n    return 'unstaged edit'\n"


def test_push_of_a_broken_commit_to_a_protected_branch_is_refused_by_verify_push(
    sample: Repo, tmp_path: Path
) -> None:
    remote = tmp_path / "remote.git"
    sample.git("init", "-q", "--bare", str(remote))
    sample.git("remote", "add", "origin", str(remote))
    sample.git("push", "-q", "--no-verify", "origin", "main")
    sample.write("src/broken.py", "def oops(:\n")
    sample.git("add", "-A")
    sample.git("commit", "-q", "--no-verify", "-m", "broken")
    code, output = git_out(sample, "push", "origin", "topic:main")
    assert code != 0, output
    verify_line = next(line for line in output.splitlines() if line.startswith("gatekit verify-push"))
    assert verify_line.endswith("Failed"), output
    assert sample.git("ls-remote", str(remote), "refs/heads/main").split()[0] == sample.rev("main")
