"""The land queue under concurrency and SIGKILL: no lost update, main always builds."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from testing.landing import app_repo, branch_with, builds, counter_lines, first_parent_commits, gate_config
from testing.repo import Repo


def _spawn_land(repo: Repo, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    # Its own process group, so the test can kill all of it.
    return repo.spawn_gatekit("land", *args, env=env, text=True, new_session=True)


def test_four_concurrent_lands_each_land_or_refuse_and_no_update_is_lost(app: Repo, tmp_path: Path) -> None:
    for index in range(3):
        branch_with(app, f"good{index}", {f"mod{index}.py": f"VALUE = {index}\n"})
    # One bad branch: its module imports a name that does not exist.
    branch_with(app, "bad", {"broken.py": "from lib import nothing_here\n"})
    app.git("switch", "-q", "-c", "elsewhere")
    procs = {name: _spawn_land(app, name) for name in ["good0", "good1", "bad", "good2"]}
    results = {name: (p.wait(timeout=120), p.stdout.read(), p.stderr.read()) for name, p in procs.items()}  # type: ignore[union-attr]
    for name in ["good0", "good1", "good2"]:
        code, out, err = results[name]
        assert code == 0, f"{name}: {out}{err}"
        assert f"landed: {name}" in out
    code, out, err = results["bad"]
    assert code == 1 and "refused: bad breaks the build" in out
    # No update lost: all three good branches are in main, each through its own merge.
    merged = app.git("log", "--format=%s", "--first-parent", "main").splitlines()
    assert sorted(s for s in merged if s.startswith("Merge")) == [
        f"Merge branch 'good{i}' into main" for i in range(3)
    ]
    for i in range(3):
        assert app.git("merge-base", "--is-ancestor", f"good{i}", "main", check=False) == ""
    assert app.git("ls-tree", "--name-only", "main").split().count("broken.py") == 0
    for commit in first_parent_commits(app):
        assert builds(app, commit, tmp_path / "scratch"), commit
    # Somebody waited: the queue showed a position.
    assert any("waiting for the land queue: position" in r[2] for r in results.values())
    # The queue is empty afterwards.
    queue = Path(app.git("rev-parse", "--git-common-dir").strip())
    queue = (app.path / queue if not queue.is_absolute() else queue) / "gatekit" / "locks" / "land-queue"
    assert list(queue.glob("*.json")) == []


def test_sigkill_during_verification_leaves_main_unchanged_and_next_land_proceeds(
    tmp_path: Path, git_env: dict[str, str], counter: Path
) -> None:
    slow = (
        "import os, time, app\n"
        "marker = os.environ.get('SLOW_MARKER')\n"
        "if marker:\n"
        "    open(marker, 'w').close()\n"
        "    time.sleep(60)\n"
        "open(os.environ['GATE_COUNTER'], 'a').write('run\\n')\n"
        "app.main()\n"
    )
    repo = app_repo(tmp_path / "repo", git_env, gate_config(gate_script=slow))
    branch_with(repo, "feature", {"extra.py": "X = 1\n"})
    old = repo.rev("main")
    marker = tmp_path / "gate-started"
    proc = _spawn_land(repo, "feature", env={"SLOW_MARKER": str(marker)})
    deadline = time.monotonic() + 60
    while not marker.exists():
        assert proc.poll() is None, proc.stderr.read()  # type: ignore[union-attr]
        assert time.monotonic() < deadline, "the gate never started"
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    assert repo.rev("main") == old
    assert repo.git("status", "--porcelain").strip() == ""
    # The next land proceeds, and reports the dead holder it found in the queue.
    result = repo.gatekit("land", "feature")
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"broke the land lock of dead process {proc.pid}" in result.stderr
    assert repo.rev("main") != old
    assert counter_lines(counter) == 1


def test_a_waiter_sees_its_queue_position_and_lands_after_the_holder(
    tmp_path: Path, git_env: dict[str, str]
) -> None:
    slowish = "import os, time, app\nif os.environ.get('SLOW'):\n    time.sleep(2)\napp.main()\n"
    repo = app_repo(tmp_path / "repo", git_env, gate_config(gate_script=slowish))
    branch_with(repo, "first", {"first.py": "A = 1\n"})
    branch_with(repo, "second", {"second.py": "B = 1\n"})
    repo.git("switch", "-q", "-c", "elsewhere")
    holder = _spawn_land(repo, "first", env={"SLOW": "1"})
    # The waiter must arrive after the holder's ticket, however slow the machine is to start it.
    queue = repo.path / ".git" / "gatekit" / "locks" / "land-queue"
    deadline = time.monotonic() + 60
    while not list(queue.glob(f"*-{holder.pid}.json")):
        assert holder.poll() is None, holder.stderr.read()  # type: ignore[union-attr]
        assert time.monotonic() < deadline, "the holder never queued"
        time.sleep(0.02)
    waiter = _spawn_land(repo, "second")
    assert holder.wait(timeout=60) == 0
    assert waiter.wait(timeout=60) == 0
    err = waiter.stderr.read()  # type: ignore[union-attr]
    assert "waiting for the land queue: position 2" in err
    assert f"pid {holder.pid} is landing first onto main" in err
    assert first_parent_commits(repo)[0] == repo.rev("main")
    assert repo.git("log", "-1", "--format=%s", "main").strip() == "Merge branch 'second' into main"


def test_unreadable_ticket_of_a_dead_process_is_broken(app: Repo) -> None:
    branch_with(app, "feature", {"extra.py": "X = 1\n"})
    queue = app.path / ".git" / "gatekit" / "locks" / "land-queue"
    queue.mkdir(parents=True)
    (queue / "00000000000000000001-999999999.json").write_text("{half a tick")
    (queue / "00000000000000000002-1.json").write_text(
        json.dumps({"pid": 999999998, "host": os.uname().nodename, "started": 1.0, "what": "x"})
    )
    result = app.gatekit("land", "feature")
    assert result.returncode == 0, result.stderr
    assert "broke the land lock of dead process 999999999" in result.stderr
    assert "broke the land lock of dead process 999999998" in result.stderr


@pytest.mark.parametrize("delay", [0.05, 0.3, 0.6, 1.0, 1.5])
def test_sigkill_at_any_moment_leaves_main_old_or_verified_and_the_next_land_proceeds(
    app: Repo, tmp_path: Path, delay: float
) -> None:
    branch_with(app, "feature", {"extra.py": "X = 1\n"})
    branch_with(app, "other", {"other.py": "Y = 1\n"})
    old = app.rev("main")
    proc = _spawn_land(app, "feature", "other")
    time.sleep(delay)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    main = app.rev("main")
    assert main == old or builds(app, main, tmp_path / "scratch")
    result = app.gatekit("land", "feature", "other")
    assert result.returncode == 0, result.stdout + result.stderr
    assert app.git("status", "--porcelain").strip() == ""
    files = app.git("ls-tree", "--name-only", "main").split()
    assert "extra.py" in files and "other.py" in files
