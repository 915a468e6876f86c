"""The swap of the target and its checkout under kills and concurrent commits (issue 12).

Faults are injected at the swap journal's phases (GATEKIT_TEST_KILL_AT / GATEKIT_TEST_PAUSE_AT),
never timed with sleeps: every trial hits exactly the phase it names.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from testing.landing import branch_with, builds, first_parent_commits
from testing.repo import Repo

# Every point of a land from "verified" to "index committed", in order.
PHASES = ("verified", "locking", "locked", "swapping", "swapped", "carrying", "carried")
KILL_TRIALS = 30  # per phase, under the slow marker: 7 x 30 = 210 trials


def _land(repo: Repo, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return repo.spawn_gatekit("land", *args, env=env, text=True, new_session=True)


def _git_dir_files(repo: Repo) -> list[str]:
    return sorted(p.name for p in (repo.path / ".git").iterdir() if "lock" in p.name or "gatekit-" in p.name)


def _assert_landed_and_clean(repo: Repo, *files: str) -> None:
    tree = repo.git("ls-tree", "--name-only", "main").split()
    for name in files:
        assert name in tree, f"{name} is not in main"
        assert (repo.path / name).exists(), f"{name} is not in main's checkout"
    assert repo.git("status", "--porcelain").strip() == ""
    assert _git_dir_files(repo) == []


def _kill_at(repo: Repo, phase: str, *branches: str) -> None:
    proc = _land(repo, *branches, env={"GATEKIT_TEST_KILL_AT": phase})
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == -9, f"land was not killed at {phase}: {out}{err}"


def _one_kill_trial(repo: Repo, tmp_path: Path, phase: str, trial: int) -> None:
    name = f"f{trial}"
    branch_with(repo, name, {f"{name}.py": f"X = {trial}\n"})
    old = repo.rev("main")
    _kill_at(repo, phase, name)
    main = repo.rev("main")
    assert main == old or builds(repo, main, tmp_path / "scratch")
    # No human: the next land finishes or rolls back what the dead one left, and proceeds.
    branch_with(repo, f"n{trial}", {f"n{trial}.py": "Y = 1\n"})
    result = repo.gatekit("land", name, f"n{trial}")
    assert result.returncode == 0, result.stdout + result.stderr
    _assert_landed_and_clean(repo, f"{name}.py", f"n{trial}.py")
    # The checkout is usable: a commit there works and keeps what landed.
    repo.write("lib.py", f"def helper():\n    return {trial + 2}\n")
    repo.git("commit", "-q", "-am", "person")
    _assert_landed_and_clean(repo, f"{name}.py", f"n{trial}.py")


@pytest.mark.parametrize("phase", PHASES)
def test_sigkill_at_each_swap_phase_is_finished_or_rolled_back_by_the_next_land(
    app: Repo, tmp_path: Path, phase: str
) -> None:
    _one_kill_trial(app, tmp_path, phase, 0)


@pytest.mark.slow
@pytest.mark.parametrize("phase", PHASES)
def test_sigkill_at_each_swap_phase_many_trials(app: Repo, tmp_path: Path, phase: str) -> None:
    for trial in range(KILL_TRIALS):
        _one_kill_trial(app, tmp_path, phase, trial)


def test_a_kill_holding_our_index_lock_is_cleared_by_doctor_fix(app: Repo) -> None:
    branch_with(app, "feature", {"extra.py": "X = 1\n"})
    _kill_at(app, "swapped", "feature")
    lock = app.path / ".git" / "index.lock"
    assert lock.exists()
    result = app.gatekit("status")
    assert "behind" in result.stdout + result.stderr, result.stdout + result.stderr
    fixed = app.gatekit("doctor", "--fix")
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert "finished updating the checkout" in fixed.stdout + fixed.stderr
    _assert_landed_and_clean(app, "extra.py")


def test_whole_process_group_killed_inside_the_carry_is_recovered(
    app: Repo, tmp_path: Path, git_env: dict[str, str]
) -> None:
    # A smudge filter that SIGKILLs its process group -- land and every child -- the first time
    # the carry writes a *.dat file into main's checkout (not a sandbox's): a kill in the middle
    # of a real git writing the checkout.
    marker = tmp_path / "killed-once"
    killer = (
        "import os, sys, signal\n"
        f"m = {str(marker)!r}\n"
        f"if not os.path.exists(m) and os.getcwd() == {str(app.path)!r}:\n"
        "    open(m, 'w').close(); os.killpg(os.getpgrp(), signal.SIGKILL)\n"
        "sys.stdout.buffer.write(sys.stdin.buffer.read())\n"
    )
    app.git("config", "filter.killer.smudge", f"{sys.executable} -c {_sh_quote(killer)}")
    app.git("config", "filter.killer.clean", "cat")
    app.commit("attributes", {".gitattributes": "*.dat filter=killer\n"})
    branch_with(app, "feature", {"a.dat": "a\n", "b.py": "B = 1\n", "z.dat": "z\n"})
    proc = _land(app, "feature")
    proc.communicate(timeout=120)
    assert proc.returncode == -9 and marker.exists()
    branch_with(app, "next", {"next.py": "N = 1\n"})
    result = app.gatekit("land", "next")
    assert result.returncode == 0, result.stdout + result.stderr
    _assert_landed_and_clean(app, "a.dat", "b.py", "z.dat", "next.py")


def _sh_quote(text: str) -> str:
    import shlex

    return shlex.quote(text)


def _person_commits(repo: Repo, value: int) -> bool:
    """A person edits lib.py and commits in main's checkout; on failure the edit is undone."""
    path = repo.path / "lib.py"
    before = path.read_text()
    path.write_text(f"def helper():\n    return {value}\n")
    result = subprocess.run(
        ["git", "commit", "-q", "-am", f"person {value}"], cwd=repo.path, env=repo.env, capture_output=True
    )
    if result.returncode != 0:
        # Refused by the land's index.lock, or by git's own compare-and-swap on HEAD (the commit
        # read HEAD before the land moved it): either way nothing is reverted.
        assert b"index.lock" in result.stderr or b"cannot lock ref 'HEAD'" in result.stderr, result.stderr
        path.write_text(before)
    return result.returncode == 0


