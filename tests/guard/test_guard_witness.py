"""The reference-transaction witness: a destructive command run with plain git (no shim, no agent
hook) still names its maker in `clobber` and `rescue` (issue 10)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from gatekit.guard import journal
from testing.guard import Writer
from testing.repo import Repo, gatekit_env


def install_witness(repo: Repo) -> None:
    """The reference-transaction hook alone, as `install-hooks` writes it by default (installed by
    a process that runs this checkout's gatekit, whose module path the hook keeps)."""
    code = "import sys; from pathlib import Path; from gatekit.integrations.hooks_install import install; "
    code += "install(Path(sys.argv[1]), ('reference-transaction',))"
    subprocess.run(
        [sys.executable, "-c", code, str(repo.path)], env=gatekit_env(repo.env), check=True, timeout=60
    )


def test_install_hooks_installs_the_witness_by_default(repo: Repo) -> None:
    result = repo.gatekit("install-hooks")
    assert result.returncode == 0, result.stderr
    script = (repo.path / ".git" / "hooks" / "reference-transaction").read_text()
    assert "\nevery_branch=\n" in script
    named = repo.gatekit("install-hooks", "--hook", "reference-transaction")
    assert named.returncode == 0, named.stderr
    assert "\nevery_branch=1\n" in (repo.path / ".git" / "hooks" / "reference-transaction").read_text()


def plain_git(repo: Repo, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """git as another writer runs it: its own environment, no shim on PATH."""
    full = {**repo.env, **(env or {})}
    return subprocess.run(
        ["git", *args], cwd=repo.path, env=full, capture_output=True, text=True, timeout=120
    )


def records(repo: Repo) -> list[dict]:
    return list(journal.read(repo.path / ".git" / "gatekit" / "journal.jsonl"))


def test_clobber_names_the_writer_of_a_plain_git_stash(make_repo) -> None:
    repo = make_repo("repo", {"a.txt": "base\n"})
    install_witness(repo)
    a = Writer(repo, "A").start("a.txt")
    repo.write("a.txt", "A's unstaged work\n")
    a.checkpoint()

    stashed = plain_git(repo, "stash", env={"GATEKIT_SESSION": "B"})
    assert stashed.returncode == 0, stashed.stderr
    assert repo.read("a.txt") == b"base\n"

    report = a.clobber("--format", "json")
    assert report.returncode == 1
    signals = json.loads(report.stdout)["signals"]
    stash = [s for s in signals if s["kind"] == "stash-push"]
    assert stash, signals
    summary = stash[0]["summary"]
    assert "stash push by session B, pid " in summary and "`git stash`" in summary, summary
    assert "reference-transaction" in stash[0]["evidence"]["journal"]
    reset = [s for s in signals if s["kind"] == "unexplained-reset"]
    assert reset and "by session B" in reset[0]["summary"], signals

    listed = repo.gatekit("rescue")
    assert listed.returncode == 0, listed.stderr
    line = next(x for x in listed.stdout.splitlines() if x.startswith("stash:"))
    assert "made by stash push by session B" in line, listed.stdout


def test_a_host_session_exported_to_the_shell_names_a_plain_git_reset(make_repo) -> None:
    repo = make_repo("repo", {"a.txt": "one\n"})
    repo.commit("two", {"a.txt": "two\n"})
    install_witness(repo)
    a = Writer(repo, "A").start()
    a.checkpoint()

    reset = plain_git(repo, "reset", "--hard", "HEAD~1", env={"CLAUDE_CODE_SESSION_ID": "5c1e-b"})
    assert reset.returncode == 0, reset.stderr

    signals = json.loads(a.clobber("--format", "json").stdout)["signals"]
    found = [s for s in signals if s["kind"] == "unexplained-reset"]
    assert found and "reset --hard by claude-code session 5c1e-b" in found[0]["summary"], signals
    orphan = [x for x in repo.gatekit("rescue").stdout.splitlines() if x.startswith("commit:")]
    assert orphan and "left by reset --hard by claude-code session 5c1e-b" in orphan[0], orphan


def test_a_stash_pop_by_plain_git_is_named_to_the_entrys_maker(make_repo, tmp_path: Path) -> None:
    repo = make_repo("repo", {"y.txt": "y\n"})
    install_witness(repo)
    y = Writer(repo, "Y").start("y.txt")
    repo.write("y.txt", "Y's work\n")
    assert plain_git(repo, "stash", env={"GATEKIT_SESSION": "Y"}).returncode == 0
    y.checkpoint()
    popped = plain_git(repo, "stash", "pop", env={"GATEKIT_SESSION": "X"})
    assert popped.returncode == 0, popped.stderr

    signals = json.loads(y.clobber("--format", "json").stdout)["signals"]
    taken = [s for s in signals if s["kind"] in ("stash-drop", "stash-taken")]
    assert taken and "stash pop by session X" in taken[0]["summary"], signals
    rescue = repo.gatekit("rescue").stdout
    assert "made by stash push by session Y" in rescue and "taken by stash pop by session X" in rescue, rescue


def test_commits_and_new_branches_start_no_python(repo: Repo, tmp_path: Path) -> None:
    install_witness(repo)
    log = tmp_path / "pythons"
    recorder = tmp_path / "python"
    recorder.write_text(f'#!/bin/sh\necho "$*" >> {log}\nexec {sys.executable} "$@"\n')
    recorder.chmod(0o755)
    env = {"GATEKIT_PYTHON": str(recorder), "PYTHONPATH": gatekit_env(repo.env)["PYTHONPATH"]}
    repo.write("README.md", "more\n")
    steps = [
        ("commit", "-qam", "forward"),
        ("branch", "topic"),
        ("commit", "-q", "--allow-empty", "-m", "more"),
        ("update-ref", "refs/heads/topic", "main", "topic"),  # a fast-forward
        ("update-ref", "refs/gatekit/probe", "HEAD"),
    ]
    for args in steps:
        assert plain_git(repo, *args, env=env).returncode == 0, args
    assert not log.exists(), log.read_text()
    assert records(repo) == []
    assert plain_git(repo, "reset", "-q", "--hard", "HEAD~1", env=env).returncode == 0
    assert "hook reference-transaction committed" in log.read_text()
    assert [r["op"] for r in records(repo)] == ["reset --hard"]


def test_a_command_the_shim_journaled_is_one_record_not_two(make_repo, tmp_path: Path) -> None:
    repo = make_repo("repo", {"a.txt": "base\n"})
    install_witness(repo)
    shim = tmp_path / "shim"
    assert repo.gatekit("shim", "install", "--dir", str(shim)).returncode == 0
    env = gatekit_env(repo.env)
    env["PATH"] = f"{shim}{os.pathsep}{env['PATH']}"
    env["GATEKIT_SESSION"] = "B"
    repo.write("a.txt", "B's own edit\n")
    ran = subprocess.run(["git", "stash"], cwd=repo.path, env=env, capture_output=True, timeout=120)
    assert ran.returncode == 0, ran.stderr

    from gatekit.guard.witness import fold

    raw = records(repo)
    assert {r["via"] for r in raw} == {"shim", "reference-transaction"}
    folded = fold(raw)
    assert len(folded) == 1 and folded[0]["via"] == "shim" and folded[0]["snapshot"]
    assert any(update[2] == "refs/stash" for update in folded[0]["refs"])
