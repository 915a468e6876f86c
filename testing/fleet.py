"""Builders for fleet scenarios (branches themselves come from testing.landing.branch_with)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from gatekit.git.diffs import parse_hunk
from testing.repo import Repo


def numbered_lines(count: int, prefix: str = "line") -> str:
    """count distinct lines, so edits far apart merge cleanly and edits on one line conflict."""
    return "".join(f"{prefix} {i}\n" for i in range(1, count + 1))


def zero_context_hunks(old: str, new: str, scratch: Path) -> list[tuple[int, int, int, int]]:
    """The -U0 hunks git finds between two versions of a file: (old start, count, new start, count)."""
    scratch.mkdir(parents=True, exist_ok=True)
    (scratch / "old").write_text(old)
    (scratch / "new").write_text(new)
    result = subprocess.run(
        ["git", "diff", "--no-index", "--no-ext-diff", "--no-color", "-U0", "old", "new"],
        cwd=scratch,
        capture_output=True,
        check=False,
    )
    assert result.returncode in (0, 1), result.stderr
    return [parse_hunk(line) for line in result.stdout.split(b"\n") if line.startswith(b"@@ -")]


def real_merge_conflicts(origin: Repo, scratch: Path, ours: str, theirs: str) -> set[str] | None:
    """Merge for real in a clone: None when clean, else the paths git names in its CONFLICT lines
    (a file/directory clash leaves no unmerged index entry under the original name)."""
    if not scratch.exists():
        origin.git("clone", "-q", "--no-local", str(origin.path), str(scratch))
    clone = Repo(scratch, origin.env)
    clone.git("fetch", "-q", "origin")
    clone.git("checkout", "-q", "--detach", f"origin/{ours}")
    result = subprocess.run(
        ["git", "merge", "--no-edit", "-q", f"origin/{theirs}"],
        cwd=scratch,
        env=origin.env,
        capture_output=True,
    )
    conflicted = set(clone.git("diff", "--name-only", "-z", "--diff-filter=U").split("\0")) - {""}
    clone.git("reset", "-q", "--hard")
    clone.git("merge", "--abort", check=False)
    return None if result.returncode == 0 else conflicted
