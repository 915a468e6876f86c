"""The resident server (gatekit/resident/): a run it serves is the run the client would have made.

Every test drives real git commits and real gatekit processes, with a server of its own (a private
socket directory). A gate reports who ran it: "served" when a resident server is among its
ancestors, "here" when gatekit ran in the client's own process.
"""

from __future__ import annotations

import json
import os
import re
import resource
import select
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from gatekit.guard import journal
from testing import resident
from testing.repo import Repo, gatekit_env, init_repo

# Appends "served" or "here" to $RUNS, then runs the rest of the gate ($1, may be empty).
WHO = r"""
who=here; pid=$PPID
while [ "$pid" -gt 1 ] 2>/dev/null; do
    if tr '\0' ' ' < /proc/$pid/cmdline | grep -q gatekit.resident.server; then who=served; fi
    pid=$(sed -n 's/^PPid:[[:space:]]*//p' /proc/$pid/status)
done
echo "$who" >> "$RUNS"
"""


def gate_toml(after: str = "") -> str:
    return f'[[gates]]\nname = "who"\nrun = {json.dumps(["sh", "-c", WHO + after])}\n'


@pytest.fixture
def sockets(tmp_path: Path):  # type: ignore[no-untyped-def]
    directory = tmp_path / "sockets"
    yield directory
    resident.stop_servers(directory)


def hooked_repo(path: Path, env: dict[str, str], config: str) -> Repo:
    """A repository on branch work (main is protected) with gatekit's hooks and one staged change."""
    repo = init_repo(path, env, {"gatekit.toml": config, "a.txt": "a\n"})
    repo.git("checkout", "-q", "-b", "work")
    installed = repo.gatekit("install-hooks")
    assert installed.returncode == 0, installed.stderr
    repo.write("a.txt", "b\n")
    repo.git("add", "a.txt")
    return repo


def served_repo(
    tmp_path: Path, git_env: dict[str, str], sockets: Path, config: str, **extra: str
) -> tuple[dict[str, str], Repo]:
    """(environment, repository) of a test whose gate notes who ran it in tmp_path/runs, with
    the resident server on and its sockets in sockets."""
    env = resident.resident_env({**git_env, "RUNS": str(tmp_path / "runs"), **extra}, sockets)
    return env, hooked_repo(tmp_path / "repo", env, config)


def commit(repo: Repo, env: dict[str, str], message: str = "change") -> subprocess.CompletedProcess[str]:
    return resident.run(["git", "commit", "-q", "-m", message], repo.path, env, timeout=120)


def runs(path: Path) -> list[str]:
    return path.read_text().split() if path.exists() else []


def warm_up(repo: Repo, env: dict[str, str], gatekit: Path | None = None) -> int:
    """Start a server as a user's first run does (that run is not served) and wait for it: the
    hooks' server (python -S), or with gatekit, that console script's."""
    if gatekit is None:
        hook = repo.path / ".git" / "hooks" / "pre-commit"
        skip_all = {**env, "GATEKIT_SKIP": "protect,clobber,overlap,check"}
        started = resident.run(["sh", str(hook)], repo.path, skip_all)
        socket = resident.hooks_socket(hook.parent, env)
    else:
        started = resident.run([str(gatekit), "overlap"], repo.path, gatekit_env(env))
        socket = resident.script_socket(gatekit, gatekit_env(env))
    assert started.returncode == 0, started.stderr
    return resident.wait_for_server(socket)


def start_until(
    argv: list[str], cwd: Path, env: dict[str, str], started: Path, ignoring: tuple[int, ...] = ()
) -> subprocess.Popen[str]:
    """argv started (with the signals `ignoring` ignored, as `nohup` does), once its gate has
    written `started` (the phase, not a guessed sleep)."""

    def ignore() -> None:
        for signum in ignoring:
            signal.signal(signum, signal.SIG_IGN)

    client = subprocess.Popen(
        argv,
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=ignore if ignoring else None,
    )
    deadline = time.monotonic() + 60
    while not started.exists():
        assert client.poll() is None and time.monotonic() < deadline, client.communicate()
        time.sleep(0.02)
    return client


