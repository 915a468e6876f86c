"""The GitLab template under gitlab-ci-local (shell executor) on sample repositories."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from testing.clients import require_client, run
from testing.repo import REPO_ROOT, Repo
from testing.samples import break_by_merge, good_feature, python_project

pytestmark = pytest.mark.slow

TEMPLATE = REPO_ROOT / "ci-templates" / "gitlab" / "gatekit.yml"
FAKE_URL = "https://gitlab.example.com/group/sample.git"
# Variables the commands below set on purpose; silences gitlab-ci-local's override warnings.
PREDEFINED = ",".join(
    [
        "CI_PIPELINE_SOURCE",
        "CI_MERGE_REQUEST_TARGET_BRANCH_NAME",
        "CI_MERGE_REQUEST_EVENT_TYPE",
        "CI_DEFAULT_BRANCH",
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
    gcl: str,
    tmp_path: Path,
    git_env: dict[str, str],
    hook_repo: tuple[Path, str],
    gatekit_venv: Path,
) -> None:
    repo = gitlab_project(tmp_path, git_env, hook_repo)
    break_by_merge(repo)
    code, output = pipeline(gcl, repo, gatekit_venv, *MR)
    assert code == 1, output
    assert "merged into main" in output and "ImportError" in output
    artifacts = repo.path / ".gitlab-ci-local" / "artifacts" / "gatekit"
    junit = (artifacts / "gatekit-junit.xml").read_text()
    assert 'failures="1"' in junit and 'name="build"' in junit
    issues = json.loads((artifacts / "gatekit-codequality.json").read_text())
    assert issues and issues[0]["check_name"] == "gatekit/build"


def test_good_merge_request_passes(
    gcl: str,
    tmp_path: Path,
    git_env: dict[str, str],
    hook_repo: tuple[Path, str],
    gatekit_venv: Path,
) -> None:
    repo = gitlab_project(tmp_path, git_env, hook_repo)
    # A project's default before_script (toolchain setup) must still run in the gatekit job.
    ci = repo.read(".gitlab-ci.yml") + b"default:\n  before_script:\n    - echo project-setup-ran\n"
    repo.commit("CI: a default before_script", {".gitlab-ci.yml": ci})
    good_feature(repo)
    code, output = pipeline(gcl, repo, gatekit_venv, *MR)
    assert code == 0, output
    assert "gatekit > project-setup-ran" in output
    junit = (repo.path / ".gitlab-ci-local" / "artifacts" / "gatekit" / "gatekit-junit.xml").read_text()
    assert 'failures="0"' in junit


def test_rules_run_the_job_for_merge_requests_and_the_default_branch_only(
    gcl: str, tmp_path: Path, git_env: dict[str, str], hook_repo: tuple[Path, str]
) -> None:
    repo = gitlab_project(tmp_path, git_env, hook_repo)
    assert listed_jobs(gcl, repo, "CI_PIPELINE_SOURCE=push") == ["gatekit"]  # on main
    good_feature(repo)
    assert listed_jobs(gcl, repo, "CI_PIPELINE_SOURCE=push") == []  # a feature branch push
    assert listed_jobs(gcl, repo, *MR) == ["gatekit"]
    assert listed_jobs(gcl, repo, *MR, "CI_MERGE_REQUEST_EVENT_TYPE=merged_result") == ["gatekit"]


def test_job_prefix_input_names_the_ready_job(
    gcl: str, tmp_path: Path, git_env: dict[str, str], hook_repo: tuple[Path, str]
) -> None:
    repo = gitlab_project(tmp_path, git_env, hook_repo, inputs="      job_prefix: backend-\n")
    assert listed_jobs(gcl, repo, "CI_PIPELINE_SOURCE=push") == ["backend-gatekit"]


def component_project(tmp_path: Path, repo: Repo) -> None:
    """A bare 'gatekit' project with the template at templates/ (where GitLab looks for a
    component) and at ci-templates/gitlab/, tagged v1, reachable as gitlab.example.com/group/gatekit."""
    source = tmp_path / "gatekit-project"
    source.mkdir()
    project = Repo(source, repo.env)
    project.git("init", "-q", "-b", "main")
    project.write("templates/gatekit.yml", TEMPLATE.read_bytes())
    project.write("ci-templates/gitlab/gatekit.yml", TEMPLATE.read_bytes())
    project.commit("template")
    project.git("tag", "v1")
    bare = tmp_path / "gatekit-project.git"
    project.git("clone", "-q", "--bare", str(source), str(bare))
    # gitlab-ci-local fetches components and project includes with git over https.
    for url in (
        "https://gitlab.example.com:443/group/gatekit.git",
        "https://gitlab.example.com/group/gatekit",
    ):
        repo.git("config", "--global", "--add", f"url.file://{bare}.insteadOf", url)


def test_template_works_as_a_ci_cd_component_and_as_a_project_include(
    gcl: str, tmp_path: Path, git_env: dict[str, str], hook_repo: tuple[Path, str], gatekit_venv: Path
) -> None:
    repo = gitlab_project(tmp_path, git_env, hook_repo)
    component_project(tmp_path, repo)
    repo.write(
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
    repo.commit("CI: gatekit as a component and a project include")
    assert sorted(listed_jobs(gcl, repo, *MR)) == ["component-gatekit", "project-gatekit"]
    good_feature(repo)
    code, output = pipeline(gcl, repo, gatekit_venv, *MR)
    assert code == 0, output
    assert output.count("merged into main") >= 2
