"""`gatekit ci`: which subject each CI event verifies, and fetching what the merge needs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gatekit.integrations.ci_run import CiPlan, CiSubject, check_argv, detect_subject, parse_arg_list
from testing.repo import Repo, init_repo
from testing.samples import break_by_merge, good_feature, python_project

MR_ENV = {
    "GITLAB_CI": "true",
    "CI_PIPELINE_SOURCE": "merge_request_event",
    "CI_MERGE_REQUEST_TARGET_BRANCH_NAME": "main",
}


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        (MR_ENV, CiSubject("gitlab", "detached", "main")),
        (
            {
                **MR_ENV,
                "CI_MERGE_REQUEST_EVENT_TYPE": "merge_train",
                "CI_MERGE_REQUEST_TARGET_BRANCH_SHA": "ab",
            },
            CiSubject("gitlab", "merge_train", "main", merged=True, target_sha="ab"),
        ),
        (
            {
                **MR_ENV,
                "CI_PROJECT_URL": "https://gitlab.example.com/fork/sample",
                "CI_MERGE_REQUEST_PROJECT_URL": "https://gitlab.example.com/group/sample",
            },
            CiSubject("gitlab", "detached", "main", target_url="https://gitlab.example.com/group/sample"),
        ),
        (
            {
                **MR_ENV,
                "CI_PROJECT_URL": "https://gitlab.example.com/group/sample",
                "CI_MERGE_REQUEST_PROJECT_URL": "https://gitlab.example.com/group/sample",
            },
            CiSubject("gitlab", "detached", "main"),
        ),
        ({"GITLAB_CI": "true", "CI_PIPELINE_SOURCE": "push"}, CiSubject("gitlab", "push")),
        (
            {"GITHUB_ACTIONS": "true", "GITHUB_EVENT_NAME": "pull_request", "GITHUB_BASE_REF": "main"},
            CiSubject("github", "pull_request", "main"),
        ),
        ({"GITHUB_ACTIONS": "true", "GITHUB_EVENT_NAME": "merge_group"}, CiSubject("github", "merge_group")),
        ({"GITHUB_ACTIONS": "true", "GITHUB_EVENT_NAME": "push"}, CiSubject("github", "push")),
        ({}, CiSubject("local", "manual")),
    ],
    ids=[
        "gitlab-mr",
        "gitlab-merge-train",
        "gitlab-fork-mr-in-the-fork",
        "gitlab-fork-mr-in-the-parent",
        "gitlab-push",
        "github-pr",
        "github-merge-queue",
        "github-push",
        "local",
    ],
)
def test_ci_event_selects_the_subject(env: dict[str, str], expected: CiSubject) -> None:
    assert detect_subject(env) == expected


def test_extra_arguments_come_last_so_the_user_wins() -> None:
    plan = CiPlan(detect_subject({"GITHUB_ACTIONS": "true", "GITHUB_EVENT_NAME": "push"}), None)
    argv = check_argv(plan, Path("j.xml"), None, ["--stage", "pre-push", "--fail-fast"])
    assert argv[-3:] == ["--stage", "pre-push", "--fail-fast"]
    assert argv[argv.index("--junit") + 1] == "j.xml"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", []),
        ('["--gate", "unit tests"]', ["--gate", "unit tests"]),
        ('{"args": ["--gate", "cargo build", "--fail-fast"]}', ["--gate", "cargo build", "--fail-fast"]),
        ("--gate\nunit tests\n\n--fail-fast\n", ["--gate", "unit tests", "--fail-fast"]),
    ],
)
def test_args_list_keeps_values_with_spaces_whole(text: str, expected: list[str]) -> None:
    assert parse_arg_list(text) == expected


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
        == "gatekit check --rev HEAD --merge-into refs/heads/main --subject-config --stage ci "
        "--junit out.xml --fail-fast"
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
    assert "merged into refs/remotes/origin/main" in output
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
    assert "merged into refs/remotes/origin/main" in result.stdout + result.stderr


def test_the_feature_alone_passes_so_only_the_merge_is_broken(
    tmp_path: Path, git_env: dict[str, str]
) -> None:
    origin = python_project(tmp_path / "origin", git_env)
    break_by_merge(origin)
    assert origin.gatekit("check", "--rev", "feature").returncode == 0
    assert origin.gatekit("check", "--rev", "main").returncode == 0
    assert origin.gatekit("check", "--rev", "feature", "--merge-into", "main").returncode == 1


# -- what a merge request is verified against -------------------------------------------------


def _ci_clone_of_broken_merge(tmp_path: Path, git_env: dict[str, str]) -> tuple[Repo, Repo]:
    """(origin, CI clone on the feature branch) where the feature's merge into origin's main breaks."""
    origin = python_project(tmp_path / "origin", git_env)
    break_by_merge(origin)
    return origin, _clone(origin, tmp_path / "ci", "--branch", "feature")


@pytest.mark.parametrize("impostor", ["tag", "stale-local-branch"])
def test_a_tag_or_stale_local_branch_named_main_does_not_stand_in_for_the_target(
    impostor: str, tmp_path: Path, git_env: dict[str, str]
) -> None:
    origin, clone = _ci_clone_of_broken_merge(tmp_path, git_env)
    old_main = origin.rev("main~1")  # before the rename: the feature merges cleanly into it
    if impostor == "tag":
        clone.git("tag", "main", old_main)
    else:
        clone.git("branch", "-f", "main", old_main)
    result = clone.gatekit("ci", env=MR_ENV)
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "--merge-into refs/remotes/origin/main" in output


def test_fork_merge_request_is_verified_against_the_target_projects_branch(
    tmp_path: Path, git_env: dict[str, str]
) -> None:
    upstream, _ = _ci_clone_of_broken_merge(tmp_path, git_env)
    # The fork was made before main renamed greet; its own main (origin/main here) is stale.
    fork = _clone(upstream, tmp_path / "fork", "--branch", "feature")
    fork.git("update-ref", "refs/remotes/origin/main", upstream.rev("main~1"))
    env = {
        **MR_ENV,
        "CI_PROJECT_URL": "https://gitlab.example.com/fork/sample",
        "CI_MERGE_REQUEST_PROJECT_URL": f"file://{upstream.path}",
    }
    result = fork.gatekit("ci", "--junit", "junit.xml", env=env)
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert f"fetched main from the target project file://{upstream.path}" in output
    assert "--merge-into refs/gatekit/ci/target/main" in output
    assert 'failures="1"' in (fork.path / "junit.xml").read_text()


def test_fork_merge_request_whose_target_project_is_unreachable_verifies_nothing_and_says_why(
    tmp_path: Path, git_env: dict[str, str]
) -> None:
    _, fork = _ci_clone_of_broken_merge(tmp_path, git_env)
    env = {
        **MR_ENV,
        "CI_PROJECT_URL": "https://gitlab.example.com/fork/sample",
        "CI_MERGE_REQUEST_PROJECT_URL": f"file://{tmp_path}/no-such-project",
    }
    result = fork.gatekit("ci", "--junit", "junit.xml", "--codequality", "cq.json", env=env)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "comes from a fork" in result.stderr
    junit = (fork.path / "junit.xml").read_text()
    assert "<error" in junit and "comes from a fork" in junit
    assert "comes from a fork" in json.loads((fork.path / "cq.json").read_text())[0]["description"]


def test_detached_merge_request_runs_the_gates_of_the_merge_result(
    tmp_path: Path, git_env: dict[str, str]
) -> None:
    origin = python_project(tmp_path / "origin", git_env)
    good_feature(origin)
    origin.commit("TODO marker", {"src/use.py": "from lib import greet\n\nGREETING = greet()  # TODO\n"})
    origin.git("checkout", "-q", "main")
    # Meanwhile main adopted a gate that the feature branch's own config does not have.
    no_todo = 'import pathlib, sys\nsys.exit(any("TODO" in p.read_text() for p in pathlib.Path("src").glob("*.py")))\n'
    config = (
        origin.read("gatekit.toml").decode() + '\n[[gates]]\nname = "no todo"\nrun = "python no_todo.py"\n'
    )
    origin.commit("gate: no TODO", {"no_todo.py": no_todo, "gatekit.toml": config})
    clone = _clone(origin, tmp_path / "ci", "--branch", "feature")
    result = clone.gatekit("ci", "--junit", "junit.xml", env=MR_ENV)
    assert result.returncode == 1, result.stdout + result.stderr
    junit = (clone.path / "junit.xml").read_text()
    assert 'name="no todo"' in junit and 'failures="1"' in junit


def test_pull_request_target_is_refused_with_the_reason_and_reports(repo: Repo) -> None:
    env = {"GITHUB_ACTIONS": "true", "GITHUB_EVENT_NAME": "pull_request_target", "GITHUB_BASE_REF": "main"}
    result = repo.gatekit("ci", "--junit", "junit.xml", env=env)
    assert result.returncode == 2
    assert "refusing to run on pull_request_target" in result.stderr and "secrets" in result.stderr
    assert "pull_request_target" in (repo.path / "junit.xml").read_text()
    allowed = repo.gatekit("ci", "--print", env={**env, "GATEKIT_ALLOW_PULL_REQUEST_TARGET": "true"})
    assert allowed.returncode == 0 and "--merge-into refs/heads/main" in allowed.stdout


def make_project(path: Path, env: dict[str, str]) -> Repo:
    """A zero-config repository: one Makefile, so the gates are detected."""
    return init_repo(path, env, {"Makefile": "all:\n\t@echo built-everything\n"})


def test_affected_on_a_default_branch_push_checks_the_whole_workspace(
    tmp_path: Path, git_env: dict[str, str]
) -> None:
    repo = make_project(tmp_path / "repo", git_env)
    env = {"GITLAB_CI": "true", "CI_PIPELINE_SOURCE": "push"}
    result = repo.gatekit("ci", "--args", '["--affected"]', "--junit", "junit.xml", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "built-everything" in result.stdout
    assert "checking the whole workspace" in result.stderr
    assert 'tests="0"' not in (repo.path / "junit.xml").read_text()


def test_affected_in_a_merge_request_compares_with_the_target(
    tmp_path: Path, git_env: dict[str, str]
) -> None:
    origin = python_project(tmp_path / "origin", git_env)
    good_feature(origin)
    clone = _clone(origin, tmp_path / "ci", "--branch", "feature")
    result = clone.gatekit("ci", "--print", "--affected", env=MR_ENV)
    assert result.stdout.split()[-3:] == ["--affected", "--base", "refs/remotes/origin/main"]


def test_args_carry_a_gate_name_with_spaces(tmp_path: Path, git_env: dict[str, str]) -> None:
    gates = (
        '[[gates]]\nname = "unit tests"\nrun = "python -c pass"\n\n[[gates]]\nname = "other"\nrun = "false"\n'
    )
    repo = init_repo(tmp_path / "repo", git_env, {"gatekit.toml": gates})
    env = {"GITLAB_CI": "true", "CI_PIPELINE_SOURCE": "push"}
    result = repo.gatekit("ci", "--args", '{"args": ["--gate", "unit tests"]}', env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = repo.gatekit("ci", "--args", "--gate\nunit tests\n", env=env)
    assert lines.returncode == 0, lines.stdout + lines.stderr


def test_check_merge_into_a_branch_name_never_takes_a_tag_of_that_name(
    tmp_path: Path, git_env: dict[str, str]
) -> None:
    repo = python_project(tmp_path / "repo", git_env)
    break_by_merge(repo)
    repo.git("tag", "main", "main~1")  # git's own lookup of "main" prefers this tag
    result = repo.gatekit("check", "--rev", "feature", "--merge-into", "main")
    assert result.returncode == 1, result.stdout + result.stderr