def warm_check(
    tmp_path: Path, git_env: dict[str, str], sockets: Path, gate: str
) -> Callable[..., subprocess.CompletedProcess[str]]:
    """A served repository whose gate runs the shell text `gate`, its server started; returns
    what runs `gatekit check --staged --no-cache` there through a command prefix (setpriv,
    unshare) and with extra variables, and checks that it passed."""
    env, repo = served_repo(tmp_path, git_env, sockets, gate_toml(gate))
    gatekit = resident.console_script(tmp_path / "bin" / "gatekit")
    warm_up(repo, env, gatekit)

    def check(*prefix: str, **extra: str) -> subprocess.CompletedProcess[str]:
        argv = [*prefix, str(gatekit), "check", "--staged", "--no-cache"]
        result = resident.run(argv, repo.path, gatekit_env({**env, **extra}))
        assert result.returncode == 0, result.stderr
        return result

    return check


def paused_gate(tmp_path: Path) -> tuple[Path, Path, str]:
    """(started, resume, config) of a gate that writes `started`, then waits until `resume` exists."""
    started, resume = tmp_path / "started", tmp_path / "resume"
    return started, resume, gate_toml(f"touch {started}; while [ ! -e {resume} ]; do sleep 0.02; done")


def normalized(text: str, root: Path) -> str:
    text = text.replace(str(root), "ROOT")
    return re.sub(r"\d+\.\d+s", "N.Ns", text)


@pytest.mark.parametrize("gate_fails", [False, True], ids=["gate-passes", "gate-fails"])
def test_a_commit_served_by_the_server_ends_and_reads_as_one_run_in_process(
    tmp_path: Path, git_env: dict[str, str], sockets: Path, gate_fails: bool
) -> None:
    config = gate_toml("exit 1" if gate_fails else "")
    outcomes = {}
    for mode in ("here", "served"):
        root = tmp_path / mode
        env = {**git_env, "RUNS": str(root / "runs")}
        env = resident.resident_env(env, sockets) if mode == "served" else env
        repo = hooked_repo(root / "repo", env, config)
        if mode == "served":
            warm_up(repo, env)
        result = commit(repo, env)
        assert runs(root / "runs") == [mode]
        outcomes[mode] = (result.returncode, normalized(result.stdout, root), normalized(result.stderr, root))
    assert outcomes["served"] == outcomes["here"]
    assert outcomes["here"][0] == (1 if gate_fails else 0)
    assert "who" in outcomes["here"][2]


def test_the_worker_takes_the_clients_directory_environment_and_umask(
    tmp_path: Path, git_env: dict[str, str], sockets: Path
) -> None:
    # The gate prints what it inherited; the server was started by a run with other values.
    config = gate_toml('echo "mark=$MARK umask=$(umask)"')
    env = resident.resident_env({**git_env, "RUNS": str(tmp_path / "runs"), "MARK": "first"}, sockets)
    repo = hooked_repo(tmp_path / "repo", env, config)
    (repo.path / "sub").mkdir()
    gatekit = resident.console_script(tmp_path / "bin" / "gatekit")
    warm_up(repo, env, gatekit)
    result = resident.run(
        ["sh", "-c", f"umask 077 && exec {gatekit} check --staged"],
        repo.path / "sub",
        gatekit_env({**env, "MARK": "second"}),
    )
    assert result.returncode == 0, result.stderr
    assert runs(tmp_path / "runs") == ["served"]
    assert "mark=second umask=0077" in result.stdout + result.stderr


def test_a_push_served_by_the_server_reads_the_pushed_refs(
    tmp_path: Path, git_env: dict[str, str], sockets: Path
) -> None:
    # The gate fails on a tree holding bad.txt. HEAD stays good and the bad commit is pushed by its
    # branch: only a pre-push check that read git's ref lines on stdin sees it.
    config = gate_toml("test ! -e bad.txt")
    env, repo = served_repo(tmp_path, git_env, sockets, config)
    repo.git("init", "-q", "--bare", str(tmp_path / "remote.git"))
    repo.git("remote", "add", "origin", str(tmp_path / "remote.git"))
    assert commit(repo, {**env, "GATEKIT_RESIDENT": "0"}).returncode == 0
    repo.commit("bad", {"bad.txt": "x\n"})
    repo.git("branch", "bad")
    repo.git("reset", "-q", "--hard", "HEAD~1")
    warm_up(repo, env)
    pushed = resident.run(["git", "push", "-q", "origin", "bad"], repo.path, env, timeout=120)
    assert pushed.returncode != 0, pushed.stderr
    assert runs(tmp_path / "runs")[-1] == "served"


