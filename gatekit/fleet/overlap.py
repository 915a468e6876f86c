"""Overlapping work across writers: shared files, shared definitions, predicted conflicts,
conflict magnets; and the staged-change check behind the `gatekit-overlap` hook."""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from gatekit import git
from gatekit.fleet import symbols
from gatekit.fleet.changes import Writer, collect_writers, parallel_map, shared_paths

EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"
MAGNET_MIN = 3  # touched by at least this many branches to count as a magnet
MAGNET_TOP = 10


@dataclass(frozen=True)
class SharedDefinition:
    path: str
    qualname: str
    writers: tuple[str, ...]


@dataclass(frozen=True)
class PredictedConflict:
    ours: str
    theirs: str
    paths: tuple[str, ...]


@dataclass
class OverlapReport:
    target: str
    writers: list[Writer]
    files: dict[str, list[str]] = field(default_factory=dict)
    definitions: list[SharedDefinition] = field(default_factory=list)
    conflicts: list[PredictedConflict] = field(default_factory=list)
    magnets: list[tuple[str, int]] = field(default_factory=list)


def touched_definitions(cwd: str, diffs: Iterable[git.FileDiff]) -> dict[str, set[str]]:
    """path -> qualified names of the definitions a change touches (old and new side).

    Paths in languages without a grammar are absent: they are tracked at file level only.
    """
    diffs = [d for d in diffs if symbols.language_of(d.path)]
    blobs = git.read_blobs(cwd, [oid for d in diffs for oid in (d.old_oid, d.new_oid)])
    found: dict[str, set[str]] = {}
    for diff in diffs:
        language = symbols.language_of(diff.path)
        assert language is not None
        names: set[str] = set()
        if diff.old_oid in blobs:
            names |= symbols.touched(blobs[diff.old_oid], language, ((h[0], h[1]) for h in diff.hunks))
        if diff.new_oid in blobs:
            names |= symbols.touched(blobs[diff.new_oid], language, ((h[2], h[3]) for h in diff.hunks))
        found[diff.path] = names
    return found


def _writer_definitions(cwd: str, writer: Writer, paths: set[str]) -> dict[str, set[str]]:
    wanted = [p for p in paths if p in writer.paths and symbols.language_of(p)]
    if not wanted:
        return {}
    diffs = [d for d in git.diff_hunks(cwd, writer.base, writer.head) if d.path in paths]
    return touched_definitions(cwd, diffs)


def shared_definitions(cwd: str, writers: Sequence[Writer], files: dict[str, list[str]]) -> list[SharedDefinition]:
    paths = set(files)
    per_writer = parallel_map(lambda w: (w.name, _writer_definitions(cwd, w, paths)), writers)
    owners: dict[tuple[str, str], list[str]] = {}
    for name, by_path in per_writer:
        for path, qualnames in by_path.items():
            for qualname in qualnames:
                owners.setdefault((path, qualname), []).append(name)
    return [
        SharedDefinition(path, qualname, tuple(sorted(names)))
        for (path, qualname), names in sorted(owners.items())
        if len(names) > 1
    ]


def predicted_conflicts(cwd: str, writers: Sequence[Writer]) -> list[PredictedConflict]:
    """merge-tree on every pair whose changed paths overlap (other pairs cannot conflict)."""
    pairs = [(a, b) for a, b in itertools.combinations(writers, 2) if a.paths & b.paths]
    results = parallel_map(lambda pair: git.merge_tree(cwd, pair[0].head, pair[1].head), pairs)
    return [
        PredictedConflict(a.name, b.name, result.conflicts)
        for (a, b), result in zip(pairs, results)
        if not result.clean
    ]


def conflict_magnets(cwd: str, target: str, writers: Sequence[Writer], days: int) -> list[tuple[str, int]]:
    """Files touched by the most branches: in-flight writers plus target's first-parent history
    (each merge or direct commit is one branch) within days of target's tip."""
    counts: Counter[str] = Counter()
    for writer in writers:
        counts.update(writer.paths)
    since = git.commit_date(cwd, target) - days * 86400
    for paths in git.first_parent_paths(cwd, target, since):
        counts.update(set(paths))
    ranked = sorted(((p, n) for p, n in counts.items() if n >= MAGNET_MIN), key=lambda item: (-item[1], item[0]))
    return ranked[:MAGNET_TOP]


def overlap_report(repo: git.RepoPaths, target: str, magnet_days: int) -> OverlapReport:
    cwd = str(repo.toplevel)
    target_commit = git.resolve_commit(cwd, target)
    writers = collect_writers(repo, target_commit)
    files = shared_paths(writers)
    report = OverlapReport(target, writers, files)
    report.definitions = shared_definitions(cwd, writers, files)
    report.conflicts = predicted_conflicts(cwd, writers)
    report.magnets = conflict_magnets(cwd, target_commit, writers, magnet_days)
    return report


# -- the staged change (the gatekit-overlap hook) ------------------------------------------


@dataclass(frozen=True)
class StagedOverlap:
    path: str
    qualname: str | None  # None: file level (a language without a grammar)
    writer: str


def staged_overlap(repo: git.RepoPaths, target: str) -> list[StagedOverlap]:
    """Definitions (or, without a grammar, files) the staged change shares with other writers."""
    cwd = str(repo.toplevel)
    target_commit = git.resolve_commit(cwd, target)
    head = git.head_commit(cwd)
    staged = git.diff_hunks(cwd, f"{head}^{{tree}}" if head else EMPTY_TREE, git.staged_tree(cwd))
    if not staged:
        return []
    others = collect_writers(
        repo, target_commit, exclude_worktree=repo.toplevel, exclude_branch=git.current_branch(cwd)
    )
    mine_paths = {d.path for d in staged}
    others = [w for w in others if w.paths & mine_paths]
    if not others:
        return []
    mine = touched_definitions(cwd, (d for d in staged))
    theirs = parallel_map(lambda w: (w.name, w.paths, _writer_definitions(cwd, w, mine_paths)), others)
    found: list[StagedOverlap] = []
    for name, paths, by_path in theirs:
        for path in sorted(mine_paths & paths):
            if symbols.language_of(path) is None:
                found.append(StagedOverlap(path, None, name))
                continue
            for qualname in sorted(mine.get(path, set()) & by_path.get(path, set())):
                found.append(StagedOverlap(path, qualname, name))
    return found
