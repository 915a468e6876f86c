"""Run gates: live output, heartbeats during silence, timeouts and Ctrl-C that kill whole trees.

Each gate runs in its own session (process group), so a timeout or an interrupt can kill the
gate and every child it started with one killpg; a child that outlives its gate is killed too.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Protocol

from gatekit.config import Gate
from gatekit.faults import reached
from gatekit.git import pinned_layout, without_repo_vars
from gatekit.system.processes import start_captured, stop_group
from gatekit.system.reaper import GateWatch, become_subreaper


class GateStatus(str, Enum):
    """How a gate ended. The values are what reports, JSON, JUnit and verdict notes show."""

    PASSED = "passed"
    FAILED = "failed"
    TIMED_OUT = "timed out"
    ERROR = "error"  # it could not run (missing program, no such working directory)
    SKIPPED = "skipped"
    INTERRUPTED = "interrupted"  # the run was stopped (Ctrl-C, SIGTERM) while this gate ran
    NETWORK = "network error"  # failed because a registry or host was unreachable: no verdict

    def __str__(self) -> str:
        return str(self.value)


TAIL_BYTES = 64 * 1024
KILL_GRACE_SECONDS = 3.0
DRAIN_SECONDS = 2.0


@dataclass
class GateResult:
    gate: Gate
    status: GateStatus
    duration: float = 0.0
    returncode: int | None = None
    message: str = ""
    output_tail: bytes = b""
    cached: bool = False
    flaky: bool = False

    @property
    def ok(self) -> bool:
        return self.status in (GateStatus.PASSED, GateStatus.SKIPPED)

    @property
    def output_text(self) -> str:
        return self.output_tail.decode("utf-8", "replace")


class GateListener(Protocol):
    """Receives a gate's life as it happens (reporters implement it)."""

    def gate_started(self, gate: Gate) -> None: ...

    def gate_output(self, gate: Gate, chunk: bytes) -> None: ...

    def heartbeat(self, gate: Gate, elapsed: float, silent_for: float) -> None: ...

    def gate_finished(self, result: GateResult) -> None: ...


@dataclass
class _Output:
    """Collects a gate's output: forwards every chunk and keeps only the tail."""

    gate: Gate
    listener: GateListener
    tail: bytearray = field(default_factory=bytearray)
    last_output: float = field(default_factory=time.monotonic)

    def pump(self, fd: int) -> None:
        while True:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                break
            if not chunk:
                break
            self.last_output = time.monotonic()
            self.listener.gate_output(self.gate, chunk)
            self.tail += chunk
            if len(self.tail) > 2 * TAIL_BYTES:
                del self.tail[: len(self.tail) - TAIL_BYTES]

    def tail_bytes(self) -> bytes:
        return bytes(self.tail[-TAIL_BYTES:])


def gate_argv(gate: Gate) -> list[str]:
    return ["/bin/sh", "-c", gate.run[0]] if gate.shell else list(gate.run)


def gate_environment(gate: Gate, workdir: Path, isolation: Mapping[str, str] | None = None) -> dict[str, str]:
    # A hook exports GIT_INDEX_FILE and friends for the user's repository; inside the sandbox
    # they would point the gate's own git calls at the wrong index. A gate run in place in the
    # user's worktree (--worktree) gets the layout the user pinned (a dotfiles work tree has no
    # .git to find); a sandbox never has one.
    env = {**without_repo_vars(), **pinned_layout(workdir)}
    env["GATEKIT_WORKDIR"] = str(workdir)
    # A gatekit inside a gate (a project testing its own hooks) runs in process: a resident server
    # it started would outlive the gate and be stopped as the gate's leftover.
    env["GATEKIT_RESIDENT"] = "0"
    env.update(isolation or {})
    env.update(gate.env)
    return env


@dataclass(frozen=True)
class Confinement:
    """What a sandbox adds around each gate: its environment, the record of the running gate's
    process group, and the stop of whatever the gate left running once it is over."""

    env: Mapping[str, str]
    track: Callable[[int | None], None]
    stop_strays: Callable[[], list[str]]


