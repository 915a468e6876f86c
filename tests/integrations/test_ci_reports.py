"""The reports a CI run leaves: JUnit, GitLab Code Quality and the GitHub step summary."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

from testing.repo import Repo, init_repo

FAILING_MAKEFILE = "all:\n\t@echo compiling\n\t@false\n"


def test_reports_are_written_with_the_error_when_check_exits_2(
    tmp_path: Path, git_env: dict[str, str]
) -> None:
    repo = init_repo(tmp_path / "repo", git_env, {"gatekit.toml": "[[gates]]\nname = 1\n"})
    result = repo.gatekit("check", "--junit", "out/junit.xml", "--codequality", "out/cq.json")
    assert result.returncode == 2, result.stdout + result.stderr
    junit = (repo.path / "out" / "junit.xml").read_text()
    assert "<error" in junit and "gates[0].name" in junit
    (issue,) = json.loads((repo.path / "out" / "cq.json").read_text())
    assert "gates[0].name" in issue["description"] and issue["severity"] == "blocker"


def _code_quality(repo: Repo, name: str) -> Path:
    result = repo.gatekit("check", "--rev", "HEAD", "--codequality", name)
    assert result.returncode == 1, result.stdout + result.stderr
    return repo.path / name


def test_code_quality_points_at_the_manifest_and_keeps_its_fingerprint_across_commits(
    tmp_path: Path, git_env: dict[str, str]
) -> None:
    repo = init_repo(tmp_path / "repo", git_env, {"Makefile": FAILING_MAKEFILE})
    old_umask = os.umask(0o022)
    try:
        first = _code_quality(repo, "cq1.json")
    finally:
        os.umask(old_umask)
    repo.commit("unrelated", {"README.md": "docs\n"})
    second = _code_quality(repo, "cq2.json")
    (issue1,) = json.loads(first.read_text())
    (issue2,) = json.loads(second.read_text())
    assert issue1["location"]["path"] == "Makefile"  # a real file, not a gatekit.toml that isn't there
    assert issue1["fingerprint"] == issue2["fingerprint"]
    assert stat.S_IMODE(first.stat().st_mode) == 0o644


def test_code_quality_of_a_configured_gate_points_at_its_config_file(
    tmp_path: Path, git_env: dict[str, str]
) -> None:
    config = '[tool.gatekit]\n[[tool.gatekit.gates]]\nname = "lint"\nrun = "false"\n'
    repo = init_repo(tmp_path / "repo", git_env, {"pyproject.toml": config})
    (issue,) = json.loads(_code_quality(repo, "cq.json").read_text())
    assert issue["location"]["path"] == "pyproject.toml" and issue["check_name"] == "gatekit/lint"


def test_gate_output_cannot_escape_the_step_summary_code_fence(
    tmp_path: Path, git_env: dict[str, str]
) -> None:
    hostile = "print('````\\n</details>\\n\\n# INJECTED heading\\n[click](https://evil.example)')\nraise SystemExit(1)\n"
    gates = '[[gates]]\nname = "build"\nrun = "python hostile.py"\n'
    repo = init_repo(tmp_path / "repo", git_env, {"gatekit.toml": gates, "hostile.py": hostile})
    summary = tmp_path / "summary.md"
    env = {"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary)}
    result = repo.gatekit("check", "--rev", "HEAD", env=env)
    assert result.returncode == 1, result.stdout + result.stderr
    lines = summary.read_text().splitlines()
    injected = lines.index("# INJECTED heading")
    details = next(i for i, line in enumerate(lines) if line.startswith("<details>"))
    opening = details + 2
    fence = lines[opening]
    assert len(fence) > 4  # longer than the output's own ```` run
    closing = next(i for i in range(opening + 1, len(lines)) if lines[i] == fence)
    assert opening < injected < closing
    assert lines[closing + 1] == "</details>"
