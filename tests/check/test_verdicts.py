"""The verdict cache in git notes: keyed by tree and gate fingerprint, shared, flaky-aware."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from gatekit.check.build_env import shell_programs
from gatekit.check.toolchain_versions import ToolchainProbe
from gatekit.check.verdicts import VerdictStore, gate_fingerprint, parse_note
from gatekit.config import Gate
from gatekit.git import get_repo_paths
from gatekit.state_dirs import NOTES_REF
from testing.gitlocks import kill_git_holding_ref_lock
from testing.landing import app_repo, branch_with, counter_lines, gate_config
from testing.repo import REPO_ROOT, Repo
from testing.state import capture_state


def _note(repo: Repo, rev: str = "main") -> list[dict[str, object]]:
    tree = repo.rev(f"{rev}^{{tree}}")
    text = repo.git("notes", f"--ref={NOTES_REF}", "show", tree)
    lines = [json.loads(line) for line in text.splitlines() if line.strip()]
    return [line for line in lines if "status" in line]  # the other lines record the keys


def test_check_on_a_verified_tree_runs_no_gate(app: Repo, counter: Path) -> None:
    before = capture_state(app.path, app.env)
    first = app.gatekit("check", "--rev", "main")
    assert first.returncode == 0, first.stdout + first.stderr
    assert counter_lines(counter) == 1
    second = app.gatekit("check", "--rev", "main")
    assert second.returncode == 0
    assert "verdict cached" in second.stdout
    assert counter_lines(counter) == 1
    (verdict,) = _note(app)
    assert verdict["status"] == "passed" and verdict["gate"] == "app"
    assert set(verdict) == {"fp", "gate", "status", "time", "duration", "host"}
    # Only refs/notes/gatekit (and sandboxes) changed: the user's state is untouched.
    assert capture_state(app.path, app.env) == before


def test_no_cache_forces_a_run_and_still_records_the_verdict(app: Repo, counter: Path) -> None:
    assert app.gatekit("check", "--rev", "main").returncode == 0
    assert app.gatekit("check", "--rev", "main", "--no-cache").returncode == 0
    assert counter_lines(counter) == 2
    # --no-cache does not read the cache, but records the fresh verdict (flakiness needs it).
    assert [v["status"] for v in _note(app)] == ["passed", "passed"]


def test_a_notes_lock_left_by_a_killed_writer_is_removed_and_the_verdict_recorded(
    app: Repo, counter: Path
) -> None:
    lock = kill_git_holding_ref_lock(app, NOTES_REF, app.rev("main"))
    long_ago = time.time() - 60
    os.utime(lock, (long_ago, long_ago))
    result = app.gatekit("check", "--rev", "main")
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"removed {lock}" in result.stderr
    assert not lock.exists()
    assert [v["status"] for v in _note(app)] == ["passed"]


def test_a_verdict_that_cannot_be_recorded_does_not_fail_the_check(app: Repo, counter: Path) -> None:
    # A lock this fresh may belong to a live git process: left alone, and the run still passes.
    lock = kill_git_holding_ref_lock(app, NOTES_REF, app.rev("main"))
    result = app.gatekit("check", "--rev", "main")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "could not record app's verdict, so it will run again next time" in result.stderr
    assert lock.exists()
    lock.unlink()
    assert app.gatekit("check", "--rev", "main").returncode == 0
    assert counter_lines(counter) == 2  # nothing was cached the first time


def test_same_tree_on_another_commit_is_a_hit(app: Repo, counter: Path) -> None:
    assert app.gatekit("check", "--rev", "main").returncode == 0
    same = app.git("commit-tree", "main^{tree}", "-p", "main", "-m", "reworded").strip()
    result = app.gatekit("check", "--rev", same)
    assert result.returncode == 0
    assert counter_lines(counter) == 1


def test_a_failed_verdict_is_recorded_but_the_gate_runs_again(app: Repo, counter: Path) -> None:
    broken = branch_with(
        app,
        "broken",
        {"extra.py": "import os\nopen(os.environ['GATE_COUNTER'], 'a').write('x\\n')\nraise SystemExit(3)\n"},
    )
    assert app.gatekit("check", "--rev", broken).returncode == 1
    assert app.gatekit("check", "--rev", broken).returncode == 1
    assert counter_lines(counter) == 2
    assert [v["status"] for v in _note(app, broken)] == ["failed", "failed"]


def test_a_verdict_that_flips_is_reported_flaky_and_both_are_kept(
    tmp_path: Path, git_env: dict[str, str], counter: Path
) -> None:
    flaky = (
        "import os, app\nif os.path.exists(os.environ['FLIP']):\n    raise SystemExit('flaked')\napp.main()\n"
    )
    repo = app_repo(tmp_path / "repo", git_env, gate_config(gate_script=flaky))
    flip = tmp_path / "flip"
    env = {"FLIP": str(flip)}
    assert repo.gatekit("check", "--rev", "main", env=env).returncode == 0
    flip.touch()
    # The pass is cached; the flake shows only when the gate really runs again.
    assert repo.gatekit("check", "--rev", "main", env=env).returncode == 0
    result = repo.gatekit("check", "--rev", "main", "--no-cache", env=env)
    assert result.returncode == 1
    assert "flaky: gate 'app' passed on tree" in result.stderr
    assert [v["status"] for v in _note(repo)] == ["passed", "failed"]


def test_verdicts_travel_through_the_remote_and_merge_with_cat_sort_uniq(
    app: Repo, counter: Path, tmp_path: Path, git_env: dict[str, str]
) -> None:
    remote = tmp_path / "remote.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(app.path), str(remote)], env=git_env, check=True)
    app.git("remote", "add", "origin", str(remote))
    assert app.gatekit("check", "--rev", "main").returncode == 0
    app.git("push", "-q", "origin", NOTES_REF)
    # Another machine: clone, fetch the verdicts, and the same tree is a cache hit there.
    other = Repo(tmp_path / "other", git_env)
    subprocess.run(["git", "clone", "-q", str(remote), str(other.path)], env=git_env, check=True)
    other.git("fetch", "-q", "origin", f"{NOTES_REF}:{NOTES_REF}")
    result = other.gatekit("check", "--rev", "main")
    assert result.returncode == 0 and "verdict cached" in result.stdout
    assert counter_lines(counter) == 1
    # Both sides record more verdicts: on different trees, and on the same tree (another gate).
    x_commit = branch_with(app, "x", {"x.py": "X = 1\n"})
    y_commit = branch_with(other, "y", {"y.py": "Y = 1\n"})
    x_tree, y_tree = app.rev(f"{x_commit}^{{tree}}"), other.rev(f"{y_commit}^{{tree}}")
    assert app.gatekit("check", "--rev", "x").returncode == 0
    assert other.gatekit("check", "--rev", "y").returncode == 0
    main_tree = app.rev("main^{tree}")
    VerdictStore(get_repo_paths(other.path)).record(main_tree, Gate(name="lint", run=("true",)), True, 0.1)
    app.git("push", "-q", "origin", NOTES_REF)
    other.git("fetch", "-q", "origin", f"{NOTES_REF}:refs/notes/gatekit-origin")
    other.git(
        "notes", f"--ref={NOTES_REF}", "merge", "-q", "-s", "cat_sort_uniq", "refs/notes/gatekit-origin"
    )
    store = VerdictStore(get_repo_paths(other.path))
    assert len(store.history(x_tree)) == 1 and len(store.history(y_tree)) == 1
    assert sorted(v.gate for v in store.history(main_tree)) == ["app", "lint"]


def test_fingerprint_changes_with_command_env_cwd_and_shell() -> None:
    probe = ToolchainProbe()
    base = Gate(name="t", run=("python", "-V"))
    fp = gate_fingerprint(base, probe)
    assert gate_fingerprint(Gate(name="renamed", run=("python", "-V")), probe) == fp
    for other in (
        Gate(name="t", run=("python", "-VV")),
        Gate(name="t", run=("python", "-V"), env={"X": "1"}),
        Gate(name="t", run=("python", "-V"), cwd="sub"),
        Gate(name="t", run=("python -V",), shell=True),
    ):
        assert gate_fingerprint(other, probe) != fp


def test_toolchain_identity_uses_versions_for_known_tools_and_stat_for_others(tmp_path: Path) -> None:
    probe = ToolchainProbe(tmp_path / "state")
    identity = probe.identity(sys.executable)
    assert identity.startswith("Python 3.") and "site-packages" in identity
    assert (tmp_path / "state" / "toolchain-versions.json").exists()
    script = tmp_path / "build.sh"
    script.write_text("#!/bin/sh\necho should-never-run > " + str(tmp_path / "ran") + "\n")
    script.chmod(0o755)
    assert str(script.resolve()) in probe.identity(str(script))
    assert not (tmp_path / "ran").exists()  # unknown programs are never executed
    assert probe.identity("no-such-tool-xyz") == "not found on PATH"


@pytest.mark.parametrize(
    ("script", "programs", "conservative"),
    [
        ("cargo test", ("cargo",), False),
        ("CI=1 npm test && echo ok", ("npm",), False),
        ("cd . && python3 -m pytest", ("python3",), False),
        ("env -i X=1 nice -n 5 make all 2>/dev/null | tee log; go vet ./...", ("make", "tee", "go"), False),
        ("if [ -f x ]; then\n  ruff check .\nfi", ("ruff",), False),
        ("for f in a b; do black $f; done", ("black",), False),
        ("echo $(python3.12 -V) > out", ("python3.12",), False),
        ("$CC -o x x.c", (), True),
        ("'unbalanced", (), True),
    ],
)
def test_shell_programs(script: str, programs: tuple[str, ...], conservative: bool) -> None:
    found = shell_programs(script)
    assert found.programs == programs
    assert found.conservative == conservative


def test_parse_note_skips_lines_that_are_not_verdicts() -> None:
    good = '{"fp":"f","gate":"g","status":"passed","time":2,"duration":1,"host":"h"}'
    text = f'free text\n{{not json\n{good}\n{{"status": "passed"}}\n'
    (verdict,) = parse_note(text)
    assert verdict.passed and verdict.host == "h"


def test_concurrent_writers_lose_no_verdict(app: Repo) -> None:
    tree = app.rev("main^{tree}")
    code = (
        "import sys\n"
        "from gatekit.config import Gate\n"
        "from gatekit.git import get_repo_paths\n"
        "from gatekit.check.verdicts import VerdictStore\n"
        "store = VerdictStore(get_repo_paths('.'))\n"
        "for i in range(5):\n"
        "    store.record(sys.argv[1], Gate(name=f'{sys.argv[2]}{i}', run=('true', sys.argv[2], str(i))), True, 0.1)\n"
    )
    env = {**app.env, "PYTHONPATH": str(REPO_ROOT)}
    procs = [
        subprocess.Popen([sys.executable, "-c", code, tree, name], cwd=app.path, env=env) for name in "abcd"
    ]
    assert [p.wait(timeout=60) for p in procs] == [0, 0, 0, 0]
    store = VerdictStore(get_repo_paths(app.path))
    assert len(store.history(tree)) == 20


def test_a_verdict_another_process_recorded_after_the_lookup_is_kept(app: Repo) -> None:
    # The store read the note before its gate ran; another check wrote to it meanwhile.
    tree = app.rev("main^{tree}")
    store = VerdictStore(get_repo_paths(app.path))
    assert store.history(tree) == []
    VerdictStore(get_repo_paths(app.path)).record(tree, Gate(name="other", run=("true", "1")), True, 0.1)
    store.record(tree, Gate(name="mine", run=("true", "2")), True, 0.1)
    assert sorted(v.gate for v in VerdictStore(get_repo_paths(app.path)).history(tree)) == ["mine", "other"]
    store.record(tree, Gate(name="again", run=("true", "3")), True, 0.1)  # after its own write
    assert len(VerdictStore(get_repo_paths(app.path)).history(tree)) == 3


def test_a_verdict_is_recorded_where_git_knows_no_committer(app: Repo, counter: Path) -> None:
    env = {"GIT_COMMITTER_NAME": "", "GIT_COMMITTER_EMAIL": ""}
    app.git("config", "user.useConfigOnly", "true")  # no guessing from the host name either
    result = app.gatekit("check", "--rev", "main", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert [v["status"] for v in _note(app)] == ["passed"]
    assert app.git("log", "-1", "--format=%cn <%ce>", NOTES_REF).strip() == "gatekit <gatekit@localhost>"
