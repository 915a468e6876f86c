"""The GitLab template under gitlab-ci-local (shell executor) on sample repositories."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from testing.clients import require_client, run
from testing.docs import yaml_examples
from testing.repo import REPO_ROOT, Repo, init_repo
from testing.samples import break_by_merge, good_feature, python_project

pytestmark = pytest.mark.slow

TEMPLATE = REPO_ROOT / "templates" / "gatekit.yml"
FAKE_URL = "https://gitlab.example.com/group/sample.git"
# Variables the commands below set on purpose; silences gitlab-ci-local's override warnings.
PREDEFINED = ",".join(
    [
        "CI_PIPELINE_SOURCE",
        "CI_MERGE_REQUEST_TARGET_BRANCH_NAME",
        "CI_MERGE_REQUEST_EVENT_TYPE",
        "CI_DEFAULT_BRANCH",
        "CI_MERGE_REQUEST_PROJECT_URL",
        "CI_MERGE_REQUEST_TARGET_BRANCH_SHA",
    ]
)


@pytest.fixture
def gcl(git_env: dict[str, str]) -> str:
    require_client("rsync")
    return require_client("gitlab-ci-local")


def gitlab_project(
    tmp_path: Path, env: dict[str, str], hook_repo: tuple[Path, str], inputs: str = ""
) -> Repo:
    """A project including the template locally, with an origin that looks like GitLab."""
    repo = python_project(tmp_path / "project", env)
    repo.write("ci/gatekit.yml", TEMPLATE.read_bytes())
    repo.write(
        ".gitlab-ci.yml",
        f"include:\n  - local: ci/gatekit.yml\n    inputs:\n      pip_spec: {hook_repo[0]}\n{inputs}",
    )
    repo.commit("CI: include gatekit")
    # gitlab-ci-local reads the project's host and path from `git remote get-url origin`, so the
    # URL stays the fake GitLab one (no insteadOf: get-url would show the rewritten URL) and the
    # remote-tracking refs are set by hand, as a clone would have them.
    repo.git("remote", "add", "origin", FAKE_URL)
    repo.git("update-ref", "refs/remotes/origin/main", "main")
    repo.git("symbolic-ref", "refs/remotes/origin/HEAD", "refs/remotes/origin/main")
    return repo


@pytest.fixture
def project(tmp_path: Path, git_env: dict[str, str], hook_repo: tuple[Path, str]) -> Repo:
    """The project including the template with its default inputs."""
    return gitlab_project(tmp_path, git_env, hook_repo)


def breaking_merge_request(repo: Repo) -> None:
    """A feature whose merge into main breaks the build, in a clone that has origin's main."""
    break_by_merge(repo)
    repo.git("update-ref", "refs/remotes/origin/main", "main")


def artifacts_of(repo: Repo, job: str = "gatekit") -> Path:
    """Where gitlab-ci-local copies a job's artifacts:paths."""
    return repo.path / ".gitlab-ci-local" / "artifacts" / job


def pipeline(gcl: str, repo: Repo, venv: Path, *variables: str) -> tuple[int, str]:
    # --concurrency 1: the jobs share the session's venv, and `pip install <path>` reinstalls.
    argv = [gcl, "--color=false", "--shell-isolation", "--force-shell-executor", "--concurrency", "1"]
    argv += ["--variable", f"GATEKIT_VENV={venv}"]
    for variable in variables:
        argv += ["--variable", variable]
    env = {**repo.env, "GCL_IGNORE_PREDEFINED_VARS": PREDEFINED, "PATH": os.environ["PATH"]}
    result = run(argv, cwd=repo.path, env=env, timeout=600)
    return result.returncode, result.stdout


def listed_jobs(gcl: str, repo: Repo, *variables: str) -> list[str]:
    argv = [gcl, "--list-json"]
    for variable in variables:
        argv += ["--variable", variable]
    result = run(argv, cwd=repo.path, env={**repo.env, "GCL_IGNORE_PREDEFINED_VARS": PREDEFINED}, timeout=120)
    assert result.returncode == 0, result.stdout
    listing = json.loads(result.stdout[result.stdout.index("[") :])
    return [job["name"] for job in listing if job["when"] != "never"]


MR = ("CI_PIPELINE_SOURCE=merge_request_event", "CI_MERGE_REQUEST_TARGET_BRANCH_NAME=main")


def test_merge_request_whose_merge_into_main_breaks_the_build_fails_with_a_junit_report(
    gcl: str, project: Repo, gatekit_venv: Path
) -> None:
    breaking_merge_request(project)
    code, output = pipeline(gcl, project, gatekit_venv, *MR)
    assert code == 1, output
    assert "merged into refs/remotes/origin/main" in output and "ImportError" in output
    junit = (artifacts_of(project) / "gatekit-junit.xml").read_text()
    assert 'failures="1"' in junit and 'name="build"' in junit
    issues = json.loads((artifacts_of(project) / "gatekit-codequality.json").read_text())
    assert issues and issues[0]["check_name"] == "gatekit/build"


