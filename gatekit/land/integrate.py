"""Integrate branches onto a target commit without touching any worktree, index or branch.

Every strategy builds commits with `git merge-tree --write-tree` and `git commit-tree`, so the
only things written are new objects; the target moves later, by compare-and-swap, and only once
the result is verified.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from gatekit import git


@dataclass(frozen=True)
class Candidate:
    """A branch (or any commit) asked to land, pinned to the commit it named at the start."""

    name: str
    commit: str


@dataclass(frozen=True)
class Conflict:
    candidate: Candidate
    paths: tuple[str, ...]
    commit: str | None = None  # for rebase: the branch commit that did not apply


@dataclass
class Integration:
    """The result of putting candidates on top of base, in order."""

    base: str
    tip: str
    included: list[Candidate] = field(default_factory=list)
    already: list[Candidate] = field(default_factory=list)  # nothing new to land
    conflicts: list[Conflict] = field(default_factory=list)


def integrate(cwd: Path, base: str, candidates: list[Candidate], strategy: str, target: str) -> Integration:
    """Apply candidates one after the other on base; conflicting ones are left out."""
    result = Integration(base=base, tip=base)
    for candidate in candidates:
        if git.is_ancestor(cwd, candidate.commit, result.tip):
            result.already.append(candidate)
            continue
        step = _apply(cwd, result.tip, candidate, strategy, target)
        if isinstance(step, Conflict):
            result.conflicts.append(step)
        elif step == result.tip:
            result.already.append(candidate)  # rebase: every change is already upstream
        else:
            result.tip = step
            result.included.append(candidate)
    if strategy == "merge" and len(result.included) > 1:
        result.tip = _one_merge_for_the_batch(cwd, result, target)
    return result


def _one_merge_for_the_batch(cwd: Path, result: Integration, target: str) -> str:
    """The batch's merged tree as one merge commit with a parent per branch (an octopus, as bors
    makes): main's first-parent history then holds only commits that were verified, never the
    intermediate merges, which nothing verified."""
    names = [c.name for c in result.included]
    listing = ", ".join(f"'{n}'" for n in names[:-1]) + f" and '{names[-1]}'"
    heads = git.independent_commits(cwd, [c.commit for c in result.included])
    message = f"Merge branches {listing} into {target}\n"
    return git.commit_tree(cwd, git.tree_of(cwd, result.tip), [result.base, *heads], message)


def _apply(cwd: Path, tip: str, candidate: Candidate, strategy: str, target: str) -> str | Conflict:
    if strategy == "rebase":
        return _rebase(cwd, tip, candidate)
    merged = git.merge_tree(cwd, tip, candidate.commit)
    if not merged.clean:
        return Conflict(candidate, merged.conflicts)
    if strategy == "squash":
        return _squash(cwd, tip, candidate, merged.tree, target)
    message = f"Merge branch '{candidate.name}' into {target}\n"
    return git.commit_tree(cwd, merged.tree, [tip, candidate.commit], message)


def _squash(cwd: Path, tip: str, candidate: Candidate, tree: str, target: str) -> str:
    meta = git.commit_meta(cwd, candidate.commit)
    commits = git.rev_list(cwd, "--reverse", "--no-merges", candidate.commit, f"^{tip}")
    subjects = "".join(f"* {git.commit_subject(cwd, c)}\n" for c in commits)
    message = f"Squashed branch '{candidate.name}' into {target}\n\n{subjects}"
    return git.commit_tree(cwd, tree, [tip], message, env=_author_env(meta))


def _rebase(cwd: Path, tip: str, candidate: Candidate) -> str | Conflict:
    """Replay each non-merge commit of the branch that tip lacks, keeping author and message."""
    commits = git.rev_list(cwd, "--reverse", "--topo-order", "--no-merges", candidate.commit, f"^{tip}")
    for commit in commits:
        parents = git.commit_parents(cwd, commit)
        if not parents:
            continue  # an unrelated root commit has no change to replay onto the target
        replayed = git.replay_commit(cwd, commit, parents[0], tip)
        if not replayed.clean:
            return Conflict(candidate, replayed.conflicts, commit)
        if replayed.tree == git.tree_of(cwd, tip):
            continue  # already applied upstream; `git rebase` drops it the same way
        meta = git.commit_meta(cwd, commit)
        tip = git.commit_tree(cwd, replayed.tree, [tip], meta["message"], env=_author_env(meta))
    return tip


def _author_env(meta: dict[str, str]) -> dict[str, str]:
    return {
        "GIT_AUTHOR_NAME": meta["name"],
        "GIT_AUTHOR_EMAIL": meta["email"],
        "GIT_AUTHOR_DATE": meta["date"],
    }