def run_gate(
    gate: Gate,
    workdir: Path,
    listener: GateListener,
    *,
    heartbeat: float,
    confinement: Confinement | None = None,
) -> GateResult:
    """Run one gate to completion (or timeout); KeyboardInterrupt kills its process group and propagates.

    A confinement, if given, is told the gate's process group id once it runs and None once it
    is over (a sandbox records it so that a run killed with SIGKILL, which cannot kill its gate,
    does not leave the gate building in a slot the next run is about to use), and stops what the
    gate left running; the result says what that was. Where it can, this process becomes the
    reaper of the gate's orphans (system/reaper.py), so what the gate detached is found through
    its parent links however it detached; elsewhere the confinement's own scan finds it.
    """
    cwd = (workdir / gate.cwd).resolve()
    listener.gate_started(gate)
    started = time.monotonic()
    if not cwd.is_dir():
        return _finish(
            listener,
            GateResult(
                gate,
                GateStatus.ERROR,
                message=f"working directory {gate.cwd!r} does not exist in the subject",
            ),
        )
    # Before the gate starts: its first orphan must already be re-parented to us, not to init.
    reaping = confinement is not None and become_subreaper()
    try:
        env = gate_environment(gate, workdir, confinement.env if confinement else None)
        proc = start_captured(gate_argv(gate), cwd, env, own_group=True)
    except FileNotFoundError:
        return _finish(
            listener,
            GateResult(
                gate,
                GateStatus.ERROR,
                message=f"`{gate_argv(gate)[0]}` was not found on PATH: install it, or configure the gate's `run`",
            ),
        )
    except PermissionError as exc:
        return _finish(
            listener,
            GateResult(gate, GateStatus.ERROR, message=f"cannot run `{gate_argv(gate)[0]}`: {exc.strerror}"),
        )
    assert proc.stdout is not None
    try:  # from its start on, an interrupt (Ctrl-C) takes the gate's process group down with it
        reached("gate-started")
        if confinement is None:
            return _finish(listener, _supervise(proc, gate, listener, started, heartbeat))
        confinement.track(proc.pid)
        watch = GateWatch(proc.pid) if reaping else None
    except BaseException:
        _kill_group(proc)
        raise
    strays: list[str] = []

    def stop_leftovers() -> None:
        strays.extend(watch.stop_leftovers() if watch is not None else confinement.stop_strays())

    try:
        result = _supervise(proc, gate, listener, started, heartbeat, stop_leftovers)
    finally:  # after an interrupt too: a detached daemon must not outlive the run
        stop_leftovers()
        if watch is not None:
            watch.close()
        confinement.track(None)
    if strays:
        note = (
            f"left {len(strays)} process{'es' if len(strays) > 1 else ''} running after it ended "
            f"({', '.join(strays)}); gatekit stopped {'them' if len(strays) > 1 else 'it'}"
        )
        result.message = f"{result.message}; {note}" if result.message else note
    return _finish(listener, result)


def _supervise(
    proc: subprocess.Popen[bytes],
    gate: Gate,
    listener: GateListener,
    started: float,
    heartbeat: float,
    stop_leftovers: Callable[[], None] | None = None,
) -> GateResult:
    assert proc.stdout is not None
    output = _Output(gate, listener)
    reader = threading.Thread(target=output.pump, args=(proc.stdout.fileno(),), daemon=True)
    reader.start()
    try:
        timed_out = _wait(proc, gate, listener, output, started, heartbeat)
    except BaseException:
        _kill_group(proc)
        reader.join(DRAIN_SECONDS)
        raise
    reader.join(DRAIN_SECONDS)
    if reader.is_alive():  # a background child still holds the pipe: it dies with its gate
        _kill_group(proc)
        if stop_leftovers is not None:  # or a detached one: stopped now, not after another wait
            stop_leftovers()
        reader.join(DRAIN_SECONDS)
    proc.stdout.close()
    duration = time.monotonic() - started
    if timed_out:
        result = GateResult(
            gate,
            GateStatus.TIMED_OUT,
            duration,
            proc.returncode,
            f"timed out after {gate.timeout:g}s; its process group was killed",
            output.tail_bytes(),
        )
    elif proc.returncode == 0:
        result = GateResult(gate, GateStatus.PASSED, duration, 0, "", output.tail_bytes())
    else:
        result = _failure(gate, duration, proc.returncode, output.tail_bytes())
    return result


def _wait(
    proc: subprocess.Popen[bytes],
    gate: Gate,
    listener: GateListener,
    output: _Output,
    started: float,
    heartbeat: float,
) -> bool:
    """Wait for the gate; emit heartbeats; return True when it was killed for its timeout.

    A helper thread blocks in waitpid and sets an event: `Popen.wait(timeout)` would poll with
    sleeps of up to 50 ms and notice the gate's exit late; an event wait wakes at once and stays
    interruptible by Ctrl-C.
    """
    exited = threading.Event()

    def reap() -> None:
        proc.wait()
        exited.set()

    threading.Thread(target=reap, daemon=True).start()
    deadline = started + gate.timeout if gate.timeout else None
    last_beat = started
    while True:
        now = time.monotonic()
        quiet_since = max(output.last_output, last_beat)
        wake = quiet_since + heartbeat
        if deadline is not None:
            wake = min(wake, deadline)
        if exited.wait(timeout=max(0.05, wake - now)):
            return False
        now = time.monotonic()
        if deadline is not None and now >= deadline:
            _kill_group(proc)
            return True
        if now - max(output.last_output, last_beat) >= heartbeat:
            listener.heartbeat(gate, now - started, now - output.last_output)
            last_beat = now


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM the gate's process group, then SIGKILL whatever is left after a grace period.

    The group is judged by its live members, not its leader: children may linger after it."""
    stop_group(proc.pid, KILL_GRACE_SECONDS)
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        pass


def _failure(gate: Gate, duration: float, code: int, tail: bytes) -> GateResult:
    from gatekit.check.network import network_failure

    evidence = network_failure(tail.decode("utf-8", "replace"))
    if evidence is not None:
        message = (
            f"{_exit_message(code)}, and the network was unreachable ({evidence}); not a verdict on the code"
        )
        return GateResult(gate, GateStatus.NETWORK, duration, code, message, tail)
    return GateResult(gate, GateStatus.FAILED, duration, code, _exit_message(code), tail)


def _exit_message(code: int) -> str:
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit code {code}"


def _finish(listener: GateListener, result: GateResult) -> GateResult:
    listener.gate_finished(result)
    return result