def _assert_never_reverted(repo: Repo, landed_file: str) -> None:
    """Every first-parent commit after the one that landed landed_file still has it."""
    seen = False
    for commit in reversed(first_parent_commits(repo)):
        has = landed_file in repo.git("ls-tree", "--name-only", commit).split()
        assert has or not seen, f"{commit} reverted the land of {landed_file}"
        seen = seen or has
    assert seen


@pytest.mark.parametrize("phase", PHASES)
def test_a_commit_in_main_checkout_at_each_phase_never_reverts_the_land(
    app: Repo, tmp_path: Path, phase: str
) -> None:
    branch_with(app, "feature", {"extra.py": "X = 1\n"})
    pause = tmp_path / "pause"
    pause.mkdir()
    proc = _land(app, "feature", env={"GATEKIT_TEST_PAUSE_AT": f"{phase}:{pause}"})
    deadline = time.monotonic() + 120
    while not (pause / "reached").exists():
        assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
        time.sleep(0.02)
    committed = _person_commits(app, 7)
    (pause / "resume").touch()
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, out + err
    if not committed:
        assert _person_commits(app, 7)
    _assert_never_reverted(app, "extra.py")
    _assert_landed_and_clean(app, "extra.py")
    assert "return 7" in app.git("show", "main:lib.py")


def test_eight_concurrent_landers_and_a_person_committing_lose_nothing(app: Repo, tmp_path: Path) -> None:
    names = [f"b{i}" for i in range(8)]
    for name in names:
        branch_with(app, name, {f"{name}.py": f"{name.upper()} = 1\n"})
    procs = [_land(app, name) for name in names]
    commits = 0
    for value in range(10, 16):
        time.sleep(0.4)
        commits += _person_commits(app, value)
    results = [(p.wait(timeout=300), p.stdout.read(), p.stderr.read()) for p in procs]  # type: ignore[union-attr]
    for code, out, err in results:
        assert code == 0, out + err
    assert commits >= 1
    for name in names:
        _assert_never_reverted(app, f"{name}.py")
    _assert_landed_and_clean(app, *(f"{n}.py" for n in names))
    subjects = app.git("log", "--format=%s", "main").splitlines()
    assert sum(s.startswith("person ") for s in subjects) == commits


def test_a_checkout_behind_its_own_branch_is_flagged_by_status_doctor_and_clobber(app: Repo) -> None:
    # The branch moves without its checkout (update-ref, `fetch . x:main`, a killed land).
    ahead = branch_with(app, "ahead", {"extra.py": "X = 1\n"})
    app.git("update-ref", "refs/heads/main", ahead)
    status = app.gatekit("status")
    assert "behind-ref" in status.stdout, status.stdout + status.stderr
    doctor = app.gatekit("doctor")
    assert doctor.returncode == 1 and "checkout-behind" in doctor.stdout, doctor.stdout
    clobber = app.gatekit("clobber")
    assert "behind-ref" in clobber.stdout + clobber.stderr, clobber.stdout + clobber.stderr
    fixed = app.gatekit("doctor", "--fix")
    assert "brought the checkout" in fixed.stderr, fixed.stdout + fixed.stderr
    _assert_landed_and_clean(app, "extra.py")


def test_a_land_killed_writing_a_verdict_leaves_no_lock_that_stops_the_next_verdict(app: Repo) -> None:
    from testing.gitlocks import kill_git_holding_ref_lock

    branch_with(app, "feature", {"extra.py": "X = 1\n"})
    _kill_at(app, "notes-writing", "feature")
    # The kill lands inside the notes writer's git: its ref lock stays, seconds old.
    lock = kill_git_holding_ref_lock(app, "refs/notes/gatekit", app.rev("main"))
    result = app.gatekit("land", "feature")
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"removed {lock}, left by a verdict writer" in result.stderr
    assert not lock.exists()
    tree = app.git("rev-parse", "main^{tree}").strip()
    assert "passed" in app.git("notes", "--ref=gatekit", "show", tree)
    _assert_landed_and_clean(app, "extra.py")


def test_redoing_a_change_after_rewinding_the_branch_is_not_a_checkout_left_behind(app: Repo) -> None:
    # `git reset --hard HEAD~1`, then the same edit again: the staged tree equals the commit the
    # branch no longer has, but the branch gained nothing a commit here would revert.
    app.commit("an edit", {"extra.py": "X = 1\n"})
    app.git("reset", "-q", "--hard", "HEAD~1")
    app.write("extra.py", "X = 1\n")
    app.git("add", "extra.py")
    clobber = app.gatekit("clobber", "--staged")
    assert "behind-ref" not in clobber.stdout + clobber.stderr, clobber.stdout + clobber.stderr
    status = app.gatekit("status")
    assert "behind-ref" not in status.stdout, status.stdout
