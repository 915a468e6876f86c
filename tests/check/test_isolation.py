"""The sandbox is nobody's but gatekit's: outside the repository, with refs of its own.

Real git, real gate processes, real toolchains (cargo, go) where a parent directory matters.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from testing.repo import Repo
from testing.sandboxes import sandbox_pool
from testing.state import capture_state

WHERE_GATE = '[[gates]]\nname = "where"\nrun = ["python", "-c", "import os; print(\'CWD=\' + os.getcwd())"]\n'


def gate_config(repo: Repo, body: str) -> None:
    repo.write("gatekit.toml", body)
    repo.commit("configure gatekit")


def sandbox_of(result: subprocess.CompletedProcess[str]) -> Path:
    line = next(line for line in result.stdout.splitlines() if line.startswith("CWD="))
    return Path(line[len("CWD=") :])


def test_sandbox_lives_in_the_cache_dir_and_is_not_one_of_the_users_worktrees(repo: Repo) -> None:
    gate_config(repo, WHERE_GATE)
    result = repo.gatekit("check", "--no-cache")
    assert result.returncode == 0, result.stdout + result.stderr
    sandbox = sandbox_of(result)
    cache = Path(repo.env["XDG_CACHE_HOME"]) / "gatekit" / "sandboxes"
    assert sandbox.is_relative_to(cache.resolve()), sandbox
    assert not sandbox.is_relative_to(repo.path.resolve())
    assert sandbox.name == "slot-0"
    assert repo.git("worktree", "list", "--porcelain").count("worktree ") == 1
    # A repository of its own that borrows the user's objects.
    alternates = (sandbox / ".git" / "objects" / "info" / "alternates").read_text()
    assert str((repo.path / ".git" / "objects").resolve()) in alternates


def test_sandbox_dir_is_configurable_by_config_and_by_environment(repo: Repo, tmp_path: Path) -> None:
    configured = tmp_path / "from-config"
    gate_config(repo, f"[sandbox]\ndir = {json.dumps(str(configured))}\n" + WHERE_GATE)
    result = repo.gatekit("check", "--no-cache")
    assert result.returncode == 0, result.stdout + result.stderr
    assert sandbox_of(result).is_relative_to(configured.resolve())
    from_env = tmp_path / "from-env"
    result = repo.gatekit("check", "--no-cache", env={"GATEKIT_SANDBOX_DIR": str(from_env)})
    assert result.returncode == 0, result.stdout + result.stderr
    assert sandbox_of(result).is_relative_to(from_env.resolve())


def test_a_sandbox_dir_inside_the_repository_is_refused(repo: Repo) -> None:
    gate_config(repo, WHERE_GATE)
    result = repo.gatekit("check", env={"GATEKIT_SANDBOX_DIR": str(repo.path / "boxes")})
    assert result.returncode == 2, result.stdout + result.stderr
    assert "inside the repository" in result.stderr
    assert not (repo.path / "boxes").exists()


def test_sandboxes_of_a_repository_that_is_gone_are_pruned(repo: Repo, make_repo) -> None:  # type: ignore[no-untyped-def]
    gate_config(repo, WHERE_GATE)
    doomed = make_repo("doomed")
    gate_config(doomed, WHERE_GATE)
    gone = sandbox_of(doomed.gatekit("check", "--no-cache")).parent
    assert gone.is_dir()
    shutil.rmtree(doomed.path)
    result = repo.gatekit("check", "--no-cache")
    assert result.returncode == 0, result.stdout + result.stderr
    assert not gone.exists()
    assert sandbox_of(result).is_dir()


def test_incremental_outputs_survive_in_the_reused_slot(repo: Repo) -> None:
    gate_config(
        repo,
        '[[gates]]\nname = "incremental"\nrun = \'test -f target/out && echo RE""USED; mkdir -p target && touch target/out\'\nshell = true\n',
    )
    repo.write(".gitignore", "target/\n")
    repo.commit("ignore target")
    assert "REUSED" not in repo.gatekit("check").stdout
    repo.commit("another", {"x.txt": "1"})
    assert "REUSED" in repo.gatekit("check").stdout


GIT_WRITER = """
import subprocess
def git(*args):
    subprocess.run(["git", *args], check=True)
