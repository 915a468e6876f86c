"""Benchmark `gatekit check`. Prints ratios measured in one run.

(a) `gatekit check --worktree` vs the same gate command run directly, on a build of a few seconds
(b) a one-line change rebuilt incrementally in the sandbox (`check --rev HEAD`) vs in place
(c) fixed start-up cost of a check with a trivial gate (in place, and through the sandbox)

Usage: python bench/bench_check.py [--repeat N]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import bench_env, busy_build, timed  # noqa: E402

from testing.repo import Repo, init_repo  # noqa: E402

BUSY_BUILD = busy_build(3.0)


def gatekit_argv(*args: str) -> list[str]:
    return [sys.executable, "-m", "gatekit", *args]


def bench_overhead(repo: Repo, repeat: int) -> tuple[float, float]:
    repo.write("gatekit.toml", '[[gates]]\nname = "build"\nrun = ["python", "build.py"]\n')
    repo.commit("busy build", {"build.py": BUSY_BUILD})
    direct = statistics.median(
        timed([sys.executable, "build.py"], repo.path, repo.env) for _ in range(repeat)
    )
    checked = statistics.median(
        timed(gatekit_argv("check", "--worktree"), repo.path, repo.env) for _ in range(repeat)
    )
    return direct, checked


def bench_incremental(repo: Repo, repeat: int) -> tuple[float, float] | None:
    if shutil.which("cargo") is None:
        return None
    # A crate whose incremental rebuild does real work (a few hundred generic functions to
    # monomorphise), so the ratio measures gatekit's overhead on a build, not on a no-op.
    body = "".join(
        f"pub fn g{j}<T: Copy + Into<u64>>(v: &[T]) -> u64 {{ v.iter().map(|x| (*x).into().wrapping_mul({j + 3})).fold(0, u64::wrapping_add) }}\n"
        f"pub fn h{j}() -> u64 {{ g{j}(&[1u8, 2, 3]) + g{j}(&[4u16, 5]) + g{j}(&[6u32]) }}\n"
        for j in range(60)
    )
    modules = {
        f"src/m{i}.rs": f"pub fn f{i}(x: u64) -> u64 {{ x.wrapping_mul({i + 3}) }}\n{body}" for i in range(40)
    }
    lib = "".join(f"pub mod m{i};\n" for i in range(40))
    repo.write_files(
        {
            "Cargo.toml": '[package]\nname = "bench"\nversion = "0.1.0"\nedition = "2021"\n',
            "src/lib.rs": lib,
            ".gitignore": "target/\n",
            **modules,
        }
    )
    repo.write("gatekit.toml", '[[gates]]\nname = "build"\nrun = "cargo build --offline -q"\n')
    repo.commit("crate")
    timed(["cargo", "build", "--offline", "-q"], repo.path, repo.env)  # warm both builds
    timed(gatekit_argv("check", "--no-cache"), repo.path, repo.env)
    in_place, sandboxed = [], []
    for i in range(repeat):
        repo.write("src/m7.rs", f"pub fn f7(x: u64) -> u64 {{ x.wrapping_mul({100 + i}) }}\n{body}")
        in_place.append(timed(["cargo", "build", "--offline", "-q"], repo.path, repo.env))
        repo.commit(f"one-line change {i}")
        sandboxed.append(timed(gatekit_argv("check", "--rev", "HEAD", "--no-cache"), repo.path, repo.env))
    return statistics.median(in_place), statistics.median(sandboxed)


def bench_startup(repo: Repo, repeat: int) -> tuple[float, float, float, float]:
    repo.write("gatekit.toml", '[[gates]]\nname = "trivial"\nrun = "true"\n')
    repo.commit("trivial gate")
    floor = statistics.median(timed(["true"], repo.path, repo.env) for _ in range(repeat))
    interpreter = statistics.median(
        timed([sys.executable, "-c", "pass"], repo.path, repo.env) for _ in range(repeat)
    )
    in_place = statistics.median(
        timed(gatekit_argv("check", "--worktree"), repo.path, repo.env) for _ in range(repeat)
    )
    timed(gatekit_argv("check", "--no-cache"), repo.path, repo.env)
    sandboxed = statistics.median(
        timed(gatekit_argv("check", "--no-cache"), repo.path, repo.env) for _ in range(repeat)
    )
    return floor, interpreter, in_place, sandboxed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="gatekit-bench-") as tmp:
        env = bench_env(Path(tmp) / "home")

        direct, checked = bench_overhead(init_repo(Path(tmp) / "a", env), args.repeat)
        print(
            f"(a) build of {direct:.2f}s: direct {direct:.2f}s, `check --worktree` {checked:.2f}s -> ratio {checked / direct:.3f} (target <= 1.05)"
        )

        incremental = bench_incremental(init_repo(Path(tmp) / "b", env), args.repeat)
        if incremental is None:
            print("(b) skipped: cargo is not installed")
        else:
            in_place, sandboxed = incremental
            print(
                f"(b) one-line change, incremental cargo build: in place {in_place:.2f}s, in the sandbox {sandboxed:.2f}s -> ratio {sandboxed / in_place:.2f} (target <= 1.3)"
            )

        floor, interpreter, in_place, sandboxed = bench_startup(init_repo(Path(tmp) / "c", env), args.repeat)
        print(
            f"(c) start-up with a trivial gate: `check --worktree` {1000 * (in_place - floor):.0f} ms, "
            f"`check --no-cache` via the sandbox {1000 * (sandboxed - floor):.0f} ms (target <= 150 ms); "
            f"of which the bare interpreter (`python -c pass`) {1000 * interpreter:.0f} ms, so gatekit's own "
            f"{1000 * (in_place - interpreter):.0f} ms / {1000 * (sandboxed - interpreter):.0f} ms"
        )


if __name__ == "__main__":
    main()