def test_the_witness_names_the_git_command_not_the_server(make_repo, tmp_path: Path, sockets: Path) -> None:  # type: ignore[no-untyped-def]
    repo = make_repo("repo", {"a.txt": "one\n"})
    repo.commit("two", {"a.txt": "two\n"})
    env = resident.resident_env(repo.env, sockets)
    assert repo.gatekit("install-hooks").returncode == 0
    warm_up(repo, env)
    trace = tmp_path / "trace2"
    reset = resident.run(
        ["git", "reset", "-q", "--hard", "HEAD~1"], repo.path, {**env, "GIT_TRACE2_EVENT": str(trace)}
    )
    assert reset.returncode == 0, reset.stderr
    # git's trace names each process's ancestors: the witness's own git calls were made by a
    # worker (python) whose parent is the server (python), not the reference-transaction hook.
    ancestries = [
        event["ancestry"] for event in map(json.loads, trace.read_text().splitlines()) if "ancestry" in event
    ]
    assert any(a[0].startswith("python") and a[1] == a[0] for a in ancestries if len(a) > 1), ancestries
    entries = list(journal.read(repo.path / ".git" / "gatekit" / "journal.jsonl"))
    assert entries, "the witness recorded nothing"
    assert entries[-1]["argv"] == ["reset", "-q", "--hard", "HEAD~1"], entries[-1]
    assert "gatekit.resident.server" not in entries[-1]["parent"]


def test_ctrl_c_reaches_the_gate_through_the_server(
    tmp_path: Path, git_env: dict[str, str], sockets: Path
) -> None:
    started = tmp_path / "started"
    config = gate_toml(f"touch {started}; sleep 60")
    env, repo = served_repo(tmp_path, git_env, sockets, config)
    gatekit = resident.console_script(tmp_path / "bin" / "gatekit")
    warm_up(repo, env, gatekit)
    client = start_until([str(gatekit), "check", "--staged"], repo.path, gatekit_env(env), started)
    client.send_signal(signal.SIGINT)
    out, err = client.communicate(timeout=60)
    assert runs(tmp_path / "runs") == ["served"]
    assert client.returncode == 130, (out, err)
    assert "interrupted" in (out + err).lower()


def test_ctrl_c_a_run_was_started_ignoring_is_ignored_served_too(
    tmp_path: Path, git_env: dict[str, str], sockets: Path
) -> None:
    # A background job of a script (`git commit &`) starts with SIGINT ignored: in process the
    # check runs on through a Ctrl-C; the client forwarded it and the served run was interrupted.
    started, resume, config = paused_gate(tmp_path)
    env, repo = served_repo(tmp_path, git_env, sockets, config)
    gatekit = resident.console_script(tmp_path / "bin" / "gatekit")
    warm_up(repo, env, gatekit)
    ignoring = ["sh", "-c", 'trap "" INT && exec "$0" check --staged --no-cache', str(gatekit)]
    for mode in ("served", "here"):
        mode_env = gatekit_env({**env, "GATEKIT_RESIDENT": "1" if mode == "served" else "0"})
        client = start_until(ignoring, repo.path, mode_env, started)
        client.send_signal(signal.SIGINT)
        time.sleep(0.3)  # the interrupt has been delivered (or ignored) before the gate goes on
        resume.touch()
        out, err = client.communicate(timeout=60)
        assert (mode, client.returncode) == (mode, 0), (out, err)
        started.unlink()
        resume.unlink()
    assert runs(tmp_path / "runs") == ["served", "here"]


