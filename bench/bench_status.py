"""`gatekit status` over 10 worktrees of a 50,000-file repository, against the floor.

The floor, measured in the same run: the same per-worktree `git status` calls gatekit makes,
two in parallel, from an already running Python. gatekit is measured as the real command
(interpreter start-up included). Target: ratio <= 1.2.
"""

from __future__ import annotations

import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from fleet_common import fast_import_repo, gatekit, git, make_env, scratch_dir, timed_together

FILES = 50_000
WORKTREES = 10
RUNS = 5


def in_process(repo: Path, env: dict[str, str]) -> object:
    """The command's work without interpreter start-up (imports already warm)."""
    os.environ.update({k: v for k, v in env.items() if k != "PYTHONPATH"})
    from gatekit import git as gk
    from gatekit.fleet.status import collect_status

    return collect_status(gk.get_repo_paths(repo), "main")


def main() -> None:
    with scratch_dir() as tmp_name:
        tmp = Path(tmp_name)
        env = make_env(tmp)
        repo = tmp / "big"
        start = time.perf_counter()
        files = {f"pkg{i // 500:03d}/mod{i % 500:03d}.txt": b"line %d\n" % i for i in range(FILES)}
        fast_import_repo(repo, env, files)
        worktrees = [repo]
        for i in range(WORKTREES - 1):
            path = tmp / f"wt{i}"
            git(repo, env, "worktree", "add", "-q", "-b", f"task-{i}", str(path), "main")
            worktrees.append(path)
        for i, path in enumerate(worktrees):
            (path / f"pkg000/mod00{i % 10}.txt").write_text("edited\n")
            (path / f"new-{i}.txt").write_text("untracked\n")
        print(f"setup: {FILES} files, {WORKTREES} worktrees in {time.perf_counter() - start:.1f}s")

        def floor() -> None:
            def one(path: Path) -> bytes:
                return git(
                    path,
                    env,
                    "--no-optional-locks",
                    "status",
                    "--porcelain=v2",
                    "-z",
                    "--untracked-files=all",
                )

            with ThreadPoolExecutor(max_workers=2) as pool:
                list(pool.map(one, worktrees))

        times = timed_together(
            {
                "floor": floor,
                "command": lambda: gatekit(repo, env, "status"),
                "noop": lambda: gatekit(repo, env, "--version"),
                "in_process": lambda: in_process(repo, env),
            },
            RUNS,
        )
        floor_s, cmd_s, noop_s, inproc_s = (times[k] for k in ("floor", "command", "noop", "in_process"))
        print(f"floor (10 x git status, 2 parallel): {floor_s * 1000:.0f} ms")
        print(f"gatekit status:                      {cmd_s * 1000:.0f} ms")
        print(f"  of which interpreter + import:     {noop_s * 1000:.0f} ms (gatekit --version)")
        print(f"gatekit status work, in process:     {inproc_s * 1000:.0f} ms")
        print(
            f"ratio, command: {cmd_s / floor_s:.2f}x   in process: {inproc_s / floor_s:.2f}x (target <= 1.2x)"
        )
        sys.stdout.flush()


if __name__ == "__main__":
    main()
