"""Helpers shared by the check and verdict benchmarks: one timer, one busy build, one environment."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from testing.env import hermetic_env  # noqa: E402


def busy_build(seconds: float) -> str:
    """A Python "build" that keeps one core busy for `seconds` of CPU time."""
    return f"import time\nend = time.process_time() + {seconds}\nwhile time.process_time() < end:\n    pass\n"


def timed(argv: list[str], cwd: Path, env: dict[str, str]) -> float:
    """Wall time of one run of argv; a failing run stops the benchmark, naming the command."""
    started = time.perf_counter()
    result = subprocess.run(argv, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"benchmark command failed: {argv}\n{result.stderr.decode(errors='replace')}")
    return elapsed


def bench_env(home: Path) -> dict[str, str]:
    """A hermetic environment that runs this checkout's gatekit as an installed copy would run.

    An installed gatekit has compiled bytecode; PYTHONDONTWRITEBYTECODE=1 (set on some machines)
    would recompile every module at every start and measure the compiler instead.
    """
    env = hermetic_env(home)
    env["PYTHONPATH"] = str(ROOT)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.pop("CARGO_TARGET_DIR", None)  # each checkout keeps its own target/
    return env


# -- gatekit's resident server (gatekit/resident/) ----------------------------------------------


def console_script(path: Path) -> Path:
    """gatekit as its installed script starts (`python -m` from a directory is never served by
    a resident server)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"#!{sys.executable}\nfrom gatekit.__main__ import main\nmain()\n")
    path.chmod(0o755)
    return path


def served(env: dict[str, str], directory: Path) -> dict[str, str]:
    """env with gatekit's resident server on, its socket in directory."""
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    return {**env, "GATEKIT_RESIDENT": "1", "GATEKIT_RESIDENT_DIR": str(directory)}


def start_server(argv: list[str], cwd: Path, env: dict[str, str]) -> None:
    """Run argv once (it starts the server) and wait until the server listens."""
    directory = Path(env["GATEKIT_RESIDENT_DIR"])
    timed(argv, cwd, env)
    deadline = time.monotonic() + 30
    while not list(directory.glob("*.sock")):
        if time.monotonic() > deadline:
            raise SystemExit("the resident server did not start")
        time.sleep(0.02)


def stop_servers(env: dict[str, str]) -> None:
    argv = [sys.executable, "-m", "gatekit", "resident", "stop"]
    subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, check=False)


def server_cpu(directory: Path | None) -> float:
    """CPU seconds of the resident servers listening in directory, their reaped workers included."""
    if directory is None:
        return 0.0
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if os.fsencode(directory) not in (entry / "cmdline").read_bytes():
                continue
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += sum(int(x) for x in fields[11:15])  # utime, stime, cutime, cstime
    return total / os.sysconf("SC_CLK_TCK")
