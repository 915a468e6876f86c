"""Per-commit cost of gatekit's plain hooks against the hook runners people compare it with.

Every runner gets a copy of the same repository (5,000 files by default) and one no-op hook:
husky and lefthook (npm), prek and the pre-commit framework (a `language: system` hook running
`true`), and gatekit's full hook set from `gatekit install-hooks` (protect, clobber, overlap,
check with the gate `true`, the post-commit snapshot). Commits are interleaved, so load from
elsewhere on the machine hits every runner alike. Prints CPU (user + system of git and every
process it waited for) and wall medians per commit, and the ratios issue 13 targets:
gatekit <= 2x prek in CPU, and well below the pre-commit framework.

The peers are installed by the benchmark itself into ~/.cache/gatekit-bench-peers (or
$GATEKIT_BENCH_PEERS): prek and pre-commit in a venv, husky 9.1.7 and lefthook 2.2.1 from npm.

    python bench/bench_hooks_peers.py [--reps 9] [--files 5000]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import bench_env, served, server_cpu, stop_servers  # noqa: E402

PEERS = Path(os.environ.get("GATEKIT_BENCH_PEERS", Path.home() / ".cache" / "gatekit-bench-peers"))
PIP_PEERS = ("prek==0.5.10", "pre-commit==4.7.0" if sys.version_info >= (3, 11) else "pre-commit==4.3.0")
NPM_PEERS = ("husky@9.1.7", "lefthook@2.2.1")
NOOP_CONFIG = """repos:
  - repo: local
    hooks:
      - id: noop
        name: noop
        entry: "true"
        language: system
        pass_filenames: false
        always_run: true
"""
LEFTHOOK_CONFIG = 'pre-commit:\n  commands:\n    noop:\n      run: "true"\n'
GATE = '[[gates]]\nname = "noop"\nrun = ["true"]\n'


def install_peers() -> dict[str, Path]:
    """Install (once) and locate every peer's executable."""
    venv = PEERS / "venv"
    if not (venv / "bin" / "prek").exists() or not (venv / "bin" / "pre-commit").exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", *PIP_PEERS], check=True)
    bin_dir = PEERS / "node_modules" / ".bin"
    if not (bin_dir / "lefthook").exists() or not (bin_dir / "husky").exists():
        PEERS.mkdir(parents=True, exist_ok=True)
        if shutil.which("npm") is None:
            raise SystemExit("npm is needed for husky and lefthook (apt-get install nodejs npm)")
        subprocess.run(
            [
                "npm",
                "install",
                "-E",
                "--silent",
                "--no-audit",
                "--no-fund",
                "--prefix",
                str(PEERS),
                *NPM_PEERS,
            ],
            check=True,
            # lefthook's postinstall installs its hooks into the repository around the working
            # directory: run npm where there is none, and tell lefthook not to.
            cwd=PEERS,
            env={**os.environ, "LEFTHOOK": "0"},
        )
    return {
        "prek": venv / "bin" / "prek",
        "pre-commit": venv / "bin" / "pre-commit",
        "husky": bin_dir / "husky",
        "lefthook": bin_dir / "lefthook",
    }


def git(repo: Path, env: dict[str, str], *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, env=env, check=True, stdout=subprocess.DEVNULL)


def build_origin(path: Path, env: dict[str, str], files: int) -> None:
    path.mkdir(parents=True)
    for i in range(files):
        target = path / f"src/d{i // 100:03d}/f{i:05d}.txt"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(f"line {i}\n")
    (path / "file.txt").write_text("start\n")
    git(path, env, "init", "-q", "-b", "main")
    git(path, env, "add", "-A")
    git(path, env, "commit", "-q", "-m", "initial")


def setup_runner(name: str, origin: Path, repo: Path, env: dict[str, str], tools: dict[str, Path]) -> None:
    """A clone of origin on branch work with runner `name`'s hooks installed."""
    git(origin.parent, env, "clone", "-q", str(origin), str(repo))
    git(repo, env, "checkout", "-q", "-b", "work")  # gatekit protects main
    run = {"cwd": repo, "env": env, "check": True, "stdout": subprocess.DEVNULL}
    if name == "husky":
        subprocess.run([str(tools["husky"])], **run)  # type: ignore[call-overload]
        (repo / ".husky" / "pre-commit").write_text("true\n")
    elif name == "lefthook":
        (repo / "lefthook.yml").write_text(LEFTHOOK_CONFIG)
        subprocess.run([str(tools["lefthook"]), "install"], **run)  # type: ignore[call-overload]
    elif name in ("prek", "pre-commit"):
        (repo / ".pre-commit-config.yaml").write_text(NOOP_CONFIG)
        git(repo, env, "add", ".pre-commit-config.yaml")
        subprocess.run([str(tools[name]), "install"], **run)  # type: ignore[call-overload]
    elif name.startswith("gatekit"):
        (repo / "gatekit.toml").write_text(GATE)
        git(repo, env, "add", "gatekit.toml")
        subprocess.run([sys.executable, "-m", "gatekit", "install-hooks"], **run)  # type: ignore[call-overload]
    git(repo, env, "commit", "-q", "--allow-empty", "-m", f"{name} set up")


