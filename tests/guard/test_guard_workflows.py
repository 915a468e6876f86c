"""The 20 single-writer workflows: a writer with a session, its git on the shim, doing ordinary
work by itself, never sees a clobber signal at or above the default severity (issue 10)."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from testing.repo import Repo, gatekit_env


class Writer:
    """A single writer: session A, git through the shim (or plain git: shim None)."""

    def __init__(self, repo: Repo, shim: Path | None) -> None:
        self.repo = repo
        self.env = gatekit_env(repo.env)
        if shim is not None:
            self.env["PATH"] = f"{shim}{os.pathsep}{self.env['PATH']}"
        self.env["GATEKIT_SESSION"] = "A"
        self.env["GIT_SEQUENCE_EDITOR"] = "true"

    def git(self, *args: str) -> str:
        result = subprocess.run(
            ["git", *args], cwd=self.repo.path, env=self.env, capture_output=True, timeout=120
        )
        assert result.returncode == 0, (args, result.stderr.decode())
        return result.stdout.decode()

    def edit(self, path: str, text: str) -> None:
        self.repo.write(path, text)
        self.gatekit("session", "checkpoint")

    def gatekit(self, *args: str) -> subprocess.CompletedProcess[str]:
        import sys

        result = subprocess.run(
            [sys.executable, "-m", "gatekit", *args],
            cwd=self.repo.path,
            env=self.env,
            capture_output=True,
            timeout=120,
        )
        return subprocess.CompletedProcess(
            result.args, result.returncode, result.stdout.decode(), result.stderr.decode()
        )

    def commit(self, message: str, *extra: str) -> None:
        self.git("add", "-A")
        self.git("commit", "-q", "-m", message, *extra)


def wf_commit(w: Writer) -> None:
    w.edit("a.txt", "a2\n")
    w.commit("edit a")


def wf_amend(w: Writer) -> None:
    w.edit("a.txt", "a2\n")
    w.commit("edit a")
    w.edit("a.txt", "a3\n")
    w.git("add", "-A")
    w.git("commit", "-q", "--amend", "--no-edit")


def _two_commits(w: Writer) -> None:
    w.edit("a.txt", "a2\n")
    w.commit("one")
    w.edit("b.txt", "b2\n")
    w.commit("two")


def wf_rebase_interactive(w: Writer) -> None:
    _two_commits(w)
    w.git("rebase", "-q", "-i", "HEAD~2")


def wf_fixup_autosquash(w: Writer) -> None:
    _two_commits(w)
    w.edit("a.txt", "a3\n")
    w.git("add", "-A")
    w.git("commit", "-q", "--fixup", "HEAD~1")
    w.git("rebase", "-q", "-i", "--autosquash", "HEAD~3")


def wf_pull_rebase(w: Writer) -> None:
    _remote_ahead(w)
    w.edit("a.txt", "a2\n")
    w.commit("local")
    w.git("pull", "-q", "--rebase", "origin", "main")


def wf_pull_ff(w: Writer) -> None:
    _remote_ahead(w)
    w.git("pull", "-q", "--ff-only", "origin", "main")


def _remote_ahead(w: Writer) -> None:
    remote = w.repo.path.parent / "remote.git"
    subprocess.run(
        ["git", "clone", "-q", "--bare", str(w.repo.path), str(remote)], env=w.repo.env, check=True
    )
    w.git("remote", "add", "origin", str(remote))
    other = w.repo.path.parent / "other"
    subprocess.run(["git", "clone", "-q", str(remote), str(other)], env=w.repo.env, check=True)
    Repo(other, w.repo.env).commit("upstream", {"up.txt": "up\n"})
    subprocess.run(["git", "push", "-q", "origin", "main"], cwd=other, env=w.repo.env, check=True)
    w.git("fetch", "-q", "origin")


def _commit_on_a_side_branch(w: Writer, branch: str, message: str) -> None:
    w.git("switch", "-q", "-c", branch)
    w.edit("c.txt", "c\n")
    w.commit(message)
    w.git("switch", "-q", "main")


def wf_cherry_pick(w: Writer) -> None:
    _commit_on_a_side_branch(w, "side", "side work")
    w.git("cherry-pick", "side")


def wf_clean_branch_switch(w: Writer) -> None:
    w.git("branch", "other")
    w.git("switch", "-q", "other")
    w.git("switch", "-q", "main")


def wf_switch_create_then_commit(w: Writer) -> None:
    w.edit("a.txt", "a2\n")
    w.git("switch", "-q", "-c", "topic")
    w.commit("on topic")


def wf_checkout_b(w: Writer) -> None:
    w.git("checkout", "-q", "-b", "topic2")
    w.edit("b.txt", "b2\n")
    w.commit("on topic2")


def wf_reset_soft(w: Writer) -> None:
    w.edit("a.txt", "a2\n")
    w.commit("first try")
    w.git("reset", "-q", "--soft", "HEAD~1")
    w.commit("second try")


def wf_formatter_restores_head_bytes(w: Writer) -> None:
    w.edit("a.txt", "a   \n")
    w.repo.write("a.txt", "a\n")  # the formatter puts HEAD's bytes back
    w.edit("b.txt", "b2\n")
    w.commit("b only")


def wf_own_stash_pop(w: Writer) -> None:
    w.edit("a.txt", "a2\n")
    w.git("stash", "-q")
    w.git("stash", "pop", "-q")
    w.commit("after stash")


def wf_own_checkout_of_own_edit(w: Writer) -> None:
    w.edit("a.txt", "a2\n")
    w.git("checkout", "--", "a.txt")
    w.edit("b.txt", "b2\n")
    w.commit("b")


def wf_own_restore(w: Writer) -> None:
    w.edit("a.txt", "a2\n")
    w.git("restore", "a.txt")


def wf_own_reset_hard(w: Writer) -> None:
    w.edit("a.txt", "a2\n")
    w.git("reset", "-q", "--hard")


def wf_merge_no_ff(w: Writer) -> None:
    _commit_on_a_side_branch(w, "feat", "feat")
    w.git("merge", "-q", "--no-ff", "-m", "merge feat", "feat")
    w.git("branch", "-q", "-d", "feat")


def wf_revert(w: Writer) -> None:
    w.edit("a.txt", "a2\n")
    w.commit("change")
    w.git("revert", "--no-edit", "HEAD")


def wf_many_checkpoints(w: Writer) -> None:
    for i in range(3):
        w.edit("a.txt", f"a{i}\n")
    w.git("commit", "-q", "-am", "three edits")


def wf_anonymous_checkpoint_stash_pop(w: Writer) -> None:
    assert w.gatekit("session", "end").returncode == 0  # nobody but this anonymous writer
    del w.env["GATEKIT_SESSION"]
    w.repo.write("a.txt", "a2\n")
    w.gatekit("session", "checkpoint")
    w.git("stash", "-q")
    w.git("stash", "pop", "-q")
    w.commit("anonymous")


WORKFLOWS: list[Callable[[Writer], None]] = [
    wf_commit,
    wf_amend,
    wf_rebase_interactive,
    wf_fixup_autosquash,
    wf_pull_rebase,
    wf_pull_ff,
    wf_cherry_pick,
    wf_clean_branch_switch,
    wf_switch_create_then_commit,
    wf_checkout_b,
    wf_reset_soft,
    wf_formatter_restores_head_bytes,
    wf_own_stash_pop,
    wf_own_checkout_of_own_edit,
    wf_own_restore,
    wf_own_reset_hard,
    wf_merge_no_ff,
    wf_revert,
    wf_many_checkpoints,
    wf_anonymous_checkpoint_stash_pop,
]


def test_there_are_twenty_workflows() -> None:
    assert len(WORKFLOWS) == 20


# With plain git and only the witness, what moves no ref is seen by nobody: `git restore` and,
# before git 2.45 (which reports symbolic-ref updates to the hook), a branch switch. These
# workflows need the shim or an agent hook (docs/guard.md).
WITNESS_BLIND = {"wf_switch_create_then_commit", "wf_cherry_pick", "wf_merge_no_ff", "wf_own_restore"}
CASES = [
    (workflow, setup)
    for workflow in WORKFLOWS
    for setup in ("shim", "shim+witness", "witness")
    if not (setup == "witness" and workflow.__name__ in WITNESS_BLIND)
]


@pytest.mark.parametrize(("workflow", "setup"), CASES, ids=[f"{f.__name__[3:]}-{s}" for f, s in CASES])
def test_single_writer_workflow_raises_no_clobber(
    make_repo, tmp_path: Path, workflow: Callable[[Writer], None], setup: str
) -> None:
    """witness: plain git, with the reference-transaction hook `install-hooks` puts in place."""
    repo = make_repo("repo", {"a.txt": "a\n", "b.txt": "b\n"})
    shim = tmp_path / "shim"
    assert repo.gatekit("shim", "install", "--dir", str(shim)).returncode == 0
    if "witness" in setup:
        from tests.guard.test_guard_witness import install_witness

        install_witness(repo)
    w = Writer(repo, shim if "shim" in setup else None)
    assert w.gatekit("session", "start", "--name", "A").returncode == 0
    workflow(w)
    result = w.gatekit("clobber", "--format", "json")
    failing = [s for s in json.loads(result.stdout)["signals"] if s["severity"] != "low"]
    assert result.returncode == 0 and not failing, json.dumps(failing, indent=1)
    staged = w.gatekit("clobber", "--staged")
    assert staged.returncode == 0, staged.stdout + staged.stderr