def test_a_run_whose_server_dies_runs_again_here(
    tmp_path: Path, git_env: dict[str, str], sockets: Path
) -> None:
    started, resume, config = paused_gate(tmp_path)
    env, repo = served_repo(tmp_path, git_env, sockets, config)
    server = warm_up(repo, env)
    client = start_until(["git", "commit", "-q", "-m", "change"], repo.path, env, started)
    os.kill(server, signal.SIGKILL)
    resident.wait_gone(server)
    resume.touch()
    out, err = client.communicate(timeout=120)
    assert client.returncode == 0, err
    assert "running it again here" in err
    # The orphaned worker finished its gate before the run here began, and left its verdict.
    assert runs(tmp_path / "runs") == ["served"]
    assert "verdict cached" in err


def test_a_client_ends_as_its_worker_ended(tmp_path: Path, git_env: dict[str, str], sockets: Path) -> None:
    # The fault hook SIGKILLs gatekit's process group when the verdict is about to be written.
    env, repo = served_repo(tmp_path, git_env, sockets, gate_toml())
    gatekit = resident.console_script(tmp_path / "bin" / "gatekit")
    warm_up(repo, env, gatekit)
    result = subprocess.run(
        [str(gatekit), "check", "--staged"],
        cwd=repo.path,
        env=gatekit_env({**env, "GATEKIT_TEST_KILL_AT": "notes-writing"}),
        capture_output=True,
        start_new_session=True,
        timeout=120,
    )
    assert runs(tmp_path / "runs") == ["served"], result.stderr
    assert result.returncode == -signal.SIGKILL
    assert resident.servers(sockets), "the worker's death took the server down"


@pytest.mark.parametrize(
    "command", [["check", "--staged", "--no-cache"], ["clobber"]], ids=["check", "clobber"]
)
def test_a_run_started_with_its_stdout_closed_ends_as_a_served_one(
    tmp_path: Path, git_env: dict[str, str], sockets: Path, command: list[str]
) -> None:
    # A served run's client hands the worker /dev/null for a closed descriptor; in process Python
    # starts with sys.stdout None, and the report crashed on it (exit 3, "internal error").
    env, repo = served_repo(tmp_path, git_env, sockets, gate_toml())
    gatekit = resident.console_script(tmp_path / "bin" / "gatekit")
    warm_up(repo, env, gatekit)
    outcomes = {}
    for mode in ("served", "here"):
        mode_env = gatekit_env({**env, "GATEKIT_RESIDENT": "1" if mode == "served" else "0"})
        closed = resident.run(
            ["sh", "-c", 'exec "$@" >&-', "sh", str(gatekit), *command], repo.path, mode_env
        )
        outcomes[mode] = (closed.returncode, closed.stderr)
        assert closed.returncode == 0, closed.stderr
        assert "internal error" not in closed.stderr
    assert outcomes["served"] == outcomes["here"]
    if command[0] == "check":
        assert runs(tmp_path / "runs") == ["served", "here"]


def test_a_served_gate_runs_at_the_clients_priority_and_limits_not_the_servers(
    tmp_path: Path, git_env: dict[str, str], sockets: Path
) -> None:
    # A server started by a niced client with few file descriptors (and a higher OOM score) ran a
    # later client's gate with its own niceness, limits and OOM score instead of the client's.
    probe = 'echo "nice=$(cut -d" " -f19 /proc/$$/stat) nofile=$(ulimit -Sn)/$(ulimit -Hn) oom=$(cat /proc/$$/oom_score_adj)"'
    env, repo = served_repo(tmp_path, git_env, sockets, gate_toml(probe))
    env = gatekit_env(env)
    gatekit = resident.console_script(tmp_path / "bin" / "gatekit")
    socket = resident.script_socket(gatekit, env)
    nice = os.getpriority(os.PRIO_PROCESS, 0)
    oom = int(Path("/proc/self/oom_score_adj").read_text())
    soft, hard = (
        str(limit) if limit >= 0 else "unlimited" for limit in resource.getrlimit(resource.RLIMIT_NOFILE)
    )

    def check(prefix: str) -> str:
        result = resident.run(
            ["sh", "-c", prefix + '"$0" check --staged --no-cache', str(gatekit)], repo.path, env
        )
        assert result.returncode == 0, result.stderr
        return result.stdout

    starter = f'echo {min(oom + 50, 1000)} > /proc/self/oom_score_adj && ulimit -n 256 && exec nice -n 7 "$0" overlap'
    started = resident.run(["sh", "-c", starter, str(gatekit)], repo.path, env)
    assert started.returncode == 0, started.stderr
    resident.wait_for_server(socket)
    assert f"nice={nice} nofile={soft}/{hard} oom={oom}" in check("")

    started = resident.run([str(gatekit), "overlap"], repo.path, env)  # a server of this test's own
    assert started.returncode == 0, started.stderr
    resident.wait_for_server(socket)
    raised = f"echo {min(oom + 100, 1000)} > /proc/self/oom_score_adj && ulimit -Sn 128 && exec nice -n 3 "
    assert f"nice={min(nice + 3, 19)} nofile=128/{hard} oom={min(oom + 100, 1000)}" in check(raised)
    assert runs(tmp_path / "runs")[-1] == "served"


