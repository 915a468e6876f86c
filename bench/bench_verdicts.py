"""Benchmark the verdict cache. Prints figures and ratios measured in one run.

`gatekit check` on a tree that already passed (a cache hit: no sandbox, no gate) versus
`gatekit check --no-cache` (the gate really runs), on a build of a few seconds.
Target: a hit under 0.3 s.

Usage: python bench/bench_verdicts.py [--repeat N] [--build-seconds S]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import bench_env, busy_build, timed  # noqa: E402

from testing.repo import init_repo  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--build-seconds", type=float, default=3.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="gatekit-bench-") as tmp:
        env = bench_env(Path(tmp) / "home")
        config = f'[[gates]]\nname = "build"\nrun = ["{sys.executable}", "build.py"]\n'
        repo = init_repo(
            Path(tmp) / "repo", env, {"gatekit.toml": config, "build.py": busy_build(args.build_seconds)}
        )
        check = [sys.executable, "-m", "gatekit", "check", "--rev", "HEAD"]
        timed(check, repo.path, env)  # verifies the tree once (and creates the sandbox)
        miss = statistics.median(
            timed([*check, "--no-cache"], repo.path, env) for _ in range(max(1, args.repeat // 2))
        )
        hits = [timed(check, repo.path, env) for _ in range(args.repeat)]
        hit = statistics.median(hits)
        floor = statistics.median(
            timed([sys.executable, "-c", "pass"], repo.path, env) for _ in range(args.repeat)
        )
        print(
            f"(a) `check` on a verified tree: {hit:.3f}s (cache hit, target < 0.3 s); "
            f"`check --no-cache`: {miss:.2f}s (build of {args.build_seconds:g}s) -> "
            f"hit/miss ratio {hit / miss:.3f}, {miss / hit:.0f}x faster; best hit {min(hits):.3f}s; "
            f"python start-up alone {floor:.3f}s; load average {os.getloadavg()[0]:.1f}"
        )


if __name__ == "__main__":
    main()
