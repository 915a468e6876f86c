"""The reusable workflow and the composite action, run for real by act in host mode.

actions/checkout is skipped by act (it copies the local tree); setup-python and upload-artifact
are mapped to the offline stand-ins in tests/integrations/standins/.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from testing.clients import require_client, run
from testing.repo import Repo
from testing.samples import break_by_merge, good_feature, python_project

pytestmark = pytest.mark.slow

STANDINS = Path(__file__).parent / "standins"
OWNER_REPO = "gatekit-dev/gatekit"

VIA_WORKFLOW = f"""\
name: via-workflow
on: [pull_request, merge_group]
permissions:
  contents: read
jobs:
  gatekit:
    uses: {OWNER_REPO}/.github/workflows/gatekit.yml@v1
    with:
      pip-spec: {{spec}}
"""

VIA_ACTION = f"""\
name: via-action
on: [pull_request, merge_group]
permissions:
  contents: read
jobs:
  gatekit:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
        with:
          fetch-depth: 0
      - uses: {OWNER_REPO}/ci-templates/github@v1
        with:
          pip-spec: {{spec}}
          python-version: "3.11"
"""


def github_project(tmp_path: Path, env: dict[str, str], hook_repo: tuple[Path, str]) -> Repo:
    repo = python_project(tmp_path / "project", env)
    spec = str(hook_repo[0])
    repo.write(".github/workflows/via-workflow.yml", VIA_WORKFLOW.format(spec=spec))
    repo.write(".github/workflows/via-action.yml", VIA_ACTION.format(spec=spec))
    repo.commit("CI: gatekit")
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
        "--local-repository", f"{OWNER_REPO}@v1={hook_repo[0]}",
        "--local-repository", f"actions/setup-python@v5={STANDINS / 'setup-python'}",
        "--local-repository", f"actions/upload-artifact@v4={STANDINS / 'upload-artifact'}",
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
    repo = github_project(tmp_path, git_env, hook_repo)
    break_by_merge(repo)
    code, output, artifacts = act(
        repo, workflow, "pull_request", PULL_REQUEST, hook_repo, gatekit_venv, tmp_path
    )
    assert code == 1, output
    assert "github pull_request: gatekit check --rev HEAD --merge-into main" in output
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
    repo = github_project(tmp_path, git_env, hook_repo)
    good_feature(repo)
    code, output, artifacts = act(
        repo, workflow, "pull_request", PULL_REQUEST, hook_repo, gatekit_venv, tmp_path
    )
    assert code == 0, output
    assert "merge-into main" in output
    assert 'failures="0"' in next(artifacts.glob("*/gatekit-junit.xml")).read_text()


def test_merge_queue_commit_is_verified_as_it_is(
    tmp_path: Path, git_env: dict[str, str], hook_repo: tuple[Path, str], gatekit_venv: Path
) -> None:
    repo = github_project(tmp_path, git_env, hook_repo)
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
