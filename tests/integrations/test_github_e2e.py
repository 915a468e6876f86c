"""The reusable workflow and the composite action, run for real by act in host mode.

actions/checkout is skipped by act (it copies the local tree); setup-python and upload-artifact
are mapped to the offline stand-ins in tests/integrations/standins/.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from testing.clients import require_client, run
from testing.docs import yaml_examples
from testing.repo import REPO_ROOT, Repo
from testing.samples import break_by_merge, good_feature, python_project

pytestmark = pytest.mark.slow

STANDINS = Path(__file__).parent / "standins"
OWNER_REPO = "gatekit-dev/gatekit"
WORKFLOW = REPO_ROOT / ".github" / "workflows" / "gatekit.yml"


def pinned(action: str) -> str:
    """The exact `uses:` reference (SHA) of a third-party action in gatekit's workflow."""
    (ref,) = set(re.findall(rf"uses: ({re.escape(action)}@[0-9a-f]{{40}})", WORKFLOW.read_text()))
    return ref


def readme_workflow() -> str:
    """The README's GitHub example, verbatim: what a reader copies."""
    ((_, text),) = yaml_examples("# .github/workflows/gatekit.yml", (REPO_ROOT / "README.md",))
    return text


def docs_action_job() -> str:
    """docs/integrations.md's composite-action example, verbatim."""
    examples = yaml_examples("# .github/workflows/gatekit.yml", (REPO_ROOT / "docs" / "integrations.md",))
    (text,) = [text for _, text in examples if "ci-templates/github@" in text]
    return text


def github_project(tmp_path: Path, env: dict[str, str], files: dict[str, str | bytes] | None = None) -> Repo:
    # The examples install git-gatekit==0.1.0; the session's venv (GATEKIT_VENV) already has this
    # checkout installed as that version, so pip finds it there, offline.
    repo = python_project(tmp_path / "project", env, files)
    repo.write(".github/workflows/via-workflow.yml", readme_workflow())
    repo.write(".github/workflows/via-action.yml", docs_action_job())
    repo.commit("CI: gatekit, as the README and docs show it")
    return repo


def act(
    repo: Repo,
    workflow: str,
    event: str,
    payload: dict,
    hook_repo: tuple[Path, str],
    venv: Path,
    tmp_path: Path,  # type: ignore[type-arg]
) -> tuple[int, str, Path]:
    """Run one workflow file under act; (exit code, output, artifacts dir)."""
    tool = require_client("act")
    event_file = tmp_path / f"{event}.json"
    event_file.write_text(json.dumps(payload))
    artifacts = tmp_path / "artifacts"
    argv = [
        tool, event, "-W", f".github/workflows/{workflow}", "-e", str(event_file),
        "-P", "ubuntu-latest=-self-hosted", "--no-cache-server",
        "--local-repository", f"{OWNER_REPO}@v0.1.0={hook_repo[0]}",
        "--local-repository", f"{pinned('actions/setup-python')}={STANDINS / 'setup-python'}",
        "--local-repository", f"{pinned('actions/upload-artifact')}={STANDINS / 'upload-artifact'}",
        "--env", f"GATEKIT_VENV={venv}",
        "--env", f"GATEKIT_ARTIFACTS={artifacts}",
    ]  # fmt: skip
    env = {**repo.env, "XDG_CACHE_HOME": str(tmp_path / "act-cache"), "PATH": os.environ["PATH"]}
    result = run(argv, cwd=repo.path, env=env, timeout=600)
    return result.returncode, result.stdout, artifacts


PULL_REQUEST = {"pull_request": {"number": 1, "base": {"ref": "main"}, "head": {"ref": "feature"}}}


