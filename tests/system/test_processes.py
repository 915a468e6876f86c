"""The process primitives: liveness, process-group stops, the stale index.lock rule."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from gatekit.system.processes import (
    is_alive,
    live_group_members,
    marked_processes,
    now_ticks,
    process_start,
    process_start_ticks,
    stale_index_lock_age,
    start_captured,
    stop_group,
    stop_processes,
)
from testing.gitlocks import git_holding_index_lock, kill_git_holding_index_lock
from testing.repo import Repo

SLEEPER = [
    sys.executable,
    "-c",
    "import subprocess, sys, time\n"
    "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'])\ntime.sleep(60)",
]


def test_is_alive_tells_a_live_process_from_a_dead_one_and_a_reused_pid() -> None:
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        started = process_start(proc.pid)
        assert started is not None
        assert is_alive(proc.pid) and is_alive(proc.pid, started_by=started)
        # A record older than the process: the pid now belongs to someone else.
        assert not is_alive(proc.pid, started_by=started - 3600)
    finally:
        proc.kill()
        proc.wait()
    assert not is_alive(proc.pid)
    assert not is_alive(0) and not is_alive(-1)


def test_stop_group_stops_the_leader_and_the_children_it_started() -> None:
    proc = start_captured(SLEEPER, None, None, own_group=True)
    deadline = time.monotonic() + 30
    while len(live_group_members(proc.pid)) < 2:
        assert time.monotonic() < deadline, "the child never started"
        time.sleep(0.05)
    stop_group(proc.pid, grace=2.0)
    proc.wait(timeout=10)
    assert live_group_members(proc.pid) == []


def test_an_index_lock_is_stale_only_when_no_git_process_holds_it(repo: Repo) -> None:
    git_dir = repo.path / ".git"
    assert stale_index_lock_age(repo.path, git_dir, time.time()) is None  # no lock at all
    with git_holding_index_lock(repo, age=3600):
        assert stale_index_lock_age(repo.path, git_dir, time.time()) is None
    lock = kill_git_holding_index_lock(repo)
    age = stale_index_lock_age(repo.path, git_dir, time.time() + 5)
    assert age is not None and age >= 5
    assert Path(lock).exists()
    os.unlink(lock)


def test_marked_processes_finds_the_marked_and_those_started_in_the_root_since_then(tmp_path: Path) -> None:
    """The scan that stands in for the reaper where prctl is missing (and after a killed run)."""
    root = tmp_path / "slot"
    root.mkdir()
    before = subprocess.Popen(["sleep", "300"], cwd=root)  # a shell opened there earlier
    since = process_start_ticks(before.pid)
    assert since is not None
    while now_ticks() <= since:  # the next process must start in a later clock tick
        time.sleep(0.01)
    clean = {"PATH": os.environ["PATH"]}
    marked = subprocess.Popen(["sleep", "300"], env={**clean, "MARK": "slot"}, start_new_session=True)
    inside = subprocess.Popen(["sleep", "300"], cwd=root, env=clean, start_new_session=True)
    elsewhere = subprocess.Popen(["sleep", "300"], cwd=tmp_path, env=clean, start_new_session=True)
    try:
        found = marked_processes("MARK", "slot", root, started_since=since + 1)
        assert sorted(found) == sorted([marked.pid, inside.pid])
        assert stop_processes(found, grace=5.0) == [f"pid {pid} (sleep)" for pid in found]
        assert marked.wait(timeout=10) and inside.wait(timeout=10)  # killed by SIGTERM
        assert before.poll() is None and elsewhere.poll() is None
    finally:
        for proc in (before, marked, inside, elsewhere):
            proc.kill()
            proc.wait()


def test_descendants_are_read_from_the_kernels_children_lists_alone() -> None:
    """The reaper looks at its own descendants only: a scan of every process on the machine (a
    busy workstation runs hundreds) cost each gate more than the gate `true` itself."""
    from gatekit.system import reaper

    tree = subprocess.Popen(SLEEPER)
    stranger = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"], start_new_session=True)
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            found = reaper.descendants(os.getpid())
            assert found is not None, "this kernel keeps children lists (CONFIG_PROC_CHILDREN)"
            grandchildren = [stat for stat in found if stat.ppid == tree.pid]
            if grandchildren:
                break
            time.sleep(0.02)
        pids = {stat.pid for stat in found}
        assert tree.pid in pids and grandchildren, found
        assert stranger.pid in pids  # our child too, in a session of its own
        assert all(stat.ppid in pids | {os.getpid()} for stat in found)
        read: list[int] = []
        real_read_stat = reaper.read_stat
        reaper.read_stat = lambda pid: read.append(pid) or real_read_stat(pid)  # type: ignore[assignment]
        try:
            reaper.descendants(tree.pid)
        finally:
            reaper.read_stat = real_read_stat  # type: ignore[assignment]
        assert set(read) == {stat.pid for stat in grandchildren}, read
    finally:
        for proc in (tree, stranger):
            proc.kill()
            proc.wait()
        for stat in grandchildren:
            try:
                os.kill(stat.pid, 9)
            except ProcessLookupError:
                pass
