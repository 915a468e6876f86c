"""The journal names who ran a destructive command; the shim and hooks refuse a sibling's work;
the Stop hook runs the gates; a line the parser cannot read is refused (issue 10)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from testing.guard import Writer
from testing.repo import Repo, gatekit_env


def shim_env(repo: Repo, tmp_path: Path, session: str | None) -> dict[str, str]:
    shim = tmp_path / "shim"
    if not (shim / "git").exists():
        assert repo.gatekit("shim", "install", "--dir", str(shim)).returncode == 0
    env = gatekit_env(repo.env)
    env["PATH"] = f"{shim}{os.pathsep}{env['PATH']}"
    if session:
        env["GATEKIT_SESSION"] = session
    return env


def git(repo: Repo, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", *args], cwd=repo.path, env=env, capture_output=True, text=True, timeout=120)


def test_shim_refuses_reset_over_a_sessions_claimed_file(make_repo, tmp_path: Path) -> None:
    repo = make_repo("repo", {"mine.txt": "m\n", "theirs.txt": "t\n"})
    Writer(repo, "A").start("theirs.txt")
    Writer(repo, "B").start("mine.txt")
    repo.write("theirs.txt", "A's work\n")
    repo.write("mine.txt", "B's work\n")
    result = git(repo, shim_env(repo, tmp_path, "B"), "reset", "--hard")
    assert result.returncode == 1
    assert (
        "session A: theirs.txt" in result.stderr
        and "git restore --staged --worktree -- ':(top,literal)mine.txt'" in result.stderr
    )
    assert repo.read("theirs.txt") == b"A's work\n" and repo.read("mine.txt") == b"B's work\n"


def test_clobber_names_the_session_pid_and_command_of_a_stash(make_repo, tmp_path: Path) -> None:
    repo = make_repo("repo", {"owned.txt": "base\n"})
    repo.commit("config", {"gatekit.toml": '[guard]\ndestructive = "snapshot-and-allow"\n'})
    a = Writer(repo, "A").start("owned.txt")
    Writer(repo, "agent-3").start()
    repo.write("owned.txt", "A's edit\n")
    a.checkpoint()
    result = git(repo, shim_env(repo, tmp_path, "agent-3"), "stash", "-u")
    assert result.returncode == 0, result.stderr
    assert repo.read("owned.txt") == b"base\n"

    report = a.clobber("--format", "json")
    assert report.returncode == 1
    signals = json.loads(report.stdout)["signals"]
    stash = [s for s in signals if s["kind"] == "stash-push"]
    assert stash and "stash push by session agent-3, pid " in stash[0]["summary"]
    assert "`git stash -u`" in stash[0]["evidence"]["journal"]
    wiped = [s for s in signals if s["kind"] == "wiped-by-command"]
    assert wiped and wiped[0]["severity"] == "high" and wiped[0]["paths"] == ["owned.txt"]
    back = wiped[0]["way_back"].split()
    assert repo.gatekit(*back[1:]).returncode == 0
    assert repo.read("owned.txt") == b"A's edit\n"


def test_clobber_says_when_the_journal_is_silent(repo: Repo) -> None:
    a = Writer(repo, "A").start("README.md")
    repo.write("README.md", "A's edit\n")
    a.checkpoint()
    repo.git("reset", "--hard")  # not through the shim
    signals = json.loads(a.clobber("--format", "json").stdout)["signals"]
    reset = [s for s in signals if s["kind"] == "unexplained-reset"]
    assert reset and reset[0]["evidence"]["journal"].startswith("no journal record")


def test_shim_finds_the_real_git_and_never_itself(repo: Repo, tmp_path: Path) -> None:
    env = shim_env(repo, tmp_path, None)
    second = tmp_path / "second"
    assert (
        subprocess.run(
            [sys.executable, "-m", "gatekit", "shim", "install", "--dir", str(second)],
            env=env,
            capture_output=True,
        ).returncode
        == 0
    )
    script = (second / "git").read_text()
    assert str(tmp_path / "shim") not in script  # the first shim was skipped as a shim
    version = git(repo, env, "--version")
    assert version.returncode == 0 and version.stdout.startswith("git version")


def test_a_line_the_parser_cannot_read_is_refused_without_bashlex(
    repo: Repo, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gatekit.guard.agent_entry import decide_line
    from gatekit.guard.owners import Caller

    monkeypatch.setitem(sys.modules, "bashlex", None)  # as if the guard extra were missing
    caller = Caller(host="claude-code", host_session="me")
    assert decide_line("git status && git log -1", str(repo.path), caller, act=False).action == "allow"
    decision = decide_line("echo $(git stash)", str(repo.path), caller, act=False)
    assert decision.action == "deny" and "bashlex is not installed" in decision.reason


def _stop(repo: Repo, active: bool) -> subprocess.CompletedProcess[bytes]:
    data = {"session_id": "s1", "cwd": str(repo.path), "hook_event_name": "Stop", "stop_hook_active": active}
    return subprocess.run(
        [sys.executable, "-m", "gatekit", "agent", "stop", "--host", "claude-code"],
        cwd=repo.path,
        env=gatekit_env(repo.env),
        input=json.dumps(data).encode(),
        capture_output=True,
        timeout=300,
    )


def test_stop_hook_blocks_with_the_gate_output_until_the_cap(repo: Repo) -> None:
    repo.commit(
        "gates",
        {"gatekit.toml": '[[gates]]\nname = "unit"\nrun = "echo BROKEN-TEST-OUTPUT; exit 1"\nshell = true\n'},
    )
    first = json.loads(_stop(repo, False).stdout)
    assert first["decision"] == "block" and "BROKEN-TEST-OUTPUT" in first["reason"]
    answers = [_stop(repo, True).stdout.strip() for _ in range(3)]
    assert json.loads(answers[0])["decision"] == "block"
    assert answers[-1] == b""  # the cap: the turn may end, the host is not looped forever


def test_stop_hook_lets_a_passing_turn_end(repo: Repo) -> None:
    repo.commit("gates", {"gatekit.toml": '[[gates]]\nname = "ok"\nrun = "true"\n'})
    result = _stop(repo, False)
    assert result.returncode == 0 and result.stdout.strip() == b""


def test_a_stash_entry_popped_in_another_worktree_is_reported_to_its_maker_only(
    make_repo, tmp_path: Path
) -> None:
    repo = make_repo("repo", {"y.txt": "y\n"})
    linked = repo.worktree_add(tmp_path / "x", "x-branch")
    y = Writer(repo, "Y").start("y.txt")
    x = Writer(linked, "X").start()
    repo.write("y.txt", "Y's work, stashed\n")
    y_env = shim_env(repo, tmp_path, "Y")
    assert git(repo, y_env, "stash").returncode == 0  # Y's own stash: reported to no one
    y.checkpoint()
    assert not [
        s for s in json.loads(y.clobber("--format", "json").stdout)["signals"] if s["severity"] != "low"
    ]
    x_env = shim_env(linked, tmp_path, "X")
    popped = subprocess.run(
        ["git", "stash", "pop"], cwd=linked.path, env=x_env, capture_output=True, text=True
    )
    assert popped.returncode == 0, popped.stderr
    assert linked.read("y.txt") == b"Y's work, stashed\n"  # Y's work landed in X's worktree

    found = json.loads(y.clobber("--format", "json").stdout)["signals"]
    taken = [s for s in found if s["kind"] in ("stash-drop", "stash-taken") and s["severity"] == "high"]
    assert taken and "stash pop by session X" in taken[0]["summary"], found
    assert taken[0]["way_back"].startswith("gatekit rescue --restore stash:")
    mine = json.loads(x.clobber("--format", "json").stdout)["signals"]
    assert not [s for s in mine if s["kind"] in ("stash-drop", "stash-taken")]
