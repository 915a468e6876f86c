"""The in-flight writers of a repository and what each has changed since its merge base.

A writer is a worktree (its commits plus its uncommitted work, captured as a state commit built
on a temporary index) or a local branch no worktree has checked out. Both reduce to a pair of
commits, base and head, so every later question (paths, hunks, merge-tree) is asked the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from gatekit import git
from gatekit.fleet.clean_cache import CleanCache, clean_key
from gatekit.fleet.inventory import list_fleet_worktrees
from gatekit.fleet.threads import parallel_map


@dataclass
class Writer:
    """One branch or worktree with work in flight."""

    name: str
    branch: str | None
    worktree: str | None
    base: str
    head: str
    dirty: bool = False
    paths: set[str] = field(default_factory=set)
    # Every changed path with its zero-context hunks: one diff-tree call gives paths and hunks.
    diffs: list[git.FileDiff] = field(default_factory=list, repr=False)
    # Other names of the same change (a backup branch, a detached worktree at this tip).
    aliases: list[str] = field(default_factory=list)
    # The branch's or worktree's own commit; head differs when uncommitted work was captured.
    commit: str = ""


STATE_MESSAGE = "gatekit: fleet state\n"


@dataclass(frozen=True)
class _Candidate:
    name: str
    branch: str | None
    worktree: Path | None
    head: str
    index: Path | None = None  # the worktree's index file


# Past this many paths a pathspec costs more than the walk it saves (and may not fit in argv).
PATHSPEC_MAX = 1000


def _current_head(
    candidate: _Candidate, only: set[str] | None, cache: CleanCache | None = None
) -> tuple[str, bool]:
    """The commit that stands for the candidate's work: a worktree's uncommitted changes are
    captured as a state commit on top of its HEAD. Returns (head, dirty)."""
    if candidate.worktree is None:
        return candidate.head, False
    if only is not None and len(only) <= PATHSPEC_MAX:
        return _head_for_paths(candidate, candidate.worktree, sorted(only), cache)
    entries = git.status(candidate.worktree, untracked="normal")
    touched = {e.path for e in entries} | {e.orig_path for e in entries if e.orig_path}
    # The state commit costs a pass over the worktree: skip it when no dirty path matters.
    # ("normal" lists an untracked directory as "dir/", so a prefix match counts too.)
    if entries and (only is None or _meets(touched, only)):
        return git.worktree_state_commit(candidate.worktree, candidate.head, STATE_MESSAGE), True
    return candidate.head, False


def _head_for_paths(
    candidate: _Candidate, worktree: Path, only: list[str], cache: CleanCache | None
) -> tuple[str, bool]:
    """_current_head for a question about only these paths (the hook's staged paths): git looks
    at them alone, not at the whole worktree, and a worktree found clean there before with the
    same HEAD, index and file stats is not asked again (issue 13: 30 worktrees per commit)."""
    key = clean_key(worktree, candidate.index, candidate.head, only) if cache and candidate.index else None
    if cache is not None and cache.is_clean(worktree, key):
        return candidate.head, False
    entries = git.status(worktree, untracked="all", paths=only)
    wanted = set(only)
    dirty = sorted(({e.path for e in entries} | {e.orig_path for e in entries if e.orig_path}) & wanted)
    if cache is not None:
        cache.remember(worktree, key, clean=not dirty)
    if not dirty:
        return candidate.head, False
    return git.worktree_state_commit(worktree, candidate.head, STATE_MESSAGE, paths=dirty), True


def _meets(dirty: set[str], only: set[str]) -> bool:
    if dirty & only:
        return True
    folders = [d for d in dirty if d.endswith("/")]
    return any(path.startswith(folder) for folder in folders for path in only)


def writer_candidates(
    repo: git.RepoPaths,
    target: str,
    *,
    exclude_worktree: Path | None = None,
    exclude_branch: str | None = None,
) -> list[_Candidate]:
    """The worktrees and local branches that may hold changes relative to target: every
    worktree but exclude_worktree, and every branch checked out nowhere that is neither
    exclude_branch nor still at target. Git is asked nothing beyond the lists themselves."""
    candidates: list[_Candidate] = []
    checked_out: set[str] = set()
    # In a hook, default_branch's for-each-ref has listed the branches already.
    tips = git.local_branch_tips(repo.toplevel)
    for wt in list_fleet_worktrees(repo):
        entry = wt.entry
        if entry.branch_name:
            checked_out.add(entry.branch_name)
        if entry.bare or not wt.exists or entry.head is None or entry.prunable is not None:
            continue
        if exclude_worktree is not None and wt.path.resolve() == exclude_worktree.resolve():
            continue
        name = entry.branch_name or f"{wt.path} (detached)"
        index = wt.git_dir / "index" if wt.git_dir is not None else None
        candidates.append(_Candidate(name, entry.branch_name, wt.path, entry.head, index))
    for name, commit in tips.items():
        if name not in checked_out:
            candidates.append(_Candidate(name, name, None, commit))
    candidates = [c for c in candidates if c.branch is None or c.branch != exclude_branch]
    # A branch still at the target has changed nothing (a worktree there may be dirty).
    return [c for c in candidates if c.worktree is not None or c.head != target]


def collect_writers(
    repo: git.RepoPaths,
    target: str,
    *,
    exclude_worktree: Path | None = None,
    exclude_branch: str | None = None,
    only_paths: set[str] | None = None,
    candidates: list[_Candidate] | None = None,
) -> list[Writer]:
    """Every worktree and local branch with changes relative to its merge base with target.

    With only_paths, uncommitted work is captured only in worktrees whose dirty paths meet
    them (the hook asks about the staged paths and nothing else). candidates: what
    writer_candidates gave for the same question, when the caller asked it first.
    """
    cwd = repo.toplevel
    if candidates is None:
        candidates = writer_candidates(
            repo, target, exclude_worktree=exclude_worktree, exclude_branch=exclude_branch
        )
    if not candidates:
        return []
    cache = CleanCache(repo.common_dir) if only_paths is not None else None
    heads = parallel_map(lambda c: _current_head(c, only_paths, cache), candidates)
    if cache is not None:
        cache.save()
    # Bases and diffs for every writer in two git processes, not two per writer.
    bases = git.merge_bases(cwd, target, [head for head, _ in heads])
    pairs = {head: (base, head) for head, base in bases.items() if base is not None}
    diffs = git.diff_hunks_many(cwd, list(pairs.values()))
    writers = []
    for candidate, (head, dirty) in zip(candidates, heads):
        if head not in pairs or not diffs[pairs[head]]:
            continue  # unrelated history, or nothing changed relative to the target
        base, changes = pairs[head][0], diffs[pairs[head]]
        where = str(candidate.worktree) if candidate.worktree is not None else None
        paths = {d.path for d in changes}
        writers.append(
            Writer(
                candidate.name, candidate.branch, where, base, head, dirty, paths, changes, [], candidate.head
            )
        )
    return writers


def shared_paths(writers: Sequence[Writer]) -> dict[str, list[str]]:
    """path -> names of the writers that changed it, for paths changed by more than one."""
    by_path: dict[str, list[str]] = {}
    for writer in writers:
        for path in writer.paths:
            by_path.setdefault(path, []).append(writer.name)
    return {p: sorted(names) for p, names in sorted(by_path.items()) if len(names) > 1}
