"""Overlapping work across writers: shared files, shared definitions, predicted conflicts,
conflict magnets; and the staged-change check behind the `gatekit-overlap` hook."""

from __future__ import annotations

import dataclasses
import functools
import importlib.util
import itertools
from collections import Counter
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field

from gatekit import extras, git
from gatekit.errors import UsageError
from gatekit.fleet import symbols
from gatekit.fleet.changes import STATE_MESSAGE, Writer, collect_writers, shared_paths, writer_candidates
from gatekit.fleet.threads import Background, parallel_map

EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"
MAGNET_MIN = 3  # touched by at least this many branches to count as a magnet
MAGNET_TOP = 10
PARSE_MAX_BYTES = 512 * 1024  # larger blobs are compared at file level


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


@dataclass(frozen=True)
class TargetConflict:
    writer: str
    paths: tuple[str, ...]


@dataclass
class OverlapReport:
    target: str
    target_commit: str
    writers: list[Writer]
    files: dict[str, list[str]] = field(default_factory=dict)
    definitions: list[SharedDefinition] = field(default_factory=list)
    conflicts: list[PredictedConflict] = field(default_factory=list)
    target_conflicts: list[TargetConflict] = field(default_factory=list)
    magnets: list[tuple[str, int]] = field(default_factory=list)


@functools.cache
def _grammar_installed(language: str) -> bool:
    module = symbols.GRAMMARS[language].module
    return extras.has("overlap") and importlib.util.find_spec(module) is not None


def parsed_language(path: str) -> str | None:
    """The language path is parsed as, or None: compared at file level (no grammar installed)."""
    language = symbols.language_of(path)
    return language if language is not None and _grammar_installed(language) else None


class DefinitionIndex:
    """Maps hunks to definitions, parsing each blob once (writers share most base blobs).

    A blob past max_bytes is not parsed (a generated 1.6 MB TypeScript file cost 2.4 s per
    version): its file is compared at file level, like a language without a grammar.
    """

    def __init__(self, cwd: str, diffs: Iterable[git.FileDiff], max_bytes: int = PARSE_MAX_BYTES) -> None:
        self.diffs = [d for d in diffs if parsed_language(d.path)]
        self.blobs = git.read_blobs(cwd, [oid for d in self.diffs for oid in (d.old_oid, d.new_oid)])
        self.max_bytes = max_bytes
        self._owners: dict[str, list[symbols.Definition | None]] = {}

    def file_level(self, diff: git.FileDiff) -> bool:
        """Whether this change is compared by file only (no grammar, or a blob too large)."""
        if parsed_language(diff.path) is None:
            return True
        return any(len(self.blobs.get(oid, b"")) > self.max_bytes for oid in (diff.old_oid, diff.new_oid))

    def _owners_of(self, oid: str, language: str) -> list[symbols.Definition | None]:
        if oid not in self.blobs or len(self.blobs[oid]) > self.max_bytes:
            return []
        if oid not in self._owners:
            self._owners[oid] = symbols.line_owners(self.blobs[oid], language)
        return self._owners[oid]

    def touched(self, diff: git.FileDiff) -> set[str]:
        """Qualified names of the definitions one file's change touches (old and new side)."""
        language = parsed_language(diff.path)
        if language is None:
            return set()
        old = self._owners_of(diff.old_oid, language)
        return symbols.changed_names(old, self._owners_of(diff.new_oid, language), diff.hunks)


