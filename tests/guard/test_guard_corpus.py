"""The corpus of agent command lines: zero destructive commands allowed over a sibling's work,
zero denials on a clean tree, and the caller's own work snapshotted first (issue 10)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from gatekit.guard.agent_entry import decide_line
from gatekit.guard.owners import Caller, record_edits
from testing.env import hermetic_env
from testing.repo import Repo, init_repo

CORPUS = Path(__file__).parent / "fixtures" / "agent_commands.txt"
ME = Caller(host="claude-code", host_session="me", via="claude-code")
DIRTY = ["src/app.py", "a.txt", "src/new.py", "debug.log"]


def corpus() -> list[tuple[str, str]]:
    rows = []
    for line in CORPUS.read_text().splitlines():
        if line and not line.startswith("#"):
            kind, command = line.split("\t", 1)
            rows.append((kind, command))
    return rows


def test_corpus_is_large_enough() -> None:
    assert len(corpus()) >= 150
    assert {kind for kind, _ in corpus()} == {"safe", "wipe", "keep"}


@pytest.fixture(scope="module")
def states(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Repo]]:
    base = tmp_path_factory.mktemp("corpus")
    env = hermetic_env(base / "home")
    with pytest.MonkeyPatch.context() as patch:
        for key, value in env.items():
            patch.setenv(key, value)
        repos = {state: _build(base / state, env, state) for state in ("clean", "own", "sibling")}
        yield repos


def _build(path: Path, env: dict[str, str], state: str) -> Repo:
    repo = init_repo(
        path,
        env,
        {
            "a.txt": "a\n",
            "src/app.py": "print('app')\n",
            "src/util.py": "u = 1\n",
            "docs/readme.md": "# docs\n",
            "odd name.txt": "odd\n",
            ".gitignore": "*.log\nbuild/\n",
        },
    )
    repo.git("branch", "feature")
    repo.git("checkout", "-q", "feature")
    repo.commit("feature work", {"docs/readme.md": "# docs, feature\n"})
    repo.git("checkout", "-q", "main")
    for name, value in ALIASES.items():
        repo.git("config", f"alias.{name}", value)
    if state == "clean":
        return repo
    repo.write("a.txt", "a staged\n")
    repo.git("add", "a.txt")
    repo.write("a.txt", "a staged, then edited again\n")  # partly staged
    repo.write("src/app.py", "print('edited')\n")
    repo.write("src/new.py", "new = True\n")
    repo.write("debug.log", "ignored output\n")
    owner = "me" if state == "own" else "sibling"
    record_edits(path / ".git", "claude-code", owner, DIRTY, "Edit")
    return repo


ALIASES = {
    "nuke": "reset --hard",
    "scrub": "!git checkout -- . && git clean -fd",
    "undo": '!f() { git reset --hard "$@"; }; f',
    "lg": "log --oneline",
    "st": "status -sb",
    "sw": "switch",
}
EXPECTED = {
    "clean": {"safe": {"allow"}, "wipe": {"allow"}, "keep": {"snapshot"}},
    "own": {"safe": {"allow"}, "wipe": {"snapshot"}, "keep": {"snapshot"}},
    "sibling": {"safe": {"allow"}, "wipe": {"deny"}, "keep": {"snapshot"}},
}


@pytest.mark.parametrize("state", ["clean", "own", "sibling"])
def test_corpus_decisions(states: dict[str, Repo], state: str) -> None:
    repo = states[state]
    wrong = []
    for kind, command in corpus():
        decision = decide_line(command, str(repo.path), ME, act=False)
        if decision.action not in EXPECTED[state][kind]:
            wrong.append(f"{kind:<5} {command!r}: {decision.action} ({decision.reason})")
    assert not wrong, f"{len(wrong)} wrong decision(s) in state {state}:\n" + "\n".join(wrong)


def test_the_hook_prefilter_knows_every_destructive_subcommand() -> None:
    """agent_entry keeps its own copy of the names (importing gitargv would cost the hook of every
    agent shell command its import time); a name missing there would let that command through."""
    from gatekit.guard import agent_entry, gitargv

    assert set(agent_entry._DESTRUCTIVE) == set(gitargv.DESTRUCTIVE_SUBCOMMANDS)


def test_the_hook_prefilter_knows_every_git_command() -> None:
    """A `git WORD` whose WORD is not a git command may be an alias and goes to the engine; the
    prefilter keeps its own copy of the names, held here to gitargv's."""
    from gatekit.guard import agent_entry, gitargv

    assert agent_entry._GIT_COMMANDS == gitargv.GIT_COMMANDS
    assert agent_entry.may_destroy('{"tool_input":{"command":"git nuke"}}')
    assert agent_entry.may_destroy('{"tool_input":{"command":"cd src && git -C . scrub"}}')
    assert not agent_entry.may_destroy('{"tool_input":{"command":"git status && git log -3"}}')


def test_an_alias_that_loops_is_decided_without_hanging(states: dict[str, Repo]) -> None:
    repo = states["sibling"]
    repo.git("config", "alias.ping", "pong")
    repo.git("config", "alias.pong", "ping")
    assert decide_line("git ping", str(repo.path), ME, act=False).action == "allow"
