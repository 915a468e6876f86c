"""`gatekit overlap --staged` (the commit hook's overlap guard) with 30 worktrees, against its floor.

The floor, measured in the same run from an already running Python, two in parallel: `git status`
limited to the staged paths in every other worktree — the least any check of "does anyone else
have uncommitted work on these paths" must ask. gatekit is measured as the real command, cold
(its clean-worktree cache removed before each run) and warm (the cache of the previous run, what
a commit after a commit sees). Target (issue 13): <= 1.5x the floor.

    python bench/bench_overlap_staged.py [--worktrees 30] [--files 5000] [--runs 7]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from common import console_script, served, start_server, stop_servers
from fleet_common import fast_import_repo, git, make_env, scratch_dir, timed_together

STAGED = ("app/mod_001.py", "app/mod_002.py", "config/settings.toml")


def module(index: int, tag: str = "") -> bytes:
    return (
        "".join(f"def func_{f}(x):\n    return x + {f}{tag}\n\n\n" for f in range(20)).encode()
        + b"# %d\n" % index
    )


def build(repo: Path, env: dict[str, str], files: int, worktrees: int) -> list[Path]:
    content = {f"app/mod_{m:03d}.py": module(m) for m in range(200)}
    content.update({f"docs/d{i // 100:03d}/page_{i:05d}.md": b"page %d\n" % i for i in range(files - 201)})
    content["config/settings.toml"] = b"".join(b"key_%d = %d\n" % (k, k) for k in range(100))
    fast_import_repo(repo, env, content)
    paths = []
    for w in range(worktrees):
        path = repo.parent / f"wt-{w:02d}"
        git(repo, env, "worktree", "add", "-q", "-b", f"writer-{w:02d}", str(path), "main")
        (path / f"app/mod_{100 + w:03d}.py").write_bytes(module(100 + w, f" + {w}"))  # committed work
        git(path, env, "commit", "-q", "-am", f"writer {w}")
        (path / f"docs/d000/page_{w:05d}.md").write_text("uncommitted elsewhere\n")  # dirty, other path
        paths.append(path)
    mine = repo.parent / "mine"
    git(repo, env, "worktree", "add", "-q", "-b", "mine", str(mine), "main")
    for rel in STAGED:
        (mine / rel).write_bytes((mine / rel).read_bytes() + b"# staged\n")
    git(mine, env, "add", *STAGED)
    return [repo, *paths, mine]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--worktrees", type=int, default=30)
    parser.add_argument("--files", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=7)
    options = parser.parse_args()
    with scratch_dir() as tmp_name:
        tmp = Path(tmp_name)
        env = make_env(tmp)
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        repo = tmp / "repo"
        started = time.perf_counter()
        *others, mine = build(repo, env, options.files, options.worktrees)
        print(
            f"setup: {options.files} files, {options.worktrees} worktrees in {time.perf_counter() - started:.1f}s"
        )
        time.sleep(2.5)  # the cache trusts no stat younger than 2 s: let setup's writes age
        cache = repo / ".git" / "gatekit" / "cache"
        pathspec = ["--", *(":(literal)" + p for p in STAGED)]

        def status(path: Path) -> bytes:
            argv = ["git", "--no-optional-locks", "status", "--porcelain=v2", "-z", "--untracked-files=all"]
            return subprocess.run(
                [*argv, *pathspec], cwd=path, env=env, capture_output=True, check=True
            ).stdout

        def floor() -> None:
            with ThreadPoolExecutor(max_workers=2) as pool:
                list(pool.map(status, others))

        script = console_script(tmp / "bin" / "gatekit")
        with_server = served(env, tmp / "resident")

        def command(cold: bool, run_env: dict[str, str] = env) -> None:
            if cold:
                shutil.rmtree(cache, ignore_errors=True)
            argv = [str(script), "overlap", "--staged"]
            subprocess.run(argv, cwd=mine, env=run_env, check=True, capture_output=True)

        start_server([str(script), "overlap", "--staged"], mine, with_server)

        times = timed_together(
            {
                "floor": floor,
                "cold": lambda: command(True),
                "warm": lambda: command(False),
                "served": lambda: command(False, with_server),
                "noop": lambda: subprocess.run(
                    [sys.executable, "-m", "gatekit", "--version"], env=env, check=True, capture_output=True
                ),
            },
            options.runs,
        )
        stop_servers(with_server)
    floor_s, cold_s, warm_s, noop_s, served_s = (
        times[k] for k in ("floor", "cold", "warm", "noop", "served")
    )
    print(f"load {' '.join(f'{v:.1f}' for v in os.getloadavg())}")
    print(f"floor (status on the staged paths, {len(others)} worktrees, 2 parallel): {floor_s * 1000:.0f} ms")
    print(f"gatekit overlap --staged, cold cache: {cold_s * 1000:.0f} ms  ({cold_s / floor_s:.2f}x)")
    print(
        f"gatekit overlap --staged, warm cache: {warm_s * 1000:.0f} ms  ({warm_s / floor_s:.2f}x, target <= 1.5x)"
    )
    print(f"  of which interpreter + import (gatekit --version): {noop_s * 1000:.0f} ms")
    print(
        f"gatekit overlap --staged, warm cache, served by the resident server: {served_s * 1000:.0f} ms  "
        f"({served_s / floor_s:.2f}x, target <= 1.5x)"
    )


if __name__ == "__main__":
    main()