def test_the_server_keeps_no_descriptor_of_the_run_that_started_it(
    tmp_path: Path, git_env: dict[str, str], sockets: Path
) -> None:
    # `gatekit overlap 3>&1 | cat` waited for the server to leave (15 idle minutes): the server
    # inherited the pipe's other end as descriptor 3 from the run that started it.
    env, repo = served_repo(tmp_path, git_env, sockets, gate_toml())
    env = gatekit_env(env)
    gatekit = resident.console_script(tmp_path / "bin" / "gatekit")
    read_end, write_end = os.pipe()
    try:
        started = subprocess.run(
            [str(gatekit), "overlap"],
            cwd=repo.path,
            env=env,
            capture_output=True,
            pass_fds=(write_end,),
            timeout=60,
        )
        os.close(write_end)
        assert started.returncode == 0, started.stderr
        resident.wait_for_server(resident.script_socket(gatekit, env))
        readable, _, _ = select.select([read_end], [], [], 10)
        assert readable and os.read(read_end, 1) == b"", "the server holds the caller's pipe open"
    finally:
        os.close(read_end)


@pytest.mark.parametrize("starter", ["plain", "ignoring SIGQUIT"])
def test_a_served_gate_ignores_the_signals_an_unserved_one_ignores(
    tmp_path: Path, git_env: dict[str, str], sockets: Path, starter: str
) -> None:
    # glibc's posix_spawn left the server (and so every served gate) with its internal signals
    # 32 and 33 ignored, which no exec undoes; a server started by a run that ignored a signal (a
    # script's background job) passed that on to the gates of every later run.
    env, repo = served_repo(tmp_path, git_env, sockets, gate_toml("grep '^SigIgn' /proc/$$/status"))
    gatekit = resident.console_script(tmp_path / "bin" / "gatekit")
    trap = 'trap "" QUIT && ' if starter != "plain" else ""
    started = resident.run(
        ["sh", "-c", trap + 'exec "$0" overlap', str(gatekit)], repo.path, gatekit_env(env)
    )
    assert started.returncode == 0, started.stderr
    resident.wait_for_server(resident.script_socket(gatekit, gatekit_env(env)))
    ignored = {}
    for mode in ("served", "here"):
        mode_env = gatekit_env({**env, "GATEKIT_RESIDENT": "1" if mode == "served" else "0"})
        result = resident.run([str(gatekit), "check", "--staged", "--no-cache"], repo.path, mode_env)
        assert result.returncode == 0, result.stderr
        ignored[mode] = re.findall(r"SigIgn:\s*(\w+)", result.stdout)
    assert runs(tmp_path / "runs") == ["served", "here"]
    assert ignored["served"] == ignored["here"] != []