def rename_aware(
    cwd: str, writers: Sequence[Writer], shared: Collection[str]
) -> dict[int, list[git.FileDiff]]:
    """Each writer's diffs with a renamed file as one change under its old path (the path the
    other writers know it by): a move plus an edit of one function touches that function, not
    every definition of the file. Only files another writer changed too are diffed again (a
    branch that moves a thousand files costs nothing more)."""
    moving = [
        w
        for w in writers
        if any(d.status == "A" for d in w.diffs)
        and any(d.status == "D" and d.path in shared for d in w.diffs)
    ]
    found = {id(w): list(w.diffs) for w in writers}
    moves = git.renames(cwd, [(w.base, w.head) for w in moving]) if moving else {}
    for writer in moving:
        renamed = moves.get((writer.base, writer.head), {})
        if not renamed:
            continue
        by_path = {d.path: d for d in writer.diffs}
        kept = [d for d in writer.diffs if d.path not in renamed and d.path not in renamed.values()]
        for old, new in renamed.items():
            if old in by_path and new in by_path and old in shared and parsed_language(old):
                before, after = by_path[old].old_oid, by_path[new].new_oid
                kept.append(git.FileDiff(old, "R", before, after, git.blob_hunks(cwd, before, after)))
        found[id(writer)] = kept
    return found


def shared_definitions(
    cwd: str, writers: Sequence[Writer], files: dict[str, list[str]]
) -> list[SharedDefinition]:
    """Definitions changed by more than one writer, in files changed by more than one."""
    diffs = rename_aware(cwd, writers, files)
    relevant = [(w, d) for w in writers for d in diffs[id(w)] if d.path in files and parsed_language(d.path)]
    index = DefinitionIndex(cwd, (d for _, d in relevant))
    owners: dict[tuple[str, str], list[str]] = {}
    for writer, diff in relevant:
        for qualname in index.touched(diff):
            owners.setdefault((diff.path, qualname), []).append(writer.name)
    return [
        SharedDefinition(path, qualname, tuple(sorted(names)))
        for (path, qualname), names in sorted(owners.items())
        if len(names) > 1
    ]


def _ancestors(path: str) -> list[str]:
    parts = path.split("/")[:-1]
    return ["/".join(parts[: i + 1]) for i in range(len(parts))]


@dataclass(frozen=True)
class _Footprint:
    """Where a writer's change reaches, for deciding which pairs merge-tree must look at."""

    paths: frozenset[str]
    folders: frozenset[str]  # every directory above a changed path
    emptied: frozenset[str]  # directories above a deleted (or renamed-away) file
    filled: frozenset[str]  # directories a file was added to

    @classmethod
    def of(cls, writer: Writer) -> _Footprint:
        by_status = {s: [d.path for d in writer.diffs if d.status == s] for s in ("A", "D")}
        return cls(
            frozenset(writer.paths),
            frozenset(a for p in writer.paths for a in _ancestors(p)),
            frozenset(a for p in by_status["D"] for a in _ancestors(p)),
            frozenset(p.rpartition("/")[0] for p in by_status["A"] if "/" in p),
        )


def may_conflict(a: _Footprint, b: _Footprint) -> bool:
    """Could merging a and b conflict? A shared path; a file where the other has a directory;
    or a directory one side empties (a rename) while the other adds a file to it (git's
    directory-rename detection moves that file and reports it). Every other pair merges cleanly."""
    return bool(
        a.paths & b.paths
        or a.folders & b.paths
        or b.folders & a.paths
        or a.emptied & b.filled
        or b.emptied & a.filled
    )


def predicted_conflicts(cwd: str, writers: Sequence[Writer]) -> list[PredictedConflict]:
    """merge-tree on every pair whose changes may conflict (other pairs cannot)."""
    prints = {id(w): _Footprint.of(w) for w in writers}
    pairs = [
        (a, b) for a, b in itertools.combinations(writers, 2) if may_conflict(prints[id(a)], prints[id(b)])
    ]
    results = parallel_map(lambda pair: git.merge_tree(cwd, pair[0].head, pair[1].head), pairs)
    return [
        PredictedConflict(a.name, b.name, result.conflicts)
        for (a, b), result in zip(pairs, results)
        if not result.clean
    ]


