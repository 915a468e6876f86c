"""The bad-input catalogue: every kind of bad input gets exit 2, one clear sentence, no traceback,
and leaves the user's working tree, index, stash, refs and reflogs exactly as they were.

Each case prepares a real repository (config files, refs, odd layouts) and runs gatekit as a real
process. The expected text is the part of the sentence that tells the user what to fix.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from testing.repo import Repo
from testing.state import capture_state

Setup = Callable[[Repo], None]


@dataclass(frozen=True)
class Case:
    kind: str
    argv: tuple[str, ...]
    expected: str  # a fragment of the one sentence that names the problem
    setup: Setup | None = None
    env: tuple[tuple[str, str], ...] = ()
    code: int = 2


def config(text: str) -> Setup:
    def setup(repo: Repo) -> None:
        repo.write("gatekit.toml", text)

    return setup


def gate(extra: str) -> Setup:
    """A config with one gate `g` plus extra keys on it, and a directory `sub`."""

    def setup(repo: Repo) -> None:
        repo.write("gatekit.toml", f'[[gates]]\nname = "g"\nrun = "true"\n{extra}\n')
        repo.write("sub/keep.txt", "x\n")

    return setup


def nested_arrays(depth: int) -> Setup:
    return config("x = " + "[" * depth + "]" * depth + "\n")


def not_a_file(kind: str) -> Setup:
    def setup(repo: Repo) -> None:
        path = repo.path / "gatekit.toml"
        if kind == "dir":
            path.mkdir()
        elif kind == "dangling":
            path.symlink_to(repo.path / "nowhere.toml")
        else:
            os.mkfifo(path)

    return setup


def bare_repo(repo: Repo) -> None:
    repo.git("init", "-q", "--bare", str(repo.path.parent / "bare.git"))


def tag_and_branch(name: str) -> Setup:
    def setup(repo: Repo) -> None:
        repo.git("branch", name)
        repo.commit("second")
        repo.git("tag", name)

    return setup


CONFIG_CASES = [
    Case("deeply nested arrays", ("gates",), "nested too deeply", nested_arrays(2000)),
    Case("heartbeat huge", ("gates",), "heartbeat", config("heartbeat = 1e10\n")),
    Case("heartbeat nan", ("gates",), "heartbeat: expected a finite number", config("heartbeat = nan\n")),
    Case("heartbeat inf", ("gates",), "heartbeat: expected a finite number", config("heartbeat = inf\n")),
    Case("heartbeat zero", ("gates",), "heartbeat", config("heartbeat = 0\n")),
    Case("timeout nan", ("gates",), "gates[0].timeout: expected a finite number", gate("timeout = nan")),
    Case("timeout negative", ("gates",), "gates[0].timeout", gate("timeout = -3")),
    Case("timeout huge", ("gates",), "gates[0].timeout", gate("timeout = 1e300")),
    Case(
        "NUL in run",
        ("gates",),
        "gates[0].run: contains a NUL",
        config('[[gates]]\nname = "g"\nrun = "a\\u0000b"\n'),
    ),
    Case(
        "NUL in run list",
        ("gates",),
        "contains a NUL",
        config('[[gates]]\nname = "g"\nrun = ["a", "\\u0000"]\n'),
    ),
    Case("NUL in env value", ("gates",), "gates[0].env.A: contains a NUL", gate('env = { A = "x\\u0000" }')),
    Case("NUL in cwd", ("gates",), "gates[0].cwd: contains a NUL", gate('cwd = "a\\u0000"')),
    Case("NUL in target", ("gates",), "target: contains a NUL", config('target = "ma\\u0000in"\n')),
    Case("env key with =", ("gates",), "gates[0].env", gate('env = { "A=B" = "x" }')),
    Case("env key empty", ("gates",), "gates[0].env", gate('env = { "" = "x" }')),
    Case("settle negative", ("gates",), "guard.settle_seconds", config("[guard]\nsettle_seconds = -1\n")),
    Case("settle nan", ("gates",), "guard.settle_seconds", config("[guard]\nsettle_seconds = nan\n")),
    Case("snapshot_keep zero", ("gates",), "guard.snapshot_keep", config("[guard]\nsnapshot_keep = 0\n")),
    Case(
        "max age negative",
        ("gates",),
        "guard.snapshot_max_age_days",
        config("[guard]\nsnapshot_max_age_days = -2\n"),
    ),
    Case("magnet days zero", ("gates",), "fleet.magnet_days", config("[fleet]\nmagnet_days = 0\n")),
    Case("slots huge", ("gates",), "sandbox.slots", config("[sandbox]\nslots = 100000\n")),
    Case(
        "empty gate name",
        ("gates",),
        "gates[0].name: expected a non-empty name",
        config('[[gates]]\nname = ""\nrun = "true"\n'),
    ),
    Case("blank gate name", ("gates",), "gates[0].name", config('[[gates]]\nname = "  "\nrun = "true"\n')),
    Case("cwd escapes", ("gates",), "gates[0].cwd", gate('cwd = "../../.."')),
    Case("cwd absolute", ("gates",), "gates[0].cwd", gate('cwd = "/"')),
    Case("cwd into .git", ("gates",), "gates[0].cwd", gate('cwd = ".git/hooks"')),
    Case("stages empty", ("gates",), "gates[0].stages", gate("stages = []")),
    Case("target empty", ("gates",), "target", config('target = ""\n')),
    Case("target bad ref", ("gates",), "target", config('target = "a..b"\n')),
    Case("protected empty glob", ("gates",), "protected[0]", config('protected = [""]\n')),
    Case("config is a directory", ("gates",), "gatekit.toml: is a directory", not_a_file("dir")),
    Case(
        "config dangling symlink", ("gates",), "gatekit.toml: is a dangling symlink", not_a_file("dangling")
    ),
    Case("config FIFO", ("gates",), "gatekit.toml: is not a regular file", not_a_file("fifo")),
    Case("config not UTF-8", ("gates",), "not UTF-8", lambda r: r.write("gatekit.toml", b"x = '\xff'\n")),
    Case("config invalid TOML", ("gates",), "invalid TOML", config("[[gates]\n")),
    Case("unknown top key", ("gates",), "did you mean 'gates'", config("gatse = []\n")),
    Case("gate not a table", ("gates",), "gates[0]", config("gates = [1]\n")),
    Case("guard not a table", ("gates",), "guard", config("guard = 3\n")),
    Case(
        "pyproject tool.gatekit not a table",
        ("gates",),
        "tool.gatekit",
        lambda r: r.write("pyproject.toml", "[tool]\ngatekit = 3\n"),
    ),
    Case("explicit config missing", ("--config", "nope.toml", "gates"), "nope.toml: no such config file"),
    Case("explicit config is a dir", ("--config", ".", "gates"), "is a directory"),
]

ARGUMENT_CASES = [
    Case("check worktree and staged", ("check", "--worktree", "--staged"), "--worktree and --staged"),
    Case("check rev and staged", ("check", "--rev", "HEAD", "--staged"), "--rev and --staged"),
    Case("check bad rev", ("check", "--rev", "nosuchrev"), "nosuchrev"),
    Case("check merge-into bad", ("check", "--merge-into", "nosuch"), "nosuch"),
    Case("check base without affected", ("check", "--base", "main", "--worktree"), "--base"),
    Case("check unknown gate", ("check", "--gate", "nope", "--worktree"), "nope", gate("")),
    Case("check heartbeat zero", ("check", "--heartbeat", "0", "--worktree"), "--heartbeat"),
    Case("check heartbeat nan", ("check", "--heartbeat", "nan", "--worktree"), "--heartbeat"),
    Case("check ambiguous rev", ("check", "--rev", "dup"), "ambiguous", tag_and_branch("dup")),
    Case("hook unknown only", ("hook", "pre-commit", "--only", "chek"), "chek"),
    Case("hook unknown skip env", ("hook", "pre-commit"), "GATEKIT_SKIP", env=(("GATEKIT_SKIP", "chek"),)),
    Case("hook unknown name", ("hook", "pre-comit"), "pre-comit"),
    Case("land unknown branch", ("land", "nosuch"), "nosuch"),
    Case("rescue restore unknown", ("rescue", "--restore", "nosuch"), "nosuch"),
    Case("session end unknown", ("session", "end", "nosuch"), "nosuch"),
    Case("unknown command", ("chekc",), "chekc"),
    Case("unknown option", ("check", "--stagged"), "--stagged"),
    Case("-C missing dir", ("-C", "/nonexistent/dir", "status"), "/nonexistent/dir"),
    Case("GIT_DIR not a repository", ("status",), "GIT_DIR names", env=(("GIT_DIR", "nowhere"),)),
    Case(
        "GIT_DIR not a repository in a hook",
        ("hook", "pre-commit"),
        "GIT_DIR names",
        env=(("GIT_DIR", "nowhere"),),
    ),
    Case(
        "GIT_DIR bare without work tree",
        ("check", "--staged"),
        "GIT_WORK_TREE",
        bare_repo,
        (("GIT_DIR", "../bare.git"),),
    ),
    Case(
        "GIT_WORK_TREE missing dir", ("status",), "GIT_WORK_TREE names", env=(("GIT_WORK_TREE", "nowhere"),)
    ),
    Case(
        "junit path is a directory",
        ("check", "--worktree", "--junit", "sub"),
        "'sub' is a directory",
        gate(""),
    ),
    Case(
        "junit under a file",
        ("check", "--worktree", "--junit", "README.md/j.xml"),
        "README.md is a file",
        gate(""),
    ),
    Case(
        "codequality under a file",
        ("check", "--worktree", "--codequality", "README.md/cq.json"),
        "README.md is a file",
        gate(""),
    ),
    Case(
        "step summary under a file",
        ("check", "--worktree"),
        "GITHUB_STEP_SUMMARY",
        gate(""),
        (("GITHUB_STEP_SUMMARY", "README.md/summary.md"), ("GITHUB_ACTIONS", "true")),
    ),
    Case("plan lint missing path", ("plan", "lint", "nosuch.md"), "nosuch.md"),
    Case("worktree remove unknown", ("worktree", "remove", "nosuch"), "nosuch"),
]

CASES = CONFIG_CASES + ARGUMENT_CASES


@pytest.mark.parametrize("case", CASES, ids=[c.kind for c in CASES])
def test_bad_input_gets_exit_2_one_sentence_and_loses_nothing(repo: Repo, case: Case) -> None:
    repo.write("dirty.txt", "uncommitted work\n")
    repo.write("README.md", "edited, unstaged\n")
    repo.git("stash", "push", "-q", "--include-untracked")
    repo.git("stash", "apply", "-q")
    if case.setup:
        case.setup(repo)
    before = capture_state(repo.path, repo.env)

    result = repo.gatekit(*case.argv, env=dict(case.env), timeout=120)

    assert result.returncode == case.code, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr + result.stdout
    # One sentence: gatekit's own, or click's "Error:" line under its usage text.
    sentences = [line for line in result.stderr.splitlines() if line.startswith(("gatekit:", "Error:"))]
    assert len(sentences) == 1, result.stderr
    assert case.expected in sentences[0], result.stderr
    assert capture_state(repo.path, repo.env) == before


def test_the_catalogue_covers_at_least_sixty_kinds() -> None:
    assert len({case.kind for case in CASES}) >= 60


@pytest.mark.parametrize(
    "argv",
    [
        ("check", "--worktree", "--format", "json"),
        ("status", "--format", "json", "--no-such-option"),
        ("overlap", "--format=json", "--onto", "nosuchbranch"),
    ],
)
def test_an_error_with_format_json_is_still_a_json_document(repo: Repo, argv: tuple[str, ...]) -> None:
    repo.write("gatekit.toml", "heartbeat = nan\n")
    result = repo.gatekit(*argv)
    assert result.returncode == 2, result.stderr
    document = json.loads(result.stdout)
    assert document["status"] == "error" and document["exit_code"] == 2 and document["error"]
    assert document["version"] == 1
