"""Benchmark: `gatekit clobber` against its floor, measured in the same run.

Repository: 50,000 tracked files, 10,000 HEAD reflog entries, a session with a checkpoint and a
few dirty files. Floor: a Python process that runs `git status --porcelain=v2 -z` and reads the
reflog file — the least any clobber check must do. Prints medians and the ratio (target <= 1.3).

    python bench/bench_clobber.py [--files 50000] [--reflog 10000] [--runs 15] [--busy]

--busy keeps one core busy with a spinning process during the measurement (issue 13: the ratio
measured 2.46x under load against 1.18x on a quiet machine).
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import console_script, served, server_cpu, stop_servers  # noqa: E402

from testing.env import hermetic_env  # noqa: E402

FLOOR = """
import subprocess, sys
subprocess.run(["git", "status", "--porcelain=v2", "-z"], stdout=subprocess.PIPE, check=True)
open(sys.argv[1], "rb").read()
"""


def git(repo: Path, env: dict[str, str], *args: str, input: bytes | None = None) -> str:
    return subprocess.run(
        ["git", *args], cwd=repo, env=env, input=input, stdout=subprocess.PIPE, check=True
    ).stdout.decode()


def build(repo: Path, env: dict[str, str], files: int, reflog: int) -> None:
    git(repo.parent, env, "init", "-q", "-b", "main", str(repo))
    stream = bytearray(b"commit refs/heads/main\ncommitter B <b@x> 1700000000 +0000\ndata 4\ninit\n")
    for i in range(files):
        data = f"file {i}\n".encode()
        stream += b"M 100644 inline src/d%03d/f%05d.txt\ndata %d\n%s\n" % (
            i % 500,
            i,
            len(data),
            data,
        )
    git(repo, env, "fast-import", "--quiet", input=bytes(stream))
    git(repo, env, "reset", "-q", "--hard", "main")
    head = git(repo, env, "rev-parse", "HEAD").strip()
    messages = [
        "commit: work",
        "reset: moving to HEAD",
        "checkout: moving from main to main",
        "commit (amend): fix",
    ]
    lines = [
        f"{head} {head} B <b@x> {1700000000 + i} +0000\t{messages[i % len(messages)]}\n"
        for i in range(reflog)
    ]
    with open(repo / ".git" / "logs" / "HEAD", "a", encoding="utf-8") as log:
        log.writelines(lines)
    git(repo, env, "status", "--porcelain=v2", "-z")  # warm the index stat cache once


def timed(argv: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the process and the children it waited for)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    result = subprocess.run(argv, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode not in (0, 1):
        raise SystemExit(f"{argv} failed: {result.stderr.decode()}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return elapsed, cpu


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=50_000)
    parser.add_argument("--reflog", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--busy", action="store_true", help="Keep the other core busy meanwhile.")
    args = parser.parse_args()
    spinner = subprocess.Popen([sys.executable, "-c", "while True: pass"]) if args.busy else None
    try:
        measure(args)
    finally:
        if spinner is not None:
            spinner.kill()
            spinner.wait()


def measure(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory(prefix="gatekit-bench-") as tmp:
        env = hermetic_env(Path(tmp) / "home")
        env["PYTHONPATH"] = str(ROOT)
        repo = Path(tmp) / "repo"
        t0 = time.perf_counter()
        build(repo, env, args.files, args.reflog)
        print(f"built {args.files} files, {args.reflog} reflog entries in {time.perf_counter() - t0:.1f}s")
        gatekit = [sys.executable, "-m", "gatekit"]
        session_env = {**env, "GATEKIT_SESSION": "bench"}
        subprocess.run(
            [*gatekit, "session", "start", "--name", "bench", "--claim", "src/d001/"],
            cwd=repo,
            env=env,
            check=True,
            capture_output=True,
        )
        for i in range(3):
            (repo / "src" / "d001" / f"f{i + 1:05d}.txt").write_text("edited\n")
        (repo / "notes.txt").write_text("untracked\n")
        subprocess.run(
            [*gatekit, "session", "checkpoint"],
            cwd=repo,
            env=session_env,
            check=True,
            capture_output=True,
        )

        floor_cmd = [sys.executable, "-c", FLOOR, str(repo / ".git" / "logs" / "HEAD")]
        # As users run it: the installed script, handed to the resident server (its CPU counted).
        script = str(console_script(Path(tmp) / "bin" / "gatekit"))
        resident = Path(tmp) / "resident"
        served_env = served(session_env, resident)
        timed([script, "clobber"], repo, served_env)  # starts the server (clobber exits 1: signals)
        deadline = time.monotonic() + 30
        while not list(resident.glob("*.sock")) and time.monotonic() < deadline:
            time.sleep(0.02)
        cases = {
            "floor (status + read reflog)": (floor_cmd, env),
            "gatekit clobber": ([*gatekit, "clobber"], session_env),
            "gatekit clobber --staged": ([*gatekit, "clobber", "--staged"], session_env),
            SERVED: ([script, "clobber"], served_env),
            "clobber via click (no fast path)": (
                [sys.executable, "-c", "from gatekit.cli import main; main()", "clobber"],
                session_env,
            ),
            "python -c pass": ([sys.executable, "-c", "pass"], env),
        }
        samples: dict[str, list[tuple[float, float]]] = {name: [] for name in cases}
        for _ in range(2):  # warm-up: page cache, pyc files
            for argv, case_env in cases.values():
                timed(argv, repo, case_env)
        served_cpu = 0.0
        for _ in range(args.runs):  # interleaved, so machine load hits every case alike
            for name, (argv, case_env) in cases.items():
                before = server_cpu(resident) if name == SERVED else 0.0
                samples[name].append(timed(argv, repo, case_env))
                served_cpu += server_cpu(resident) - before if name == SERVED else 0.0
        stop_servers(served_env)
        # The kernel gives a server's CPU in clock ticks: spread the run's total evenly.
        samples[SERVED] = [(w, c + served_cpu / args.runs) for w, c in samples[SERVED]]
        wall = {name: statistics.median(v[0] for v in values) for name, values in samples.items()}
        cpu = {name: statistics.median(v[1] for v in values) for name, values in samples.items()}
        floor_name = "floor (status + read reflog)"
        print(
            f"median of {args.runs} interleaved runs"
            f" (cores: {os.cpu_count()}, load: {os.getloadavg()[0]:.2f}{', one core kept busy' if args.busy else ''})"
        )
        print(f"  {'':<34} {'wall':>9} {'ratio':>6}   {'cpu':>9} {'ratio':>6}")
        for name in cases:
            print(
                f"  {name:<34} {wall[name] * 1000:7.1f}ms {wall[name] / wall[floor_name]:5.2f}x"
                f"   {cpu[name] * 1000:7.1f}ms {cpu[name] / cpu[floor_name]:5.2f}x"
            )
        print(
            f"clobber / floor = {wall['gatekit clobber'] / wall[floor_name]:.2f} wall, "
            f"{cpu['gatekit clobber'] / cpu[floor_name]:.2f} cpu (target <= 1.30); "
            f"served: {wall[SERVED] / wall[floor_name]:.2f} wall, {cpu[SERVED] / cpu[floor_name]:.2f} cpu"
        )


SERVED = "gatekit clobber, served"


if __name__ == "__main__":
    main()
