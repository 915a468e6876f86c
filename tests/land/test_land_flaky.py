"""A flaky-aware queue (issue 12): retries before bisecting, flips reported, quarantine, and a
target that already fails (issue 11). Flakiness is deterministic: the gate fails on the runs a
pattern names, counted in a file outside the repository."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from testing.landing import app_repo, branch_with, counter_lines, gate_config
from testing.repo import Repo

# Fails on the runs whose number (1-based, counted in $FLAKY_RUNS) is in $FLAKY_FAILS.
FLAKY_GATE = (
    "import glob, importlib, os, app\n"
    "for path in sorted(glob.glob('*.py')):\n"
    "    importlib.import_module(path[:-3])\n"
    "runs = os.environ['FLAKY_RUNS']\n"
    "open(runs, 'a').write('run\\n')\n"
    "n = len(open(runs).read().splitlines())\n"
    "if str(n) in os.environ.get('FLAKY_FAILS', '').split(','):\n"
    "    raise SystemExit(f'flaky failure on run {n}')\n"
    "app.main()\n"
)


@pytest.fixture
def flaky(tmp_path: Path, git_env: dict[str, str]) -> Repo:
    git_env["FLAKY_RUNS"] = str(tmp_path / "flaky-runs.txt")
    return app_repo(tmp_path / "repo", git_env, gate_config(gate_script=FLAKY_GATE))


def _fail_on(repo: Repo, runs: list[int]) -> None:
    repo.env["FLAKY_FAILS"] = ",".join(map(str, runs))


def test_a_single_flaky_failure_is_retried_and_the_branch_lands_reported_flaky(flaky: Repo) -> None:
    branch_with(flaky, "good", {"good.py": "G = 1\n"})
    _fail_on(flaky, [1])
    result = flaky.gatekit("land", "good")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "landed: good" in result.stdout
    assert "flaky: good onto main: run 1: gate 'app' failed" in result.stdout
    assert "run 2: passed" in result.stdout
    # Both runs are in the verdict history of the landed tree.
    tree = flaky.git("rev-parse", "main^{tree}").strip()
    note = flaky.git("notes", "--ref=gatekit", "show", tree)
    assert "failed" in note and "passed" in note


def test_a_flaky_batch_failure_is_retried_before_bisecting(flaky: Repo) -> None:
    for name in ("a", "b", "c", "d"):
        branch_with(flaky, name, {f"{name}.py": "V = 1\n"})
    _fail_on(flaky, [1])
    result = flaky.gatekit("land", "a", "b", "c", "d")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "refused" not in result.stdout
    assert counter_lines(Path(flaky.env["FLAKY_RUNS"])) == 2  # the batch, then its retry: no bisection
    assert (
        flaky.git("log", "-1", "--format=%s", "main").strip()
        == "Merge branches 'a', 'b', 'c' and 'd' into main"
    )


def test_a_30_percent_flaky_gate_never_refuses_a_good_branch(flaky: Repo) -> None:
    # 3 failures in every 10 runs, never twice in a row: a flaky gate, not a broken branch.
    _fail_on(flaky, [n for n in range(1, 200) if n % 10 in (1, 4, 7)])
    for index in range(8):
        branch_with(flaky, f"g{index}", {f"g{index}.py": f"V = {index}\n"})
    landed = 0
    for index in range(0, 8, 2):
        result = flaky.gatekit("land", f"g{index}", f"g{index + 1}")
        assert result.returncode == 0, result.stdout + result.stderr
        assert "refused" not in result.stdout
        landed += result.stdout.count("landed: ")
    assert landed == 8


def test_a_reproduced_failure_is_still_refused(flaky: Repo) -> None:
    branch_with(flaky, "bad", {"broken.py": "from lib import nothing_here\n"})
    result = flaky.gatekit("land", "bad")
    assert result.returncode == 1
    assert "refused: bad breaks the build (verified on main" in result.stdout
    # The branch failed before counting, twice; main itself was verified once, to know whom to blame.
    assert counter_lines(Path(flaky.env["FLAKY_RUNS"])) == 1
    assert "verifying the same tree again" in result.stderr


def test_a_quarantined_gate_is_reported_and_does_not_block(tmp_path: Path, git_env: dict[str, str]) -> None:
    always_fails = json.dumps([sys.executable, "-c", "raise SystemExit('known flaky')"])
    config = (
        gate_config(extra='[land]\nquarantine = ["wobbly"]\n')
        + f'\n[[gates]]\nname = "wobbly"\nrun = {always_fails}\n'
    )
    repo = app_repo(tmp_path / "repo", git_env, config)
    branch_with(repo, "good", {"good.py": "G = 1\n"})
    result = repo.gatekit("land", "good")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "landed: good" in result.stdout
    assert "quarantined gate 'wobbly' failed (not blocking)" in result.stdout


def test_when_main_already_fails_no_branch_is_blamed_and_a_fix_lands(app: Repo) -> None:
    app.commit("break main", {"broken.py": "from lib import nothing_here\n"})
    broken = app.rev("main")
    branch_with(app, "innocent", {"innocent.py": "I = 1\n"})
    result = app.gatekit("land", "innocent")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "refused" not in result.stdout
    assert "not landed: innocent: main itself already fails" in result.stdout
    assert "it is not to blame" in result.stdout
    assert app.rev("main") == broken
    branch_with(app, "fix", {"broken.py": None})
    fixed = app.gatekit("land", "fix")
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert "landed: fix" in fixed.stdout
