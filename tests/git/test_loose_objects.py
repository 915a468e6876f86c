"""The staged subject's commit written by Python: the very object `git commit-tree` writes."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from gatekit.git.loose import commit_object
from testing.repo import Repo

HOOK_IDENTITY = {
    "GIT_AUTHOR_NAME": "Ada Lovelace",
    "GIT_AUTHOR_EMAIL": "ada@example.com",
    "GIT_AUTHOR_DATE": "@1796228205 +0100",
}


def by_git(repo: Repo, tree: str, parents: list[str], message: str) -> str:
    env = {
        **repo.env,
        **HOOK_IDENTITY,
        "GIT_COMMITTER_NAME": HOOK_IDENTITY["GIT_AUTHOR_NAME"],
        "GIT_COMMITTER_EMAIL": HOOK_IDENTITY["GIT_AUTHOR_EMAIL"],
        "GIT_COMMITTER_DATE": HOOK_IDENTITY["GIT_AUTHOR_DATE"],
    }
    args = ["git", "commit-tree", tree, *(arg for p in parents for arg in ("-p", p))]
    out = subprocess.run(
        args, cwd=repo.path, env=env, input=message, capture_output=True, text=True, check=True
    )
    return out.stdout.strip()


@pytest.mark.parametrize("object_format", ["sha1", "sha256"])
def test_the_commit_is_the_object_git_writes(
    tmp_path: Path, git_env: dict[str, str], object_format: str
) -> None:
    repo = Repo(tmp_path / "r", git_env)
    repo.path.mkdir()
    repo.git("init", "-q", f"--object-format={object_format}")
    repo.commit("base", {"a.txt": "a\n"})
    tree, head = repo.rev("HEAD^{tree}"), repo.rev()
    ours = commit_object(repo.path / ".git", tree, [head], "gatekit: staged changes\n", HOOK_IDENTITY)
    assert ours is not None
    assert repo.git("cat-file", "-t", ours).strip() == "commit"
    assert ours == by_git(repo, tree, [head], "gatekit: staged changes\n")
    assert repo.git("fsck", "--strict", "--no-dangling", check=False).strip() == ""
    # Again: the same object, found where it is.
    assert commit_object(repo.path / ".git", tree, [head], "gatekit: staged changes\n", HOOK_IDENTITY) == ours
    assert commit_object(repo.path / ".git", tree, [], "root\n", HOOK_IDENTITY) == by_git(
        repo, tree, [], "root\n"
    )


def test_git_writes_it_where_python_cannot_say_what_git_would(repo: Repo) -> None:
    tree, head = repo.rev("HEAD^{tree}"), repo.rev()
    common = repo.path / ".git"
    for identity in (
        {},  # not a commit hook
        {**HOOK_IDENTITY, "GIT_AUTHOR_DATE": "2026-12-02T10:00:00"},  # a date git parses, not its own form
        {**HOOK_IDENTITY, "GIT_AUTHOR_NAME": " Ada."},  # git trims what ends a name
    ):
        assert commit_object(common, tree, [head], "m\n", identity) is None
    repo.git("config", "core.sharedRepository", "group")
    assert commit_object(common, tree, [head], "m\n", HOOK_IDENTITY) is None
    repo.git("config", "--unset", "core.sharedRepository")
    repo.git("config", "include.path", "other.config")
    assert commit_object(common, tree, [head], "m\n", HOOK_IDENTITY) is None
