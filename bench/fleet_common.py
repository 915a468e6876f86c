"""Shared pieces of the fleet benchmarks: a hermetic env, synthetic repositories, timing."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from testing.env import hermetic_env  # noqa: E402


def make_env(tmp: Path) -> dict[str, str]:
    env = hermetic_env(tmp / "home")
    env["PYTHONPATH"] = str(ROOT)
    return env


def git(cwd: Path, env: dict[str, str], *args: str, input: bytes | None = None) -> bytes:
    return subprocess.run(
        ["git", *args], cwd=cwd, env=env, input=input, check=True, capture_output=True
    ).stdout


def fast_import_repo(path: Path, env: dict[str, str], files: dict[str, bytes] | Callable[[], object]) -> None:
    """A repository whose main branch has one commit holding files, built with git fast-import."""
    path.mkdir(parents=True)
    git(path, env, "init", "-q", "-b", "main")
    chunks = [b"commit refs/heads/main\ncommitter Bench <b@example.com> 1700000000 +0000\ndata 5\nbase\n"]
    assert isinstance(files, dict)
    for name, content in files.items():
        chunks.append(b"M 100644 inline %s\ndata %d\n%s\n" % (name.encode(), len(content), content))
    chunks.append(b"\n")
    git(path, env, "fast-import", "--quiet", input=b"".join(chunks))
    git(path, env, "reset", "-q", "--hard", "main")


def timed(fn: Callable[[], object], runs: int) -> float:
    """Median wall time of fn over runs, after one warm-up."""
    fn()
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def timed_together(fns: dict[str, Callable[[], object]], runs: int) -> dict[str, float]:
    """Median wall time of each fn, the runs interleaved (a, b, c, a, b, c, ...) so that the
    load of a shared machine drifts over all of them alike; one warm-up round first."""
    samples: dict[str, list[float]] = {name: [] for name in fns}
    for round_ in range(runs + 1):
        for name, fn in fns.items():
            start = time.perf_counter()
            fn()
            if round_:
                samples[name].append(time.perf_counter() - start)
    return {name: statistics.median(values) for name, values in samples.items()}


def gatekit(cwd: Path, env: dict[str, str], *args: str) -> bytes:
    return subprocess.run(
        [sys.executable, "-m", "gatekit", *args], cwd=cwd, env=env, check=True, capture_output=True
    ).stdout


def scratch_dir() -> tempfile.TemporaryDirectory[str]:
    return tempfile.TemporaryDirectory(prefix="gatekit-bench-", dir=os.environ.get("BENCH_TMP"))
