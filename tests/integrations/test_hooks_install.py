"""`gatekit install-hooks`: plain git hooks, driven by real `git commit` and `git push`."""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

import pytest

from testing.clients import with_checkout
from testing.repo import Repo
from testing.samples import BASE_FILES, python_project
from testing.state import capture_state

HOOKS = (
    "pre-commit",
    "pre-merge-commit",
    "pre-push",
    "post-commit",
    "post-checkout",
    "post-merge",
    "reference-transaction",  # the guard's witness; Python only for stash changes and rewinds
)
BROKEN = "def oops(:\n"
FIXED = "def fine():\n    return 1\n"
OLD_HOOK = b'#!/bin/sh\necho the old hook ran >> "$(git rev-parse --git-dir)/old-hook.log"\n'


@pytest.fixture
def project(tmp_path: Path, git_env: dict[str, str]) -> Repo:
    """A project with a build gate, on a feature branch (main is protected); its git runs the
    hooks against this checkout's gatekit."""
    repo = python_project(tmp_path / "project", git_env)
    repo.env = with_checkout(git_env)
    repo.git("checkout", "-q", "-b", "work")
    return repo


def git_with_hooks(repo: Repo, *args: str, cwd: Path | None = None) -> tuple[int, str]:
    """A real git command that runs the installed hooks; (exit code, combined output)."""
    result = subprocess.run(
        ["git", *args], cwd=cwd or repo.path, env=repo.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    return result.returncode, result.stdout.decode("utf-8", "replace")


def commit(repo: Repo, message: str, cwd: Path | None = None) -> tuple[int, str]:
    return git_with_hooks(repo, "commit", "-q", "-m", message, cwd=cwd)


def with_bare_remote(project: Repo, tmp_path: Path) -> Path:
    """An `origin` bare remote that already has main."""
    remote = tmp_path / "remote.git"
    project.git("init", "-q", "--bare", str(remote))
    project.git("remote", "add", "origin", str(remote))
    project.git("push", "-q", "--no-verify", "origin", "main")
    return remote


def stage(repo: Repo, path: str, text: str) -> None:
    """Write path and stage every change."""
    repo.write(path, text)
    repo.git("add", "-A")


def commit_past_the_hooks(repo: Repo, message: str, text: str = BROKEN) -> None:
    """Commit src/broken.py with text as `--no-verify` does: what only pre-push can still stop."""
    stage(repo, "src/broken.py", text)
    repo.git("commit", "-q", "--no-verify", "-m", message)


def broken_commit_to_push(project: Repo, tmp_path: Path) -> Path:
    """The hooks installed, an `origin` with main, and a broken commit made past the hooks; the remote."""
    remote = with_bare_remote(project, tmp_path)
    assert project.gatekit("install-hooks").returncode == 0
    commit_past_the_hooks(project, "broken, committed past the hook")
    return remote


def hooks_dir(repo: Repo) -> Path:
    return Path(repo.git("rev-parse", "--path-format=absolute", "--git-path", "hooks").strip())


def test_install_hooks_writes_executable_hooks_for_each_git_hook(project: Repo) -> None:
    result = project.gatekit("install-hooks")
    assert result.returncode == 0, result.stderr
    for hook in HOOKS:
        path = project.path / ".git" / "hooks" / hook
        assert path.stat().st_mode & stat.S_IXUSR, hook
        assert "gatekit-managed hook" in path.read_text()
        assert f"installed {path}" in result.stdout


def test_installed_hook_blocks_a_broken_staged_build_and_passes_a_good_one(project: Repo) -> None:
    assert project.gatekit("install-hooks").returncode == 0
    head = project.rev()
    stage(project, "src/broken.py", BROKEN)
    code, output = commit(project, "broken")
    assert code != 0
    assert "build" in output and "SyntaxError" in output
    assert project.rev() == head, "a failed pre-commit hook must leave HEAD where it was"
    stage(project, "src/broken.py", FIXED)
    code, output = commit(project, "fixed")
    assert code == 0, output
    assert project.rev() != head


def test_hooks_never_touch_unstaged_changes_or_the_stash(project: Repo) -> None:
    """Unlike the pre-commit framework, the hook leaves unstaged edits in place while it runs."""
    assert project.gatekit("install-hooks").returncode == 0
    project.write("src/lib.py", "def greet():\n    return 'unstaged edit'\n")
    project.write("src/new.py", "X = 1\n")
    project.git("add", "src/new.py")
    before = capture_state(project.path, project.env)
    code, output = commit(project, "add new")
    assert code == 0, output
    after = capture_state(project.path, project.env)
    assert after.worktree == before.worktree
    assert after.stash == before.stash == ""
    assert project.read("src/lib.py") == b"def greet():\n    return 'unstaged edit'\n"


@pytest.mark.parametrize("mode", [0o755, 0o644])
def test_existing_hook_is_chained_and_uninstall_restores_it_byte_for_byte(project: Repo, mode: int) -> None:
    hook = project.path / ".git" / "hooks" / "pre-commit"
    hook.write_bytes(OLD_HOOK)
    hook.chmod(mode)
    result = project.gatekit("install-hooks")
    assert result.returncode == 0, result.stderr
    assert "chained" in result.stdout
    chained = hook.with_name("pre-commit.gatekit-chained")
    assert chained.read_bytes() == OLD_HOOK
    stage(project, "src/more.py", "Y = 2\n")
    code, output = commit(project, "more")
    assert code == 0, output
    log = project.path / ".git" / "old-hook.log"
    # git runs only executable hooks; the chained one keeps that rule.
    assert log.exists() == bool(mode & stat.S_IXUSR)
    result = project.gatekit("install-hooks", "--uninstall")
    assert result.returncode == 0, result.stderr
    assert hook.read_bytes() == OLD_HOOK
    assert stat.S_IMODE(hook.stat().st_mode) == mode
    assert not chained.exists()
    assert not (hook.parent / "pre-push").exists()


def test_chained_hook_failure_blocks_the_commit(project: Repo) -> None:
    hook = project.path / ".git" / "hooks" / "pre-commit"
    hook.write_text("#!/bin/sh\necho refused by the old hook\nexit 7\n")
    hook.chmod(0o755)
    assert project.gatekit("install-hooks").returncode == 0
    stage(project, "src/more.py", "Y = 2\n")
    code, output = commit(project, "more")
    assert code != 0
    assert "refused by the old hook" in output


def test_chained_symlink_hook_is_restored_as_the_same_symlink(project: Repo, tmp_path: Path) -> None:
    target = tmp_path / "shared hooks" / "pre-commit"
    target.parent.mkdir()
    target.write_bytes(OLD_HOOK)
    target.chmod(0o755)
    hook = project.path / ".git" / "hooks" / "pre-commit"
    hook.symlink_to(target)
    assert project.gatekit("install-hooks").returncode == 0
    assert not hook.is_symlink()
    assert project.gatekit("install-hooks", "--uninstall").returncode == 0
    assert hook.is_symlink() and os.readlink(hook) == str(target)
    assert target.read_bytes() == OLD_HOOK


def test_reinstall_updates_without_chaining_itself(project: Repo) -> None:
    assert project.gatekit("install-hooks").returncode == 0
    result = project.gatekit("install-hooks")
    assert result.returncode == 0
    assert "updated" in result.stdout
    assert not list((project.path / ".git" / "hooks").glob("*.gatekit-chained"))
    assert project.gatekit("install-hooks", "--uninstall").returncode == 0
    assert not (project.path / ".git" / "hooks" / "pre-commit").exists()


def test_uninstall_leaves_a_hook_someone_else_wrote_over_ours(project: Repo) -> None:
    assert project.gatekit("install-hooks", "--hook", "pre-commit").returncode == 0
    hook = project.path / ".git" / "hooks" / "pre-commit"
    hook.write_bytes(OLD_HOOK)
    result = project.gatekit("install-hooks", "--uninstall", "--hook", "pre-commit")
    assert result.returncode == 0
    assert "foreign" in result.stdout
    assert hook.read_bytes() == OLD_HOOK


def test_install_refuses_when_an_earlier_chained_hook_would_be_overwritten(project: Repo) -> None:
    hooks = project.path / ".git" / "hooks"
    (hooks / "pre-commit").write_bytes(OLD_HOOK)
    (hooks / "pre-commit.gatekit-chained").write_bytes(b"#!/bin/sh\necho older\n")
    result = project.gatekit("install-hooks")
    assert result.returncode == 1
    assert "gatekit-chained" in result.stderr
    assert (hooks / "pre-commit").read_bytes() == OLD_HOOK
    assert (hooks / "pre-commit.gatekit-chained").read_bytes() == b"#!/bin/sh\necho older\n"
    assert not (hooks / "pre-push").exists(), "a refusal must not half-install"


@pytest.mark.parametrize("hooks_path", ["my hooks", "café-hooks", "nested/-dash-hooks"])
def test_install_respects_core_hooks_path(project: Repo, hooks_path: str) -> None:
    # (git itself cannot run hooks from a core.hooksPath that starts with "-")
    project.git("config", "core.hooksPath", hooks_path)
    result = project.gatekit("install-hooks")
    assert result.returncode == 0, result.stderr
    installed = project.path / hooks_path / "pre-commit"
    assert installed.is_file()
    assert not (project.path / ".git" / "hooks" / "pre-commit").exists()
    project.write("src/broken.py", BROKEN)
    project.git("add", "src/broken.py")  # not -A: the hooks directory is in the worktree
    code, output = commit(project, "broken")
    assert code != 0 and "SyntaxError" in output


def test_install_from_a_linked_worktree_puts_hooks_in_the_common_dir(project: Repo, tmp_path: Path) -> None:
    linked = project.worktree_add(tmp_path / "linked tree", "topic")
    result = linked.gatekit("install-hooks")
    assert result.returncode == 0, result.stderr
    assert (project.path / ".git" / "hooks" / "pre-commit").is_file()
    stage(linked, "src/broken.py", BROKEN)
    code, output = commit(linked, "broken in the linked worktree")
    assert code != 0 and "SyntaxError" in output
    assert linked.rev() == project.rev("work")


def test_pre_push_hook_blocks_pushing_a_broken_commit(project: Repo, tmp_path: Path) -> None:
    project.git("checkout", "-q", "-b", "topic")
    remote = broken_commit_to_push(project, tmp_path)
    code, output = git_with_hooks(project, "push", "-q", "origin", "topic")
    assert code != 0, output
    assert "SyntaxError" in output
    assert project.git("ls-remote", str(remote), "refs/heads/topic").strip() == ""
    commit_past_the_hooks(project, "fixed", FIXED)
    code, output = git_with_hooks(project, "push", "-q", "origin", "topic")
    assert code == 0, output


def test_pre_push_hook_checks_a_commit_pushed_by_an_expression_with_spaces(
    project: Repo, tmp_path: Path
) -> None:
    """git hands the hook the source as the user typed it: `HEAD@{0 seconds ago}` has spaces."""
    remote = broken_commit_to_push(project, tmp_path)
    code, output = git_with_hooks(project, "push", "-q", "origin", "HEAD@{0 seconds ago}:refs/heads/topic")
    assert code != 0, output
    assert "SyntaxError" in output
    assert project.git("ls-remote", str(remote), "refs/heads/topic").strip() == ""


def test_gatekit_skip_skips_the_named_guard(project: Repo) -> None:
    assert project.gatekit("install-hooks").returncode == 0
    stage(project, "src/broken.py", BROKEN)
    project.env = {**project.env, "GATEKIT_SKIP": "check"}
    code, output = commit(project, "broken but skipped")
    assert code == 0, output
    assert "check skipped (GATEKIT_SKIP)" in output


def test_install_hooks_outside_a_repository_is_a_usage_error(tmp_path: Path, git_env: dict[str, str]) -> None:
    outside = tmp_path / "not a repo"
    outside.mkdir()
    result = Repo(outside, git_env).gatekit("install-hooks")
    assert result.returncode == 2
    assert "not inside a git repository" in result.stderr


def test_committed_hooks_dir_matches_the_rendered_scripts() -> None:
    """hooks/ is generated; regenerate with `python -m gatekit.integrations.hooks_install hooks`."""
    from gatekit.integrations.hooks_install import render_hook
    from testing.repo import REPO_ROOT

    for hook in HOOKS:
        path = REPO_ROOT / "hooks" / hook
        assert path.read_text() == render_hook(hook), f"hooks/{hook} is stale"
        assert path.stat().st_mode & stat.S_IXUSR


def test_sample_project_passes_its_gate_as_committed(project: Repo) -> None:
    """Guards the builders: the unmodified sample must pass, or the blocking tests prove nothing."""
    result = project.gatekit("check", "--rev", "HEAD")
    assert result.returncode == 0, result.stdout + result.stderr
    assert set(BASE_FILES) <= {p for p in project.git("ls-files").splitlines()}


def test_install_into_a_shared_hooks_path_outside_the_repository_says_so(
    project: Repo, tmp_path: Path
) -> None:
    shared = tmp_path / "global hooks"
    project.git("config", "core.hooksPath", str(shared))
    result = project.gatekit("install-hooks")
    assert result.returncode == 0, result.stderr
    assert (shared / "pre-commit").is_file()
    assert (
        "runs for every repository" in result.stdout.replace("\n", " ") or "every repository" in result.stdout
    )


def test_installed_hook_refuses_a_commit_on_a_protected_branch(project: Repo) -> None:
    assert project.gatekit("install-hooks").returncode == 0
    project.git("checkout", "-q", "main")
    head = project.rev()
    stage(project, "src/more.py", "X = 1\n")
    code, output = commit(project, "straight to main")
    assert code == 1, output
    assert "main" in output and "protected" in output
    assert project.rev() == head


def test_pre_push_to_a_protected_branch_runs_verify_push_with_the_remote_arguments(
    project: Repo, tmp_path: Path
) -> None:
    remote = broken_commit_to_push(project, tmp_path)
    code, output = git_with_hooks(project, "push", "origin", "work:main")
    assert code != 0, output
    assert (
        project.git("rev-parse", "main").strip()
        == project.git("ls-remote", str(remote), "refs/heads/main").split()[0]
    )


def test_post_commit_hook_snapshots_uncommitted_work(project: Repo) -> None:
    assert project.gatekit("install-hooks").returncode == 0
    project.write("notes draft.txt", "not committed, not staged\n")
    project.write("src/more.py", "X = 1\n")
    project.git("add", "src/more.py")
    code, output = commit(project, "more")
    assert code == 0, output
    refs = project.git("for-each-ref", "--format=%(refname)", "refs/gatekit/snapshots/").split()
    assert refs, "the post-commit hook should have saved a snapshot"
    assert "notes draft.txt" in project.git("ls-tree", "-r", "--name-only", refs[-1])


def git_processes(trace: Path, subcommand: str) -> list[str]:
    """The command lines of every `git SUBCOMMAND` process a GIT_TRACE2 file recorded."""
    lines = trace.read_text(encoding="utf-8", errors="replace").splitlines()
    starts = [line.split(" start ", 1)[1].strip() for line in lines if " start " in line]
    return [argv for argv in starts if f" {subcommand} " in f" {argv} "]


def test_a_clean_commit_walks_the_worktree_once(project: Repo, tmp_path: Path) -> None:
    """The pre-commit hook's status found nothing uncommitted but the staged change: the
    post-commit hook of the same commit knows the worktree is clean without a second status."""
    assert project.gatekit("install-hooks").returncode == 0
    stage(project, "src/more.py", "X = 1\n")
    trace = tmp_path / "trace2.txt"
    project.env = {**project.env, "GIT_TRACE2": str(trace)}
    code, output = commit(project, "more")
    assert code == 0, output
    assert len(git_processes(trace, "status")) == 1, git_processes(trace, "status")
    assert project.git("status", "--porcelain") == ""


def test_a_plain_commit_asks_no_merge_base_and_an_amend_does(project: Repo, tmp_path: Path) -> None:
    """The reference-transaction hook asks `merge-base --is-ancestor` of every branch move; the
    pre-commit hook's word spares a plain commit (a child of the HEAD it saw) from asking, never
    an amend, whose move the witness must judge."""
    assert project.gatekit("install-hooks").returncode == 0
    trace = tmp_path / "trace2.txt"
    project.env = {**project.env, "GIT_TRACE2": str(trace)}
    stage(project, "src/more.py", "X = 1\n")
    code, output = commit(project, "more")
    assert code == 0, output
    assert git_processes(trace, "merge-base") == []
    trace.unlink()
    stage(project, "src/more.py", "X = 2\n")
    code, output = git_with_hooks(project, "commit", "-q", "--amen", "-m", "more, amended")
    assert code == 0, output
    assert git_processes(trace, "merge-base")  # asked (by the hook, and again by the witness)


@pytest.mark.parametrize(
    ("argv", "child"),
    [
        ("git commit -q -m x", True),
        ("/usr/bin/git -C dir -c user.name=a commit -a", True),
        ("git commit --fixup=amend:HEAD", True),
        ("git commit -- --amend", True),
        ("git commit --amend", False),
        ("git commit --am", False),
        ("git commit -m --amend", False),
        ("git ci -m x", False),
        ("git -c alias.ci=commit ci", False),
        ("python commit", False),
    ],
)
def test_only_a_plain_git_commit_makes_a_child_of_head(argv: str, child: bool) -> None:
    from gatekit.integrations.commit_word import makes_a_child_of_head

    assert makes_a_child_of_head([arg.encode() for arg in argv.split()]) is child


def test_work_left_by_a_partial_commit_is_still_snapshotted(project: Repo) -> None:
    """`git commit PATH` commits PATH alone: what else is staged stays uncommitted, though the
    pre-commit hook saw only staged changes."""
    assert project.gatekit("install-hooks").returncode == 0
    project.write("src/more.py", "X = 1\n")
    project.write("src/left.py", "Y = 2\n")
    project.git("add", "src/more.py", "src/left.py")
    code, output = git_with_hooks(project, "commit", "-q", "-m", "more only", "src/more.py")
    assert code == 0, output
    refs = project.git("for-each-ref", "--format=%(refname)", "refs/gatekit/snapshots/").split()
    assert refs, "the post-commit hook should have saved the staged src/left.py"
    assert "src/left.py" in project.git("ls-tree", "-r", "--name-only", refs[-1])


def test_a_clean_verdict_of_an_aborted_commit_does_not_excuse_a_later_one(project: Repo) -> None:
    """The pre-commit hook passed, then the commit was abandoned (an empty message); the next
    commit skips the hooks and leaves a new file uncommitted: its post-commit snapshot saves it."""
    assert project.gatekit("install-hooks").returncode == 0
    stage(project, "src/more.py", "X = 1\n")
    code, output = git_with_hooks(project, "commit", "-q", "-m", "")
    assert code != 0 and "empty commit message" in output, output
    project.write("draft.txt", "written after the abandoned commit\n")
    code, output = git_with_hooks(project, "commit", "-q", "--no-verify", "-m", "more")
    assert code == 0, output
    refs = project.git("for-each-ref", "--format=%(refname)", "refs/gatekit/snapshots/").split()
    assert refs, "the post-commit hook should have saved draft.txt"
    assert "draft.txt" in project.git("ls-tree", "-r", "--name-only", refs[-1])
