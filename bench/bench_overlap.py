"""`gatekit overlap` across 30 branches, against the prefiltered merge-tree floor.

The floor, measured in the same run from an already running Python, two in parallel: per
branch its merge base and changed paths (what prefiltering needs), then `git merge-tree
--write-tree` on every pair whose changed paths overlap. gatekit is measured as the real
command, which also maps hunks to tree-sitter definitions and counts magnets. Target <= 1.5.

main carries a synthetic history of BENCH_HISTORY first-parent commits (default 20,000, one an
hour, each touching one module or page: a cargo-sized history) under the branches, so the
magnets step has a long history to (not) read.
"""

from __future__ import annotations

import itertools
import os
import random
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from common import console_script, served, start_server, stop_servers
from fleet_common import fast_import_repo, gatekit, git, make_env, scratch_dir, timed_together

MODULES = int(os.environ.get("BENCH_MODULES", "200"))  # fewer modules: more overlapping pairs
FUNCTIONS = 20
OTHER_FILES = 2000
BRANCHES = 30
CONFIG_BRANCHES = 12  # as seen in a real fleet: one config file touched by 12 of 19 branches
RUNS = 7
HISTORY = int(os.environ.get("BENCH_HISTORY", "20000"))


def module_source(index: int, edits: dict[int, str] | None = None) -> bytes:
    lines = [f'"""module {index}"""\n']
    for f in range(FUNCTIONS):
        body = (edits or {}).get(f, f"    return {f}")
        lines.append(f"\n\ndef func_{f}(x):\n    y = x + {f}\n    z = y * 2\n{body}\n")
    return "".join(lines).encode()


def config_source(edit: int | None = None) -> bytes:
    return "".join(f"key_{k} = {'changed' if k == edit else k}\n" for k in range(100)).encode()


def build(repo: Path, env: dict[str, str]) -> None:
    files = {f"app/mod_{m:03d}.py": module_source(m) for m in range(MODULES)}
    files.update({f"docs/page_{i:04d}.md": b"page %d\n" % i for i in range(OTHER_FILES)})
    files["config/settings.toml"] = config_source()
    fast_import_repo(repo, env, files)
    history = []
    for i in range(HISTORY):  # one commit an hour, ending at the branches' fork point
        stamp = 1700000000 - (HISTORY - i) * 3600
        history.append(
            b"commit refs/heads/main\ncommitter Bench <b@example.com> %d +0000\ndata 4\nold\n" % stamp
        )
        if i == 0:
            history.append(b"from refs/heads/main^0\n")
        history.append(
            b"M 100644 inline docs/page_%04d.md\ndata 12\nrevision %03d\n\n" % (i % OTHER_FILES, i % 1000)
        )
    git(repo, env, "fast-import", "--quiet", input=b"".join(history))
    git(repo, env, "reset", "-q", "--hard", "main")  # the main worktree follows its branch
    rng = random.Random(6)
    stream = []
    for b in range(BRANCHES):
        stream.append(
            b"commit refs/heads/branch-%02d\ncommitter Bench <b@example.com> 1700000100 +0000\n"
            b"data 7\nchange\nfrom refs/heads/main^0\n" % b
        )
        changed = {}
        for m in rng.sample(range(MODULES), 3):
            func = rng.randrange(FUNCTIONS)
            changed[f"app/mod_{m:03d}.py"] = module_source(m, {func: f"    return {func} + {b}"})
        if b < CONFIG_BRANCHES:
            changed["config/settings.toml"] = config_source(b * 7)
        changed[f"new/branch_{b}.txt"] = b"new\n"
        for name, content in changed.items():
            stream.append(b"M 100644 inline %s\ndata %d\n%s\n" % (name.encode(), len(content), content))
        stream.append(b"\n")
    git(repo, env, "fast-import", "--quiet", input=b"".join(stream))


