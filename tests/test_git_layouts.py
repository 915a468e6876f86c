"""Repositories in every shape git allows: each is honoured as git honours it, or refused with
one sentence that says what to do. Never a raw git error, never a traceback."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from testing.repo import Repo, init_repo
from testing.state import capture_state


def assert_clean_outcome(result, codes=(0, 1)) -> None:  # type: ignore[no-untyped-def]
    assert result.returncode in codes, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stdout + result.stderr
    assert "internal error" not in result.stderr


def test_repository_path_with_a_newline_is_a_repository(tmp_path: Path, git_env: dict[str, str]) -> None:
    repo = init_repo(tmp_path / "odd\nname", git_env)
    result = repo.gatekit("status")
    assert_clean_outcome(result)
    assert "not a git working tree" not in result.stderr


def test_shallow_clone_merge_check_explains_and_says_how_to_deepen(
    tmp_path: Path, git_env: dict[str, str]
) -> None:
    origin = init_repo(tmp_path / "origin", git_env)
    for i in range(3):
        origin.commit(f"main {i}", {"a.txt": f"{i}\n"})
    origin.git("checkout", "-q", "-b", "feature", "HEAD~2")
    origin.commit("feature", {"b.txt": "b\n"})
    origin.git("checkout", "-q", "main")
    clone = Repo(tmp_path / "clone", git_env)
    origin.git("clone", "-q", "--depth", "1", "--no-single-branch", f"file://{origin.path}", str(clone.path))
    clone.git("checkout", "-q", "feature")
    clone.write("gatekit.toml", '[[gates]]\nname = "g"\nrun = "true"\n')
    result = clone.gatekit("check", "--rev", "HEAD", "--merge-into", "origin/main")
    assert result.returncode == 2, result.stderr
    assert "shallow" in result.stderr and "git fetch --unshallow" in result.stderr
    assert "unrelated histories" not in result.stderr


def test_unborn_branch_overlap_and_status_do_not_invent_a_parent(
    tmp_path: Path, git_env: dict[str, str]
) -> None:
    repo = Repo(tmp_path / "new", git_env)
    repo.path.mkdir()
    repo.git("init", "-q", "-b", "main")
    repo.write("first.txt", "not yet committed\n")
    repo.git("add", "first.txt")
    before = capture_state(repo.path, repo.env)
    for argv in (("overlap",), ("overlap", "--staged"), ("status",), ("clobber",)):
        result = repo.gatekit(*argv)
        assert_clean_outcome(result, codes=(0, 1, 2))
        assert "0000000000000000000000000000000000000000" not in result.stderr
    assert capture_state(repo.path, repo.env) == before


def test_a_broken_ref_is_skipped_with_a_warning_as_git_does(repo: Repo) -> None:
    repo.branch("feature")
    repo.git("worktree", "add", "-q", str(repo.path.parent / "wt"), "feature")
    (repo.path / ".git" / "refs" / "heads" / "broken").write_text("not an object id\n")
    for argv in (("overlap",), ("status", "--all-branches"), ("status",)):
        result = repo.gatekit(*argv)
        assert_clean_outcome(result)


def test_separate_git_dir_repository(tmp_path: Path, git_env: dict[str, str]) -> None:
    repo = Repo(tmp_path / "work", git_env)
    repo.path.mkdir()
    repo.git("init", "-q", "-b", "main", f"--separate-git-dir={tmp_path / 'gitdir'}")
    repo.commit("initial", {"a.txt": "a\n"})
    repo.git("branch", "feature")
    status = repo.gatekit("status", "--format", "json")
    assert_clean_outcome(status)
    listed = json.dumps(json.loads(status.stdout))
    assert str(tmp_path / "gitdir") not in listed  # the git dir is not a worktree
    assert_clean_outcome(repo.gatekit("overlap"))


NON_UTF8 = os.fsdecode(b"caf\xe9.txt")


def test_non_utf8_file_names_in_json_reports_and_staged_checks(repo: Repo) -> None:
    repo.branch("other")
    repo.write(NON_UTF8, "x\n")
    repo.git("add", "--", NON_UTF8)
    for argv in (
        ("clobber", "--staged"),
        ("overlap", "--staged", "--format", "json"),
        ("overlap", "--format", "json"),
    ):
        result = repo.gatekit(*argv)
        assert_clean_outcome(result)
    repo.git("commit", "-qm", "odd name", "--no-verify")
    repo.write(NON_UTF8, "changed\n")
    assert_clean_outcome(repo.gatekit("snapshot"))
    for argv in (("rescue",), ("rescue", "--format", "json")):
        result = repo.gatekit(*argv)
        assert_clean_outcome(result)


@pytest.mark.parametrize("hooks_path", ["githooks", "../outside-hooks"])
def test_relative_core_hooks_path_is_resolved_from_the_worktree_root(repo: Repo, hooks_path: str) -> None:
    sub = repo.path / "sub"
    sub.mkdir()
    repo.git("config", "core.hooksPath", hooks_path)
    result = repo.gatekit("install-hooks", cwd=sub)
    assert_clean_outcome(result, codes=(0,))
    expected = (repo.path / hooks_path / "pre-commit").resolve()
    assert expected.is_file(), result.stdout
    assert not (sub / hooks_path).exists()
    assert str(expected.parent) in result.stdout


def test_old_git_is_named_with_the_minimum(repo: Repo, tmp_path: Path) -> None:
    """A git older than gatekit needs: the version check names both versions instead of git's
    usage text. The stand-in reports an old version and, like git 2.37, does not know
    merge-tree --write-tree; every other command is the real git."""
    real_git = next(
        str(Path(d) / "git") for d in os.environ["PATH"].split(os.pathsep) if (Path(d) / "git").is_file()
    )
    bin_dir = tmp_path / "oldgit"
    bin_dir.mkdir()
    wrapper = bin_dir / "git"
    wrapper.write_text(
        "#!/bin/sh\n"
        'if [ "$1" = "--version" ] || [ "$1" = "version" ]; then echo "git version 2.30.2"; exit 0; fi\n'
        'for a in "$@"; do if [ "$a" = "--write-tree" ]; then echo "usage: git merge-tree" >&2; exit 129; fi; done\n'
        f'exec {real_git} "$@"\n'
    )
    wrapper.chmod(wrapper.stat().st_mode | stat.S_IXUSR)
    repo.write("gatekit.toml", '[[gates]]\nname = "g"\nrun = "true"\n')
    repo.commit("config")
    repo.branch("feature")
    repo.commit("main moves", {"m.txt": "m\n"})
    repo.git("checkout", "-q", "feature")
    repo.commit("feature moves", {"f.txt": "f\n"})
    repo.git("checkout", "-q", "main")
    env = {"PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}
    result = repo.gatekit("check", "--rev", "feature", "--merge-into", "main", env=env)
    assert result.returncode == 2, result.stderr
    assert "needs git 2.38" in result.stderr and "2.30.2" in result.stderr
    assert "usage:" not in result.stderr


def test_sha256_repository_snapshots_sessions_and_hooks(tmp_path: Path, git_env: dict[str, str]) -> None:
    repo = Repo(tmp_path / "sha256", git_env)
    repo.path.mkdir()
    repo.git("init", "-q", "-b", "main", "--object-format=sha256")
    repo.commit("initial", {"a.txt": "a\n", "gatekit.toml": '[[gates]]\nname = "g"\nrun = "true"\n'})
    repo.write("a.txt", "uncommitted work\n")
    for argv in (("snapshot",), ("session", "start", "--name", "s1"), ("rescue",), ("clobber",)):
        result = repo.gatekit(*argv, env={"GATEKIT_SESSION": "s1"} if argv[0] == "clobber" else None)
        assert_clean_outcome(result, codes=(0,))
    checkpoint = repo.gatekit("session", "checkpoint", env={"GATEKIT_SESSION": "s1"})
    assert_clean_outcome(checkpoint, codes=(0,))
    refs = repo.git("for-each-ref", "--format=%(objectname)", "refs/gatekit/snapshots/").split()
    assert refs and all(len(oid) == 64 for oid in refs)
    push_line = f"refs/heads/main {repo.rev()} refs/heads/main {'0' * 64}\n"
    hook = repo.gatekit("hook", "pre-push", "origin", "file:///nowhere", input=push_line.encode())
    assert_clean_outcome(hook, codes=(0,))
