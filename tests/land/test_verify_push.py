"""gatekit verify-push through a real pre-push hook and a local bare remote."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from gatekit.errors import UsageError
from gatekit.git.pushes import parse_pre_push
from gatekit.land.verify_push import from_pre_commit_env
from testing.landing import branch_with, counter_lines
from testing.repo import REPO_ROOT, Repo

ZERO = "0" * 40
SHA = "a" * 40


@pytest.fixture
def pushing(app: Repo, tmp_path: Path) -> Repo:
    """app with a bare remote `origin` holding main, and the one-line pre-push hook installed."""
    remote = tmp_path / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", str(remote)], env=app.env, check=True)
    app.git("remote", "add", "origin", str(remote))
    app.git("push", "-q", "origin", "main")
    hook = app.path / ".git" / "hooks" / "pre-push"
    hook.write_text(f'#!/bin/sh\nPYTHONPATH={REPO_ROOT} exec {sys.executable} -m gatekit verify-push "$@"\n')
    hook.chmod(0o755)
    return app


def _push(repo: Repo, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", "push", *args], cwd=repo.path, env=repo.env, capture_output=True, text=True)


def _remote_rev(repo: Repo, ref: str) -> str:
    return repo.git("ls-remote", "origin", ref).split("\t")[0]


def test_push_of_a_build_breaking_commit_to_main_is_refused(pushing: Repo, counter: Path) -> None:
    broken = branch_with(pushing, "broken", {"lib.py": "def renamed():\n    return 1\n"})
    before = _remote_rev(pushing, "refs/heads/main")
    result = _push(pushing, "origin", f"{broken}:refs/heads/main")
    assert result.returncode != 0
    assert f"push {broken} -> refs/heads/main: failed (a gate failed)" in result.stderr
    assert "gate 'app' failed" in result.stderr
    assert "push blocked" in result.stderr
    assert _remote_rev(pushing, "refs/heads/main") == before
    assert counter_lines(counter) == 0  # the gate died on the import, before counting


def test_push_to_an_unprotected_branch_passes_without_a_build(pushing: Repo, counter: Path) -> None:
    branch_with(pushing, "broken", {"lib.py": "def renamed():\n    return 1\n"})
    result = _push(pushing, "origin", "broken")
    assert result.returncode == 0, result.stderr
    assert "skipped (unprotected branch)" in result.stderr
    assert _remote_rev(pushing, "refs/heads/broken") == pushing.rev("broken")
    assert counter_lines(counter) == 0


def test_second_push_of_a_verified_tree_does_not_rebuild(pushing: Repo, counter: Path) -> None:
    good = branch_with(pushing, "good", {"extra.py": "X = 1\n"})
    first = _push(pushing, "origin", f"{good}:refs/heads/main")
    assert first.returncode == 0, first.stderr
    assert counter_lines(counter) == 1
    # A new commit with the same tree (as a rebase or an amended message makes) costs nothing.
    same_tree = pushing.git("commit-tree", f"{good}^{{tree}}", "-p", good, "-m", "same tree").strip()
    second = _push(pushing, "origin", f"{same_tree}:refs/heads/main")
    assert second.returncode == 0, second.stderr
    assert "verdicts cached, nothing rebuilt" in second.stderr
    assert counter_lines(counter) == 1


def test_push_right_after_land_costs_nothing(pushing: Repo, counter: Path) -> None:
    branch_with(pushing, "feature", {"extra.py": "X = 1\n"})
    assert pushing.gatekit("land", "feature").returncode == 0
    assert counter_lines(counter) == 1
    result = _push(pushing, "origin", "main")
    assert result.returncode == 0, result.stderr
    assert counter_lines(counter) == 1
    assert _remote_rev(pushing, "refs/heads/main") == pushing.rev("main")


def test_no_cache_forces_a_rebuild(pushing: Repo, counter: Path) -> None:
    main = pushing.rev("main")
    line = f"refs/heads/main {main} refs/heads/main {ZERO}\n"
    assert pushing.gatekit("verify-push", input=line.encode()).returncode == 0
    assert pushing.gatekit("verify-push", input=line.encode()).returncode == 0
    assert counter_lines(counter) == 1
    assert pushing.gatekit("verify-push", "--no-cache", input=line.encode()).returncode == 0
    assert counter_lines(counter) == 2


def test_deleting_a_protected_branch_and_pushing_tags_pass_without_a_build(
    pushing: Repo, counter: Path
) -> None:
    pushing.git("push", "-q", "--no-verify", "origin", "main:refs/heads/master")
    pushing.git("tag", "v1")
    tags = _push(pushing, "origin", "v1")
    assert tags.returncode == 0, tags.stderr
    assert "skipped (tag)" in tags.stderr
    deletion = _push(pushing, "origin", ":refs/heads/master")
    assert deletion.returncode == 0, deletion.stderr
    assert "skipped (deletion)" in deletion.stderr
    assert counter_lines(counter) == 0


def test_pre_commit_environment_is_honoured(app: Repo, counter: Path) -> None:
    broken = branch_with(app, "broken", {"lib.py": "def renamed():\n    return 1\n"})
    env = {
        "PRE_COMMIT_FROM_REF": app.rev("main"),
        "PRE_COMMIT_TO_REF": broken,
        "PRE_COMMIT_REMOTE_BRANCH": "refs/heads/main",
    }
    result = app.gatekit("verify-push", env=env)
    assert result.returncode == 1
    assert "gate 'app' failed" in result.stderr
    unprotected = app.gatekit("verify-push", env={**env, "PRE_COMMIT_REMOTE_BRANCH": "refs/heads/topic"})
    assert unprotected.returncode == 0
    assert counter_lines(counter) == 0


def test_malformed_pre_push_input_is_a_usage_error(app: Repo) -> None:
    result = app.gatekit("verify-push", input=b"refs/heads/main not-a-sha refs/heads/main\n")
    assert result.returncode == 2
    assert "pre-push input line 1" in result.stderr


def test_unknown_commit_in_pre_push_input_is_a_usage_error(app: Repo) -> None:
    result = app.gatekit("verify-push", input=f"refs/heads/main {SHA} refs/heads/main {ZERO}\n".encode())
    assert result.returncode == 2
    assert "is not a commit" in result.stderr


@pytest.mark.parametrize(
    ("line", "deletion", "branch"),
    [
        (f"refs/heads/main {SHA} refs/heads/main {ZERO}", False, "main"),
        (f"(delete) {ZERO} refs/heads/main {SHA}", True, "main"),
        (f"refs/tags/v1 {SHA} refs/tags/v1 {ZERO}", False, None),
        (f"HEAD~1 {SHA} refs/heads/release/1.0 {SHA}", False, "release/1.0"),
        (f"my local expr {SHA} refs/heads/café {ZERO}", False, "café"),
    ],
)
def test_parse_pre_push_lines(line: str, deletion: bool, branch: str | None) -> None:
    (update,) = parse_pre_push(line + "\n")
    assert update.deletion is deletion
    assert update.branch == branch


@pytest.mark.parametrize("line", ["", "\n\n"])
def test_empty_pre_push_input_is_nothing_to_verify(line: str) -> None:
    assert parse_pre_push(line) == []


@pytest.mark.parametrize("line", ["garbage", f"a {SHA} b", f"a {SHA} b {SHA[:-1]}"])
def test_parse_pre_push_rejects_malformed_lines(line: str) -> None:
    with pytest.raises(UsageError):
        parse_pre_push(line)


def test_pre_commit_env_parsing() -> None:
    assert from_pre_commit_env({}) is None
    (update,) = (
        from_pre_commit_env({"PRE_COMMIT_TO_REF": SHA, "PRE_COMMIT_REMOTE_BRANCH": "refs/heads/main"}) or []
    )
    assert update.local_sha == SHA and update.branch == "main" and not update.deletion


def test_each_commit_verifies_every_new_first_parent_commit(pushing: Repo, counter: Path) -> None:
    hook = pushing.path / ".git" / "hooks" / "pre-push"
    hook.write_text(hook.read_text().replace('verify-push "$@"', 'verify-push --each-commit "$@"'))
    pushing.git("switch", "-q", "-c", "work")
    pushing.commit("breaks", {"lib.py": "def renamed():\n    return 1\n"})
    pushing.commit("repairs", {"lib.py": "def renamed():\n    return 1\n\n\nhelper = renamed\n"})
    result = _push(pushing, "origin", "work:main")
    assert result.returncode != 0
    assert f"commit {pushing.rev('work~1')[:12]}" in result.stderr
    # Without --each-commit only the (good) tip is verified, and the push passes.
    hook.write_text(hook.read_text().replace("--each-commit ", ""))
    assert _push(pushing, "origin", "work:main").returncode == 0