def commit_once(
    repo: Path, env: dict[str, str], i: int, servers: Path | None = None
) -> tuple[float, float, float]:
    """(CPU seconds, wall seconds, served CPU seconds) of one `git commit` of a one-line change.

    The CPU is git's and every process it waited for; the served CPU is what gatekit's resident
    servers (in the socket directory `servers`) spent meanwhile: a worker that ran the hook and
    the git processes it started are counted in its server once reaped, which happens before the
    hook returns. The kernel shows a server's CPU in clock ticks (10 ms): one commit's served CPU
    is exact only summed over many commits (main() spreads the sum evenly).
    """
    (repo / "file.txt").write_text(f"change {i}\n")
    git(repo, env, "add", "file.txt")
    served_before = server_cpu(servers)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    result = subprocess.run(["git", "commit", "-q", "-m", f"c{i}"], cwd=repo, env=env, capture_output=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    served = server_cpu(servers) - served_before
    if result.returncode != 0:
        raise SystemExit(f"commit failed in {repo}: {result.stderr.decode(errors='replace')}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return cpu, wall, served


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reps", type=int, default=9)
    parser.add_argument("--files", type=int, default=5000)
    options = parser.parse_args()
    tools = install_peers()
    # gatekit runs as users get it (its resident server on) and with the server off (every hook a
    # fresh interpreter: the cost of the first commit, or of GATEKIT_RESIDENT=0).
    runners = ["none", "husky", "prek", "lefthook", "pre-commit", "gatekit", "gatekit-cold"]
    tmp = Path(tempfile.mkdtemp(prefix="gatekit-bench-peers-"))
    servers = tmp / "resident"
    try:
        env = bench_env(tmp / "home")
        env["PRE_COMMIT_HOME"] = str(tmp / "pre-commit-home")
        env["PREK_HOME"] = str(tmp / "prek-home")
        env["PATH"] = os.pathsep.join([str(PEERS / "node_modules" / ".bin"), env["PATH"]])
        build_origin(tmp / "origin", env, options.files)
        envs = {name: env for name in runners}
        envs["gatekit"] = served(env, servers)
        repos = {name: tmp / name for name in runners}
        for name in runners:
            setup_runner(name, tmp / "origin", repos[name], envs[name], tools)
        samples: dict[str, list[tuple[float, float, float]]] = {name: [] for name in runners}
        for i in range(-2, options.reps):  # two rounds of warm-up: caches, the sandbox slot, the server
            for name in runners:
                sample = commit_once(repos[name], envs[name], i, servers if name == "gatekit" else None)
                if i >= 0:
                    samples[name].append(sample)
    finally:
        stop_servers({**bench_env(tmp / "home"), "GATEKIT_RESIDENT_DIR": str(servers)})
        shutil.rmtree(tmp, ignore_errors=True)

    # Each commit's own CPU plus the mean served CPU (exact over the run, unlike one commit's ticks).
    served_mean = {name: statistics.fmean(s[2] for s in samples[name]) for name in runners}
    cpu = {name: statistics.median(s[0] + served_mean[name] for s in samples[name]) for name in runners}
    wall = {name: statistics.median(s[1] for s in samples[name]) for name in runners}
    print(f"per commit, median of {options.reps} interleaved commits, {options.files} files, load {_load()}")
    print(f"  {'runner':<12} {'CPU s':>7} {'wall s':>7}")
    for name in runners:
        print(f"  {name:<12} {cpu[name]:7.3f} {wall[name]:7.3f}")
    print(
        f"gatekit / prek: CPU {cpu['gatekit'] / cpu['prek']:.2f}x (target <= 2), wall {wall['gatekit'] / wall['prek']:.2f}x"
    )
    print(f"gatekit without its server / prek: CPU {cpu['gatekit-cold'] / cpu['prek']:.2f}x")
    print(
        f"gatekit / pre-commit: CPU {cpu['gatekit'] / cpu['pre-commit']:.2f}x, wall {wall['gatekit'] / wall['pre-commit']:.2f}x"
    )


def _load() -> str:
    return " ".join(f"{value:.1f}" for value in os.getloadavg())


if __name__ == "__main__":
    main()
