"""Static checks of the manifest and CI templates with the real validators (fast, offline)."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
from pathlib import Path

import pytest
import yaml

import gatekit
from gatekit.integrations import initialize
from gatekit.integrations.hook_runner import steps_for
from testing.clients import require_client, run
from testing.docs import yaml_examples
from testing.repo import REPO_ROOT

MANIFEST = REPO_ROOT / ".pre-commit-hooks.yaml"
GITLAB = REPO_ROOT / "templates" / "gatekit.yml"
GITLAB_OLD_PATH = REPO_ROOT / "ci-templates" / "gitlab" / "gatekit.yml"
WORKFLOW = REPO_ROOT / ".github" / "workflows" / "gatekit.yml"
ACTION = REPO_ROOT / "ci-templates" / "github" / "action.yml"
CALLER = REPO_ROOT / "ci-templates" / "github" / "caller.yml"
GUARD_COMMANDS = {"check", "protect", "verify-push", "clobber", "snapshot", "overlap"}


def schema_check(schema: str, *files: Path, cwd: Path = REPO_ROOT) -> subprocess.CompletedProcess[str]:
    tool = require_client("check-jsonschema")
    return run([tool, "--builtin-schema", schema, *map(str, files)], cwd=cwd, env=None)  # type: ignore[arg-type]


# -- the pre-commit manifest -------------------------------------------------------------------


def test_manifest_passes_pre_commit_validation() -> None:
    result = run([require_client("pre-commit"), "validate-manifest", str(MANIFEST)], cwd=REPO_ROOT, env=None)  # type: ignore[arg-type]
    assert result.returncode == 0, result.stdout


def test_manifest_has_one_hook_per_guard_with_the_right_stage() -> None:
    hooks = {hook["id"]: hook for hook in yaml.safe_load(MANIFEST.read_text())}
    expected = {
        "gatekit-check": ["pre-commit"],
        "gatekit-check-push": ["pre-push"],
        "gatekit-protect": ["pre-commit", "pre-merge-commit"],  # a `git merge` onto main too
        "gatekit-verify-push": ["pre-push"],
        "gatekit-clobber": ["pre-commit"],
        "gatekit-overlap": ["pre-commit"],
        "gatekit-snapshot": ["post-commit", "post-checkout", "post-merge"],
    }
    assert {hook_id: hooks[hook_id]["stages"] for hook_id in expected} == expected
    for hook in hooks.values():
        assert hook["language"] == "python"
        assert (
            hook["pass_filenames"] is False and hook["always_run"] is True and hook["require_serial"] is True
        )
        assert hook["minimum_pre_commit_version"] == "3.2.0"  # stage names = git hook names


def test_manifest_entries_name_real_guards() -> None:
    for hook in yaml.safe_load(MANIFEST.read_text()):
        argv = shlex.split(hook["entry"])
        assert argv[0] == "gatekit"
        if argv[1] == "hook":
            git_hook, guard = argv[2], argv[argv.index("--only") + 1]
            steps = steps_for(git_hook, b"", {"PRE_COMMIT": "1", "PRE_COMMIT_TO_REF": "0" * 39 + "1"})
            assert guard in [step.name for step in steps], hook["id"]
        else:
            assert argv[1] in GUARD_COMMANDS, hook["id"]


# -- GitLab ------------------------------------------------------------------------------------


def gitlab_documents() -> list[dict]:  # type: ignore[type-arg]
    return list(yaml.safe_load_all(GITLAB.read_text()))


def test_gitlab_template_header_and_body_pass_the_gitlab_ci_schema(tmp_path: Path) -> None:
    header, body = gitlab_documents()
    for name, document in (("header.yml", header), ("body.yml", body)):
        (tmp_path / name).write_text(yaml.safe_dump(document))
    result = schema_check("vendor.gitlab-ci", tmp_path / "header.yml", tmp_path / "body.yml")
    assert result.returncode == 0, result.stdout


def test_gitlab_template_uses_only_declared_inputs() -> None:
    header, _ = gitlab_documents()
    used = set(re.findall(r"\$\[\[\s*inputs\.(\w+)\s*\]\]", GITLAB.read_text()))
    assert used == set(header["spec"]["inputs"])


def test_gitlab_template_publishes_junit_and_code_quality_and_keeps_history() -> None:
    _, body = gitlab_documents()
    job = body[".$[[ inputs.job_prefix ]]gatekit"]
    assert job["variables"]["GIT_DEPTH"] == "0"
    assert job["artifacts"]["reports"] == {
        "junit": "gatekit-junit.xml",
        "codequality": "gatekit-codequality.json",
    }
    assert set(job["artifacts"]["paths"]) == {"gatekit-junit.xml", "gatekit-codequality.json"}
    assert job["artifacts"]["when"] == "always"
    assert job["cache"]["paths"] == [".cache/pip"]
    ready = body["$[[ inputs.job_prefix ]]gatekit"]
    assert ready["extends"] == ".$[[ inputs.job_prefix ]]gatekit"
    assert any("merge_request_event" in rule["if"] for rule in ready["rules"])


def test_gitlab_template_has_no_job_shared_between_two_includes() -> None:
    _, body = gitlab_documents()
    assert all("$[[ inputs.job_prefix ]]" in name for name in body)


def test_gitlab_pip_cache_is_per_project_and_per_protection() -> None:
    _, body = gitlab_documents()
    key = body[".$[[ inputs.job_prefix ]]gatekit"]["cache"]["key"]
    assert "$CI_PROJECT_ID" in key and "$CI_COMMIT_REF_PROTECTED" in key


def test_gitlab_template_is_a_component_and_keeps_its_old_path() -> None:
    assert GITLAB_OLD_PATH.read_bytes() == GITLAB.read_bytes()


def test_templates_install_their_own_version_by_default() -> None:
    header, _ = gitlab_documents()
    pinned = f"git-gatekit=={gatekit.__version__}"
    assert header["spec"]["inputs"]["pip_spec"]["default"] == pinned
    assert yaml.safe_load(ACTION.read_text())["inputs"]["pip-spec"]["default"] == pinned
    workflow_inputs = yaml.safe_load(WORKFLOW.read_text())[True]["workflow_call"]["inputs"]
    assert workflow_inputs["pip-spec"]["default"] == pinned


def test_third_party_actions_are_pinned_by_sha_with_the_tag_in_a_comment() -> None:
    uses = re.findall(r"uses:\s*(\S+)(.*)", WORKFLOW.read_text() + ACTION.read_text())
    third_party = [(ref, rest) for ref, rest in uses if not ref.startswith("gatekit-dev/")]
    assert len(third_party) == 5  # checkout, setup-python, upload-artifact (x2)
    for ref, comment in third_party:
        assert re.fullmatch(r"[\w-]+/[\w-]+@[0-9a-f]{40}", ref), ref
        assert re.fullmatch(r"\s*# v\d+\.\d+\.\d+", comment), ref


def test_init_gitlab_include_passes_the_schema(tmp_path: Path) -> None:
    (tmp_path / "ci.yml").write_text(initialize.gitlab_snippet())
    assert schema_check("vendor.gitlab-ci", tmp_path / "ci.yml").returncode == 0


# -- GitHub ------------------------------------------------------------------------------------


def test_github_workflows_pass_the_workflow_schema(tmp_path: Path) -> None:
    (tmp_path / "init-caller.yml").write_text(initialize.github_caller())
    result = schema_check("vendor.github-workflows", WORKFLOW, CALLER, tmp_path / "init-caller.yml")
    assert result.returncode == 0, result.stdout


def test_composite_action_passes_the_action_schema() -> None:
    result = schema_check("vendor.github-actions", ACTION)
    assert result.returncode == 0, result.stdout


def test_actionlint_accepts_the_reusable_workflow_and_a_local_caller(
    tmp_path: Path, git_env: dict[str, str]
) -> None:
    actionlint = require_client("actionlint")
    shellcheck = require_client("shellcheck")
    workflows = tmp_path / "repo" / ".github" / "workflows"
    workflows.mkdir(parents=True)
    (workflows / "gatekit.yml").write_text(WORKFLOW.read_text())
    # A caller of the reusable workflow in the same repository, so actionlint checks its `with:`.
    (workflows / "caller.yml").write_text(
        CALLER.read_text().replace(
            "gatekit-dev/gatekit/.github/workflows/gatekit.yml@v0.1.0",
            "./.github/workflows/gatekit.yml",
        )
    )
    subprocess.run(["git", "init", "-q"], cwd=tmp_path / "repo", env=git_env, check=True)
    result = run(
        [
            actionlint,
            f"-shellcheck={shellcheck}",
            ".github/workflows/gatekit.yml",
            ".github/workflows/caller.yml",
        ],
        cwd=tmp_path / "repo",
        env=git_env,
    )
    assert result.returncode == 0, result.stdout


def test_actionlint_rejects_a_caller_passing_an_unknown_input(
    tmp_path: Path, git_env: dict[str, str]
) -> None:
    """Proves the previous test would notice a wrong `with:` key."""
    actionlint = require_client("actionlint")
    workflows = tmp_path / "repo" / ".github" / "workflows"
    workflows.mkdir(parents=True)
    (workflows / "gatekit.yml").write_text(WORKFLOW.read_text())
    (workflows / "caller.yml").write_text(
        CALLER.read_text()
        .replace(
            "gatekit-dev/gatekit/.github/workflows/gatekit.yml@v0.1.0",
            "./.github/workflows/gatekit.yml",
        )
        .replace("args:", "argz:")
    )
    subprocess.run(["git", "init", "-q"], cwd=tmp_path / "repo", env=git_env, check=True)
    result = run(
        [actionlint, "-shellcheck=", ".github/workflows/caller.yml"],
        cwd=tmp_path / "repo",
        env=git_env,
    )
    assert result.returncode == 1 and "argz" in result.stdout


def test_workflow_is_least_privilege_and_never_checks_out_untrusted_code_with_secrets() -> None:
    workflow = yaml.safe_load(WORKFLOW.read_text())
    triggers = workflow[True]  # PyYAML reads the key `on` as True
    assert set(triggers) == {"workflow_call"}
    assert workflow["permissions"] == {"contents": "read"}
    assert workflow["jobs"]["gatekit"]["permissions"] == {"contents": "read"}
    checkout = workflow["jobs"]["gatekit"]["steps"][0]
    assert checkout["uses"].startswith("actions/checkout@")
    assert checkout["with"]["fetch-depth"] == 0 and checkout["with"]["persist-credentials"] is False
    caller = yaml.safe_load(CALLER.read_text())
    assert "pull_request_target" not in caller[True]
    assert {"pull_request", "merge_group"} <= set(caller[True])


def test_shellcheck_accepts_the_hooks_and_the_composite_run_steps(tmp_path: Path) -> None:
    """actionlint does not shellcheck composite actions: each run block is checked here."""
    shellcheck = require_client("shellcheck")
    scripts = sorted((REPO_ROOT / "hooks").iterdir())
    for index, step in enumerate(yaml.safe_load(ACTION.read_text())["runs"]["steps"]):
        if "run" in step:
            script = tmp_path / f"action-step-{index}.sh"
            # ${{ }} expressions are substituted before the shell runs; stand in a word for each.
            script.write_text("#!/usr/bin/env bash\n" + re.sub(r"\$\{\{[^}]*\}\}", "x", step["run"]))
            scripts.append(script)
    _, body = gitlab_documents()
    gitlab_script = tmp_path / "gitlab-script.sh"
    # GitLab runs the items one after another in one shell (sh in the default image).
    gitlab_script.write_text(
        "#!/bin/sh\n" + "\n".join(body[".$[[ inputs.job_prefix ]]gatekit"]["script"]) + "\n"
    )
    scripts.append(gitlab_script)
    result = run([shellcheck, *map(str, scripts)], cwd=REPO_ROOT, env=None)  # type: ignore[arg-type]
    assert result.returncode == 0, result.stdout
    assert len(scripts) >= 8


# -- the examples in the README and docs --------------------------------------------------------


def _write_examples(tmp_path: Path, first_line: str, suffix: str) -> list[Path]:
    files = []
    for where, text in yaml_examples(first_line):
        path = tmp_path / f"{where.replace('#', '-')}{suffix}"
        path.write_text(text)
        files.append(path)
    return files


def test_every_gitlab_example_in_the_docs_passes_the_schema(tmp_path: Path) -> None:
    files = _write_examples(tmp_path, "# .gitlab-ci.yml", ".yml")
    assert len(files) >= 3  # README, and the project and component includes in docs
    result = schema_check("vendor.gitlab-ci", *files)
    assert result.returncode == 0, result.stdout


def test_every_github_example_in_the_docs_passes_the_schema_and_actionlint(
    tmp_path: Path, git_env: dict[str, str]
) -> None:
    workflows = tmp_path / "repo" / ".github" / "workflows"
    workflows.mkdir(parents=True)
    files = _write_examples(workflows, "# .github/workflows/gatekit.yml", ".yml")
    assert len(files) >= 3  # README, the reusable-workflow caller and the composite action job
    assert schema_check("vendor.github-workflows", *files).returncode == 0
    subprocess.run(["git", "init", "-q"], cwd=tmp_path / "repo", env=git_env, check=True)
    relative = [str(f.relative_to(tmp_path / "repo")) for f in files]
    result = run(
        [require_client("actionlint"), f"-shellcheck={require_client('shellcheck')}", *relative],
        cwd=tmp_path / "repo",
        env=git_env,
    )
    assert result.returncode == 0, result.stdout


def test_every_checkout_in_the_docs_leaves_no_token_behind() -> None:
    checkouts = 0
    for where, text in yaml_examples("# .github/workflows/gatekit.yml"):
        for job in yaml.safe_load(text)["jobs"].values():
            for step in job.get("steps", []):
                if step.get("uses", "").startswith("actions/checkout@"):
                    checkouts += 1
                    assert step["with"]["persist-credentials"] is False, where
    assert checkouts >= 1


def test_zizmor_finds_nothing_in_the_templates_and_the_docs_examples(tmp_path: Path) -> None:
    zizmor = require_client("zizmor")
    workflows = tmp_path / ".github" / "workflows"
    workflows.mkdir(parents=True)
    examples = _write_examples(workflows, "# .github/workflows/gatekit.yml", ".yml")
    (workflows / "init-caller.yml").write_text(initialize.github_caller())
    action = tmp_path / "action" / "action.yml"
    action.parent.mkdir()
    action.write_text(ACTION.read_text())
    targets = [WORKFLOW, CALLER, action, workflows / "init-caller.yml", *examples]
    config = REPO_ROOT / ".github" / "zizmor.yml"
    result = run(
        [zizmor, "--offline", "--no-progress", "--config", str(config), *map(str, targets)],
        cwd=tmp_path,
        env=None,  # type: ignore[arg-type]
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No findings" in result.stdout + result.stderr


def _install_scripts() -> dict[str, str]:
    """The install step of each template, as the shell runs it."""
    _, body = gitlab_documents()
    gitlab = body[".$[[ inputs.job_prefix ]]gatekit"]["script"][1]
    steps = yaml.safe_load(ACTION.read_text())["runs"]["steps"]
    action = next(step["run"] for step in steps if step.get("name") == "Install gatekit")
    workflow_steps = yaml.safe_load(WORKFLOW.read_text())["jobs"]["gatekit"]["steps"]
    workflow = next(step["run"] for step in workflow_steps if step.get("name") == "Install gatekit")
    return {"gitlab": gitlab, "action": action, "workflow": workflow}


@pytest.mark.slow  # a venv per template
@pytest.mark.parametrize("template", ["gitlab", "action", "workflow"])
def test_requirements_input_installs_only_what_matches_its_hashes(template: str, tmp_path: Path) -> None:
    wheel = tmp_path / "git_gatekit-0.1.0-py3-none-any.whl"
    wheel.write_bytes(b"not the wheel that was reviewed")
    requirements = tmp_path / "requirements.txt"
    requirements.write_text(f"git-gatekit @ {wheel.as_uri()} --hash=sha256:{'0' * 64}\n")
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "RUNNER_TEMP": str(tmp_path),
        "GATEKIT_VENV": str(tmp_path / "venv"),
        "GATEKIT_REQUIREMENTS": str(requirements),
        "GATEKIT_PIP_SPEC": "must-not-be-used",
        "GATEKIT_VERSION": "",
        "PIP_NO_INDEX": "1",
    }
    result = run(["bash", "-c", _install_scripts()[template]], cwd=tmp_path, env=env)
    assert result.returncode != 0
    assert "DO NOT MATCH THE HASHES" in result.stdout, result.stdout
    assert "must-not-be-used" not in result.stdout
