"""`gatekit ci`: which subject each CI event verifies, and fetching what the merge needs."""

from __future__ import annotations

from pathlib import Path

import pytest

from gatekit.integrations.ci_run import check_argv, detect_subject
from testing.repo import Repo
from testing.samples import break_by_merge, good_feature, python_project


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        (
            {
                "GITLAB_CI": "true",
                "CI_PIPELINE_SOURCE": "merge_request_event",
                "CI_MERGE_REQUEST_TARGET_BRANCH_NAME": "main",
            },
            ["--rev", "HEAD", "--merge-into", "main", "--stage", "ci"],
        ),
        (
            {
                "GITLAB_CI": "true",
                "CI_PIPELINE_SOURCE": "merge_request_event",
                "CI_MERGE_REQUEST_EVENT_TYPE": "merge_train",
                "CI_MERGE_REQUEST_TARGET_BRANCH_NAME": "release/2",
            },
            ["--rev", "HEAD", "--merge-into", "release/2", "--stage", "ci"],
        ),
        ({"GITLAB_CI": "true", "CI_PIPELINE_SOURCE": "push"}, ["--rev", "HEAD", "--stage", "ci"]),
        (
            {
                "GITHUB_ACTIONS": "true",
                "GITHUB_EVENT_NAME": "pull_request",
                "GITHUB_BASE_REF": "main",
            },
            ["--rev", "HEAD", "--merge-into", "main", "--stage", "ci"],
        ),
        (
            {"GITHUB_ACTIONS": "true", "GITHUB_EVENT_NAME": "merge_group"},
            ["--rev", "HEAD", "--stage", "ci"],
        ),
        (
            {"GITHUB_ACTIONS": "true", "GITHUB_EVENT_NAME": "push"},
            ["--rev", "HEAD", "--stage", "ci"],
        ),
        ({}, ["--rev", "HEAD", "--stage", "ci"]),
    ],
    ids=[
        "gitlab-mr",
        "gitlab-merge-train",
        "gitlab-push",
        "github-pr",
        "github-merge-queue",
        "github-push",
        "local",
    ],
)
def test_ci_event_selects_the_subject(env: dict[str, str], expected: list[str]) -> None:
    assert detect_subject(env).check_args() == expected


def test_extra_arguments_come_last_so_the_user_wins() -> None:
    subject = detect_subject({"GITHUB_ACTIONS": "true", "GITHUB_EVENT_NAME": "push"})
    argv = check_argv(subject, Path("j.xml"), None, ["--stage", "pre-push", "--fail-fast"])
    assert argv[-3:] == ["--stage", "pre-push", "--fail-fast"]
    assert argv[argv.index("--junit") + 1] == "j.xml"


def test_ci_print_shows_the_check_command(repo: Repo) -> None:
    env = {
        "GITLAB_CI": "true",
        "CI_PIPELINE_SOURCE": "merge_request_event",
        "CI_MERGE_REQUEST_TARGET_BRANCH_NAME": "main",
    }
    result = repo.gatekit("ci", "--print", "--junit", "out.xml", "--fail-fast", env=env)
    assert result.returncode == 0, result.stderr
    assert (
        result.stdout.strip()
        == "gatekit check --rev HEAD --merge-into main --stage ci --junit out.xml --fail-fast"
    )


def _clone(origin: Repo, dest: Path, *args: str) -> Repo:
    origin.git("clone", "-q", *args, f"file://{origin.path}", str(dest))
    return Repo(dest, origin.env)


def test_merge_request_whose_merge_breaks_the_build_fails_in_a_clone_without_the_target(
    tmp_path: Path, git_env: dict[str, str]
) -> None:
    origin = python_project(tmp_path / "origin", git_env)
    break_by_merge(origin)
    # A CI clone of the feature branch only, shallow: no origin/main, no merge base.
    clone = _clone(origin, tmp_path / "ci clone", "--depth", "1", "--single-branch", "--branch", "feature")
    assert "origin/main" not in clone.git("branch", "-r")
    env = {
        "GITLAB_CI": "true",
        "CI_PIPELINE_SOURCE": "merge_request_event",
        "CI_MERGE_REQUEST_TARGET_BRANCH_NAME": "main",
    }
    result = clone.gatekit("ci", "--junit", "junit.xml", env=env)
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "fetched main from origin" in output and "unshallowed" in output
    assert "merged into main" in output
    assert 'failures="1"' in (clone.path / "junit.xml").read_text()


def test_good_pull_request_passes(tmp_path: Path, git_env: dict[str, str]) -> None:
    origin = python_project(tmp_path / "origin", git_env)
    good_feature(origin)
    clone = _clone(origin, tmp_path / "clone", "--branch", "feature")
    env = {
        "GITHUB_ACTIONS": "true",
        "GITHUB_EVENT_NAME": "pull_request",
        "GITHUB_BASE_REF": "main",
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
    }
    result = clone.gatekit("ci", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "merged into main" in result.stdout + result.stderr


def test_the_feature_alone_passes_so_only_the_merge_is_broken(
    tmp_path: Path, git_env: dict[str, str]
) -> None:
    origin = python_project(tmp_path / "origin", git_env)
    break_by_merge(origin)
    assert origin.gatekit("check", "--rev", "feature").returncode == 0
    assert origin.gatekit("check", "--rev", "main").returncode == 0
    assert origin.gatekit("check", "--rev", "feature", "--merge-into", "main").returncode == 1