open("scratch.txt", "w").write("gate's own edit\\n")
git("add", "scratch.txt")
git("stash", "push", "-q")
git("tag", "x")
git("branch", "y")
git("update-ref", "refs/heads/main", "HEAD")
git("config", "gate.touched", "yes")
print("GIT_WRITES_DONE")
"""


def test_a_gate_s_git_commands_never_touch_the_users_stash_tags_branches_or_config(repo: Repo) -> None:
    gate_config(repo, f'[[gates]]\nname = "writer"\nrun = {json.dumps([sys.executable, "-c", GIT_WRITER])}\n')
    repo.commit("next", {"a.txt": "a\n"})
    repo.write("a.txt", "staged\n")
    repo.git("add", "a.txt")
    repo.write("mine.txt", "unstaged\n")
    repo.git("stash", "push", "-q", "--include-untracked", "--", "mine.txt")
    before = capture_state(repo.path, repo.env)
    config_before = (repo.path / ".git" / "config").read_text()
    for args in (("--staged",), ("--rev", "HEAD~1")):
        result = repo.gatekit("check", "--no-cache", *args)
        assert result.returncode == 0, result.stdout + result.stderr
        assert "GIT_WRITES_DONE" in result.stdout
        assert capture_state(repo.path, repo.env) == before
        assert (repo.path / ".git" / "config").read_text() == config_before


VANDAL = """
import os, pathlib, subprocess, sys
def git(*args):
    return subprocess.run(["git", *args], capture_output=True, text=True).stdout.strip()
seen = {
    "a": pathlib.Path("a.txt").read_text() if os.path.exists("a.txt") else None,
    "b": os.path.exists("b.txt"),
    "gone": os.path.exists("gone.txt"),
    "extra": os.path.exists("extra.txt"),
    "head": git("rev-parse", "HEAD"),
    "branch": git("symbolic-ref", "-q", "HEAD"),
    "dirty": git("status", "--porcelain", "--untracked-files=no"),
    "vandal": git("rev-parse", "--verify", "-q", "refs/heads/vandal"),
}
print("SEEN=" + repr(seen))
git("checkout", "-q", "-b", "vandal")
git("commit", "-q", "--allow-empty", "-m", "the gate's own commit")
pathlib.Path("extra.txt").write_text("the gate's\\n")
git("add", "extra.txt")  # tracked now, by the sandbox's index alone
pathlib.Path("a.txt").write_text("vandalised\\n")  # the files behind the index's back
os.remove("b.txt")
"""


def test_files_index_and_head_a_gate_changed_are_the_subject_s_again_next_run(repo: Repo) -> None:
    gate_config(repo, f'[[gates]]\nname = "vandal"\nrun = {json.dumps([sys.executable, "-c", VANDAL])}\n')
    repo.commit("files", {"a.txt": "a\n", "b.txt": "b\n", "gone.txt": "soon gone\n"})
    expected = {"a": "a\n", "b": True, "gone": True, "extra": False, "branch": "", "dirty": "", "vandal": ""}
    for _ in range(2):  # the same tree again: nothing but the files themselves says they changed
        result = repo.gatekit("check", "--no-cache")
        assert result.returncode == 0, result.stdout + result.stderr
        assert _seen(result) == {**expected, "head": repo.rev()}
    (repo.path / "gone.txt").unlink()
    repo.commit("a file goes", {"a.txt": "a2\n"})
    result = repo.gatekit("check", "--no-cache")
    assert _seen(result) == {**expected, "a": "a2\n", "gone": False, "head": repo.rev()}


def _seen(result: subprocess.CompletedProcess[str]) -> dict[str, object]:
    line = next(line for line in result.stdout.splitlines() if line.startswith("SEEN="))
    return eval(line[len("SEEN=") :])  # noqa: S307 - the gate printed a repr of plain values


def test_the_sandbox_sees_the_users_branches_and_tags_for_describe(repo: Repo) -> None:
    gate_config(repo, '[[gates]]\nname = "describe"\nrun = ["git", "describe", "--tags"]\n')
    old = repo.rev()
    repo.git(
        "update-ref",
        "--stdin",
        input="".join(f"create refs/tags/old-{i} {old}\n" for i in range(600)).encode(),
    )
    repo.commit("tagged", {"a.txt": "a\n"})
    repo.git("tag", "v1.2.3")
    repo.commit("after the tag", {"b.txt": "b\n"})
    result = repo.gatekit("check", "--no-cache")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "v1.2.3-1-g" in result.stdout
    assert (sandbox_pool(repo) / "slot-0" / ".git" / "packed-refs").is_file()  # not 600 loose files
    repo.git("tag", "-d", "v1.2.3")  # a tag the user deletes is gone from the sandbox too
    result = repo.gatekit("check", "--no-cache")
    assert "v1.2.3" not in result.stdout


DAEMON = """
import os, subprocess, sys, time
pid_file = os.environ["PID_FILE"]
code = f"import os, time; open({pid_file!r}, 'w').write(str(os.getpid())); time.sleep(300)"
subprocess.Popen(
    ["setsid", "--fork", sys.executable, "-c", code],
    stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
)
while not os.path.exists(pid_file) or not open(pid_file).read():
    time.sleep(0.02)
