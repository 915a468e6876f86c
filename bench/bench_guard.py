"""Benchmark: the destructive-command guard's cost, against its floors in the same run (issue 10).

1. the agent hook (`gatekit agent pre-tool`) on a non-git command and on a non-destructive git
   command, against `python -c pass` (target <= 1.3x: the hook imports nothing it does not need);
2. the hook on a destructive command over a 50,000-file repository with dirty files, against
   `git status` there (target <= 1.5x): refused over a sibling's files (the decision alone), and
   snapshot-then-allow over the writer's own files (the decision plus the snapshot);
3. the git shim's overhead on `git status` (target <= 1.2x).

  python bench/bench_guard.py [--files 50000] [--runs 10]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_clobber import build  # noqa: E402
from common import bench_env  # noqa: E402


def payload(repo: Path, command: str, session: str = "me") -> bytes:
    return json.dumps(
        {
            "session_id": session,
            "cwd": str(repo),
            "hook_event_name": "PreToolUse",
            "tool_name": "Bash",
            "tool_input": {"command": command},
        }
    ).encode()


def timed(argv: list[str], cwd: Path, env: dict[str, str], stdin: bytes | None) -> float:
    start = time.perf_counter()
    result = subprocess.run(argv, cwd=cwd, env=env, input=stdin, capture_output=True)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"{argv} failed: {result.stderr.decode()}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="gatekit-bench-guard-") as tmp:
        env = bench_env(Path(tmp) / "home")
        repo = Path(tmp) / "repo"
        t0 = time.perf_counter()
        build(repo, env, args.files, 10)
        print(f"built {args.files} files in {time.perf_counter() - t0:.1f}s")
        for i in range(5):
            (repo / "src" / "d001" / f"f{i + 1:05d}.txt").write_text("edited\n")
        (repo / "notes.txt").write_text("untracked\n")
        sibling = repo.parent / "sibling"  # the same files, edited by another host session
        subprocess.run(["cp", "-a", str(repo), str(sibling)], check=True)
        # A copied index has stale stat data: refresh it once, or every status rehashes 50k files.
        subprocess.run(
            ["git", "status", "--porcelain"], cwd=sibling, env=env, check=True, capture_output=True
        )
        hook = [sys.executable, "-m", "gatekit", "agent", "pre-tool", "--host", "claude-code"]
        post = [sys.executable, "-m", "gatekit", "agent", "post-tool", "--host", "claude-code"]
        for i in range(5):
            edit = {
                "session_id": "other",
                "cwd": str(sibling),
                "hook_event_name": "PostToolUse",
                "tool_name": "Edit",
            }
            edit["tool_input"] = {"file_path": str(sibling / "src" / "d001" / f"f{i + 1:05d}.txt")}
            subprocess.run(post, input=json.dumps(edit).encode(), cwd=sibling, env=env, check=True)
        shim_dir = Path(tmp) / "shim"
        subprocess.run(
            [sys.executable, "-m", "gatekit", "shim", "install", "--dir", str(shim_dir)],
            env=env,
            check=True,
            capture_output=True,
        )
        shim_env = {**env, "PATH": f"{shim_dir}{os.pathsep}{env['PATH']}"}

        cases: dict[str, tuple[list[str], Path, dict[str, str], bytes | None]] = {
            "python -c pass": ([sys.executable, "-c", "pass"], repo, env, None),
            "hook: `ls -la`": (hook, repo, env, payload(repo, "ls -la")),
            "hook: `git status && git log -3`": (hook, repo, env, payload(repo, "git status && git log -3")),
            "git status (50k files)": (["git", "status", "--porcelain=v2", "-z"], repo, env, None),
            "hook: `git checkout -- .` refused": (hook, sibling, env, payload(sibling, "git checkout -- .")),
            "hook: `git checkout -- .` snapshot": (hook, repo, env, payload(repo, "git checkout -- .")),
            "shim: git status": (["git", "status", "--porcelain=v2", "-z"], repo, shim_env, None),
        }
        samples: dict[str, list[float]] = {name: [] for name in cases}
        for argv, cwd, case_env, stdin in cases.values():  # warm-up: page cache, pyc files
            timed(argv, cwd, case_env, stdin)
        for _ in range(args.runs):  # interleaved, so machine load hits every case alike
            for name, (argv, cwd, case_env, stdin) in cases.items():
                samples[name].append(timed(argv, cwd, case_env, stdin))
        med = {name: statistics.median(values) for name, values in samples.items()}
        print(
            f"median of {args.runs} interleaved runs (cores: {os.cpu_count()}, load: {os.getloadavg()[0]:.2f})"
        )
        floors = {
            "hook: `ls -la`": ("python -c pass", 1.3),
            "hook: `git status && git log -3`": ("python -c pass", 1.3),
            "hook: `git checkout -- .` refused": ("git status (50k files)", 1.5),
            "hook: `git checkout -- .` snapshot": ("git status (50k files)", 1.5),
            "shim: git status": ("git status (50k files)", 1.2),
        }
        for name, value in med.items():
            line = f"  {name:<38} {value * 1000:8.1f} ms"
            if name in floors:
                floor, target = floors[name]
                line += f"   {value / med[floor]:5.2f}x {floor} (target <= {target})"
            print(line)


if __name__ == "__main__":
    main()
