"""Benchmark the verdict cache (issue 4, item 6a). Prints figures and ratios measured in one run.

`gatekit check` on a tree that already passed (a cache hit: no sandbox, no gate) versus
`gatekit check --no-cache` (the gate really runs), on a build of a few seconds.
Target: a hit under 0.3 s.

Usage: python bench/bench_verdicts.py [--repeat N] [--build-seconds S]
"""

from __future__ import annotations

import argparse
import os
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


def busy_build(seconds: float) -> str:
    return f"import time\nend = time.process_time() + {seconds}\nwhile time.process_time() < end:\n    pass\n"


def timed(argv: list[str], cwd: Path, env: dict[str, str]) -> float:
    started = time.perf_counter()
    result = subprocess.run(argv, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"benchmark command failed: {argv}\n{result.stderr.decode()}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--build-seconds", type=float, default=3.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="gatekit-bench-") as tmp:
        env = hermetic_env(Path(tmp) / "home")
        env["PYTHONPATH"] = str(ROOT)
        # An installed gatekit has compiled bytecode; this machine's PYTHONDONTWRITEBYTECODE=1
        # would recompile every module on every start and measure the compiler, not the cache.
        env.pop("PYTHONDONTWRITEBYTECODE", None)
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
