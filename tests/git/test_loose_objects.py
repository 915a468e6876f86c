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
    repo.git("config", "core.fsync", "loose-object")
    assert commit_object(common, tree, [head], "m\n", HOOK_IDENTITY) is None
    repo.git("config", "--unset", "core.fsync")
    repo.git("config", "include.path", "other.config")
    assert commit_object(common, tree, [head], "m\n", HOOK_IDENTITY) is None


def test_a_note_written_by_python_is_read_by_git_at_every_fanout(repo: Repo) -> None:
    """Flat notes, then the two-character directories git moves to with many notes: each note
    written by Python reads back through `git notes`, fsck is clean, the reflog says what git says."""
    from gatekit.git.loose import write_note
    from gatekit.git.memo import remembered

    common = repo.path / ".git"
    ref = "refs/notes/gatekit"
    blobs = [
        repo.git("hash-object", "-w", "--stdin", input=f"object {i}\n".encode()).strip() for i in range(300)
    ]
    with remembered():
        for i, oid in enumerate(blobs[:5]):
            assert write_note(repo.path, common, ref, oid, f"note {i}\n".encode(), HOOK_IDENTITY)
    assert repo.git("notes", "--ref=gatekit", "show", blobs[3]) == "note 3\n"
    # Many notes through git itself: it fans the tree out into two-character directories.
    for i, oid in enumerate(blobs[5:]):
        repo.git("notes", "--ref=gatekit", "add", "-m", f"git {i}", oid)
    assert any(len(line.split("\t")[1]) == 2 for line in repo.git("ls-tree", ref).splitlines())
    with remembered():
        assert write_note(repo.path, common, ref, blobs[200], b"replaced\n", HOOK_IDENTITY)
        assert write_note(repo.path, common, ref, repo.rev(), b"a new one\n", HOOK_IDENTITY)
    assert repo.git("notes", "--ref=gatekit", "show", blobs[200]) == "replaced\n"
    assert repo.git("notes", "--ref=gatekit", "show", repo.rev()) == "a new one\n"
    assert len(repo.git("notes", "--ref=gatekit", "list").splitlines()) == 301
    assert repo.git("fsck", "--strict", "--no-dangling", check=False).strip() == ""
    mine, gits = (repo.path / ".git" / "logs" / ref).read_text().splitlines()[-1], None
    assert mine.endswith("\tnotes: Notes added by 'git notes add'") and "Ada Lovelace" in mine
    gits = repo.git("reflog", "show", "--format=%gs", ref).splitlines()[0]
    assert gits == "notes: Notes added by 'git notes add'"


def test_a_note_is_git_s_to_write_when_its_ref_is_locked_or_no_hook_said_who(repo: Repo) -> None:
    from gatekit.git.loose import write_note

    common = repo.path / ".git"
    ref = "refs/notes/gatekit"
    assert not write_note(repo.path, common, ref, repo.rev(), b"x\n", {})
    (common / "refs" / "notes").mkdir(parents=True, exist_ok=True)
    (common / "refs" / "notes" / "gatekit.lock").write_text("")
    assert not write_note(repo.path, common, ref, repo.rev(), b"x\n", HOOK_IDENTITY)
    assert repo.git("for-each-ref", ref) == ""
