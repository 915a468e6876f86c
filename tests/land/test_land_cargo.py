"""A semantic conflict (no textual one) with a real toolchain: a Cargo crate, zero config."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from testing.landing import branch_with, first_parent_commits
from testing.repo import init_repo

pytestmark = pytest.mark.skipif(shutil.which("cargo") is None, reason="cargo is not installed")

CARGO_TOML = '[package]\nname = "demo"\nversion = "0.1.0"\nedition = "2021"\n\n[dependencies]\n'
LIB = "mod report;\n\n\n\n\npub fn run() -> u32 {\n    helper() + report::extra()\n}\n\n\n\n\npub fn helper() -> u32 {\n    1\n}\n"
REPORT = "pub fn extra() -> u32 {\n    0\n}\n"


def test_cargo_semantic_conflict_lands_a_refuses_b_and_main_builds(
    tmp_path: Path, git_env: dict[str, str]
) -> None:
    repo = init_repo(
        tmp_path / "crate",
        git_env,
        {"Cargo.toml": CARGO_TOML, "src/lib.rs": LIB, "src/report.rs": REPORT, ".gitignore": "target/\n"},
    )
    # A renames helper -> assist and updates its only caller; B calls helper from report.rs.
    branch_with(repo, "A", {"src/lib.rs": LIB.replace("helper", "assist")})
    branch_with(repo, "B", {"src/report.rs": "pub fn extra() -> u32 {\n    crate::helper() * 2\n}\n"})
    result = repo.gatekit("land", "A", "B", "--onto", "main")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "landed: A" in result.stdout
    assert "refused: B breaks the build: gate 'cargo build' failed" in result.stdout
    assert "cannot find function `helper`" in result.stdout
    # Every first-parent commit of main builds: check each one (verdicts make the landed one free).
    for commit in first_parent_commits(repo):
        check = repo.gatekit("check", "--rev", commit)
        assert check.returncode == 0, check.stdout + check.stderr
