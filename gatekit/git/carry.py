"""Carrying a checkout from one commit's tree to another's while its index.lock is held.

`git read-tree -m -u` takes the checkout's index.lock itself, so it cannot run while the caller
holds that lock to keep `git commit` out (issue 12). These functions do the same two-way carry
through index files of their own, and are idempotent: a carry killed halfway (some files
written, the index still the old one) is finished by running it again, because every path is
judged by what its file holds now:

- the file is already what NEW has: nothing to do;
- the file is still what OLD has: it is written from NEW (or deleted when NEW drops it);
- anything else is somebody's edit (or an untracked file in the way): it is never overwritten.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from gatekit.git.object_reader import object_reader
from gatekit.git.objects import staged_tree
from gatekit.git.runner import git_env, is_null_oid, is_object_id, run, run_rc, zsplit


@dataclass(frozen=True)
class CarryPlan:
    write: tuple[str, ...]  # files still holding OLD's content, to be written from NEW
    delete: tuple[str, ...]  # files NEW drops that still hold OLD's content
    kept: tuple[str, ...]  # files holding neither: somebody's edit, left alone

    @property
    def blocked(self) -> bool:
        return bool(self.kept)


@dataclass(frozen=True)
class CarryIndexes:
    """The two scratch index files of a carry, next to the checkout's own index."""

    index: Path  # the checkout's index (holds OLD's tree until the carry commits)
    old: Path
    new: Path

    @classmethod
    def beside(cls, index: Path) -> CarryIndexes:
        return cls(index, index.with_name("index.gatekit-old"), index.with_name("index.gatekit-new"))

    def remove_scratch(self) -> None:
        """Remove the scratch indexes and the locks git takes on them (a killed carry leaves them).

        Only call holding the checkout's index.lock: nobody else uses these names.
        """
        for path in (self.old, self.new):
            path.unlink(missing_ok=True)
            path.with_name(path.name + ".lock").unlink(missing_ok=True)


def plan_carry(worktree: Path, indexes: CarryIndexes, old: str, new: str) -> CarryPlan:
    """What carrying the checkout from old to new would write, delete and leave alone.

    Prepares indexes.new (OLD's index merged to NEW, stat data kept for unchanged paths).
    """
    indexes.remove_scratch()
    shutil.copyfile(indexes.index, indexes.old)
    shutil.copyfile(indexes.index, indexes.new)
    run(worktree, "read-tree", "-m", "-i", old, new, env=_with_index(indexes.new))
    changes = _tree_changes(worktree, old, new)
    differs_old = _differing_paths(worktree, indexes.old)
    differs_new = _differing_paths(worktree, indexes.new)
    write: list[str] = []
    delete: list[str] = []
    kept: list[str] = []
    for path, in_old, in_new in changes:
        if _matches(worktree, path, in_new, differs_new):
            continue
        if _matches(worktree, path, in_old, differs_old):
            (write if in_new else delete).append(path)
        else:
            kept.append(path)
    return CarryPlan(tuple(write), tuple(delete), tuple(kept))


def apply_carry(worktree: Path, indexes: CarryIndexes, plan: CarryPlan) -> None:
    """Delete and write the plan's files and refresh indexes.new (the checkout's index is untouched)."""
    for path in plan.delete:
        _remove_file(worktree, path)
    env = _with_index(indexes.new)
    if plan.write:
        payload = b"".join(os.fsencode(p) + b"\0" for p in plan.write)
        run(worktree, "checkout-index", "-f", "-u", "-z", "--stdin", input=payload, env=env)
    run(worktree, "update-index", "-q", "--refresh", env=env, ok_codes=(0, 1))


def _with_index(index: Path) -> dict[str, str]:
    return git_env({"GIT_INDEX_FILE": str(index), "GIT_OPTIONAL_LOCKS": "0"})


def _tree_changes(worktree: Path, old: str, new: str) -> list[tuple[str, bool, bool]]:
    """(path, in old, in new) for every path whose entry differs between the two trees."""
    out = run(worktree, "diff-tree", "-r", "-z", "--no-renames", "--raw", old, new)
    fields = out.split(b"\0")
    changes = []
    for i in range(0, len(fields) - 1, 2):
        meta = fields[i].split()
        if len(meta) < 5:
            break
        status = meta[4][:1]
        changes.append((os.fsdecode(fields[i + 1]), status != b"A", status != b"D"))
    return changes