def test_a_client_with_a_preloaded_library_is_not_served_by_a_server_without_it(
    tmp_path: Path, git_env: dict[str, str], sockets: Path
) -> None:
    # LD_PRELOAD (libfaketime, libeatmydata) shapes the gatekit process itself, not only its gates:
    # a server started without it ran the client's gatekit without the library.
    library = "/lib/x86_64-linux-gnu/libgdbm.so.6"  # nothing gatekit imports loads it
    if not os.path.exists(library):
        pytest.skip(f"{library} is not on this system")
    probe = (
        'grep -q libgdbm /proc/$PPID/maps && echo "gatekit maps libgdbm" || echo "gatekit without libgdbm"'
    )
    result = warm_check(tmp_path, git_env, sockets, probe)(LD_PRELOAD=library)
    assert "gatekit maps libgdbm" in result.stdout.splitlines(), result.stdout


@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("setpriv"), reason="needs root and setpriv")
def test_a_client_in_other_groups_is_not_served_by_a_server_without_them(
    tmp_path: Path, git_env: dict[str, str], sockets: Path
) -> None:
    # After `newgrp docker`, a gate needs the docker group; a server started before it ran the
    # client's gates without it (a worker cannot take groups it does not have).
    check = warm_check(tmp_path, git_env, sockets, 'echo "groups=$(id -G)"')
    groups = sorted({*os.getgroups(), 4242})
    result = check("setpriv", f"--groups={','.join(map(str, groups))}")
    assert "4242" in next(line for line in result.stdout.splitlines() if line.startswith("groups="))


def _can_unshare_net() -> bool:
    return (
        shutil.which("unshare") is not None and subprocess.run(["unshare", "--net", "true"]).returncode == 0
    )


@pytest.mark.skipif(not _can_unshare_net(), reason="needs `unshare --net` (root or user namespaces)")
def test_a_client_in_another_network_namespace_is_not_served_from_outside_it(
    tmp_path: Path, git_env: dict[str, str], sockets: Path
) -> None:
    # An agent's sandbox (bubblewrap --unshare-net) reaches the server's socket through a shared
    # /tmp or XDG_RUNTIME_DIR: its gates ran with the host's network, and a server started inside
    # one ran the host's gates without any.
    result = warm_check(tmp_path, git_env, sockets, 'echo "net=$(readlink /proc/$$/ns/net)"')(
        "unshare", "--net"
    )
    assert f"net={os.readlink('/proc/self/ns/net')}" not in result.stdout.splitlines(), result.stdout


@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("setpriv"), reason="needs root and setpriv")
def test_a_client_with_fewer_capabilities_is_not_served_by_a_server_with_more(
    tmp_path: Path, git_env: dict[str, str], sockets: Path
) -> None:
    # A container or sandbox drops capabilities; a worker of a server with more ran its gates with more.
    check = warm_check(tmp_path, git_env, sockets, "grep '^CapBnd' /proc/$$/status")
    bounded = {}
    for mode, prefix in (
        ("as the server", []),
        ("without net_raw", ["setpriv", "--bounding-set", "-net_raw"]),
    ):
        result = check(*prefix)
        bounded[mode] = re.findall(r"CapBnd:\s*(\w+)", result.stdout)
    assert bounded["as the server"] != bounded["without net_raw"]


def test_a_server_running_changed_code_is_not_used(
    tmp_path: Path, git_env: dict[str, str], sockets: Path
) -> None:
    import shutil

    from testing.repo import REPO_ROOT

    copy = tmp_path / "copy"
    shutil.copytree(REPO_ROOT / "gatekit", copy / "gatekit", ignore=shutil.ignore_patterns("__pycache__"))
    env = resident.resident_env({**git_env, "RUNS": str(tmp_path / "runs"), "PYTHONPATH": str(copy)}, sockets)
    repo = init_repo(tmp_path / "repo", env, {"gatekit.toml": gate_toml(), "a.txt": "a\n"})
    gatekit = tmp_path / "bin" / "gatekit"
    gatekit.parent.mkdir()
    gatekit.write_text(f"#!{sys.executable}\nfrom gatekit.__main__ import main\nmain()\n")
    gatekit.chmod(0o755)

    def check() -> None:
        result = resident.run([str(gatekit), "check", "--worktree"], repo.path, env, timeout=120)
        assert result.returncode == 0, result.stderr

    check()
    socket = resident.script_socket(gatekit, env)
    first = resident.wait_for_server(socket)
    check()
    assert runs(tmp_path / "runs") == ["here", "served"]
    module = copy / "gatekit" / "report" / "text.py"
    module.write_text(module.read_text() + "\n# edited\n")
    check()  # the server answers "stale" and leaves: this run is the client's own
    assert runs(tmp_path / "runs")[-1] == "here"
    resident.wait_gone(first)
    check()  # no server: this run starts a fresh one
    resident.wait_for_server(socket)
    check()
    assert runs(tmp_path / "runs")[-2:] == ["here", "served"]