def test_good_merge_request_passes(gcl: str, project: Repo, gatekit_venv: Path) -> None:
    # A project's default before_script (toolchain setup) must still run in the gatekit job.
    ci = project.read(".gitlab-ci.yml") + b"default:\n  before_script:\n    - echo project-setup-ran\n"
    project.commit("CI: a default before_script", {".gitlab-ci.yml": ci})
    good_feature(project)
    code, output = pipeline(gcl, project, gatekit_venv, *MR)
    assert code == 0, output
    assert "gatekit > project-setup-ran" in output
    assert 'failures="0"' in (artifacts_of(project) / "gatekit-junit.xml").read_text()


def test_rules_run_the_job_for_merge_requests_and_the_default_branch_only(gcl: str, project: Repo) -> None:
    assert listed_jobs(gcl, project, "CI_PIPELINE_SOURCE=push") == ["gatekit"]  # on main
    good_feature(project)
    assert listed_jobs(gcl, project, "CI_PIPELINE_SOURCE=push") == []  # a feature branch push
    assert listed_jobs(gcl, project, *MR) == ["gatekit"]
    assert listed_jobs(gcl, project, *MR, "CI_MERGE_REQUEST_EVENT_TYPE=merged_result") == ["gatekit"]


def test_job_prefix_input_names_the_ready_job(
    gcl: str, tmp_path: Path, git_env: dict[str, str], hook_repo: tuple[Path, str]
) -> None:
    repo = gitlab_project(tmp_path, git_env, hook_repo, inputs="      job_prefix: backend-\n")
    assert listed_jobs(gcl, repo, "CI_PIPELINE_SOURCE=push") == ["backend-gatekit"]


def gatekit_project(tmp_path: Path, repo: Repo, hook_repo: tuple[Path, str], path: str) -> None:
    """This checkout as the GitLab project `path` on gitlab.example.com, tagged v1 and v0.1.0,
    for `include: project` and `include: component` (gitlab-ci-local fetches both with git)."""
    bare = tmp_path / f"{path.replace('/', '-')}.git"
    repo.git("clone", "-q", "--bare", str(hook_repo[0]), str(bare))
    for tag in ("v1", "v0.1.0"):
        repo.git("tag", tag, hook_repo[1], cwd=bare)
    for url in (f"https://gitlab.example.com:443/{path}.git", f"https://gitlab.example.com/{path}"):
        repo.git("config", "--global", "--add", f"url.file://{bare}.insteadOf", url)


def test_this_repository_works_as_a_ci_cd_component_and_as_a_project_include(
    gcl: str, project: Repo, tmp_path: Path, hook_repo: tuple[Path, str], gatekit_venv: Path
) -> None:
    gatekit_project(tmp_path, project, hook_repo, "group/gatekit")
    project.write(
        ".gitlab-ci.yml",
        "include:\n"
        "  - component: gitlab.example.com/group/gatekit/gatekit@v1\n"
        "    inputs:\n"
        f"      pip_spec: {hook_repo[0]}\n"
        "      job_prefix: component-\n"
        "  - project: group/gatekit\n"
        "    ref: v1\n"
        "    file: /ci-templates/gitlab/gatekit.yml\n"
        "    inputs:\n"
        f"      pip_spec: {hook_repo[0]}\n"
        "      job_prefix: project-\n",
    )
    project.commit("CI: gatekit as a component and a project include")
    assert sorted(listed_jobs(gcl, project, *MR)) == ["component-gatekit", "project-gatekit"]
    good_feature(project)
    code, output = pipeline(gcl, project, gatekit_venv, *MR)
    assert code == 0, output
    assert output.count("merged into refs/remotes/origin/main") >= 2


def test_two_includes_keep_their_own_inputs_and_args_carry_spaces(
    gcl: str, project: Repo, hook_repo: tuple[Path, str], gatekit_venv: Path
) -> None:
    config = project.read("gatekit.toml") + b'\n[[gates]]\nname = "unit tests"\nrun = "python -c pass"\n'
    ci = (
        "include:\n"
        "  - local: ci/gatekit.yml\n"
        "    inputs:\n"
        f"      pip_spec: {hook_repo[0]}\n"
        "      job_prefix: a-\n"
        '      args: ["--gate", "unit tests"]\n'
        "  - local: ci/gatekit.yml\n"
        "    inputs:\n"
        f"      pip_spec: {hook_repo[0]}\n"
        "      job_prefix: b-\n"
        "      stage: build\n"
    )
    project.commit("two gatekit jobs", {"gatekit.toml": config, ".gitlab-ci.yml": ci})
    code, output = pipeline(gcl, project, gatekit_venv, "CI_PIPELINE_SOURCE=push")
    assert code == 0, output
    assert "a-gatekit starting shell (test)" in output and "b-gatekit starting shell (build)" in output
    a_junit = (artifacts_of(project, "a-gatekit") / "gatekit-junit.xml").read_text()
    assert 'name="unit tests"' in a_junit and 'name="build"' not in a_junit
    b_junit = (artifacts_of(project, "b-gatekit") / "gatekit-junit.xml").read_text()
    assert 'name="unit tests"' in b_junit and 'name="build"' in b_junit


