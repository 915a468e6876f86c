"""What a gate leaves running is stopped when it ends, however it detached (issue 15).

gatekit is the child subreaper of its gates: a daemon that calls `setsid`, forks twice, scrubs
its environment and leaves the slot is still re-parented to the gatekit that ran the gate. Real
gatekit processes, real shells and sleeps; every wait is on a state (a pid file, an exit).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from testing.repo import REPO_ROOT, Repo

# The daemon of the issue: a new session, a double fork, no environment, cwd outside the slot.
# `$!` is the subshell's pid, which `exec` hands on to env and then to sleep.
DETACH = "setsid sh -c '(cd / && exec env -i sleep 300) & echo $! > \"$1\"' daemon {pid_file}"


def gate_config(repo: Repo, script: str, extra: str = "") -> None:
    repo.write(
        "gatekit.toml", f'{extra}[[gates]]\nname = "daemon"\nshell = true\nrun = {json.dumps(script)}\n'
    )
    repo.commit("configure gatekit")


def _state(pid: int) -> str | None:
    """The process's state letter (R, S, Z, ...), or None when there is no such process."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return None


def _running(pid: int) -> bool:
    return _state(pid) not in (None, "Z", "X")


def _wait_for_pid(path: Path, proc: subprocess.Popen[bytes] | None = None) -> int:
    """The pid a gate writes to path, once it has written it (the run must not end first)."""
    deadline = time.monotonic() + 60
    while not (path.exists() and path.read_text().strip()):
        assert proc is None or proc.poll() is None, proc.communicate() if proc else ""
        assert time.monotonic() < deadline, f"{path} was never written"
        time.sleep(0.02)
    return int(path.read_text())


def _kill(*pids: int) -> None:
    for pid in pids:
        if _running(pid):
            os.kill(pid, signal.SIGKILL)


def test_a_daemon_that_scrubs_its_environment_and_leaves_the_slot_is_stopped_and_reported(
    repo: Repo, tmp_path: Path
) -> None:
    pid_file = tmp_path / "daemon.pid"
    gate_config(repo, DETACH.format(pid_file=pid_file))
    result = repo.gatekit("check", "--no-cache")
    daemon = int(pid_file.read_text())
    try:
        assert result.returncode == 0, result.stdout + result.stderr
        assert not _running(daemon)  # gatekit returned only once it was gone
        assert f"left 1 process running after it ended (pid {daemon} (sleep))" in result.stdout
    finally:
        _kill(daemon)


# One config for two runs: HOLD makes the gate start its own daemon, then wait for RELEASE.
HOLD_OR_DETACH = (
    'if [ -n "$HOLD" ]; then ' + DETACH.format(pid_file='"$HOLD.daemon"') + '; echo $$ > "$HOLD"; '
    'while [ ! -e "$HOLD.release" ]; do sleep 0.02; done; '
    "else " + DETACH.format(pid_file='"$DAEMON_PID"') + "; fi"
)


def test_a_runs_cleanup_spares_the_gate_of_a_run_in_another_slot_and_its_daemon(
    repo: Repo, tmp_path: Path
) -> None:
    gate_config(repo, HOLD_OR_DETACH, extra="[sandbox]\nslots = 2\n\n")
    hold = tmp_path / "hold"
    held = repo.spawn_gatekit("check", "--no-cache", env={"HOLD": str(hold)})
    held_gate = held_daemon = daemon = 0
    try:
        held_gate = _wait_for_pid(hold, held)
        held_daemon = int(Path(f"{hold}.daemon").read_text())
        result = repo.gatekit("check", "--no-cache", env={"DAEMON_PID": str(tmp_path / "other.pid")})
        daemon = int((tmp_path / "other.pid").read_text())
        assert result.returncode == 0, result.stdout + result.stderr
        assert "in sandbox slot 1" in result.stdout
        assert not _running(daemon)
        assert f"pid {daemon} (sleep)" in result.stdout
        assert _running(held_gate) and _running(held_daemon)  # the other slot's gate and daemon
        Path(f"{hold}.release").touch()
        out, err = held.communicate(timeout=60)
        assert held.returncode == 0, out.decode() + err.decode()
        assert f"pid {held_daemon} (sleep)" in out.decode()
        assert f"pid {daemon}" not in out.decode()
        assert not _running(held_daemon)
    finally:
        Path(f"{hold}.release").touch()
        if held.poll() is None:
            held.kill()
            held.wait()
        _kill(held_daemon, daemon)


# A long-lived gatekit process (the land queue, a check service) runs gates one after another
# and in parallel threads: this script is such a process, and reports its own children at the end.
RUNNER = """
import json, os, subprocess, sys, threading
from pathlib import Path
from gatekit.check.gates import Confinement, run_gate
from gatekit.config import Gate

class Quiet:
    def gate_started(self, gate): pass
    def gate_output(self, gate, chunk): pass
    def heartbeat(self, gate, elapsed, silent_for): pass
    def gate_finished(self, result): pass

work = Path(sys.argv[1])
def run(name, script):
    gate = Gate(name=name, run=(script,), shell=True)
    # A sandbox's confinement, minus its marker scan: only the reaper can find the daemons.
    confinement = Confinement({}, lambda group: None, lambda: [])
    results[name] = run_gate(gate, work, Quiet(), heartbeat=600, confinement=confinement).message

results = {}
own = subprocess.Popen(["sleep", "300"])  # gatekit's own child (a git it runs), in its session
held = threading.Thread(target=run, args=("held", sys.argv[2]))
held.start()
while not (work / "held.pid").exists():
    assert held.is_alive(), results
    held.join(0.02)
run("quick", sys.argv[3])
results["held alive after quick"] = [
    Path(f"/proc/{int((work / name).read_text())}").exists() for name in ("held.pid", "held.daemon")
]
(work / "held.pid.release").touch()
held.join()
results["own child alive"] = own.poll() is None
own.kill()
own.wait()
me = str(os.getpid())
children = []
for entry in Path("/proc").iterdir():
    try:
        fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        continue
    if fields[1] == me:
        children.append([int(entry.name), fields[0]])
results["children"] = children
print(json.dumps(results))
"""

# An orphan that has already exited when its gate ends: a zombie only its reaper can clear.
EXITED_ORPHAN = "(setsid sh -c 'exit 0' &); " + DETACH.format(pid_file="quick.daemon")


def test_a_long_lived_runner_reaps_its_adopted_orphans_and_spares_a_parallel_gate(tmp_path: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    held = (
        DETACH.format(pid_file="held.daemon") + "; echo $$ > held.pid; "
        "while [ ! -e held.pid.release ]; do sleep 0.02; done"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", RUNNER, str(work), held, EXITED_ORPHAN],
        env=env,
        capture_output=True,
        timeout=120,
    )
    pids = [int((work / name).read_text()) for name in ("held.daemon", "quick.daemon", "held.pid")]
    try:
        assert done.returncode == 0, done.stderr.decode()
        results = json.loads(done.stdout)
        assert results["held alive after quick"] == [True, True]
        assert results["own child alive"]
        assert results["children"] == []  # nothing left running, no zombie unreaped
        everything = results["quick"] + results["held"]
        for daemon in pids[:2]:
            assert f"pid {daemon} (sleep)" in everything
            assert not _running(daemon)
    finally:
        _kill(*pids)
