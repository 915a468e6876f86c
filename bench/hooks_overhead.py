"""What a commit costs with gatekit's plain hooks vs the pre-commit framework running the same
gatekit-check, in one run on this machine. Prints medians and ratios, not absolute verdicts.

    python bench/hooks_overhead.py [--reps 7]

The gate is `true`, so the figures are the hooks' own overhead (process starts, the sandbox
checkout of the staged tree), not a build.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from testing.env import hermetic_env  # noqa: E402
from testing.repo import init_repo  # noqa: E402
from testing.samples import snapshot_repo  # noqa: E402

GATE = '[[gates]]\nname = "noop"\nrun = "true"\n'


def commit_once(repo_path: Path, env: dict[str, str], i: int, extra: tuple[str, ...] = ()) -> float:
    """Seconds of one `git commit` of a one-line change."""
    (repo_path / "file.txt").write_text(f"change {i} {time.time()}\n")
    subprocess.run(["git", "add", "file.txt"], cwd=repo_path, env=env, check=True)
    start = time.perf_counter()
    result = subprocess.run(
        ["git", "commit", "-q", "-m", f"c{i}", *extra], cwd=repo_path, env=env, capture_output=True
    )
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"commit failed: {result.stdout.decode()}{result.stderr.decode()}")
    return elapsed


def check_once(repo_path: Path, env: dict[str, str], i: int) -> float:
    """Seconds of `gatekit check --staged --affected` alone (what the hook ends up running)."""
    (repo_path / "file.txt").write_text(f"check {i} {time.time()}\n")
    subprocess.run(["git", "add", "file.txt"], cwd=repo_path, env=env, check=True)
    start = time.perf_counter()
    argv = [sys.executable, "-m", "gatekit", "check", "--staged", "--affected"]
    subprocess.run(argv, cwd=repo_path, env=env, check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reps", type=int, default=7)
    reps = parser.parse_args().reps
    tmp = Path(tempfile.mkdtemp(prefix="gatekit-bench-hooks-"))
    try:
        env = hermetic_env(tmp / "home")
        env["PYTHONPATH"] = str(ROOT)
        env["PRE_COMMIT_HOME"] = str(tmp / "pre-commit-home")

        bare = init_repo(tmp / "bare", env, {"gatekit.toml": GATE, "file.txt": "x\n"})
        plain = init_repo(tmp / "plain", env, {"gatekit.toml": GATE, "file.txt": "x\n"})
        install = [sys.executable, "-m", "gatekit", "install-hooks", "--hook", "pre-commit"]
        subprocess.run(install, cwd=plain.path, env=env, check=True, capture_output=True)
        alone = init_repo(tmp / "alone", env, {"gatekit.toml": GATE, "file.txt": "x\n"})

        hook_repo, commit = snapshot_repo(ROOT, tmp / "hook-repo", env)
        framework = init_repo(tmp / "framework", env, {"gatekit.toml": GATE, "file.txt": "x\n"})
        framework.write(
            ".pre-commit-config.yaml",
            f"repos:\n  - repo: {hook_repo.path}\n    rev: {commit}\n    hooks:\n      - id: gatekit-check\n",
        )
        framework.commit("pre-commit config")
        pre_commit = shutil.which("pre-commit") or "pre-commit"
        subprocess.run([pre_commit, "install"], cwd=framework.path, env=env, check=True, capture_output=True)
        for repo in (bare, plain, alone, framework):  # main is protected: commit on a branch
            repo.git("checkout", "-q", "-b", "work")
        # Warm up: pre-commit builds its venv, each repository gets its sandbox slot.
        commit_once(plain.path, env, -1)
        commit_once(framework.path, env, -1)
        check_once(alone.path, env, -1)

        # Interleaved, so a load spike from other work on the machine hits every variant alike.
        samples: dict[str, list[float]] = {
            "none": [],
            "check": [],
            "plain": [],
            "framework": [],
            "python": [],
        }
        for i in range(reps):
            samples["none"].append(commit_once(bare.path, env, i, ("--no-verify",)))
            samples["check"].append(check_once(alone.path, env, i))
            samples["plain"].append(commit_once(plain.path, env, i))
            samples["framework"].append(commit_once(framework.path, env, i))
            start = time.perf_counter()
            subprocess.run([sys.executable, "-c", "pass"], check=True)
            samples["python"].append(time.perf_counter() - start)
        no_hooks, check_s, plain_s, framework_s, python_s = (
            statistics.median(samples[key]) for key in ("none", "check", "plain", "framework", "python")
        )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    print(f"median of {reps} commits (gate `true`), python start {python_s * 1000:.0f} ms")
    print(f"  no hooks                          {no_hooks * 1000:7.0f} ms")
    print(f"  `check --staged --affected` alone{check_s * 1000:7.0f} ms")
    print(f"  gatekit install-hooks (pre-commit){plain_s * 1000:7.0f} ms")
    print(f"  pre-commit framework, gatekit-check{framework_s * 1000:6.0f} ms")
    print(f"ratio framework / plain hooks: {framework_s / plain_s:.2f}x")
    print(f"ratio plain hooks / check alone: {plain_s / check_s:.2f}x (the hook's own dispatch)")
    print(f"ratio framework / check alone:   {framework_s / check_s:.2f}x")


if __name__ == "__main__":
    main()
