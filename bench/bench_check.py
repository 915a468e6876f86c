"""Benchmark `gatekit check`. Prints ratios measured in one run.

(a) `gatekit check --worktree` vs the same gate command run directly, on a build of a few seconds
(a2) the same build through the sandbox (`check --no-cache`, a reused slot) vs directly
(b) a one-line change rebuilt incrementally in the sandbox (`check --rev HEAD`) vs in place
(c) fixed start-up cost of a check with a trivial gate (in place, and through the sandbox)
(d) the first check of a multi-package workspace (a new sandbox: repository, checkout, cold
    build) vs its direct cold build in a fresh clone. By default a generated 8-crate Cargo
    workspace; `--workspace-repo PATH --workspace-build CMD` measures a real one (e.g. a clone
    of rust-lang/regex with `cargo build --offline -q -p regex -p regex-automata ...`).

Usage: python bench/bench_check.py [--repeat N] [--only a,a2,b,c,d] [--workspace-repo PATH --workspace-build CMD]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import bench_env, busy_build, console_script, served, start_server, stop_servers, timed  # noqa: E402

from testing.repo import Repo, init_repo  # noqa: E402

BUSY_BUILD = busy_build(3.0)
# The gate runs the very interpreter the direct run does: `python` on PATH may be a version
# manager's shim (pyenv's costs ~0.1 s a start), which would be measured as gatekit's overhead.
BUILD_GATE = f'[[gates]]\nname = "build"\nrun = [{json.dumps(sys.executable)}, "build.py"]\n'


def gatekit_argv(*args: str) -> list[str]:
    return [sys.executable, "-m", "gatekit", *args]


def bench_overhead(repo: Repo, repeat: int) -> tuple[float, float]:
    repo.write("gatekit.toml", BUILD_GATE)
    repo.commit("busy build", {"build.py": BUSY_BUILD})
    direct = statistics.median(
        timed([sys.executable, "build.py"], repo.path, repo.env) for _ in range(repeat)
    )
    checked = statistics.median(
        timed(gatekit_argv("check", "--worktree"), repo.path, repo.env) for _ in range(repeat)
    )
    return direct, checked


def bench_sandbox_overhead(
    repo: Repo, repeat: int, script: Path, env: dict[str, str]
) -> tuple[float, float, float]:
    """(direct, check in process, check served by the resident server) in a reused sandbox slot."""
    repo.write("gatekit.toml", BUILD_GATE)
    repo.commit("busy build", {"build.py": BUSY_BUILD})
    timed(gatekit_argv("check", "--no-cache"), repo.path, repo.env)  # the slot exists: reuse it
    start_server([str(script), "check", "--no-cache"], repo.path, env)
    direct, cold, warm = [], [], []
    for _ in range(repeat):  # interleaved
        direct.append(timed([sys.executable, "build.py"], repo.path, repo.env))
        cold.append(timed([str(script), "check", "--no-cache"], repo.path, repo.env))
        warm.append(timed([str(script), "check", "--no-cache"], repo.path, env))
    return statistics.median(direct), statistics.median(cold), statistics.median(warm)


def generated_workspace(path: Path, env: dict[str, str]) -> tuple[Path, list[str]]:
    """An 8-crate Cargo workspace (a chain of dependencies, real generic code to compile)."""
    from testing.workspaces import cargo_workspace

    names = [f"crate{i}" for i in range(8)]
    files = cargo_workspace({name: names[:i][-1:] for i, name in enumerate(names)})
    for i, name in enumerate(names):
        files[f"{name}/src/lib.rs"] = files[f"{name}/src/lib.rs"] + "".join(
            f"pub fn g{j}<T: Copy + Into<u64>>(v: &[T]) -> u64 {{ v.iter().map(|x| (*x).into().wrapping_mul({j + i})).sum() }}\n"
            f"pub fn h{j}() -> u64 {{ g{j}(&[1u8, 2]) + g{j}(&[3u16]) + g{j}(&[4u32]) }}\n"
            for j in range(150)
        )
    files[".gitignore"] = "target/\n"
    repo = init_repo(path, env, files)
    return repo.path, ["cargo", "build", "--offline", "-q", "--workspace"]


def timed_cpu(argv: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, float]:
    """(wall, CPU of the process tree) of one run: CPU time does not grow with others' load."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    wall = timed(argv, cwd, env)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def bench_cold_workspace(
    source: Path, build: list[str], tmp: Path, env: dict[str, str], repeat: int
) -> list[tuple[tuple[float, float], tuple[float, float]]]:
    """Cold direct build in a fresh clone vs the first check (a new sandbox) from another, alternated."""
    rounds = []
    for i in range(repeat):
        clones = []
        for name in ("direct", "checked"):
            clone = tmp / f"cold-{name}-{i}"
            subprocess.run(["git", "clone", "-q", str(source), str(clone)], check=True, env=env)
            clones.append(clone)
        direct_clone, checked_clone = clones
        checked_repo = Repo(checked_clone, env)
        checked_repo.write("gatekit.toml", f'[[gates]]\nname = "build"\nrun = {json.dumps(build)}\n')
        checked_repo.commit("gate for the benchmark")
        fresh = {**env, "GATEKIT_SANDBOX_DIR": str(tmp / f"fresh-sandboxes-{i}")}
        direct = timed_cpu(build, direct_clone, env)
        checked = timed_cpu(gatekit_argv("check", "--no-cache"), checked_clone, fresh)
        rounds.append((direct, checked))
        for clone in clones:
            shutil.rmtree(clone)
    return rounds


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


