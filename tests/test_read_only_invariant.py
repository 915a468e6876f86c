"""Invariant 1, randomized: whatever a user does with git between them, no read-only gatekit
command changes the working tree, the index, the stash, any ref outside gatekit's own, or any
reflog.

Hypothesis drives a state machine: each step is either a real user git operation (edit, stage,
commit, branch, switch, stash, tag, worktree add, reset, merge) or one read-only gatekit command,
which is checked against a fingerprint of the user's state taken just before it. The fast job runs
a few dozen sequences; the slow job runs well over a thousand.
"""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, precondition, rule

from testing.env import hermetic_env
from testing.repo import Repo, init_repo
from testing.state import capture_state

NAMES = ["a.txt", "dir/b.txt", "with space.txt", "café.txt", "-dash.txt", "new\nline.txt"]
BRANCHES = ["feature", "fix/one", "other"]

READ_ONLY_COMMANDS = [
    ("status",),
    ("status", "--all-branches"),
    ("status", "--format", "json"),
    ("overlap",),
    ("overlap", "--staged"),
    ("overlap", "--format", "json"),
    ("doctor",),
    ("doctor", "--format", "json"),
    ("rescue",),
    ("rescue", "--format", "json"),
    ("clobber",),
    ("clobber", "--staged"),
    ("clobber", "--format", "json"),
    ("gates",),
    ("gates", "--format", "json"),
    ("check", "--staged", "--no-cache"),
    ("check", "--rev", "HEAD"),
    ("check", "--worktree"),
    ("verdicts", "explain"),
    ("verdicts", "explain", "HEAD", "--format", "json"),
    ("verify-push",),
    ("protect",),
    ("plan", "lint", "."),
]


def run_in_process(repo: Repo, argv: tuple[str, ...]) -> int:
    """gatekit's own entry point in this process (a Python start per command would make a
    thousand sequences take an hour); its exit code."""
    from gatekit.cli import main

    sink_out = io.TextIOWrapper(io.BytesIO(), encoding="utf-8")
    sink_err = io.StringIO()
    saved_stdin = sys.stdin
    sys.stdin = io.TextIOWrapper(io.BytesIO(b""), encoding="utf-8")  # as a hook with no input
    with contextlib.redirect_stdout(sink_out), contextlib.redirect_stderr(sink_err):
        try:
            main(["-C", str(repo.path), *argv])
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 0
        else:
            code = 0
        finally:
            sys.stdin = saved_stdin
    assert "Traceback" not in sink_err.getvalue(), sink_err.getvalue()
    assert code != 3, f"gatekit {' '.join(argv)} crashed: {sink_err.getvalue()}"
    return code


class UserAndGatekit(RuleBasedStateMachine):
    """A user working with git, and gatekit's read-only commands run in between."""

    def __init__(self) -> None:
        super().__init__()
        self.tmp = tempfile.TemporaryDirectory()
        self.env = hermetic_env(Path(self.tmp.name) / "home")
        self.repo: Repo
        self.worktrees = 0

    @initialize()
    def make_repository(self) -> None:
        self.repo = init_repo(Path(self.tmp.name) / "repo", self.env, {n: f"{n} v1\n" for n in NAMES[:4]})
        self.repo.write("gatekit.toml", '[[gates]]\nname = "ok"\nrun = "true"\n')
        self.repo.commit("config")

    def teardown(self) -> None:
        self.tmp.cleanup()

    def git(self, *args: str) -> None:
        """A user's git command; a refusal (a conflict, nothing to stash) is part of real life."""
        subprocess.run(["git", *args], cwd=self.repo.path, env=self.env, capture_output=True)

    # -- the user --------------------------------------------------------------------------
    @rule(name=st.sampled_from(NAMES), text=st.text(max_size=8))
    def edit(self, name: str, text: str) -> None:
        self.repo.write(name, text.encode("utf-8", "surrogatepass") + b"\n")

    @rule(name=st.sampled_from(NAMES))
    def stage(self, name: str) -> None:
        self.git("add", "--", name)

    @rule(name=st.sampled_from(NAMES))
    def delete(self, name: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            (self.repo.path / name).unlink()

    @rule()
    def commit(self) -> None:
        self.git("commit", "-qam", "work", "--no-verify")

    @rule(branch=st.sampled_from(BRANCHES))
    def switch(self, branch: str) -> None:
        self.git("switch", "-q", "-c", branch)  # fails when it exists: then it is switched to
        self.git("switch", "-q", branch)

    @rule()
    def stash(self) -> None:
        self.git("stash", "push", "-q", "--include-untracked")

    @rule()
    def stash_pop(self) -> None:
        self.git("stash", "pop", "-q")

    @rule(name=st.sampled_from(["v1", "main"]))
    def tag(self, name: str) -> None:
        self.git("tag", "-f", name)

    @rule(mode=st.sampled_from(["--soft", "--mixed", "--hard"]))
    def reset(self, mode: str) -> None:
        self.git("reset", "-q", mode, "HEAD~1")

    @rule(branch=st.sampled_from(BRANCHES))
    def merge(self, branch: str) -> None:
        self.git("merge", "-q", "--no-edit", "--no-verify", branch)
        self.git("merge", "--abort")

    @precondition(lambda self: self.worktrees < 2)
    @rule(branch=st.sampled_from(BRANCHES))
    def add_worktree(self, branch: str) -> None:
        self.worktrees += 1
        path = Path(self.tmp.name) / f"wt{self.worktrees}"
        self.git("worktree", "add", "-q", "-b", f"{branch}-wt{self.worktrees}", str(path))
        if path.is_dir():
            (path / "wt-edit.txt").write_text("worktree work\n")

    @rule()
    def detach(self) -> None:
        self.git("checkout", "-q", "--detach")

    # -- gatekit ---------------------------------------------------------------------------
    @rule(argv=st.sampled_from(READ_ONLY_COMMANDS))
    def read_only_command(self, argv: tuple[str, ...]) -> None:
        before = capture_state(self.repo.path, self.env)
        run_in_process(self.repo, argv)
        assert capture_state(self.repo.path, self.env) == before, (
            f"gatekit {' '.join(argv)} changed user state"
        )


@pytest.fixture
def hermetic_process(git_env: dict[str, str]) -> dict[str, str]:
    """The commands run in this process: its environment is the hermetic one (git_env)."""
    return git_env


def run_machine(examples: int) -> None:
    machine = UserAndGatekit.TestCase
    machine.settings = settings(
        max_examples=examples,
        stateful_step_count=8,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        database=None,
    )
    machine().runTest()


def test_read_only_commands_never_touch_user_state(hermetic_process: dict[str, str]) -> None:
    run_machine(int(os.environ.get("GATEKIT_INVARIANT_SEQUENCES", "25")))


@pytest.mark.slow
def test_read_only_commands_never_touch_user_state_over_a_thousand_sequences(
    hermetic_process: dict[str, str],
) -> None:
    run_machine(int(os.environ.get("GATEKIT_INVARIANT_SEQUENCES_SLOW", "1000")))