def target_conflicts(cwd: str, target: str, writers: Sequence[Writer]) -> list[TargetConflict]:
    """merge-tree of each writer with the target's tip (a writer based on the tip cannot conflict)."""
    behind = [w for w in writers if w.base != target]
    results = parallel_map(lambda w: git.merge_tree(cwd, target, w.head), behind)
    return [TargetConflict(w.name, r.conflicts) for w, r in zip(behind, results) if not r.clean]


def conflict_magnets(cwd: str, target: str, writers: Sequence[Writer], days: int) -> list[tuple[str, int]]:
    """Files touched by the most branches: in-flight writers plus target's first-parent history
    (each merge or direct commit is one branch) within days of target's tip."""
    counts: Counter[str] = Counter()
    for writer in writers:
        counts.update(writer.paths)
    since = git.commit_date(cwd, target) - days * 86400
    for paths in git.first_parent_paths(cwd, target, since):
        counts.update(set(paths))
    ranked = sorted(
        ((p, n) for p, n in counts.items() if n >= MAGNET_MIN), key=lambda item: (-item[1], item[0])
    )
    return ranked[:MAGNET_TOP]


def _precedence(writer: Writer) -> tuple[bool, bool]:
    """Which name a change goes by: a branch checked out in a worktree, then a branch, then a
    detached worktree."""
    return (writer.branch is None, writer.worktree is None)


def one_writer_per_change(cwd: str, writers: Sequence[Writer]) -> list[Writer]:
    """Writers at the same commit, or whose changes are the same patch (`git patch-id`), are
    one writer with several names: a backup branch or a detached worktree at a branch tip is not
    a second writer overlapping the first on every definition."""
    heads = {w.head for w in writers}
    same_head = len(heads) < len(writers)
    ids = git.patch_ids(cwd, [(w.base, w.head) for w in writers]) if len(writers) > 1 else {}
    groups: dict[str, list[Writer]] = {}
    for writer in writers:
        groups.setdefault(ids.get(writer.head, writer.head), []).append(writer)
    if not same_head and len(groups) == len(writers):
        return list(writers)
    merged = []
    for members in groups.values():
        ranked = sorted(members, key=_precedence)
        first = ranked[0]
        worktree = first.worktree or next((m.worktree for m in ranked if m.worktree), None)
        aliases = [m.name for m in ranked[1:]]
        merged.append(dataclasses.replace(first, worktree=worktree, aliases=[*first.aliases, *aliases]))
    order = {id(w): i for i, w in enumerate(writers)}
    return sorted(merged, key=lambda w: min(order[id(m)] for m in groups[ids.get(w.head, w.head)]))


def overlap_report(repo: git.RepoPaths, target: str, magnet_days: int) -> OverlapReport:
    cwd = str(repo.toplevel)
    target_commit = git.resolve_commit(cwd, target)
    writers = one_writer_per_change(cwd, collect_writers(repo, target_commit))
    files = shared_paths(writers)
    report = OverlapReport(target, target_commit, writers, files)
    # Parsing is Python work and merge-tree is subprocess work: overlap the two.
    definitions = Background(lambda: shared_definitions(cwd, writers, files))
    magnets = Background(lambda: conflict_magnets(cwd, target_commit, writers, magnet_days))
    report.conflicts = predicted_conflicts(cwd, writers)
    report.target_conflicts = target_conflicts(cwd, target_commit, writers)
    report.definitions = definitions.result()
    report.magnets = magnets.result()
    return report


# -- the staged change (the gatekit-overlap hook) ------------------------------------------


@dataclass(frozen=True)
class StagedOverlap:
    path: str
    qualname: str | None  # None: file level (a language without a grammar, or a conflict)
    writer: str
    conflict: bool = False  # git merge-tree says the staged change and the writer's conflict here