def test_fork_merge_request_is_verified_against_the_target_projects_main(
    gcl: str, project: Repo, tmp_path: Path, gatekit_venv: Path
) -> None:
    break_by_merge(project)
    upstream = tmp_path / "upstream.git"
    project.git("clone", "-q", "--bare", str(project.path), str(upstream))
    project.git(
        "config", "--global", f"url.file://{upstream}.insteadOf", "https://gitlab.example.com/group/upstream"
    )
    # The fork's main (and its origin/main) is from before the target renamed greet.
    stale = project.rev("main~1")
    project.git("branch", "-f", "main", stale)
    project.git("update-ref", "refs/remotes/origin/main", stale)
    fork_mr = (*MR, "CI_MERGE_REQUEST_PROJECT_URL=https://gitlab.example.com/group/upstream")
    code, output = pipeline(gcl, project, gatekit_venv, *fork_mr)
    assert code == 1, output
    assert "fetched main from the target project https://gitlab.example.com/group/upstream" in output
    assert "merged into refs/gatekit/ci/target/main" in output and "ImportError" in output


def test_a_tag_named_like_the_target_does_not_stand_in_for_it(
    gcl: str, project: Repo, gatekit_venv: Path
) -> None:
    breaking_merge_request(project)
    project.git("tag", "main", "main~1")  # before the rename: the feature merges cleanly into it
    code, output = pipeline(gcl, project, gatekit_venv, *MR)
    assert code == 1, output
    assert "merged into refs/remotes/origin/main" in output


@pytest.mark.parametrize("event", ["merged_result", "merge_train"])
def test_merged_results_and_train_pipelines_verify_the_merge_they_check_out(
    event: str, gcl: str, project: Repo, gatekit_venv: Path
) -> None:
    breaking_merge_request(project)
    # GitLab checks out refs/merge-requests/N/merge (or the train's ref): the merge itself.
    project.git("merge", "-q", "--no-edit", "main")
    variables = (
        *MR,
        f"CI_MERGE_REQUEST_EVENT_TYPE={event}",
        f"CI_MERGE_REQUEST_TARGET_BRANCH_SHA={project.rev('main')}",
    )
    code, output = pipeline(gcl, project, gatekit_venv, *variables)
    assert code == 1, output
    assert f"gitlab {event}:" in output and "(fast-forward)" in output and "ImportError" in output


def test_readme_gitlab_example_checks_the_whole_workspace_on_the_default_branch(
    gcl: str, tmp_path: Path, git_env: dict[str, str], hook_repo: tuple[Path, str], gatekit_venv: Path
) -> None:
    (where, example), *_ = yaml_examples("# .gitlab-ci.yml", (REPO_ROOT / "README.md",))
    repo = init_repo(tmp_path / "project", git_env, {"Makefile": "all:\n\t@echo built-everything\n"})
    repo.commit("CI: the README's example, verbatim", {".gitlab-ci.yml": example})
    repo.git("remote", "add", "origin", FAKE_URL)
    repo.git("update-ref", "refs/remotes/origin/main", "main")
    gatekit_project(tmp_path, repo, hook_repo, "gatekit-dev/gatekit")
    # The example installs the released git-gatekit; offline, this checkout stands in for it.
    code, output = pipeline(
        gcl, repo, gatekit_venv, "CI_PIPELINE_SOURCE=push", f"GATEKIT_PIP_SPEC={hook_repo[0]}"
    )
    assert code == 0, f"{where}\n{output}"
    assert "built-everything" in output and "checking the whole workspace" in output
    junit = (artifacts_of(repo) / "gatekit-junit.xml").read_text()
    assert 'tests="1"' in junit or 'tests="2"' in junit


def test_a_run_that_cannot_verify_still_publishes_its_reports(
    gcl: str, project: Repo, gatekit_venv: Path
) -> None:
    project.commit("a broken config", {"gatekit.toml": "[[gates]]\nname = 1\n"})
    code, output = pipeline(gcl, project, gatekit_venv, "CI_PIPELINE_SOURCE=push")
    assert code == 1, output
    assert "<error" in (artifacts_of(project) / "gatekit-junit.xml").read_text()
    (issue,) = json.loads((artifacts_of(project) / "gatekit-codequality.json").read_text())
    assert "gates[0].name" in issue["description"]