def test_a_socket_directory_others_can_enter_is_never_used(
    tmp_path: Path, git_env: dict[str, str], sockets: Path
) -> None:
    env = resident.resident_env({**git_env, "RUNS": str(tmp_path / "runs")}, sockets)
    sockets.chmod(0o777)
    repo = hooked_repo(tmp_path / "repo", env, gate_toml())
    for message in ("one", "two"):
        result = commit(repo, env, message)
        assert result.returncode == 0, result.stderr
        repo.write("a.txt", message)
        repo.git("add", "a.txt")
    assert runs(tmp_path / "runs") == ["here", "here"]
    assert not list(sockets.iterdir()) and not resident.servers(sockets)


def test_an_idle_server_leaves_and_takes_its_socket(
    tmp_path: Path, git_env: dict[str, str], sockets: Path
) -> None:
    env = resident.resident_env({**git_env, "RUNS": str(tmp_path / "runs")}, sockets, idle=0.5)
    repo = hooked_repo(tmp_path / "repo", env, gate_toml())
    server = warm_up(repo, env)
    resident.wait_gone(server)
    assert not list(sockets.glob("*.sock"))


def test_concurrent_commits_in_two_worktrees_share_one_server(
    tmp_path: Path, git_env: dict[str, str], sockets: Path
) -> None:
    env, repo = served_repo(tmp_path, git_env, sockets, gate_toml())
    other = repo.worktree_add(tmp_path / "other", "other")
    other.write("b.txt", "b\n")
    other.git("add", "b.txt")
    warm_up(repo, env)
    clients = [
        subprocess.Popen(
            ["git", "commit", "-q", "-m", "c"], cwd=path, env=env, stderr=subprocess.PIPE, text=True
        )
        for path in (repo.path, other.path)
    ]
    for client in clients:
        _, err = client.communicate(timeout=120)
        assert client.returncode == 0, err
    assert runs(tmp_path / "runs") == ["served", "served"]
    assert len(resident.servers(sockets)) == 1


def test_status_lists_the_servers_and_stop_stops_them(
    tmp_path: Path, git_env: dict[str, str], sockets: Path
) -> None:
    env, repo = served_repo(tmp_path, git_env, sockets, gate_toml())
    server = warm_up(repo, env)
    listed = repo.gatekit("resident", "status", env=env)
    assert listed.returncode == 0, listed.stderr
    assert f"pid {server}:" in listed.stdout
    stopped = repo.gatekit("resident", "stop", env=env)
    assert stopped.returncode == 0, stopped.stderr
    assert f"stopped pid {server}:" in stopped.stdout
    resident.wait_gone(server, timeout=5)  # at once, not at the end of the server's idle wait
    assert "no resident server is running" in repo.gatekit("resident", "status", env=env).stdout
    assert not list(sockets.glob("*.sock"))


def test_a_server_that_cannot_start_is_not_started_again_and_again(
    tmp_path: Path, git_env: dict[str, str], sockets: Path
) -> None:
    env, repo = served_repo(tmp_path, git_env, sockets, gate_toml())
    socket = resident.hooks_socket(repo.path / ".git" / "hooks", env)
    socket.mkdir()  # nothing can bind there
    failed = Path(f"{socket}.failed")
    for message in ("one", "two"):
        result = commit(repo, env, message)
        assert result.returncode == 0, result.stderr
        deadline = time.monotonic() + 30
        while resident.servers(sockets) or not failed.exists():  # a server started: wait for its end
            assert time.monotonic() < deadline, "the server neither served nor gave up"
            time.sleep(0.02)
        repo.write("a.txt", message)
        repo.git("add", "a.txt")
    assert runs(tmp_path / "runs") == ["here", "here"]
    assert len(failed.read_text().splitlines()) == 1, failed.read_text()