def _differing_paths(worktree: Path, index: Path) -> set[str]:
    """Tracked paths whose file differs from the entry in index (content-compared, not stat)."""
    out = run(worktree, "diff", "--no-ext-diff", "--no-renames", "--name-only", "-z", env=_with_index(index))
    return set(zsplit(out))


def _matches(worktree: Path, path: str, in_tree: bool, differing: set[str]) -> bool:
    if in_tree:
        return path not in differing
    return not os.path.lexists(worktree / path)


def _remove_file(worktree: Path, path: str) -> None:
    target = worktree / path
    try:
        target.unlink()
    except FileNotFoundError:
        return
    parent = target.parent
    while parent != worktree:
        try:
            parent.rmdir()
        except OSError:
            return
        parent = parent.parent


def behind_commit(worktree: Path, ref: str, depth: int = 20, common_dir: Path | None = None) -> str | None:
    """The earlier value of ref whose tree the checkout's index still holds, if the tip's is not.

    That is a checkout left behind by its branch moving (a land killed mid-swap, `update-ref`,
    `fetch . x:main`): a `commit -a` there would revert whatever the branch gained since.
    Given the common git dir, the reflog is read from its file and the trees from the hook's
    shared object reader: no git process of its own.
    """
    earlier = _reflog_trees(worktree, ref, depth, common_dir)
    if not earlier:
        return None
    # The staged tree: the worktree's index, or inside a commit hook the index being committed
    # (what a `commit -a` would record); asked once per hook run, shared with the other guards.
    index = staged_tree(worktree)
    if index == earlier[0][1]:
        return None
    held = next((commit for commit, tree in earlier[1:] if tree == index), None)
    if held is None:
        return None
    # A rewound branch (`reset --hard HEAD~1`, then the same edit redone) gained nothing a commit
    # here would revert: its tip is already in what the checkout holds.
    code, _ = run_rc(worktree, "merge-base", "--is-ancestor", earlier[0][0], held)
    return None if code == 0 else held


def _reflog_trees(worktree: Path, ref: str, depth: int, common_dir: Path | None) -> list[tuple[str, str]]:
    """[(commit, tree)] of the newest depth entries of ref's reflog, newest first, as
    `git log --walk-reflogs` lists them."""
    commits = _reflog_commits(common_dir / "logs" / ref, depth) if common_dir is not None else None
    if commits is None or (common_dir is not None and (common_dir / "reftable").exists()):
        code, out = run_rc(
            worktree, "log", "--walk-reflogs", f"--max-count={depth}", "--format=%H %T", ref, "--"
        )
        pairs = [line.split() for line in out.decode().splitlines() if len(line.split()) == 2]
        return [(commit, tree) for commit, tree in pairs] if code == 0 else []
    trees = []
    with object_reader(worktree) as reader:
        for commit in commits:
            kind, _, tree = (reader.fact(commit) or "").partition(" ")
            if kind != "commit":
                return []  # git log stops at an entry it cannot read: nothing to compare then
            trees.append((commit, tree))
    return trees


def _reflog_commits(log: Path, depth: int) -> list[str] | None:
    """The new values of the last depth entries of a reflog file, newest first ([] when there is
    no reflog); None when the file is not one git wrote."""
    try:
        with open(log, "rb") as file:
            size = file.seek(0, os.SEEK_END)
            file.seek(max(0, size - _REFLOG_TAIL))
            lines = file.read().split(b"\n")
    except FileNotFoundError:
        return []
    except OSError:
        return None
    if size > _REFLOG_TAIL:
        lines = lines[1:]  # the first may be the end of a line cut in two
    commits = []
    for line in reversed(lines):
        fields = line.split(b" ", 2)
        if len(fields) < 3:
            continue  # the empty string after the last newline
        new = fields[1].decode("ascii", "replace")
        if not is_object_id(new):
            return None
        if not is_null_oid(new):
            commits.append(new)
        if len(commits) == depth:
            break
    if len(commits) < depth and size > _REFLOG_TAIL:
        return None  # entries this long: git reads the whole reflog
    return commits


_REFLOG_TAIL = 64 * 1024  # bytes read from a reflog's end: 20 entries are a few KB
