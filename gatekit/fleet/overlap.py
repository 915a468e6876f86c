"""Overlapping work across writers: shared files, shared definitions, predicted conflicts,
conflict magnets; and the staged-change check behind the `gatekit-overlap` hook."""

from __future__ import annotations

import functools
import importlib.util
import itertools
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from gatekit import extras, git
from gatekit.fleet import symbols
from gatekit.fleet.changes import Writer, collect_writers, shared_paths
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


@dataclass
class OverlapReport:
    target: str
    writers: list[Writer]
    files: dict[str, list[str]] = field(default_factory=dict)
    definitions: list[SharedDefinition] = field(default_factory=list)
    conflicts: list[PredictedConflict] = field(default_factory=list)
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
    version, issue 13): its file is compared at file level, like a language without a grammar.
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

    def _names(self, oid: str, language: str, ranges: Iterable[tuple[int, int]]) -> set[str]:
        spans = [(start, count) for start, count in ranges if count > 0]
        if oid not in self.blobs or not spans or len(self.blobs[oid]) > self.max_bytes:
            return set()
        if oid not in self._owners:
            self._owners[oid] = symbols.line_owners(self.blobs[oid], language)
        return symbols.names_in(self._owners[oid], spans)

    def touched(self, diff: git.FileDiff) -> set[str]:
        """Qualified names of the definitions one file's change touches (old and new side)."""
        language = parsed_language(diff.path)
        if language is None:
            return set()
        old = self._names(diff.old_oid, language, ((h[0], h[1]) for h in diff.hunks))
        return old | self._names(diff.new_oid, language, ((h[2], h[3]) for h in diff.hunks))


def shared_definitions(
    cwd: str, writers: Sequence[Writer], files: dict[str, list[str]]
) -> list[SharedDefinition]:
    """Definitions changed by more than one writer, in files changed by more than one."""
    relevant = [(w, d) for w in writers for d in w.diffs if d.path in files and parsed_language(d.path)]
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
    ranked = sorted(
        ((p, n) for p, n in counts.items() if n >= MAGNET_MIN), key=lambda item: (-item[1], item[0])
    )
    return ranked[:MAGNET_TOP]


def overlap_report(repo: git.RepoPaths, target: str, magnet_days: int) -> OverlapReport:
    cwd = str(repo.toplevel)
    target_commit = git.resolve_commit(cwd, target)
    writers = collect_writers(repo, target_commit)
    files = shared_paths(writers)
    report = OverlapReport(target, writers, files)
    # Parsing is Python work and merge-tree is subprocess work: overlap the two.
    definitions = Background(lambda: shared_definitions(cwd, writers, files))
    magnets = Background(lambda: conflict_magnets(cwd, target_commit, writers, magnet_days))
    report.conflicts = predicted_conflicts(cwd, writers)
    report.definitions = definitions.result()
    report.magnets = magnets.result()
    return report


# -- the staged change (the gatekit-overlap hook) ------------------------------------------


@dataclass(frozen=True)
class StagedOverlap:
    path: str
    qualname: str | None  # None: file level (a language without a grammar)
    writer: str


def staged_overlap(repo: git.RepoPaths, target: str, strict: bool = True) -> list[StagedOverlap]:
    """Definitions (or, without a grammar, files) the staged change shares with other writers.

    Not strict (the hook with the configured target): a repository where the target does not
    exist yet (the first commit, a `master` repo) has nothing to overlap with, and passes.
    """
    cwd = str(repo.toplevel)
    target_commit = git.resolve_commit(cwd, target) if strict else git.rev_parse(cwd, f"{target}^{{commit}}")
    if target_commit is None:
        return []
    head = git.head_commit(cwd)
    staged = git.diff_hunks(cwd, f"{head}^{{tree}}" if head else EMPTY_TREE, git.staged_tree(cwd))
    if not staged:
        return []
    mine_paths = {d.path for d in staged}
    others = collect_writers(
        repo,
        target_commit,
        exclude_worktree=repo.toplevel,
        exclude_branch=git.current_branch(cwd),
        only_paths=mine_paths,
    )
    others = [w for w in others if w.paths & mine_paths]
    if not others:
        return []
    theirs = [(w, d) for w in others for d in w.diffs if d.path in mine_paths]
    index = DefinitionIndex(cwd, [*staged, *(d for _, d in theirs)])
    mine = {d.path: index.touched(d) for d in staged}
    found: list[StagedOverlap] = []
    mine_by_path = {d.path: d for d in staged}
    for writer, diff in theirs:
        if index.file_level(diff) or index.file_level(mine_by_path[diff.path]):
            found.append(StagedOverlap(diff.path, None, writer.name))
            continue
        for qualname in sorted(mine[diff.path] & index.touched(diff)):
            found.append(StagedOverlap(diff.path, qualname, writer.name))
    return found
