"""The pre-commit framework's pre-merge-commit stage refuses `git merge` into main (issue 12),
for real: pre-commit installs gatekit from a committed snapshot of this checkout."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from testing.clients import require_client
from testing.landing import branch_with
from testing.samples import python_project

pytestmark = pytest.mark.slow


def test_git_merge_into_main_is_refused_through_the_pre_commit_manifest(
    tmp_path: Path, git_env: dict[str, str], hook_repo: tuple[Path, str], precommit_home: Path
) -> None:
    pre_commit = require_client("pre-commit")
    repo = python_project(tmp_path / "sample", git_env)
    repo.env = {**git_env, "PRE_COMMIT_HOME": str(precommit_home)}
    path, commit = hook_repo
    repo.write(
        ".pre-commit-config.yaml",
        f"repos:\n  - repo: {path}\n    rev: {commit}\n    hooks:\n      - id: gatekit-protect\n",
    )
    repo.git("add", "-A")
    repo.git("commit", "-q", "--no-verify", "-m", "use gatekit-protect through pre-commit")
    installed = subprocess.run(
        [pre_commit, "install", "-t", "pre-merge-commit"], cwd=repo.path, env=repo.env, capture_output=True
    )
    assert installed.returncode == 0, installed.stderr.decode()
    branch_with(repo, "side", {"side.txt": "side\n"})
    head = repo.rev("main")
    merge = subprocess.run(
        ["git", "merge", "--no-ff", "-m", "merge side", "side"],
        cwd=repo.path,
        env=repo.env,
        capture_output=True,
    )
    out = (merge.stdout + merge.stderr).decode()
    assert merge.returncode != 0, out
    assert "protected branch 'main'" in out
    assert repo.rev("main") == head