@pytest.mark.parametrize("workflow", ["via-workflow.yml", "via-action.yml"])
def test_pull_request_whose_merge_breaks_the_build_fails_with_annotations_and_junit(
    workflow: str,
    tmp_path: Path,
    git_env: dict[str, str],
    hook_repo: tuple[Path, str],
    gatekit_venv: Path,
) -> None:
    repo = github_project(tmp_path, git_env)
    break_by_merge(repo)
    code, output, artifacts = act(
        repo, workflow, "pull_request", PULL_REQUEST, hook_repo, gatekit_venv, tmp_path
    )
    assert code == 1, output
    assert "github pull_request: gatekit check --rev HEAD --merge-into refs/heads/main" in output
    assert "::error title=gatekit%3A build failed" in output
    assert "Summary - ### gatekit" in output  # act echoes what was written to $GITHUB_STEP_SUMMARY
    junits = list(artifacts.glob("*/gatekit-junit.xml"))
    assert len(junits) == 1 and 'failures="1"' in junits[0].read_text()


@pytest.mark.parametrize("workflow", ["via-workflow.yml", "via-action.yml"])
def test_good_pull_request_passes(
    workflow: str,
    tmp_path: Path,
    git_env: dict[str, str],
    hook_repo: tuple[Path, str],
    gatekit_venv: Path,
) -> None:
    repo = github_project(tmp_path, git_env)
    good_feature(repo)
    code, output, artifacts = act(
        repo, workflow, "pull_request", PULL_REQUEST, hook_repo, gatekit_venv, tmp_path
    )
    assert code == 0, output
    assert "merge-into refs/heads/main" in output
    assert 'failures="0"' in next(artifacts.glob("*/gatekit-junit.xml")).read_text()


def test_merge_queue_commit_is_verified_as_it_is(
    tmp_path: Path, git_env: dict[str, str], hook_repo: tuple[Path, str], gatekit_venv: Path
) -> None:
    repo = github_project(tmp_path, git_env)
    break_by_merge(repo)
    # The merge queue hands over the merged commit itself: build it here as the queue would.
    repo.git("merge", "-q", "--no-edit", "main")
    payload = {
        "merge_group": {
            "base_ref": "refs/heads/main",
            "head_ref": "refs/heads/gh-readonly-queue/main/pr-1",
        }
    }
    code, output, _ = act(repo, "via-workflow.yml", "merge_group", payload, hook_repo, gatekit_venv, tmp_path)
    assert code == 1, output
    assert "github merge_group: gatekit check --rev HEAD --stage ci" in output
    assert "checking the whole workspace" in output  # the README's --affected has no base here


def test_push_to_main_checks_the_whole_workspace(
    tmp_path: Path, git_env: dict[str, str], hook_repo: tuple[Path, str], gatekit_venv: Path
) -> None:
    makefile = {"Makefile": "all:\n\t@echo built-everything\n", "gatekit.toml": ""}
    repo = github_project(tmp_path, git_env, makefile)
    payload = {"ref": "refs/heads/main", "before": "0" * 40, "after": repo.rev()}
    code, output, _ = act(repo, "via-workflow.yml", "push", payload, hook_repo, gatekit_venv, tmp_path)
    assert code == 0, output
    assert "github push: gatekit check --rev HEAD --stage ci" in output
    assert "built-everything" in output and "checking the whole workspace" in output


def test_pull_request_target_is_refused_with_the_reason(
    tmp_path: Path, git_env: dict[str, str], hook_repo: tuple[Path, str], gatekit_venv: Path
) -> None:
    repo = github_project(tmp_path, git_env)
    caller = readme_workflow().replace("pull_request: {}", "pull_request_target: {}")
    repo.commit("CI: on pull_request_target", {".github/workflows/via-workflow.yml": caller})
    good_feature(repo)
    code, output, artifacts = act(
        repo, "via-workflow.yml", "pull_request_target", PULL_REQUEST, hook_repo, gatekit_venv, tmp_path
    )
    assert code == 1, output
    assert "refusing to run on pull_request_target" in output
    assert "<error" in next(artifacts.glob("*/gatekit-junit.xml")).read_text()
