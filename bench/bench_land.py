"""Benchmark the merge queue (issues 4 and 12). Prints figures and ratios measured in one run.

(b) Landing 8 branches of which 1 is bad: `gatekit land b0 ... b7` at once (batch, bisected on
failure) versus `gatekit land bN` one branch at a time, on two identical repositories.
(c) A queue of 16 branches, 2 bad, with a gate that fails 10% of its runs for no reason (every
10th run, counted: deterministic): batch versus one at a time. Both must land the same 14.

Counts real gate runs (the gate appends to a counter file) and wall time. Target: fewer gate
runs, and no good branch refused because of the flaky gate.

Usage: python bench/bench_land.py [--build-seconds S] [--bad N] [--scenario b|c|all]
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


def gate_script(seconds: float, flaky_every: int = 0) -> str:
    # CPU-bound, so the figure is a build's cost even on a loaded machine; counts each run. With
    # flaky_every=N, every Nth run fails whatever the tree (a flaky gate, deterministic).
    flaky = (
        f"if len(open(os.environ['GATE_COUNTER']).read().splitlines()) % {flaky_every} == 0:\n"
        "    raise SystemExit('flaky failure')\n"
        if flaky_every
        else ""
    )
    return (
        "import glob, importlib, os, time, app\n"
        "open(os.environ['GATE_COUNTER'], 'a').write('run\\n')\n" + flaky + ""
        f"end = time.process_time() + {seconds}\n"
        "while time.process_time() < end:\n    pass\n"
        "for path in sorted(glob.glob('*.py')):\n    importlib.import_module(path[:-3])\n"
        "app.main()\n"
    )


def make_repo(
    path: Path,
    env: dict[str, str],
    seconds: float,
    bad: tuple[int, ...],
    count: int = BRANCHES,
    flaky_every: int = 0,
) -> Repo:
    run = json.dumps([sys.executable, "-c", gate_script(seconds, flaky_every)])
    config = f'[[gates]]\nname = "app"\nrun = {run}\n'
    repo = init_repo(path, env, {"gatekit.toml": config, "app.py": APP, "lib.py": LIB})
    for index in range(count):
        content = "from lib import no_such_name\n" if index in bad else f"VALUE = {index}\n"
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


def compare(
    tmp: Path, env: dict[str, str], seconds: float, bad: tuple[int, ...], count: int, flaky_every: int = 0
) -> dict[str, tuple[int, float, list[str]]]:
    """Batch versus one at a time on identical repositories: (gate runs, wall, landed) each."""
    names = [f"b{i}" for i in range(count)]
    figures = {}
    for mode in ("batch", "one-by-one"):
        counter = tmp / f"{mode}-{count}.runs"
        repo = make_repo(
            tmp / f"{mode}-{count}", {**env, "GATE_COUNTER": str(counter)}, seconds, bad, count, flaky_every
        )
        started = time.perf_counter()
        _ = [land(repo, *names)] if mode == "batch" else [land(repo, name) for name in names]
        wall = time.perf_counter() - started
        figures[mode] = (runs(counter), wall, [n for n in names if _contains(repo, n)])
    assert figures["batch"][2] == figures["one-by-one"][2], figures
    return figures


def _line(figures: dict[str, tuple[int, float, list[str]]]) -> str:
    (b_runs, b_wall, landed), (o_runs, o_wall, _) = figures["batch"], figures["one-by-one"]
    return (
        f"batch {b_runs} gate runs in {b_wall:.1f}s; one at a time {o_runs} gate runs in {o_wall:.1f}s "
        f"-> runs ratio {b_runs / o_runs:.2f}, wall ratio {b_wall / o_wall:.2f}; both landed {len(landed)}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--build-seconds", type=float, default=1.0)
    parser.add_argument("--bad", type=int, default=5, help="index of the bad branch in (b) (0-7)")
    parser.add_argument("--scenario", choices=("b", "c", "all"), default="all")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="gatekit-bench-") as tmp:
        env = hermetic_env(Path(tmp) / "home")
        env["PYTHONPATH"] = str(ROOT)
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        if args.scenario in ("b", "all"):
            figures = compare(Path(tmp), env, args.build_seconds, (args.bad,), BRANCHES)
            print(
                f"(b) 8 branches, 1 bad (b{args.bad}), gate of {args.build_seconds:g}s: {_line(figures)} of 8"
            )
        if args.scenario in ("c", "all"):
            seconds = args.build_seconds / 2
            figures = compare(Path(tmp), env, seconds, (4, 11), 16, flaky_every=10)
            print(f"(c) 16 branches, 2 bad (b4, b11), 10%-flaky gate of {seconds:g}s: {_line(figures)} of 16")


def _contains(repo: Repo, branch: str) -> bool:
    return (
        subprocess.run(
            ["git", "merge-base", "--is-ancestor", branch, "main"], cwd=repo.path, env=repo.env
        ).returncode
        == 0
    )


if __name__ == "__main__":
    main()