def bench_startup(repo: Repo, repeat: int, script: Path, env: dict[str, str]) -> tuple[float, ...]:
    """(floor, interpreter, in place, via the sandbox, via the sandbox served by the resident server)."""
    repo.write("gatekit.toml", '[[gates]]\nname = "trivial"\nrun = "true"\n')
    repo.commit("trivial gate")
    floor = statistics.median(timed(["true"], repo.path, repo.env) for _ in range(repeat))
    interpreter = statistics.median(
        timed([sys.executable, "-c", "pass"], repo.path, repo.env) for _ in range(repeat)
    )
    in_place = statistics.median(
        timed([str(script), "check", "--worktree"], repo.path, repo.env) for _ in range(repeat)
    )
    timed(gatekit_argv("check", "--no-cache"), repo.path, repo.env)
    start_server([str(script), "check", "--no-cache"], repo.path, env)
    cold, warm = [], []
    for _ in range(repeat):
        cold.append(timed([str(script), "check", "--no-cache"], repo.path, repo.env))
        warm.append(timed([str(script), "check", "--no-cache"], repo.path, env))
    return floor, interpreter, in_place, statistics.median(cold), statistics.median(warm)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--only", default="a,a2,b,c,d", help="comma-separated parts to run")
    parser.add_argument("--workspace-repo", type=Path, help="(d): a git repository to clone and build")
    parser.add_argument("--workspace-build", help="(d): its build command (one shell-split string)")
    args = parser.parse_args()
    parts = set(args.only.split(","))
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} cores")
    with tempfile.TemporaryDirectory(prefix="gatekit-bench-") as tmp:
        env = bench_env(Path(tmp) / "home")
        script = console_script(Path(tmp) / "bin" / "gatekit")
        with_server = served(env, Path(tmp) / "resident")

        if "a" in parts:
            direct, checked = bench_overhead(init_repo(Path(tmp) / "a", env), args.repeat)
            print(
                f"(a) build of {direct:.2f}s: direct {direct:.2f}s, `check --worktree` {checked:.2f}s -> ratio {checked / direct:.3f} (target <= 1.05)"
            )
        if "a2" in parts:
            direct, checked, warm = bench_sandbox_overhead(
                init_repo(Path(tmp) / "a2", env), args.repeat, script, with_server
            )
            print(
                f"(a2) build of {direct:.2f}s: direct {direct:.2f}s, `check` in a reused sandbox {checked:.2f}s -> ratio "
                f"{checked / direct:.3f}; served by the resident server {warm:.2f}s -> ratio {warm / direct:.3f} (target <= 1.05)"
            )
        if "b" in parts:
            incremental = bench_incremental(init_repo(Path(tmp) / "b", env), args.repeat)
            if incremental is None:
                print("(b) skipped: cargo is not installed")
            else:
                in_place, sandboxed = incremental
                print(
                    f"(b) one-line change, incremental cargo build: in place {in_place:.2f}s, in the sandbox {sandboxed:.2f}s -> ratio {sandboxed / in_place:.2f} (target <= 1.3)"
                )
        if "c" in parts:
            floor, interpreter, in_place, sandboxed, warm = bench_startup(
                init_repo(Path(tmp) / "c", env), args.repeat, script, with_server
            )
            print(
                f"(c) start-up with a trivial gate: `check --worktree` {1000 * (in_place - floor):.0f} ms, "
                f"`check --no-cache` via the sandbox {1000 * (sandboxed - floor):.0f} ms, the same served by the "
                f"resident server {1000 * (warm - floor):.0f} ms (target <= 150 ms); "
                f"of which the bare interpreter (`python -c pass`) {1000 * interpreter:.0f} ms, so gatekit's own "
                f"{1000 * (in_place - interpreter):.0f} ms / {1000 * (sandboxed - interpreter):.0f} ms"
            )
        if "d" in parts:
            if args.workspace_repo:
                source, build = args.workspace_repo.resolve(), shlex.split(args.workspace_build or "")
                what = f"{source.name} ({shlex.join(build)})"
            elif shutil.which("cargo"):
                source, build = generated_workspace(Path(tmp) / "d-source", env)
                what = "a generated 8-crate Cargo workspace"
            else:
                print("(d) skipped: cargo is not installed")
                return
            rounds = bench_cold_workspace(source, build, Path(tmp), env, max(1, min(args.repeat, 3)))
            wall = statistics.median(c[0] / d[0] for d, c in rounds)
            cpu = statistics.median(c[1] / d[1] for d, c in rounds)
            (dw, dc), (cw, cc) = rounds[0]
            print(
                f"(d) cold first check of {what}: direct cold build {dw:.2f}s wall / {dc:.2f}s CPU, first `check` "
                f"(new sandbox) {cw:.2f}s / {cc:.2f}s; median ratio over {len(rounds)} round(s): wall {wall:.2f}, "
                f"CPU {cpu:.2f} (target <= 1.2)"
            )
        stop_servers(with_server)
        print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