def test_no_server_is_started_on_a_ci_machine(tmp_path: Path, git_env: dict[str, str], sockets: Path) -> None:
    env = resident.resident_env({**git_env, "RUNS": str(tmp_path / "runs"), "CI": "true"}, sockets)
    repo = hooked_repo(tmp_path / "repo", env, gate_toml())
    result = commit(repo, env)
    assert result.returncode == 0, result.stderr
    assert not resident.servers(sockets) and not list(sockets.glob("*.sock"))


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and (entry / "stat").read_text().rsplit(")", 1)[1].split()[1] == str(pid):
                found.append(int(entry.name))
        except OSError:
            continue
    return found


def test_a_stopped_server_does_not_hang_a_commit_nor_run_it_twice(
    tmp_path: Path, git_env: dict[str, str], sockets: Path
) -> None:
    env, repo = served_repo(tmp_path, git_env, sockets, gate_toml())
    server = warm_up(repo, env)
    os.kill(server, signal.SIGSTOP)
    try:
        result = commit(repo, env, "stopped")  # waits a few seconds, then runs here
    finally:
        os.kill(server, signal.SIGCONT)
    assert result.returncode == 0, result.stderr
    repo.write("a.txt", "again\n")
    repo.git("add", "a.txt")
    assert commit(repo, env, "served").returncode == 0  # the server took the stale request first
    deadline = time.monotonic() + 60
    while children(server):  # the worker forked for the stale request has ended
        assert time.monotonic() < deadline
        time.sleep(0.02)
    assert runs(tmp_path / "runs") == ["here", "served"]


def test_a_relative_socket_directory_is_never_made_in_the_worktree(
    tmp_path: Path, git_env: dict[str, str], sockets: Path
) -> None:
    env, repo = served_repo(tmp_path, git_env, sockets, gate_toml())
    env["GATEKIT_RESIDENT_DIR"] = "sockets"  # relative: to the directory each hook runs in
    result = commit(repo, env)
    assert result.returncode == 0, result.stderr
    assert runs(tmp_path / "runs") == ["here"]
    assert not (repo.path / "sockets").exists()
    assert repo.git("status", "--porcelain") == ""


@pytest.mark.parametrize("hangups", ["heard", "ignored"])
def test_a_client_killed_outright_takes_its_run_down_with_it(
    tmp_path: Path, git_env: dict[str, str], sockets: Path, hangups: str
) -> None:
    """SIGKILL cannot be forwarded (an agent's harness kills a hook on timeout): the server sees
    the client's end of the socket close and hangs up on the worker, which stops its gate as it
    stops it on Ctrl-C, instead of running a whole check for nobody. A run that ignores hang-ups
    (`nohup`) is killed as its client was, a moment later; its gate is then left for the next run
    in the slot to stop, as after a run killed in process."""
    started, gate_pid = tmp_path / "started", tmp_path / "gate.pid"
    config = gate_toml(f"echo $$ > {gate_pid}; touch {started}; sleep 60")
    env, repo = served_repo(tmp_path, git_env, sockets, config)
    gatekit = resident.console_script(tmp_path / "bin" / "gatekit")
    server = warm_up(repo, env, gatekit)
    ignoring = (signal.SIGHUP,) if hangups == "ignored" else ()
    client = start_until([str(gatekit), "check", "--staged"], repo.path, gatekit_env(env), started, ignoring)
    workers = children(server)
    assert len(workers) == 1, workers
    client.kill()
    client.wait(timeout=60)
    resident.wait_gone(workers[0], timeout=20)
    if hangups == "heard":
        resident.wait_gone(int(gate_pid.read_text()), timeout=20)
    else:
        os.killpg(int(gate_pid.read_text()), signal.SIGKILL)  # what the next run would stop
    client.communicate(timeout=20)  # the worker held the client's stdout and stderr: now closed
    assert runs(tmp_path / "runs") == ["served"]
    assert resident.servers(sockets) == [server], "the server itself stays"
