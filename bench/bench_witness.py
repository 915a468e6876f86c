"""Benchmark: what the reference-transaction witness (installed by default) costs git (issue 10).

git runs the hook three times for every ref transaction. Measured against the same command in a
twin repository without the hook, in the same run, interleaved:

1. a commit (`git commit --allow-empty`): the hook answers in sh, one `git merge-base
   --is-ancestor` for HEAD and its branch; no Python;
2. a branch created and deleted (`git branch x && git branch -D x`): the creation in sh; the
   deletion is watched (Python starts and journals it);
3. a watched update: `git reset --soft HEAD` (a reset to the same commit, what `git stash` writes):
   one Python start and one journal record.

  python bench/bench_witness.py [--runs 20]
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_hooks_peers import server_cpu, stop_servers  # noqa: E402
from common import bench_env, served  # noqa: E402

CASES = {
    "commit (sh only)": ["git commit -q --allow-empty -m bench"],
    "branch create + delete": ["git branch bench-x", "git branch -q -D bench-x"],
    "reset --soft HEAD (watched)": ["git reset -q --soft HEAD"],
}


def make(path: Path, env: dict[str, str], hooked: bool) -> None:
    subprocess.run(["git", "init", "-q", "-b", "main", str(path)], env=env, check=True)
    subprocess.run(["git", "commit", "-q", "--allow-empty", "-m", "root"], cwd=path, env=env, check=True)
    if hooked:
        from gatekit.integrations.hooks_install import install

        install(path, ("reference-transaction",))


def run(lines: list[str], cwd: Path, env: dict[str, str], servers: Path | None = None) -> tuple[float, float]:
    """(wall seconds, CPU seconds of every process it started, and of the resident servers in
    servers meanwhile): CPU time hardly moves with the machine's load, wall time does."""
    served_before = server_cpu(servers)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    for line in lines:
        subprocess.run(line.split(), cwd=cwd, env=env, check=True, capture_output=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    served = server_cpu(servers) - served_before
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime) + served


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="gatekit-bench-witness-") as tmp:
        env = bench_env(Path(tmp) / "home")
        env["PYTHONPATH"] = str(ROOT)
        plain, hooked = Path(tmp, "plain"), Path(tmp, "hooked")
        make(plain, env, False)
        make(hooked, env, True)
        # The witness's Python runs as users get it: handed to gatekit's resident server (its CPU
        # counted), and with the server off (a fresh interpreter each time).
        servers = Path(tmp, "resident")
        warm = served(env, servers)
        run(["git reset -q --soft HEAD"], hooked, warm)  # starts the server
        time.sleep(2)  # let it finish its imports before it is measured
        print(
            f"{'operation':<30} {'no hook':>9} {'served':>9} {'added':>9} {'CPU':>9}   {'no server':>9} {'CPU':>9}"
        )
        try:
            for name, lines in CASES.items():
                base, with_hook, cold = [], [], []
                for _ in range(args.runs):
                    base.append(run(lines, plain, env))
                    with_hook.append(run(lines, hooked, warm, servers))
                    cold.append(run(lines, hooked, env))
                b, h, c = (statistics.median(x[0] for x in runs) * 1000 for runs in (base, with_hook, cold))
                b_cpu, h_cpu, c_cpu = (
                    statistics.median(x[1] for x in runs) * 1000 for runs in (base, with_hook, cold)
                )
                print(
                    f"{name:<30} {b:>7.1f}ms {h:>7.1f}ms {h - b:>+7.1f}ms {h_cpu - b_cpu:>+7.1f}ms"
                    f"   {c - b:>+7.1f}ms {c_cpu - b_cpu:>+7.1f}ms"
                )
        finally:
            stop_servers(warm)


if __name__ == "__main__":
    main()
