"""`gatekit check` end to end: real repositories, real git, real gate processes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from testing.repo import REPO_ROOT, Repo, gatekit_env
from testing.sandboxes import sandbox_pool
from testing.state import capture_state

IMPORT_GATE = """
[[gates]]
name = "build"
run = ["python", "-c", "import app; app.main()"]
"""


def gate_config(repo: Repo, body: str = IMPORT_GATE, commit: bool = True) -> None:
    repo.write("gatekit.toml", body)
    if commit:
        repo.commit("configure gatekit")


def test_rev_check_passes_on_a_good_commit_and_fails_on_a_broken_one(repo: Repo) -> None:
    gate_config(repo)
    repo.commit("good", {"app.py": "def main():\n    return 1\n"})
    ok = repo.gatekit("check", "--rev", "HEAD")
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "all 1 gate(s) passed" in ok.stdout
    repo.commit("broken", {"app.py": "def main(:\n"})
    bad = repo.gatekit("check")
    assert bad.returncode == 1
    assert "build (failed)" in bad.stdout
    assert "SyntaxError" in bad.stdout
    assert repo.gatekit("check", "--rev", "HEAD~1").returncode == 0


def test_staged_check_sees_only_staged_content_and_touches_nothing(repo: Repo) -> None:
    gate_config(repo)
    repo.commit("good", {"app.py": "def main():\n    return 1\n"})
    # Staged: broken. Unstaged on top: fixed. Only the staged content may count.
    repo.write("app.py", "def main(:\n")
    repo.git("add", "app.py")
    repo.write("app.py", "def main():\n    return 2\n")
    repo.write("untracked notes.txt", "mine\n")
    repo.git("stash", "push", "-q", "--include-untracked", "--", "untracked notes.txt")
    repo.write("untracked notes.txt", "mine again\n")
    before = capture_state(repo.path, repo.env)
    result = repo.gatekit("check", "--staged")
    assert result.returncode == 1, result.stdout
    assert capture_state(repo.path, repo.env) == before
    # ...and the reverse: staged good, unstaged broken passes.
    repo.write("app.py", "def main():\n    return 3\n")
    repo.git("add", "app.py")
    repo.write("app.py", "def main(:\n")
    before = capture_state(repo.path, repo.env)
    result = repo.gatekit("check", "--staged")
    assert result.returncode == 0, result.stdout
    assert capture_state(repo.path, repo.env) == before


def test_staged_is_the_default_subject_inside_a_commit_hook(repo: Repo) -> None:
    gate_config(repo)
    repo.commit("good", {"app.py": "def main():\n    return 1\n"})
    repo.write("app.py", "def main(:\n")
    repo.git("add", "app.py")
    hook = repo.path / ".git" / "hooks" / "pre-commit"
    hook.write_text(f"#!/bin/sh\nPYTHONPATH={REPO_ROOT} exec {sys.executable} -m gatekit check\n")
    hook.chmod(0o755)
    commit = subprocess.run(
        ["git", "commit", "-qm", "broken"], cwd=repo.path, env=repo.env, capture_output=True, text=True
    )
    assert commit.returncode != 0
    assert "the staged changes" in commit.stderr  # git sends hook output to stderr
    # `git commit -a` builds a temporary index; the hook must verify that one.
    repo.git("reset", "-q", "app.py")
    repo.write("app.py", "def main():\n    return 5\n")
    commit = subprocess.run(
        ["git", "commit", "-qam", "fixed"], cwd=repo.path, env=repo.env, capture_output=True, text=True
    )
    assert commit.returncode == 0, commit.stdout + commit.stderr


def test_merge_into_fails_when_the_branch_breaks_only_once_merged(repo: Repo) -> None:
    gate_config(repo)
    repo.commit(
        "lib",
        {
            "lib.py": "def total(x):\n    return x\n",
            "app.py": "import lib\ndef main():\n    return lib.total(1)\n",
        },
    )
    repo.branch("feature")
    # main moves on: total() is renamed and its callers updated.
    repo.commit(
        "rename",
        {
            "lib.py": "def grand_total(x):\n    return x\n",
            "app.py": "import lib\ndef main():\n    return lib.grand_total(1)\n",
        },
    )
    repo.checkout("feature")
    repo.commit(
        "new caller",
        {
            "report.py": "import lib\nVALUE = lib.total(2)\n",
            "app.py": "import lib, report\ndef main():\n    return lib.total(1)\n",
        },
    )
    assert repo.gatekit("check", "--rev", "feature").returncode == 0
    merged = repo.gatekit("check", "--rev", "feature", "--merge-into", "main")
    assert merged.returncode == 1, merged.stdout
    assert "merged into main" in merged.stdout
    assert "AttributeError" in merged.stdout
    assert repo.git("branch", "--show-current").strip() == "feature"


def test_merge_into_conflict_fails_naming_the_paths(repo: Repo) -> None:
    gate_config(repo)
    repo.commit("base", {"app.py": "def main():\n    return 1\n", "conf with space.txt": "a\n"})
    repo.branch("feature")
    repo.commit("main side", {"conf with space.txt": "main\n"})
    repo.checkout("feature")
    repo.commit("feature side", {"conf with space.txt": "feature\n"})
    junit = repo.path.parent / "report.xml"
    result = repo.gatekit("check", "--merge-into", "main", "--junit", str(junit))
    assert result.returncode == 1
    assert "conf with space.txt" in result.stdout
    assert "conflicts" in result.stdout
    assert "conf with space.txt" in junit.read_text()


def test_worktree_subject_runs_in_place(repo: Repo) -> None:
    gate_config(repo, '[[gates]]\nname = "where"\nrun = ["python", "-c", "import os; print(os.getcwd())"]\n')
    result = repo.gatekit("check", "--worktree")
    assert result.returncode == 0
    assert str(repo.path) in result.stdout
    sandboxed = repo.gatekit("check")
    assert "sandboxes" in sandboxed.stdout


NASTY_NAMES = ["with space.txt", "café.txt", "-leading-dash.txt", "new\nline.txt"]


def test_nasty_file_names_reach_the_sandbox_exactly(repo: Repo) -> None:
    lister = "import os, json; print(json.dumps(sorted(n for n in os.listdir('.') if n.endswith('.txt'))))"
    gate_config(repo, f'[[gates]]\nname = "list"\nrun = ["python", "-c", "{lister}"]\n')
    for name in NASTY_NAMES:
        repo.write(name, name)
    repo.git("add", "-A")
    result = repo.gatekit("check", "--staged", "--format", "json")
    assert result.returncode == 0, result.stderr
    tail = json.loads(result.stdout)["gates"][0]["output_tail"]
    assert json.loads(tail) == sorted(NASTY_NAMES)


def test_sandbox_is_reused_so_build_outputs_persist(repo: Repo) -> None:
    gate_config(
        repo,
        '[[gates]]\nname = "incremental"\nrun = \'test -f target/out && echo RE""USED; mkdir -p target && touch target/out\'\nshell = true\n',
    )
    repo.write(".gitignore", "target/\n")
    repo.commit("ignore target")
    first = repo.gatekit("check")
    assert "REUSED" not in first.stdout
    repo.commit("another", {"x.txt": "1"})
    second = repo.gatekit("check")
    assert "REUSED" in second.stdout
    assert not (repo.path / "target").exists()


def test_gate_timeout_kills_the_whole_process_group(repo: Repo, tmp_path: Path) -> None:
    pidfile = tmp_path / "child.pid"
    gate_config(
        repo,
        f'[[gates]]\nname = "hang"\nrun = "sleep 300 & echo $! > {pidfile}; wait"\nshell = true\ntimeout = 1\n',
    )
    started = time.monotonic()
    result = repo.gatekit("check")
    assert result.returncode == 1
    assert "timed out" in result.stdout
    assert time.monotonic() - started < 30
    child = int(pidfile.read_text())
    assert not _alive(child)


def test_ctrl_c_kills_gates_and_exits_130(repo: Repo, tmp_path: Path) -> None:
    pidfile = tmp_path / "child.pid"
    gate_config(
        repo, f'[[gates]]\nname = "hang"\nrun = "sleep 300 & echo $! > {pidfile}; wait"\nshell = true\n'
    )
    proc = repo.spawn_gatekit("check")
    _wait_for(pidfile)
    proc.send_signal(signal.SIGINT)
    proc.communicate(timeout=30)
    assert proc.returncode == 130
    assert not _alive(int(pidfile.read_text()))


def test_a_hang_up_a_run_was_started_ignoring_is_ignored(repo: Repo, tmp_path: Path) -> None:
    """`nohup gatekit check`: the run ignores SIGHUP from its start, so the end of the terminal
    must not stop it (SIGTERM and SIGHUP otherwise stop a check as Ctrl-C does)."""
    started, resume = tmp_path / "started", tmp_path / "resume"
    gate_config(
        repo,
        f'[[gates]]\nname = "wait"\nrun = "touch {started}; while [ ! -e {resume} ]; do sleep 0.02; done"\n'
        "shell = true\n",
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "gatekit", "check"],
        cwd=repo.path,
        env=gatekit_env(repo.env),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        preexec_fn=lambda: signal.signal(signal.SIGHUP, signal.SIG_IGN),
    )
    _wait_for(started)
    proc.send_signal(signal.SIGHUP)
    time.sleep(0.2)  # a hang-up heard would be acted on at once; this one must be ignored
    resume.touch()
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, (out, err)


def test_ctrl_c_between_a_gate_s_start_and_its_supervision_still_kills_it(repo: Repo, tmp_path: Path) -> None:
    # The interrupt lands in the instant after the gate started and before gatekit watches it
    # (held there by the fault hook, the phase rather than a guessed sleep).
    pidfile, pause = tmp_path / "child.pid", tmp_path / "pause"
    pause.mkdir()
    gate_config(
        repo, f'[[gates]]\nname = "hang"\nrun = "sleep 300 & echo $! > {pidfile}; wait"\nshell = true\n'
    )
    proc = repo.spawn_gatekit("check", env={"GATEKIT_TEST_PAUSE_AT": f"gate-started:{pause}"})
    _wait_for(pause / "reached")
    _wait_for(pidfile)
    proc.send_signal(signal.SIGINT)
    proc.communicate(timeout=30)
    assert proc.returncode == 130
    assert not _alive(int(pidfile.read_text()))


def test_sigkill_mid_run_leaves_the_next_run_able_to_proceed(repo: Repo, tmp_path: Path) -> None:
    marker = tmp_path / "started"
    gate_config(repo, f'[[gates]]\nname = "slow"\nrun = "touch {marker}; sleep 30"\nshell = true\n')
    proc = repo.spawn_gatekit("check", stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _wait_for(marker)
    proc.kill()
    proc.wait()
    gate_config(repo, '[[gates]]\nname = "quick"\nrun = "true"\n')
    result = repo.gatekit("check")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "slot 0" in result.stdout  # the killed run's slot lock died with it


def test_heartbeat_during_silence(repo: Repo) -> None:
    gate_config(repo, '[[gates]]\nname = "quiet"\nrun = "sleep 2.5"\nshell = true\n')
    result = repo.gatekit("check", "--heartbeat", "1")
    assert result.returncode == 0
    assert "quiet still running: " in result.stdout
    assert "last output" in result.stdout


def test_huge_and_non_utf8_output_is_streamed_and_reported(repo: Repo, tmp_path: Path) -> None:
    script = "import sys; sys.stdout.buffer.write((b'x' * 1023 + b'\\n') * 51200); sys.stdout.buffer.write(b'\\xff\\xfe bad bytes\\n'); sys.exit(3)"
    gate_config(repo, f"[[gates]]\nname = \"noisy\"\nrun = [\"python\", \"-c\", '''{script}''']\n")
    junit = tmp_path / "junit.xml"
    result = subprocess.run(
        [sys.executable, "-m", "gatekit", "check", "--junit", str(junit)],
        cwd=repo.path,
        env={**repo.env, "PYTHONPATH": str(REPO_ROOT)},
        capture_output=True,
    )
    assert result.returncode == 1
    assert len(result.stdout) > 50 * 1024 * 1024
    assert b"\xff\xfe bad bytes" in result.stdout  # passed through untouched
    report = junit.read_text(encoding="utf-8")
    assert "exit code 3" in report
    assert "bad bytes" in report


def test_missing_toolchain_binary_is_a_clear_exit_2(repo: Repo) -> None:
    gate_config(repo, '[[gates]]\nname = "build"\nrun = "no-such-compiler --build"\n')
    result = repo.gatekit("check")
    assert result.returncode == 2
    assert "`no-such-compiler` was not found on PATH" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


def test_no_gates_and_no_toolchain_is_exit_2_with_help(repo: Repo) -> None:
    result = repo.gatekit("check")
    assert result.returncode == 2
    assert "[[gates]]" in result.stderr
    assert "no toolchain was found" in result.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["--rev", "--upload-pack=evil"],
        ["--rev", "no-such-branch"],
        ["--merge-into", "nowhere"],
        ["--staged", "--rev", "HEAD"],
        ["--gate", "nope"],
    ],
)
def test_bad_arguments_exit_2(repo: Repo, args: list[str]) -> None:
    gate_config(repo, '[[gates]]\nname = "ok"\nrun = "true"\n')
    result = repo.gatekit("check", *args)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr


def test_outside_a_repository_exit_2(tmp_path: Path, git_env: dict[str, str]) -> None:
    from testing.repo import run_gatekit

    result = run_gatekit(["check"], cwd=tmp_path, env=git_env)
    assert result.returncode == 2
    assert "not inside a git repository" in result.stderr


def test_concurrent_runs_get_separate_sandbox_slots(repo: Repo) -> None:
    gate_config(
        repo,
        '[[gates]]\nname = "pause"\nrun = ["python", "-c", "import time, os; print(os.getcwd()); time.sleep(2)"]\n',
    )
    procs = [repo.spawn_gatekit("check", "--format", "json") for _ in range(2)]
    finished = [p.communicate(timeout=120) for p in procs]
    assert all(p.returncode == 0 for p in procs), [err.decode(errors="replace") for _, err in finished]
    outputs = [json.loads(out) for out, _ in finished]
    assert all(o["passed"] for o in outputs)
    dirs = {o["gates"][0]["output_tail"].strip() for o in outputs}
    assert len(dirs) == 2  # slot-0 and slot-1, not one waiting on the other


def test_all_slots_busy_waits_and_says_so(repo: Repo, tmp_path: Path) -> None:
    started = tmp_path / "first gate started"
    pause = f"import pathlib, time; pathlib.Path({str(started)!r}).touch(); time.sleep(6)"
    gate_config(repo, f'[sandbox]\nslots = 1\n[[gates]]\nname = "pause"\nrun = ["python", "-c", {pause!r}]\n')
    first = repo.spawn_gatekit("check", stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _wait_for(started)  # the first run holds the only slot now, however slow the machine
    second = repo.gatekit("check", "--no-cache")  # a slow start must not find the first's verdict
    first.wait(timeout=60)
    assert second.returncode == 0
    assert "sandbox slots are busy" in second.stderr


def test_check_from_linked_worktree_and_detached_head(repo: Repo, tmp_path: Path) -> None:
    gate_config(repo)
    repo.commit("good", {"app.py": "def main():\n    return 1\n"})
    linked = repo.worktree_add(tmp_path / "linked wt", "side")
    linked.commit("broken", {"app.py": "def main(:\n"})
    assert linked.gatekit("check").returncode == 1
    repo.git("checkout", "-q", "--detach", "HEAD")
    assert repo.gatekit("check").returncode == 0
    assert sandbox_pool(repo).is_dir()  # one pool for the common dir, shared by both worktrees
    assert sandbox_pool(linked) == sandbox_pool(repo)


def test_staged_check_in_a_repository_without_commits(tmp_path: Path, git_env: dict[str, str]) -> None:
    repo = Repo(tmp_path / "fresh", git_env)
    repo.path.mkdir()
    repo.git("init", "-q", "-b", "main")
    repo.write("gatekit.toml", '[[gates]]\nname = "ls"\nrun = "test -f gatekit.toml"\nshell = true\n')
    repo.git("add", "gatekit.toml")
    result = repo.gatekit("check", "--staged")
    assert result.returncode == 0, result.stdout + result.stderr


def test_fail_fast_stops_at_the_first_failure(repo: Repo) -> None:
    gate_config(repo, '[[gates]]\nname = "one"\nrun = "false"\n[[gates]]\nname = "two"\nrun = "true"\n')
    result = repo.gatekit("check", "--fail-fast", "--format", "json")
    gates = [(g["name"], g["status"]) for g in json.loads(result.stdout)["gates"]]
    assert gates == [("one", "failed"), ("two", "skipped")]  # issue 11: skipped gates are reported
    assert result.returncode == 1


def test_stage_selects_gates(repo: Repo) -> None:
    gate_config(
        repo,
        '[[gates]]\nname = "fast"\nrun = "true"\nstages = ["pre-commit"]\n[[gates]]\nname = "full"\nrun = "true"\nstages = ["ci"]\n',
    )
    result = repo.gatekit("check", "--stage", "ci", "--format", "json")
    assert [g["name"] for g in json.loads(result.stdout)["gates"]] == ["full"]
    result = repo.gatekit("check", "--stage", "pre-push", "--format", "json")
    assert json.loads(result.stdout)["gates"] == []
    assert result.returncode == 0


def test_reports_junit_json_and_github(repo: Repo, tmp_path: Path) -> None:
    gate_config(
        repo,
        '[[gates]]\nname = "good"\nrun = "true"\n[[gates]]\nname = "bad"\nrun = ["sh", "-c", "echo broken: 100%; exit 4"]\n',
    )
    junit = tmp_path / "out" / "junit.xml"
    quality = tmp_path / "out" / "quality.json"
    summary = tmp_path / "summary.md"
    result = repo.gatekit(
        "check",
        "--junit",
        str(junit),
        "--codequality",
        str(quality),
        env={"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary)},
    )
    assert result.returncode == 1
    assert "::group::bad" in result.stdout
    assert "::error title=gatekit%3A bad failed::exit code 4%0Abroken: 100%25" in result.stdout
    xml = junit.read_text()
    assert 'name="bad"' in xml and "<failure" in xml and 'message="failed: exit code 4"' in xml
    assert json.loads(quality.read_text())[0]["check_name"] == "gatekit/bad"
    assert "| `bad` | ❌ failed" in summary.read_text()


def test_no_color_and_color_always(repo: Repo) -> None:
    gate_config(repo, '[[gates]]\nname = "ok"\nrun = "true"\n')
    assert "\033[" in repo.gatekit("--color", "always", "check").stdout
    assert "\033[" not in repo.gatekit("check", env={"NO_COLOR": "1"}).stdout


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is dead for our purposes.
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split()[2] != "Z"
    except FileNotFoundError:
        return False


def _wait_for(path: Path, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not (path.exists() and path.stat().st_size >= 0):
        if time.monotonic() > deadline:
            raise AssertionError(f"{path} never appeared")
        time.sleep(0.05)
    time.sleep(0.1)


def test_locks_left_in_a_sandbox_by_a_killed_run_are_cleared(repo: Repo) -> None:
    gate_config(repo, '[[gates]]\nname = "ok"\nrun = "true"\n')
    assert repo.gatekit("check", "--no-cache").returncode == 0
    admin = sandbox_pool(repo) / "slot-0" / ".git"
    for name in ("HEAD.lock", "index.lock", "refs/tags/v1.lock"):  # what a SIGKILL leaves behind
        (admin / name).write_text("")
    repo.commit("next", {"x.txt": "1\n"})
    repo.git("tag", "v1")  # the copy of the user's tags must get past the stale v1.lock
    result = repo.gatekit("check", "--no-cache")
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_deleted_sandbox_directory_is_recreated(repo: Repo) -> None:
    import shutil

    gate_config(repo, '[[gates]]\nname = "ok"\nrun = "true"\n')
    assert repo.gatekit("check", "--no-cache").returncode == 0
    shutil.rmtree(sandbox_pool(repo) / "slot-0")
    result = repo.gatekit("check", "--no-cache")
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_gate_left_running_by_a_killed_check_is_stopped_before_the_slot_is_reused(
    repo: Repo, tmp_path: Path
) -> None:
    # SIGKILL takes gatekit but not its gate (own process group): left alone, the gate would
    # keep building in the slot while the next run checks out another tree there.
    pid_file = tmp_path / "gate.pid"
    script = (
        f"import os, time; open({str(pid_file)!r}, 'w').write(str(os.getpid()))\n"
        "if os.environ.get('SLOW'): time.sleep(60)\n"
    )
    gate_config(repo, f'[[gates]]\nname = "build"\nrun = {json.dumps([sys.executable, "-c", script])}\n')
    first = repo.spawn_gatekit(
        "check", env={"SLOW": "1"}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    _wait_for(pid_file)
    orphan = int(pid_file.read_text())
    try:
        os.kill(first.pid, signal.SIGKILL)
        first.wait(timeout=30)
        assert _alive(orphan)  # the gate outlived the run
        second = repo.gatekit("check", "--no-cache")
        assert second.returncode == 0, second.stdout + second.stderr
        assert "stopped a gate (process group" in second.stderr
        assert "sandbox slot 0" in second.stderr
        assert not _alive(orphan)
        assert not (sandbox_pool(repo) / "slot-0.gate").exists()
    finally:
        if _alive(orphan):
            os.kill(orphan, signal.SIGKILL)


def test_a_gate_record_whose_group_is_gone_is_dropped_quietly(repo: Repo) -> None:
    gate_config(repo, '[[gates]]\nname = "ok"\nrun = "true"\n')
    assert repo.gatekit("check", "--no-cache").returncode == 0
    record = sandbox_pool(repo) / "slot-0.gate"
    assert not record.exists()  # a finished gate leaves no record
    for content in ("999999999 12345\n", "garbage\n", f"{os.getpid()} 1\n"):  # gone, unreadable, reused pid
        record.write_text(content)
        result = repo.gatekit("check", "--no-cache")
        assert result.returncode == 0, result.stdout + result.stderr
        assert "stopped a gate" not in result.stderr and not record.exists()


def test_affected_mode_with_configured_gates_says_so_in_the_json_document(
    tmp_path: Path, git_env: dict[str, str]
) -> None:
    from testing.samples import python_project

    project = python_project(tmp_path / "project", git_env)
    project.write("src/more.py", "X = 1\n")
    project.git("add", "-A")
    result = project.gatekit("check", "--staged", "--affected", "--format", "json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["affected"] == {
        "whole": True,
        "packages": [],
        "reasons": ["affected mode: configured gates are not scoped to packages, so all of them run"],
    }
    again = project.gatekit("check", "--staged", "--affected", "--format", "json")
    assert again.returncode == 0, again.stderr
    cached = json.loads(again.stdout)
    assert cached["affected"] == json.loads(result.stdout)["affected"]
    assert all(gate["cached"] for gate in cached["gates"])  # and no sandbox was needed for it