"""


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def test_a_setsid_daemon_started_by_a_gate_is_stopped_and_reported(repo: Repo, tmp_path: Path) -> None:
    pid_file = tmp_path / "daemon.pid"
    gate_config(repo, f'[[gates]]\nname = "daemon"\nrun = {json.dumps([sys.executable, "-c", DAEMON])}\n')
    result = repo.gatekit("check", "--no-cache", env={"PID_FILE": str(pid_file)})
    pid = int(pid_file.read_text())
    try:
        assert result.returncode == 0, result.stdout + result.stderr
        deadline = time.monotonic() + 5
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not _alive(pid)
        assert "left 1 process running" in result.stdout + result.stderr
        assert f"pid {pid}" in result.stdout + result.stderr
    finally:
        if _alive(pid):
            os.kill(pid, signal.SIGKILL)


CARGO_TOML = '[package]\nname = "warns"\nversion = "0.1.0"\nedition = "2021"\n'
WARNING_MAIN = "fn main() {\n    let unused = 1;\n}\n"


@pytest.mark.skipif(shutil.which("cargo") is None, reason="cargo is not installed")
def test_an_untracked_parent_cargo_config_does_not_change_the_verdict(repo: Repo) -> None:
    gate_config(repo, '[[gates]]\nname = "build"\nrun = ["cargo", "build", "--offline", "-q"]\n')
    repo.commit("crate", {"Cargo.toml": CARGO_TOML, "src/main.rs": WARNING_MAIN, ".gitignore": "target/\n"})
    # The user's own, untracked: the worktree's cargo would deny warnings; the subject's doesn't.
    repo.write(".cargo/config.toml", '[build]\nrustflags = ["-D", "warnings"]\n')
    result = repo.gatekit("check", "--no-cache")
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.skipif(shutil.which("go") is None, reason="go is not installed (apt-get install golang-go)")
def test_an_untracked_go_work_does_not_change_the_verdict(repo: Repo) -> None:
    gate_config(repo, '[[gates]]\nname = "build"\nrun = ["go", "build", "./..."]\n')
    repo.commit(
        "module",
        {"go.mod": "module example.com/m\n\ngo 1.18\n", "main.go": "package main\n\nfunc main() {}\n"},
    )
    repo.write("go.work", "go 1.18\n\nuse ./elsewhere\n")  # untracked, names a module that isn't there
    result = repo.gatekit("check", "--no-cache")
    assert result.returncode == 0, result.stdout + result.stderr


def test_linked_worktree_sandboxes_of_an_older_gatekit_are_retired(repo: Repo) -> None:
    gate_config(repo, WHERE_GATE)
    legacy = repo.path / ".git" / "gatekit" / "sandboxes"
    legacy.mkdir(parents=True)
    (legacy / "slot-0.lock").write_text("")
    repo.git("worktree", "add", "-q", "--detach", str(legacy / "slot-0"))
    assert repo.git("worktree", "list", "--porcelain").count("worktree ") == 2
    result = repo.gatekit("check", "--no-cache")
    assert result.returncode == 0, result.stdout + result.stderr
    assert not legacy.exists()
    assert repo.git("worktree", "list", "--porcelain").count("worktree ") == 1


SCRUBBED_DAEMON = """
import os, subprocess, sys, time
pid_file = os.environ["PID_FILE"]
code = f"import os, time; open({pid_file!r}, 'w').write(str(os.getpid())); time.sleep(300)"
subprocess.Popen(["setsid", "--fork", "env", "-i", sys.executable, "-c", code])
while not os.path.exists(pid_file) or not open(pid_file).read():
    time.sleep(0.02)
"""


def test_a_daemon_that_scrubs_its_environment_is_found_by_its_directory_but_a_users_shell_is_spared(
    repo: Repo, tmp_path: Path
) -> None:
    pid_file = tmp_path / "daemon.pid"
    gate_config(
        repo, f'[[gates]]\nname = "daemon"\nrun = {json.dumps([sys.executable, "-c", SCRUBBED_DAEMON])}\n'
    )
    slot = sandbox_pool(repo) / "slot-0"
    assert repo.gatekit("check", "--no-cache", env={"PID_FILE": str(pid_file)}).returncode == 0
    first = int(pid_file.read_text())
    pid_file.unlink()
    onlooker = subprocess.Popen(["sleep", "300"], cwd=slot)  # someone looking around in the slot
    try:
        result = repo.gatekit("check", "--no-cache", env={"PID_FILE": str(pid_file)})
        daemon = int(pid_file.read_text())
        assert result.returncode == 0, result.stdout + result.stderr
        assert f"pid {daemon}" in result.stdout
        assert not _alive(daemon) and not _alive(first)
        assert onlooker.poll() is None
    finally:
        onlooker.kill()
        onlooker.wait()
        for pid in (first, int(pid_file.read_text()) if pid_file.exists() else 0):
            if pid and _alive(pid):
                os.kill(pid, signal.SIGKILL)
