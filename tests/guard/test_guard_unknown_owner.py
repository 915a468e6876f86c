"""[guard] unknown_owner: whose is dirty work nobody recorded? "caller" (the default: a lone
writer with zero setup gets snapshots, not refusals) or "deny" (issue 10)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from testing.guard import snapshot_refs
from testing.repo import Repo, gatekit_env


def shim_git(repo: Repo, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    shim = tmp_path / "shim"
    if not (shim / "git").exists():
        assert repo.gatekit("shim", "install", "--dir", str(shim)).returncode == 0
    env = gatekit_env(repo.env)
    env["PATH"] = f"{shim}{os.pathsep}{env['PATH']}"
    return subprocess.run(["git", *args], cwd=repo.path, env=env, capture_output=True, text=True, timeout=120)


def configured(repo: Repo, setting: str | None) -> None:
    if setting is not None:
        repo.commit("config", {"gatekit.toml": f'[guard]\nunknown_owner = "{setting}"\n'})
    repo.write("README.md", "nobody recorded this edit\n")


@pytest.mark.parametrize("setting", [None, "caller"])
def test_unrecorded_work_is_the_callers_by_default(repo: Repo, tmp_path: Path, setting: str | None) -> None:
    configured(repo, setting)
    result = shim_git(repo, tmp_path, "reset", "--hard")
    assert result.returncode == 0, result.stderr
    assert repo.read("README.md") != b"nobody recorded this edit\n"
    assert snapshot_refs(repo), "the work was not snapshotted first"


def test_unrecorded_work_is_refused_with_unknown_owner_deny(repo: Repo, tmp_path: Path) -> None:
    configured(repo, "deny")
    result = shim_git(repo, tmp_path, "reset", "--hard")
    assert result.returncode == 1
    assert "a writer gatekit cannot identify: README.md" in result.stderr, result.stderr
    assert repo.read("README.md") == b"nobody recorded this edit\n"
    assert not snapshot_refs(repo)


def test_own_recorded_work_is_still_snapshotted_with_unknown_owner_deny(repo: Repo, tmp_path: Path) -> None:
    configured(repo, "deny")
    assert repo.gatekit("session", "start", "--name", "me", "--claim", "README.md").returncode == 0
    shim = tmp_path / "shim"
    assert repo.gatekit("shim", "install", "--dir", str(shim)).returncode == 0
    env = gatekit_env(repo.env)
    env["PATH"] = f"{shim}{os.pathsep}{env['PATH']}"
    env["GATEKIT_SESSION"] = "me"
    result = subprocess.run(
        ["git", "reset", "--hard"], cwd=repo.path, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert snapshot_refs(repo)


def test_a_misspelt_unknown_owner_is_a_usage_error(repo: Repo, tmp_path: Path) -> None:
    repo.commit("config", {"gatekit.toml": '[guard]\nunknown_owner = "denny"\n'})
    result = repo.gatekit("clobber")
    assert result.returncode == 2
    assert "guard.unknown_owner" in result.stderr and "did you mean 'deny'" in result.stderr, result.stderr
    repo.write("README.md", "edit\n")
    refused = shim_git(repo, tmp_path, "reset", "--hard")
    assert refused.returncode == 2 and "did you mean 'deny'" in refused.stderr, refused.stderr
    assert repo.read("README.md") == b"edit\n"
