"""Invariant 1: no guard command except `rescue --restore` changes the worktree, the index, the
stash or any ref outside refs/gatekit/ — whatever state the repository is in."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from testing.env import hermetic_env
from testing.repo import init_repo
from testing.state import capture_state

NAMES = ["a.txt", "dir/b.txt", "with space.txt", "café.txt", "-dash.txt", "new\nline.txt"]

edits = st.lists(
    st.tuples(st.sampled_from(NAMES), st.sampled_from(["modify", "stage", "delete", "untracked"])),
    max_size=5,
)
commands = st.lists(
    st.sampled_from(
        [
            ("clobber",),
            ("clobber", "--staged"),
            ("clobber", "--since", "1h", "--format", "json"),
            ("snapshot",),
            ("snapshot", "--quiet"),
            ("rescue",),
            ("session", "start", "--name", "P", "--claim", "dir/"),
            ("session", "checkpoint"),
            ("session", "declare", "reset"),
            ("session", "list"),
            ("session", "run", "--", "true"),
            ("session", "end"),
            ("watch", "--once"),
        ]
    ),
    min_size=1,
    max_size=4,
)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(edits=edits, commands=commands, as_session=st.booleans(), stash_first=st.booleans())
def test_guard_commands_never_touch_user_state(
    git_env: dict[str, str],
    edits: list[tuple[str, str]],
    commands: list[tuple[str, ...]],
    as_session: bool,
    stash_first: bool,
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        env = hermetic_env(Path(tmp) / "home")
        repo = init_repo(Path(tmp) / "repo", env, {name: f"{name} v1\n" for name in NAMES[:4]})
        if stash_first:
            repo.write("a.txt", "stashed\n")
            repo.git("stash")
        for name, how in edits:
            path = repo.path / name
            if how == "delete":
                path.unlink(missing_ok=True)
                continue
            repo.write(name, f"{how} of {name}\n")
            if how == "stage":
                repo.git("add", "--", name)
        before = capture_state(repo.path, env)
        for command in commands:
            needs_session = command[0] == "session" and command[1] in ("declare", "run", "end")
            session = {"GATEKIT_SESSION": "P"} if as_session or needs_session else {}
            result = repo.gatekit(*command, env=session)
            assert result.returncode in (0, 1, 2), (command, result.stderr)
            assert "Traceback" not in result.stderr and "internal error" not in result.stderr, result.stderr
            assert capture_state(repo.path, env) == before, command
