"""Repositories in every shape git allows: each is honoured as git honours it, or refused with
one sentence that says what to do. Never a raw git error, never a traceback."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from testing.repo import Repo, gatekit_env, init_repo
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


# -- GIT_DIR / GIT_WORK_TREE: the repository the user (or git, for a hook) named --------------------


def seeing_gate(out: Path, then: str = "true") -> str:
    """A config whose gate records what it saw: the staged file and the repository git finds;
    then decides whether it passes."""
    script = f"cat dots.txt > {out}/seen; git rev-parse --absolute-git-dir > {out}/gitdir; {then}"
    return f"[[gates]]\nname = \"see\"\nshell = true\nrun = '{script}'\n"


def dotfiles(tmp_path: Path, git_env: dict[str, str]) -> tuple[Repo, Path]:
    """The dotfiles layout: a bare repository outside $HOME, $HOME its work tree (so gatekit's
    cache, and the sandboxes in it, live inside the work tree). Returns the work tree, driven with
    GIT_DIR / GIT_WORK_TREE, and the directory the gate writes what it saw to."""
    home = Path(git_env["HOME"])
    git_env["TMPDIR"] = str(tmp_path / "tmp")  # where the sandboxes go: ~/.cache is in the work tree
    bare = tmp_path / "dotfiles.git"
    Repo(tmp_path, git_env).git("init", "-q", "--bare", "-b", "dots", str(bare))
    (bare / "info" / "exclude").write_text("/.cache/\n/.config/\n/.gitconfig\n")
    out = tmp_path / "seen"
    out.mkdir()
    work = Repo(home, {**git_env, "GIT_DIR": str(bare), "GIT_WORK_TREE": str(home)})
    work.write_files({"gatekit.toml": seeing_gate(out), "dots.txt": "committed\n", "bin/tool": "x\n"})
    work.git("add", "gatekit.toml", "dots.txt", "bin/tool")
    work.git("commit", "-q", "--no-verify", "-m", "dotfiles")
    return work, out


def without_cache(state):  # type: ignore[no-untyped-def]
    """The user's state minus gatekit's cache (which the dotfiles work tree contains)."""
    import dataclasses

    kept = {k: v for k, v in state.worktree.items() if not k.startswith((".cache/", ".config/"))}
    return dataclasses.replace(state, worktree=kept)


def test_dotfiles_layout_named_by_the_environment_is_the_repository(
    tmp_path: Path, git_env: dict[str, str]
) -> None:
    work, out = dotfiles(tmp_path, git_env)
    work.write("dots.txt", "staged\n")
    work.git("add", "dots.txt")
    work.write("dots.txt", "unstaged\n")
    before = without_cache(capture_state(work.path, work.env))

    staged = work.gatekit("check", "--staged")
    assert_clean_outcome(staged, codes=(0,))
    assert (out / "seen").read_text() == "staged\n"
    sandbox_git_dir = (out / "gitdir").read_text().strip()
    assert Path(sandbox_git_dir).resolve() != (tmp_path / "dotfiles.git").resolve()  # the sandbox's own
    # ~/.cache is inside the work tree: the sandboxes went to this user's private dir under $TMPDIR
    assert (
        Path(sandbox_git_dir)
        .resolve()
        .is_relative_to((tmp_path / "tmp" / f"gatekit-{os.getuid()}").resolve())
    )

    committed = work.gatekit("check", "--rev", "HEAD")
    assert_clean_outcome(committed, codes=(0,))
    assert (out / "seen").read_text() == "committed\n"

    in_place = work.gatekit("check", "--worktree")
    assert_clean_outcome(in_place, codes=(0,))
    assert (out / "seen").read_text() == "unstaged\n"
    # in place, in the user's work tree, the gate's git finds the user's repository (as a hook's does)
    assert Path((out / "gitdir").read_text().strip()).resolve() == (tmp_path / "dotfiles.git").resolve()

    status = work.gatekit("status", "--format", "json")
    assert_clean_outcome(status, codes=(0,))
    assert str(work.path) in status.stdout and "dots" in status.stdout
    for argv in (
        ("doctor",),
        ("clobber",),
        ("clobber", "--staged"),
        ("overlap",),
        ("snapshot",),
        ("rescue",),
    ):
        result = work.gatekit(*argv)
        assert_clean_outcome(result, codes=(0, 1) if argv == ("doctor",) else (0,))
        assert "not a repository" not in result.stderr and "not inside" not in result.stderr
    assert work.git("for-each-ref", "refs/gatekit/snapshots/").strip()  # the snapshot went to the bare repo
    assert without_cache(capture_state(work.path, work.env)) == before


def test_dotfiles_layout_with_relative_variables_from_a_subdirectory(
    tmp_path: Path, git_env: dict[str, str]
) -> None:
    work, out = dotfiles(tmp_path, git_env)
    work.write("dots.txt", "staged\n")
    work.git("add", "dots.txt")
    env = {
        **git_env,
        "GIT_DIR": os.path.relpath(tmp_path / "dotfiles.git", work.path / "bin"),
        "GIT_WORK_TREE": "..",
    }
    result = work.gatekit("check", "--staged", cwd=work.path / "bin", env=env)
    assert_clean_outcome(result, codes=(0,))
    assert (out / "seen").read_text() == "staged\n"


def test_dotfiles_hooks_run_under_git_dir_and_work_tree_options(
    tmp_path: Path, git_env: dict[str, str]
) -> None:
    work, out = dotfiles(tmp_path, git_env)
    installed = work.gatekit("install-hooks")
    assert_clean_outcome(installed, codes=(0,))
    assert (tmp_path / "dotfiles.git" / "hooks" / "pre-commit").is_file()
    options = ["git", f"--git-dir={tmp_path / 'dotfiles.git'}", f"--work-tree={work.path}"]

    def commit(content: str) -> subprocess.CompletedProcess[str]:
        work.write("dots.txt", content)
        plain = Repo(work.path, git_env)  # no GIT_DIR in the environment: the options name the repository
        plain.git(*options[1:], "add", "dots.txt")
        return subprocess.run(
            [*options, "commit", "-q", "-m", content.strip()],
            cwd=work.path / "bin",
            env=gatekit_env(git_env),
            capture_output=True,
            text=True,
        )

    good = commit("good\n")
    assert good.returncode == 0, good.stderr
    assert "Traceback" not in good.stderr
    assert (out / "seen").read_text() == "good\n"  # the pre-commit hook checked the dotfiles commit
    assert "sandboxes" in (out / "gitdir").read_text()
    work.write("gatekit.toml", seeing_gate(out, then="! grep -q bad dots.txt"))
    work.git("commit", "-q", "--no-verify", "-am", "gate refuses bad")
    head = work.rev()
    bad = commit("bad\n")
    assert bad.returncode != 0, bad.stderr
    assert work.rev() == head  # the gate's failure blocked the commit


def test_git_dir_naming_another_repository_is_the_repository_acted_on(
    tmp_path: Path, git_env: dict[str, str]
) -> None:
    out = tmp_path / "seen"
    out.mkdir()
    repos = {}
    for name in ("a", "b"):
        repo = init_repo(tmp_path / name, git_env, {"gatekit.toml": seeing_gate(out), "dots.txt": "c\n"})
        repo.git("checkout", "-q", "-b", f"branch-{name}")
        repo.write("dots.txt", f"staged in {name}\n")
        repo.git("add", "dots.txt")
        repos[name] = repo
    a, b = repos["a"], repos["b"]
    b_state = capture_state(b.path, b.env)
    for pinned in (
        {"GIT_DIR": str(b.path / ".git"), "GIT_WORK_TREE": str(b.path)},
        {"GIT_DIR": str(b.path / ".git")},
    ):
        result = a.gatekit("check", "--staged", env=pinned)
        assert_clean_outcome(result, codes=(0,))
        assert (out / "seen").read_text() == "staged in b\n", pinned
    status = a.gatekit(
        "status", "--format", "json", env={"GIT_DIR": str(b.path / ".git"), "GIT_WORK_TREE": str(b.path)}
    )
    assert_clean_outcome(status, codes=(0,))
    assert "branch-b" in status.stdout and "branch-a" not in status.stdout
    assert capture_state(b.path, b.env) == b_state


@pytest.mark.parametrize("where", ["main worktree", "linked worktree"])
def test_hooks_see_the_git_dir_git_exports_and_the_sandbox_never_does(
    tmp_path: Path, git_env: dict[str, str], where: str
) -> None:
    out = tmp_path / "seen"
    out.mkdir()
    repo = init_repo(tmp_path / "repo", git_env, {"gatekit.toml": seeing_gate(out), "dots.txt": "c\n"})
    assert_clean_outcome(repo.gatekit("install-hooks"), codes=(0,))
    if where == "main worktree":
        repo.git("checkout", "-q", "-b", "work")
        work = repo
    else:
        work = repo.worktree_add(tmp_path / "linked", "work")
    work.write("dots.txt", f"committed in the {where}\n")
    work.git("add", "dots.txt")
    # git exports GIT_DIR to the hook: `.git` (relative) in the main worktree, absolute in a linked one
    result = subprocess.run(
        ["git", "commit", "-q", "-m", "x"],
        cwd=work.path,
        env=gatekit_env(git_env),
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert (out / "seen").read_text() == f"committed in the {where}\n"
    sandbox_git_dir = (out / "gitdir").read_text().strip()
    assert "sandboxes" in sandbox_git_dir and not sandbox_git_dir.startswith(str(repo.path))


def test_dotfiles_sandbox_fallback_refuses_a_temporary_dir_others_can_write(
    tmp_path: Path, git_env: dict[str, str]
) -> None:
    work, _ = dotfiles(tmp_path, git_env)
    shared = tmp_path / "tmp" / f"gatekit-{os.getuid()}"
    shared.mkdir(parents=True)
    shared.chmod(0o777)
    result = work.gatekit("check", "--staged")
    assert result.returncode == 2, result.stderr
    assert "not a private directory" in result.stderr and "GATEKIT_SANDBOX_DIR" in result.stderr
    assert not (shared / "sandboxes").exists()


def test_git_work_tree_alone_uses_the_repository_found_here_with_that_work_tree(
    tmp_path: Path, git_env: dict[str, str]
) -> None:
    out = tmp_path / "seen"
    out.mkdir()
    repo = init_repo(tmp_path / "repo", git_env, {"gatekit.toml": seeing_gate(out), "dots.txt": "in repo\n"})
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "gatekit.toml").write_text(seeing_gate(out))
    (elsewhere / "dots.txt").write_text("in the other work tree\n")
    result = repo.gatekit("check", "--worktree", env={"GIT_WORK_TREE": str(elsewhere)})
    assert_clean_outcome(result, codes=(0,))
    assert (out / "seen").read_text() == "in the other work tree\n"
    assert Path((out / "gitdir").read_text().strip()).resolve() == (repo.path / ".git").resolve()


def test_agent_guard_snapshots_a_dotfiles_command_before_it_discards_work(
    tmp_path: Path, git_env: dict[str, str]
) -> None:
    """An agent's `git --git-dir=... --work-tree=... checkout -- .` in the dotfiles layout: the guard
    takes its snapshot in that repository (every call about that work tree carries the layout)."""
    work, _ = dotfiles(tmp_path, git_env)
    work.write("dots.txt", "my unsaved edit\n")
    bare = tmp_path / "dotfiles.git"

    def agent(event: str, data: dict[str, object]) -> subprocess.CompletedProcess[bytes]:
        base = {"session_id": "me", "cwd": str(work.path), "hook_event_name": event}
        return subprocess.run(
            [sys.executable, "-m", "gatekit", "agent", event_arg[event], "--host", "claude-code"],
            cwd=work.path,
            env=gatekit_env(git_env),
            input=json.dumps({**base, **data}).encode(),
            capture_output=True,
            timeout=120,
        )

    event_arg = {"PostToolUse": "post-tool", "PreToolUse": "pre-tool"}
    edited = {"file_path": str(work.path / "dots.txt"), "content": "..."}
    post = agent(
        "PostToolUse", {"tool_name": "Write", "tool_input": edited, "tool_response": {"success": True}}
    )
    assert post.returncode == 0, post.stderr
    command = f"git --git-dir={bare} --work-tree={work.path} checkout -- ."
    pre = agent("PreToolUse", {"tool_name": "Bash", "tool_input": {"command": command}})
    assert pre.returncode == 0, pre.stderr
    assert b"Traceback" not in pre.stderr
    refs = work.git("for-each-ref", "--format=%(refname)", "refs/gatekit/snapshots/").split()
    assert len(refs) == 1, (pre.stdout, pre.stderr)
    assert work.git("show", f"{refs[0]}:dots.txt") == "my unsaved edit\n"
