"""Benchmark the merge queue. Prints figures and ratios measured in one run.

Landing 8 branches of which 1 is bad: `gatekit land b0 ... b7` at once (batch, bisected on
failure) versus `gatekit land bN` one branch at a time, on two identical repositories. Counts
real gate runs (the gate appends to a counter file) and wall time. Target: fewer gate runs.

Usage: python bench/bench_land.py [--build-seconds S] [--bad N]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from testing.env import hermetic_env  # noqa: E402
from testing.landing import APP, LIB, branch_with  # noqa: E402
from testing.repo import Repo, init_repo  # noqa: E402

BRANCHES = 8


def gate_script(seconds: float) -> str:
    # CPU-bound, so the figure is a build's cost even on a loaded machine; counts each run.
    return (
        "import glob, importlib, os, time, app\n"
        "open(os.environ['GATE_COUNTER'], 'a').write('run\\n')\n"
        f"end = time.process_time() + {seconds}\n"
        "while time.process_time() < end:\n    pass\n"
        "for path in sorted(glob.glob('*.py')):\n    importlib.import_module(path[:-3])\n"
        "app.main()\n"
    )


def make_repo(path: Path, env: dict[str, str], seconds: float, bad: int) -> Repo:
    run = json.dumps([sys.executable, "-c", gate_script(seconds)])
    config = f'[[gates]]\nname = "app"\nrun = {run}\n'
    repo = init_repo(path, env, {"gatekit.toml": config, "app.py": APP, "lib.py": LIB})
    for index in range(BRANCHES):
        content = "from lib import no_such_name\n" if index == bad else f"VALUE = {index}\n"
        branch_with(repo, f"b{index}", {f"mod{index}.py": content})
    repo.git("switch", "-q", "-c", "elsewhere")
    return repo


def land(repo: Repo, *branches: str) -> int:
    result = subprocess.run(
        [sys.executable, "-m", "gatekit", "land", *branches],
        cwd=repo.path,
        env=repo.env,
        capture_output=True,
    )
    return result.returncode


def runs(counter: Path) -> int:
    return len(counter.read_text().splitlines()) if counter.exists() else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--build-seconds", type=float, default=1.0)
    parser.add_argument("--bad", type=int, default=5, help="index of the bad branch (0-7)")
    args = parser.parse_args()
    names = [f"b{i}" for i in range(BRANCHES)]
    with tempfile.TemporaryDirectory(prefix="gatekit-bench-") as tmp:
        env = hermetic_env(Path(tmp) / "home")
        env["PYTHONPATH"] = str(ROOT)
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        figures = {}
        for mode in ("batch", "one-by-one"):
            counter = Path(tmp) / f"{mode}.runs"
            repo = make_repo(
                Path(tmp) / mode, {**env, "GATE_COUNTER": str(counter)}, args.build_seconds, args.bad
            )
            started = time.perf_counter()
            codes = [land(repo, *names)] if mode == "batch" else [land(repo, name) for name in names]
            wall = time.perf_counter() - started
            landed = [n for n in names if _contains(repo, n)]
            figures[mode] = (runs(counter), wall, landed, codes)
        (b_runs, b_wall, b_landed, _), (o_runs, o_wall, o_landed, _) = figures["batch"], figures["one-by-one"]
        assert b_landed == o_landed, (b_landed, o_landed)
        print(
            f"(b) 8 branches, 1 bad (b{args.bad}), gate of {args.build_seconds:g}s: "
            f"batch {b_runs} gate runs in {b_wall:.1f}s; one at a time {o_runs} gate runs in {o_wall:.1f}s "
            f"-> runs ratio {b_runs / o_runs:.2f}, wall ratio {b_wall / o_wall:.2f}; both landed {len(b_landed)} of 8"
        )


def _contains(repo: Repo, branch: str) -> bool:
    return (
        subprocess.run(
            ["git", "merge-base", "--is-ancestor", branch, "main"], cwd=repo.path, env=repo.env
        ).returncode
        == 0
    )


if __name__ == "__main__":
    main()