def merge_tree(repo: Path, env: dict[str, str], ours: str, theirs: str) -> bytes:
    args = ["git", "merge-tree", "--write-tree", "-z", "--name-only", "--no-messages", ours, theirs]
    result = subprocess.run(args, cwd=repo, env=env, capture_output=True)
    assert result.returncode in (0, 1), result.stderr  # 1: the merge conflicts
    return result.stdout


def in_process(repo: Path, env: dict[str, str]) -> object:
    """The command's work without interpreter start-up (imports already warm)."""
    os.environ.update({k: v for k, v in env.items() if k != "PYTHONPATH"})
    from gatekit import git as gk
    from gatekit.fleet.overlap import overlap_report

    return overlap_report(gk.get_repo_paths(repo), "main", 90)


def main() -> None:
    with scratch_dir() as tmp_name:
        tmp = Path(tmp_name)
        env = make_env(tmp)
        repo = tmp / "repo"
        start = time.perf_counter()
        build(repo, env)
        branches = [f"branch-{b:02d}" for b in range(BRANCHES)]
        print(
            f"setup: {MODULES + OTHER_FILES + 1} files, {HISTORY} commits of history, {BRANCHES} branches "
            f"in {time.perf_counter() - start:.1f}s"
        )

        def paths_of(branch: str) -> tuple[str, set[bytes]]:
            base = git(repo, env, "merge-base", "main", branch).strip().decode()
            out = git(
                repo,
                env,
                "diff-tree",
                "-r",
                "-z",
                "--name-only",
                "--no-renames",
                base,
                branch,
                "--",
            )
            return branch, {p for p in out.split(b"\0") if p}

        def floor() -> int:
            with ThreadPoolExecutor(max_workers=2) as pool:
                changed = dict(pool.map(paths_of, branches))
                pairs = [(a, b) for a, b in itertools.combinations(branches, 2) if changed[a] & changed[b]]
                list(pool.map(lambda p: merge_tree(repo, env, *p), pairs))
            return len(pairs)

        pairs = floor()
        script = console_script(tmp / "bin" / "gatekit")
        with_server = served(env, tmp / "resident")
        start_server([str(script), "overlap"], repo, with_server)

        def served_command() -> None:
            subprocess.run(
                [str(script), "overlap"], cwd=repo, env=with_server, check=True, capture_output=True
            )

        times = timed_together(
            {
                "floor": floor,
                "command": lambda: gatekit(repo, env, "overlap"),
                "noop": lambda: gatekit(repo, env, "--version"),
                "in_process": lambda: in_process(repo, env),
                "served": served_command,
            },
            RUNS,
        )
        stop_servers(with_server)
        floor_s, cmd_s, noop_s, inproc_s = (times[k] for k in ("floor", "command", "noop", "in_process"))
        report = gatekit(repo, env, "overlap").decode()
        definitions = report.split("Definitions changed by more than one writer:")[-1].split("\n\n")[0]
        print(f"pairs with overlapping paths: {pairs} of {BRANCHES * (BRANCHES - 1) // 2}")
        print(f"shared definitions found: {max(0, len(definitions.strip().splitlines()))}")
        print(f"floor (prefilter + merge-tree, 2 parallel): {floor_s * 1000:.0f} ms")
        print(f"gatekit overlap:                            {cmd_s * 1000:.0f} ms")
        print(f"  of which interpreter + import:            {noop_s * 1000:.0f} ms (gatekit --version)")
        print(f"gatekit overlap work, in process:           {inproc_s * 1000:.0f} ms")
        served_s = times["served"]
        print(f"gatekit overlap, served by the resident server: {served_s * 1000:.0f} ms")
        print(
            f"ratio, command: {cmd_s / floor_s:.2f}x   served: {served_s / floor_s:.2f}x   in process: "
            f"{inproc_s / floor_s:.2f}x (target <= 1.5x)"
        )


if __name__ == "__main__":
    main()