def staged_overlap(repo: git.RepoPaths, target: str, strict: bool = True) -> list[StagedOverlap]:
    """Definitions (or, without a grammar, files) the staged change shares with other writers.

    Not strict (the hook with the configured target): a repository where the target does not
    exist yet (the first commit, a `master` repo) has nothing to overlap with, and passes.
    """
    cwd = str(repo.toplevel)
    target_commit = git.branch_commit(cwd, target)
    if target_commit is None:
        if strict:
            raise UsageError(f"target {target!r} names no branch or commit here")
        return []
    # Nobody else to overlap with (one worktree, no other branch with work): the staged change
    # itself need not be read.
    candidates = writer_candidates(
        repo, target_commit, exclude_worktree=repo.toplevel, exclude_branch=git.current_branch(cwd)
    )
    if not candidates:
        return []
    head = git.head_commit(cwd)
    staged_tree = git.staged_tree(cwd)
    staged = git.diff_hunks(cwd, f"{head}^{{tree}}" if head else EMPTY_TREE, staged_tree)
    if not staged:
        return []
    mine_paths = {d.path for d in staged}
    others = collect_writers(repo, target_commit, only_paths=mine_paths, candidates=candidates)
    others = one_writer_per_change(cwd, [w for w in others if w.paths & mine_paths])
    others = [w for w in past_shared_commits(cwd, head, others) if w.paths & mine_paths]
    if not others:
        return []
    diffs = rename_aware(cwd, others, mine_paths)
    theirs = [(w, d) for w in others for d in diffs[id(w)] if d.path in mine_paths]
    index = DefinitionIndex(cwd, [*staged, *(d for _, d in theirs)])
    mine = {d.path: index.touched(d) for d in staged}
    mine_by_path = {d.path: d for d in staged}
    found: list[StagedOverlap] = []
    for writer, diff in theirs:
        if index.file_level(diff) or index.file_level(mine_by_path[diff.path]):
            found.append(StagedOverlap(diff.path, None, writer.name))
            continue
        for qualname in sorted(mine[diff.path] & index.touched(diff)):
            found.append(StagedOverlap(diff.path, qualname, writer.name))
    return found + _staged_conflicts(cwd, head, staged_tree, others, mine_paths, found)


def past_shared_commits(cwd: str, head: str | None, writers: Sequence[Writer]) -> list[Writer]:
    """Each writer with only what it changed after the last commit it shares with head, where that
    commit is later than its merge base with the target: a branch stacked on head's branch, or a
    worktree left at one of its commits, holds head's own commits, which are not its changes.
    Writers left with no change are dropped."""
    if head is None or not writers:
        return list(writers)
    shared = git.merge_bases(cwd, head, [w.head for w in writers])
    later: dict[int, str] = {}
    for writer in writers:
        base = shared.get(writer.head)
        if base is not None and base != writer.base and git.is_ancestor(cwd, writer.base, base):
            later[id(writer)] = base
    if not later:
        return list(writers)
    diffs = git.diff_hunks_many(cwd, [(later[id(w)], w.head) for w in writers if id(w) in later])
    kept = []
    for writer in writers:
        if id(writer) not in later:
            kept.append(writer)
            continue
        changes = diffs[(later[id(writer)], writer.head)]
        if changes:
            paths = {d.path for d in changes}
            kept.append(dataclasses.replace(writer, base=later[id(writer)], diffs=changes, paths=paths))
    return kept


def _staged_conflicts(
    cwd: str,
    head: str | None,
    tree: str,
    others: Sequence[Writer],
    mine_paths: set[str],
    named: Sequence[StagedOverlap],
) -> list[StagedOverlap]:
    """Paths where merge-tree says the staged change conflicts with a writer although no
    definition names the overlap (a loose comment, a blank-line edit): never stay silent."""
    seen = {(o.path, o.writer) for o in named}
    staged_commit = git.commit_tree(cwd, tree, [head] if head else [], STATE_MESSAGE)
    results = parallel_map(lambda w: git.merge_tree(cwd, staged_commit, w.head), others)
    return [
        StagedOverlap(path, None, writer.name, conflict=True)
        for writer, result in zip(others, results)
        for path in result.conflicts
        if path in mine_paths and (path, writer.name) not in seen
    ]
