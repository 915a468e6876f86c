"""The field failure: a type change compiles in its own crate and breaks a sibling crate."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from testing.repo import Repo

pytestmark = pytest.mark.skipif(shutil.which("cargo") is None, reason="cargo is not installed")

CORE_OK = "pub struct Config {\n    pub retries: u32,\n}\n\npub fn default_config() -> Config {\n    Config { retries: 3 }\n}\n"
CORE_CHANGED = 'pub struct Config {\n    pub retries: String,\n}\n\npub fn default_config() -> Config {\n    Config { retries: "3".to_string() }\n}\n'
COORDINATOR = "pub fn backoff() -> u32 {\n    let c = core_lib::default_config();\n    c.retries * 2\n}\n\n#[cfg(test)]\nmod tests {\n    #[test]\n    fn doubles() {\n        assert_eq!(super::backoff(), 6);\n    }\n}\n"


def cargo_workspace(repo: Repo) -> None:
    repo.commit(
        "workspace",
        {
            "Cargo.toml": '[workspace]\nmembers = ["core", "coordinator"]\nresolver = "2"\n',
            "core/Cargo.toml": '[package]\nname = "core_lib"\nversion = "0.1.0"\nedition = "2021"\n',
            "core/src/lib.rs": CORE_OK,
            "coordinator/Cargo.toml": '[package]\nname = "coordinator"\nversion = "0.1.0"\nedition = "2021"\n\n[dependencies]\ncore_lib = { path = "../core" }\n',
            "coordinator/src/lib.rs": COORDINATOR,
            ".gitignore": "target/\n",
        },
    )


@pytest.fixture
def workspace(repo: Repo) -> Repo:
    repo.env["CARGO_NET_OFFLINE"] = "true"
    cargo_workspace(repo)
    return repo


def test_unchanged_workspace_passes_with_zero_config(workspace: Repo) -> None:
    result = workspace.gatekit("check", "--rev", "HEAD")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "cargo" in result.stdout


def test_type_change_that_breaks_a_sibling_crate_fails(workspace: Repo) -> None:
    workspace.git("checkout", "-q", "-b", "change-core")
    workspace.commit("core: retries becomes a String", {"core/src/lib.rs": CORE_CHANGED})
    # The per-package check that CI ran in the field passes...
    per_package = subprocess.run(
        ["cargo", "check", "-q", "-p", "core_lib"], cwd=workspace.path, env=workspace.env, capture_output=True
    )
    assert per_package.returncode == 0, per_package.stderr
    # ...the workspace-wide gate does not, and names the failing gate.
    result = workspace.gatekit("check", "--rev", "HEAD")
    assert result.returncode == 1, result.stdout
    assert "cargo build" in result.stdout and "(failed)" in result.stdout
    # Affected mode with only `core` changed still includes its dependent `coordinator`.
    affected = workspace.gatekit("check", "--affected", "--base", "main")
    assert affected.returncode == 1, affected.stdout
    assert "coordinator" in affected.stdout


def test_affected_with_nothing_changed_passes_and_says_so(workspace: Repo) -> None:
    result = workspace.gatekit("check", "--affected", "--base", "main")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "nothing to check" in result.stdout
